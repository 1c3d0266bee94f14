//! Turning SDK errors into messages that say what failed and what to do about it.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use std::fmt;

/// The read-only policy shipped with nhiscan, named in every access-denied message.
pub const POLICY_PATH: &str = "examples/aws/nhiscan-readonly-policy.json";

/// What sort of failure an API call had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller lacks the permission (AccessDenied and friends, or HTTP 403).
    AccessDenied,
    /// The credentials were refused: invalid, expired, or a region the account has not
    /// enabled.
    CredentialsRefused,
    Throttled,
    /// No response: connection refused, DNS, TLS, timeout.
    Unreachable,
    /// No credentials could be found or loaded (no profile, no environment variables,
    /// an expired SSO session...).
    NoCredentials,
    Other,
}

/// A failed API call: the permission it needed (`iam:GetCredentialReport`), what kind of
/// failure, and a message for a person.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub operation: &'static str,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub detail: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.operation;
        let code = self.code.as_deref().unwrap_or("error");
        match self.kind {
            ErrorKind::AccessDenied => write!(
                f,
                "{op} was denied ({code}): the scanning identity needs the permission {op}; \
                 attach the read-only policy in {POLICY_PATH} ({})",
                self.detail
            ),
            ErrorKind::CredentialsRefused => write!(
                f,
                "{op} refused the credentials ({code}: {}): they are invalid or expired, or \
                 this is an opt-in region not enabled for the account (enable it, or leave \
                 it out of the regions to scan)",
                self.detail
            ),
            ErrorKind::Throttled => write!(
                f,
                "{op} was throttled even after retries ({code}: {}); try again later or \
                 lower the concurrency",
                self.detail
            ),
            ErrorKind::Unreachable => write!(
                f,
                "{op} could not reach the AWS endpoint ({}); check the network, the region \
                 name and any --endpoint-url",
                self.detail
            ),
            ErrorKind::NoCredentials => write!(
                f,
                "{op} has no usable AWS credentials ({}); configure a profile (--profile, \
                 `aws sso login` for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                self.detail
            ),
            ErrorKind::Other => write!(f, "{op} failed ({code}: {})", self.detail),
        }
    }
}

impl std::error::Error for ApiError {}

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
];
const REFUSED: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "OptInRequired",
];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

/// Classifies an SDK error of the call that needs permission `operation`
/// (`service:Operation`).
pub fn api_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (kind, code, detail) = match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            // When the SDK could not read the error (a non-standard body), look for the
            // code and message in the body ourselves.
            let body = service.raw().body().bytes().unwrap_or_default();
            let (body_code, body_message) = from_body(&String::from_utf8_lossy(body));
            let code = err.code().map(str::to_string).or(body_code);
            let message = err.message().map(str::to_string).or(body_message);
            let kind = classify(code.as_deref(), status);
            let detail = message.unwrap_or_else(|| format!("HTTP {status}"));
            (kind, code, detail)
        }
        SdkError::DispatchFailure(failure) if !failure.is_io() && !failure.is_timeout() => {
            let text = chain(&err);
            let kind = if text.contains("credential") {
                ErrorKind::NoCredentials
            } else {
                ErrorKind::Other
            };
            (kind, None, text)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            (ErrorKind::Unreachable, None, chain(&err))
        }
        _ => (ErrorKind::Other, None, chain(&err)),
    };
    ApiError {
        operation,
        kind,
        code,
        detail: one_line(&detail),
    }
}

/// What kind of error an AWS answer with HTTP `status` and error `code` is.
fn classify(code: Option<&str>, status: u16) -> ErrorKind {
    let c = code.unwrap_or_default();
    if DENIED.contains(&c) || (code.is_none() && status == 403) {
        ErrorKind::AccessDenied
    } else if REFUSED.contains(&c) {
        ErrorKind::CredentialsRefused
    } else if THROTTLED.contains(&c) || status == 429 {
        ErrorKind::Throttled
    } else {
        ErrorKind::Other
    }
}

/// The error of an answer nhiscan read itself (not through an SDK): HTTP `status` and
/// the error body (`<Code>`/`<Message>`, or JSON).
pub fn from_answer(operation: &'static str, status: u16, body: &[u8]) -> ApiError {
    let (code, message) = from_body(&String::from_utf8_lossy(body));
    ApiError {
        operation,
        kind: classify(code.as_deref(), status),
        code,
        detail: one_line(&message.unwrap_or_else(|| format!("HTTP {status}"))),
    }
}

/// An error of `operation` that had no answer (or no usable one) to read: `kind`, in
/// words.
pub fn without_answer(operation: &'static str, kind: ErrorKind, detail: &str) -> ApiError {
    ApiError {
        operation,
        kind,
        code: None,
        detail: one_line(detail),
    }
}

/// An error and its sources, `a: b: c`, each said once.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// `<Code>`/`<Message>` of an XML error body, or `__type`/`message` of a JSON one.
fn from_body(body: &str) -> (Option<String>, Option<String>) {
    fn between(text: &str, open: &str, close: &str) -> Option<String> {
        let start = text.find(open)? + open.len();
        let len = text[start..].find(close)?;
        Some(text[start..start + len].trim().to_string()).filter(|s| !s.is_empty())
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(body) {
        let get = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let code = get("__type").or_else(|| get("code"));
        let code = code.map(|c| c.rsplit('#').next().unwrap_or_default().to_string());
        return (code, get("message").or_else(|| get("Message")));
    }
    (
        between(body, "<Code>", "</Code>"),
        between(body, "<Message>", "</Message>"),
    )
}

/// Keeps messages on one line, and short: they go into coverage entries and tables.
fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 400 {
        let cut: String = flat.chars().take(400).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_permission_and_policy() {
        let e = ApiError {
            operation: "iam:GetAccountAuthorizationDetails",
            kind: ErrorKind::AccessDenied,
            code: Some("AccessDenied".into()),
            detail: "User: x is not authorized".into(),
        };
        let text = e.to_string();
        assert!(text.contains("needs the permission iam:GetAccountAuthorizationDetails"));
        assert!(text.contains(POLICY_PATH));
    }

    #[test]
    fn codes_from_bodies() {
        let xml = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: x is not authorized</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            from_body(xml),
            (
                Some("AccessDenied".into()),
                Some("User: x is not authorized".into())
            )
        );
        let json = r#"{"__type": "com.amazonaws#AccessDeniedException", "message": "no"}"#;
        assert_eq!(
            from_body(json),
            (Some("AccessDeniedException".into()), Some("no".into()))
        );
        assert_eq!(from_body(""), (None, None));
    }

    #[test]
    fn messages_are_one_short_line() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert!(one_line(&"x".repeat(1000)).len() < 410);
    }
}
