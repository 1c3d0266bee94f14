//! Errors of Graph, ARM and Key Vault calls, with what the user can do about them.

use crate::collect::api_error::{one_line, plain_message};
pub use crate::collect::api_error::{ApiError, ErrorKind};

/// From an HTTP error response of Graph, ARM or Key Vault (all three use
/// `{"error": {"code": ..., "message": ...}}`).
pub fn from_response(operation: impl Into<String>, status: u16, body: &[u8]) -> ApiError {
    let (code, message) = error_body(body);
    ApiError::from_status(operation, status, code, message)
}

/// What to do about a failed Azure call, when there is something to say.
pub fn hint(error: &ApiError) -> Option<String> {
    match error.kind {
        ErrorKind::Unauthenticated => Some(
            "the access token was refused (expired, revoked or for another tenant): sign \
             in again (`az login`, or renew the client secret / federated token) and check \
             --tenant and the system clock"
                .into(),
        ),
        ErrorKind::Denied => Some(match needed_permission(&error.operation) {
            Some(needed) => format!("grant {needed} (see examples/azure/README.md)"),
            None => "the login lacks a read permission here (see examples/azure/README.md)".into(),
        }),
        ErrorKind::Unavailable => {
            Some("still throttled or failing after retries; run again later".into())
        }
        _ => None,
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
        return (None, plain_message(body));
    };
    let error = value.get("error").unwrap_or(&value);
    let field = |name: &str| error.get(name).and_then(|v| v.as_str()).map(one_line);
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
        let graph = from_response(
            "azure:graph:applications",
            403,
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
        );
        let text = graph.to_string();
        assert!(text.contains("403 Authorization_RequestDenied"), "{text}");
        assert!(text.contains("Application.Read.All"), "{text}");
        let arm = from_response(
            "azure:arm:roleAssignments",
            403,
            br#"{"error":{"code":"AuthorizationFailed","message":"The client 'x'\r\n does not have authorization"}}"#,
        );
        assert!(arm.to_string().contains("Reader role"));
        assert!(!arm.message.contains('\r'));
        let expired = from_response("azure:graph:applications", 401, b"");
        assert_eq!(expired.kind, ErrorKind::Unauthenticated);
        assert!(expired.to_string().contains("az login"));
    }
}
