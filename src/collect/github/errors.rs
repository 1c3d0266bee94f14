//! Errors of GitHub REST calls, with what the user can do about them.

use crate::collect::api_error::{one_line, plain_message};
pub use crate::collect::api_error::{ApiError, ErrorKind};

/// From an HTTP error response (`{"message": ..., "documentation_url": ...}`).
pub fn from_response(operation: impl Into<String>, status: u16, body: &[u8]) -> ApiError {
    ApiError::from_status(operation, status, None, error_message(body))
}

/// What to do about a failed GitHub call, when there is something to say.
pub fn hint(error: &ApiError) -> Option<String> {
    match error.kind {
        ErrorKind::Unauthenticated => Some(
            "the token was refused (expired, revoked or mistyped): sign in again \
             (`gh auth login`, or a new token in GH_TOKEN / GITHUB_TOKEN) and check \
             --github-api"
                .into(),
        ),
        ErrorKind::Denied | ErrorKind::NotFound => {
            Some(match super::permissions::needed_for(&error.operation) {
                Some(needed) => format!(
                    "the token needs {} (see examples/github/README.md)",
                    needed.describe()
                ),
                None => "the token lacks a read permission here (see \
                         examples/github/README.md)"
                    .into(),
            })
        }
        ErrorKind::Unavailable => {
            Some("still rate limited or failing after retries; run again later".into())
        }
        _ => None,
    }
}

/// `message` of a GitHub error body, on one line, when it has one.
fn error_message(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => value
            .get("message")
            .and_then(|v| v.as_str())
            .map(one_line)
            .filter(|m| !m.is_empty()),
        Err(_) => plain_message(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_message_and_the_fix() {
        let denied = from_response(
            "github:actions:repoSecrets",
            403,
            br#"{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/actions/secrets#list-repository-secrets","status":"403"}"#,
        );
        let text = denied.to_string();
        assert!(text.contains("(403)"), "{text}");
        assert!(text.contains("Resource not accessible"), "{text}");
        assert!(text.contains("Secrets: read"), "{text}");
        let expired = from_response("github:orgs:get", 401, b"");
        assert_eq!(expired.kind, ErrorKind::Unauthenticated);
        assert!(expired.to_string().contains("sign in again"));
        assert!(from_response("github:repos:keys", 404, b"{}").is_denied());
    }
}
