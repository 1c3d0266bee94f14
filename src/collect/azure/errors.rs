//! Errors of Graph, ARM and Key Vault calls, with what the user can do about them.

use std::fmt;

/// What went wrong, as far as what to do next is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 403: the login lacks a permission or role.
    Denied,
    /// 401: the token was refused (expired, wrong tenant or audience).
    Unauthenticated,
    /// No token could be obtained from the login.
    Token,
    /// 404.
    NotFound,
    /// Still throttled or failing after every retry.
    Unavailable,
    /// Unreachable host, TLS or proxy failure.
    Network,
    /// A response nhiscan could not read.
    Invalid,
    Other,
}

/// A failed call, named by its operation (`azure:graph:applications`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub operation: String,
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// The service's error code (`Authorization_RequestDenied`, `AuthorizationFailed`...).
    pub code: Option<String>,
    pub message: String,
}

impl std::error::Error for ApiError {}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        match (self.status, &self.code) {
            (Some(status), Some(code)) => write!(f, " ({status} {code})")?,
            (Some(status), None) => write!(f, " ({status})")?,
            _ => {}
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
            code: None,
            message: message.into(),
        }
    }

    /// From an HTTP error response of Graph, ARM or Key Vault (all three use
    /// `{"error": {"code": ..., "message": ...}}`).
    pub fn from_response(operation: impl Into<String>, status: u16, body: &[u8]) -> Self {
        let (code, message) = error_body(body);
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
            code,
            message: message.unwrap_or_else(|| format!("HTTP {status}")),
        }
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self.kind {
            ErrorKind::Unauthenticated => Some(
                "the access token was refused (expired, revoked or for another tenant): sign \
                 in again (`az login`, or renew the client secret / federated token) and check \
                 --tenant and the system clock"
                    .into(),
            ),
            ErrorKind::Denied => Some(match needed_permission(&self.operation) {
                Some(needed) => format!("grant {needed} (see examples/azure/README.md)"),
                None => {
                    "the login lacks a read permission here (see examples/azure/README.md)".into()
                }
            }),
            ErrorKind::Unavailable => {
                Some("still throttled or failing after retries; run again later".into())
            }
            _ => None,
        }
    }
}

/// The least permission or role that makes `operation` work, in words.
fn needed_permission(operation: &str) -> Option<String> {
    let permission = super::permissions::needed_for(operation)?;
    Some(if let Some(graph) = permission.strip_prefix("graph:") {
        format!(
            "the Microsoft Graph permission {graph} (application permission, or a directory \
             role that includes it for a signed-in user)"
        )
    } else if operation.starts_with("azure:keyvault:") {
        format!(
            "{permission} on the vault (the Key Vault Reader role; for a vault using access \
             policies, List on secrets, keys and certificates)"
        )
    } else {
        format!("{permission} (the Reader role, or examples/azure/nhiscan-reader.role.json)")
    })
}

/// `error.code` and `error.message` of an error body, when it has them.
fn error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return (
            None,
            (!text.is_empty()).then(|| text.chars().take(300).collect()),
        );
    };
    let error = value.get("error").unwrap_or(&value);
    let field = |name: &str| {
        error
            .get(name)
            .and_then(|v| v.as_str())
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let message = field("message").or_else(|| {
        value
            .get("error_description")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    });
    (field("code"), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_and_arm_errors_name_code_message_and_fix() {
        let graph = ApiError::from_response(
            "azure:graph:applications",
            403,
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
        );
        let text = graph.to_string();
        assert!(text.contains("403 Authorization_RequestDenied"), "{text}");
        assert!(text.contains("Application.Read.All"), "{text}");
        let arm = ApiError::from_response(
            "azure:arm:roleAssignments",
            403,
            br#"{"error":{"code":"AuthorizationFailed","message":"The client 'x'\r\n does not have authorization"}}"#,
        );
        assert!(arm.to_string().contains("Reader role"));
        assert!(!arm.message.contains('\r'));
        let expired = ApiError::from_response("azure:graph:applications", 401, b"");
        assert_eq!(expired.kind, ErrorKind::Unauthenticated);
        assert!(expired.to_string().contains("az login"));
    }
}
