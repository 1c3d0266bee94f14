//! The error of a failed REST call, shared by the Azure, GitHub and GCP collectors: the
//! counted operation (`azure:graph:applications`, `github:repos:keys`,
//! `gcp:iam:serviceAccounts.list`), what kind of failure it is, the service's own code
//! and message, and — from the provider's `errors` module, chosen by the operation's
//! prefix — what the user can do about it.

use crate::collect::http::{exchange_failure, Answer, Failure};
use std::fmt;
use std::time::Duration;

/// What went wrong, as far as what to do next is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 403: the login lacks a permission, role or scope.
    Denied,
    /// The API is not enabled for the project (Google's `SERVICE_DISABLED`).
    ServiceDisabled,
    /// 401: the token was refused (expired, revoked, wrong tenant or audience).
    Unauthenticated,
    /// No token could be obtained.
    Token,
    /// 404 (GitHub also answers it for what a token may not see).
    NotFound,
    /// Throttled or failing for longer than nhiscan waits, or after every retry.
    Unavailable,
    /// Unreachable host, TLS or proxy failure.
    Network,
    /// A response nhiscan could not read, or a request it refused to send.
    Invalid,
    Other,
}

impl ErrorKind {
    /// The kind an HTTP error status means, before the body says more.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Denied,
            404 => ErrorKind::NotFound,
            429 | 500..=599 => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        }
    }
}

/// A failed call.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The counted operation key.
    pub operation: String,
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// The service's error code (`AuthorizationFailed`, `PERMISSION_DENIED/...`).
    pub code: Option<String>,
    pub message: String,
    /// The permission the service names as missing, when it does.
    pub permission: Option<String>,
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
    /// The error of a call [`RetryPolicy::send`](crate::collect::http::RetryPolicy::send)
    /// gave up on, counted as `operation`: preparing an attempt's own error, a failed
    /// exchange as a network error naming `service`, and the service's error answer as
    /// `answered` reads it (with its attempts, and the wait it asked for when that was
    /// longer than nhiscan waits).
    pub fn from_failure(
        operation: String,
        service: &str,
        failure: Failure<ApiError>,
        answered: impl FnOnce(String, Answer, u32, Option<Duration>) -> ApiError,
    ) -> ApiError {
        match failure {
            Failure::Prepare(error) => error,
            Failure::Exchange { attempts, error } => ApiError::new(
                operation,
                ErrorKind::Network,
                exchange_failure(service, attempts, &error),
            ),
            Failure::Answer {
                attempts,
                answer,
                too_long,
            } => answered(operation, answer, attempts, too_long),
        }
    }

    pub fn new(operation: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            operation: operation.into(),
            kind,
            status: None,
            code: None,
            message: message.into(),
            permission: None,
        }
    }

    /// An HTTP error response, its kind from the status.
    pub fn from_status(
        operation: impl Into<String>,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    ) -> Self {
        ApiError {
            operation: operation.into(),
            kind: ErrorKind::from_status(status),
            status: Some(status),
            code,
            message: message.unwrap_or_else(|| format!("HTTP {status}")),
            permission: None,
        }
    }

    /// Whether the login may not read this (403, or a 404 for what it may not see).
    pub fn is_denied(&self) -> bool {
        matches!(self.kind, ErrorKind::Denied | ErrorKind::NotFound)
    }

    /// What to do about it, from the provider the operation belongs to.
    pub fn hint(&self) -> Option<String> {
        let provider = self.operation.split(':').next().unwrap_or_default();
        match provider {
            #[cfg(feature = "azure")]
            "azure" => super::azure::errors::hint(self),
            #[cfg(feature = "github")]
            "github" => super::github::errors::hint(self),
            #[cfg(feature = "gcp")]
            "gcp" => super::gcp::errors::hint(self),
            _ => None,
        }
    }
}

/// `text` on one line, whitespace runs as one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A body that is not the service's JSON, as a message: one line, at most 300
/// characters; `None` when empty.
pub fn plain_message(body: &[u8]) -> Option<String> {
    let text = one_line(&String::from_utf8_lossy(body));
    (!text.is_empty()).then(|| text.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_give_kinds_and_the_text_names_everything() {
        assert_eq!(ErrorKind::from_status(429), ErrorKind::Unavailable);
        assert_eq!(ErrorKind::from_status(418), ErrorKind::Other);
        let error = ApiError::from_status("other:x:y", 403, Some("Nope".into()), None);
        assert_eq!(error.to_string(), "other:x:y (403 Nope): HTTP 403");
        assert!(error.is_denied());
        assert_eq!(
            plain_message(b"  Bad\r\n Gateway \n").as_deref(),
            Some("Bad Gateway")
        );
        assert_eq!(plain_message(b" \n"), None);
    }
}
