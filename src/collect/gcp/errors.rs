//! Errors of Google Cloud REST calls, with what the user can do about them.
//!
//! Google APIs answer errors as `{"error": {"code", "message", "status", "details"}}`;
//! the `google.rpc.ErrorInfo` detail names the reason (`IAM_PERMISSION_DENIED`,
//! `SERVICE_DISABLED`, ...) and often the missing permission.

use crate::collect::api_error::{one_line, plain_message};
pub use crate::collect::api_error::{ApiError, ErrorKind};

/// From an HTTP error response.
pub fn from_response(operation: impl Into<String>, status: u16, body: &[u8]) -> ApiError {
    let parsed = GoogleError::parse(body);
    let reason = parsed.reason.as_deref().unwrap_or_default();
    let code = match (parsed.status, parsed.reason.clone()) {
        (Some(status), Some(reason)) if status != reason => Some(format!("{status}/{reason}")),
        (Some(status), _) => Some(status),
        (None, reason) => reason,
    };
    let mut error = ApiError::from_status(operation, status, code, parsed.message);
    if status == 403 && matches!(reason, "SERVICE_DISABLED" | "API_DISABLED") {
        error.kind = ErrorKind::ServiceDisabled;
    }
    error.permission = parsed.permission;
    error
}

/// What to do about a failed Google Cloud call, when there is something to say.
pub fn hint(error: &ApiError) -> Option<String> {
    // A user login calling an API that bills the caller needs a quota project.
    if error.message.to_ascii_lowercase().contains("quota project") {
        return Some(
            "set a quota project for the login: `gcloud auth application-default \
             set-quota-project PROJECT_ID` (or GOOGLE_CLOUD_QUOTA_PROJECT=PROJECT_ID)"
                .into(),
        );
    }
    match error.kind {
        ErrorKind::Unauthenticated => Some(
            "the token was refused (expired or revoked): sign in again with `gcloud auth \
             application-default login` (or `gcloud auth login`), or check \
             GOOGLE_APPLICATION_CREDENTIALS"
                .into(),
        ),
        ErrorKind::Denied | ErrorKind::NotFound => {
            let needed = super::permissions::needed_for(&error.operation)
                .map(|n| n.permission.to_string())
                .or_else(|| error.permission.clone());
            Some(match needed {
                Some(permission) => format!(
                    "the login needs {permission} (in examples/gcp/nhiscan-reader.role.yaml)"
                ),
                None => "the login lacks a read permission here (see \
                         examples/gcp/nhiscan-reader.role.yaml)"
                    .into(),
            })
        }
        ErrorKind::ServiceDisabled => super::permissions::needed_for(&error.operation).map(|n| {
            format!(
                "enable the API in the project: `gcloud services enable {}`",
                n.service
            )
        }),
        ErrorKind::Unavailable => Some("still failing after retries; run again later".into()),
        _ => None,
    }
}

/// The parts of a Google error body nhiscan uses.
#[derive(Debug, Default)]
struct GoogleError {
    message: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    permission: Option<String>,
}

impl GoogleError {
    fn parse(body: &[u8]) -> GoogleError {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return GoogleError {
                message: plain_message(body),
                ..GoogleError::default()
            };
        };
        let error = &value["error"];
        // OAuth endpoints answer {"error": "invalid_grant", "error_description": ...}.
        if let Some(code) = error.as_str() {
            return GoogleError {
                message: value["error_description"]
                    .as_str()
                    .map(one_line)
                    .or_else(|| Some(code.to_string())),
                status: Some(code.to_string()),
                ..GoogleError::default()
            };
        }
        let info = error["details"].as_array().and_then(|details| {
            details.iter().find(|d| {
                d["@type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("google.rpc.ErrorInfo"))
            })
        });
        GoogleError {
            message: error["message"]
                .as_str()
                .map(one_line)
                .filter(|m| !m.is_empty()),
            status: error["status"].as_str().map(str::to_string),
            reason: info.and_then(|i| i["reason"].as_str()).map(str::to_string),
            permission: info
                .and_then(|i| i["metadata"]["permission"].as_str())
                .map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_name_the_permission_and_the_role_file() {
        let body = br#"{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.list' denied on resource (or it may not exist).","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED","domain":"iam.googleapis.com","metadata":{"permission":"iam.serviceAccounts.list"}}]}}"#;
        let error = from_response("gcp:iam:serviceAccounts.list", 403, body);
        assert_eq!(error.kind, ErrorKind::Denied);
        assert_eq!(
            error.permission.as_deref(),
            Some("iam.serviceAccounts.list")
        );
        let text = error.to_string();
        assert!(
            text.contains("403 PERMISSION_DENIED/IAM_PERMISSION_DENIED"),
            "{text}"
        );
        assert!(text.contains("needs iam.serviceAccounts.list"), "{text}");
    }

    #[test]
    fn a_disabled_api_says_how_to_enable_it() {
        let body = br#"{"error":{"code":403,"message":"Policy Analyzer API has not been used in project 123 before or it is disabled.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com","metadata":{"service":"policyanalyzer.googleapis.com"}}]}}"#;
        let error = from_response(
            "gcp:policyanalyzer:serviceAccountLastAuthentication.query",
            403,
            body,
        );
        assert_eq!(error.kind, ErrorKind::ServiceDisabled);
        assert!(error
            .to_string()
            .contains("gcloud services enable policyanalyzer.googleapis.com"));
    }

    #[test]
    fn a_missing_quota_project_says_how_to_set_one() {
        let body = br#"{"error":{"code":403,"message":"Your application is authenticating by using local Application Default Credentials. The policyanalyzer.googleapis.com API requires a quota project, which is not set by default.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED"}]}}"#;
        let error = from_response(
            "gcp:policyanalyzer:serviceAccountLastAuthentication.query",
            403,
            body,
        );
        assert!(error.to_string().contains("set-quota-project"), "{error}");
    }

    #[test]
    fn oauth_errors_and_plain_bodies_are_read() {
        let error = from_response(
            "gcp:oauth2:token",
            400,
            br#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        );
        assert_eq!(error.message, "Token has been expired or revoked.");
        assert_eq!(error.code.as_deref(), Some("invalid_grant"));
        let plain = from_response("gcp:iam:serviceAccounts.list", 502, b"Bad Gateway\n");
        assert_eq!(plain.kind, ErrorKind::Unavailable);
        assert_eq!(plain.message, "Bad Gateway");
    }
}
