//! Errors of GitHub REST calls, with what the user can do about them.

use std::fmt;

/// What went wrong, as far as what to do next is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 403 (not a rate limit): the token lacks a scope or permission.
    Denied,
    /// 401: the token was refused (expired, revoked, mistyped).
    Unauthenticated,
    /// No token could be found.
    Token,
    /// 404: missing, or invisible to this token (GitHub answers 404 rather than 403 for
    /// what a token may not see).
    NotFound,
    /// Rate limited for longer than nhiscan waits, or still failing after every retry.
    Unavailable,
    /// Unreachable host, TLS or proxy failure.
    Network,
    /// A response nhiscan could not read, or a request it refused to send.
    Invalid,
    Other,
}

/// A failed call, named by its operation (`github:repos:keys`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub operation: String,
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub message: String,
}

impl std::error::Error for ApiError {}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        if let Some(status) = self.status {
            write!(f, " ({status})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = self.hint() {
            write!(f, " — {hint}")?;
        }
        Ok(())
    }
}

impl ApiError {
    pub fn new(operation: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            operation: operation.into(),
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// From an HTTP error response (`{"message": ..., "documentation_url": ...}`).
    pub fn from_response(operation: impl Into<String>, status: u16, body: &[u8]) -> Self {
        let kind = match status {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Denied,
            404 => ErrorKind::NotFound,
            429 | 500..=599 => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        };
        ApiError {
            operation: operation.into(),
            kind,
            status: Some(status),
            message: error_message(body).unwrap_or_else(|| format!("HTTP {status}")),
        }
    }

    /// Whether the token may not read this (403, or GitHub's 404 for the invisible).
    pub fn is_denied(&self) -> bool {
        matches!(self.kind, ErrorKind::Denied | ErrorKind::NotFound)
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self.kind {
            ErrorKind::Unauthenticated => Some(
                "the token was refused (expired, revoked or mistyped): sign in again \
                 (`gh auth login`, or a new token in GH_TOKEN / GITHUB_TOKEN) and check \
                 --github-api"
                    .into(),
            ),
            ErrorKind::Denied | ErrorKind::NotFound => {
                Some(match super::permissions::needed_for(&self.operation) {
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
}

/// `message` of a GitHub error body, on one line, when it has one.
fn error_message(body: &[u8]) -> Option<String> {
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => value
            .get("message")
            .and_then(|v| v.as_str())
            .map(one_line)
            .filter(|m| !m.is_empty()),
        Err(_) => {
            let text = one_line(&String::from_utf8_lossy(body));
            (!text.is_empty()).then(|| text.chars().take(300).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_message_and_the_fix() {
        let denied = ApiError::from_response(
            "github:actions:repoSecrets",
            403,
            br#"{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/actions/secrets#list-repository-secrets","status":"403"}"#,
        );
        let text = denied.to_string();
        assert!(text.contains("(403)"), "{text}");
        assert!(text.contains("Resource not accessible"), "{text}");
        assert!(text.contains("Secrets: read"), "{text}");
        let expired = ApiError::from_response("github:orgs:get", 401, b"");
        assert_eq!(expired.kind, ErrorKind::Unauthenticated);
        assert!(expired.to_string().contains("sign in again"));
        assert!(ApiError::from_response("github:repos:keys", 404, b"{}").is_denied());
    }
}
