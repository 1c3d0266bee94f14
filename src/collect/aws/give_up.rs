//! Stops retrying a call the endpoint cannot answer, instead of waiting through every
//! attempt's backoff for the same failure:
//! * HTTP 501 (Not Implemented), or an error whose code is `NotImplemented`: at once;
//! * HTTP 500 whose body is not an AWS error (no error code: an emulator or a proxy that
//!   does not implement the call) and is the same as the previous attempt's: at the
//!   second attempt.
//!
//! AWS's own server errors (`InternalFailure`, `ServiceUnavailable`...) carry an error
//! code and are transient: they are retried as before. So are throttling and timeouts.
//!
//! An interceptor sees each attempt's answer with the operation's configuration (where
//! it keeps the previous answer) and marks an answer not worth retrying with a header
//! the retry classifier then reads.

use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    FinalizerInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use sha2::{Digest, Sha256};

/// The header that marks an answer not worth retrying, with the reason.
const GIVE_UP: &str = "x-nhiscan-give-up";

/// The previous attempt's answer, as a digest, in the operation's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PreviousFailure([u8; 32]);

impl Storable for PreviousFailure {
    type Storer = StoreReplace<Self>;
}

/// Why an answer is not worth another attempt, if it is not: `previous` is the digest
/// of the operation's previous failed answer of the same kind.
fn verdict(
    status: u16,
    body: &[u8],
    previous: Option<&PreviousFailure>,
) -> (Option<&'static str>, Option<PreviousFailure>) {
    let text = String::from_utf8_lossy(body);
    if status == 501
        || text.contains("<Code>NotImplemented</Code>")
        || text.contains("\"NotImplemented\"")
    {
        return (Some("not implemented by the endpoint"), None);
    }
    let aws_error =
        text.contains("<Code>") || text.contains("\"__type\"") || text.contains("\"code\"");
    if status != 500 || aws_error {
        return (None, None);
    }
    let digest = PreviousFailure(Sha256::digest(body).into());
    if previous == Some(&digest) {
        (
            Some("the same answer twice: not an AWS error"),
            Some(digest),
        )
    } else {
        (None, Some(digest))
    }
}

/// The interceptor: marks answers not worth retrying.
#[derive(Debug, Default)]
pub struct GiveUp;

impl Intercept for GiveUp {
    fn name(&self) -> &'static str {
        "nhiscan::GiveUp"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response_mut() else {
            return Ok(());
        };
        let status = response.status().as_u16();
        let body = response.body().bytes().unwrap_or_default();
        let (give_up, seen) = verdict(status, body, cfg.load::<PreviousFailure>());
        if let Some(seen) = seen {
            cfg.interceptor_state().store_put(seen);
        }
        if let Some(reason) = give_up {
            response.headers_mut().insert(GIVE_UP, reason);
        }
        Ok(())
    }
}

/// The retry classifier: no further attempt for a marked answer.
#[derive(Debug, Default)]
pub struct GiveUpClassifier;

impl ClassifyRetry for GiveUpClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(response) if response.headers().contains_key(GIVE_UP) => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "nhiscan::GiveUpClassifier"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTML_500: &[u8] = b"<!doctype html><title>500 Internal Server Error</title>";
    const AWS_500: &[u8] =
        b"<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>";

    #[test]
    fn the_same_non_aws_answer_twice_stops_and_aws_server_errors_are_retried() {
        let (first, seen) = verdict(500, HTML_500, None);
        assert_eq!(first, None, "one answer may be a blip");
        let (second, _) = verdict(500, HTML_500, seen.as_ref());
        assert!(second.is_some(), "the same answer again");
        let (other, _) = verdict(500, b"<html>another</html>", seen.as_ref());
        assert_eq!(other, None, "a different answer is tried again");
        assert_eq!(
            verdict(500, AWS_500, seen.as_ref()).0,
            None,
            "AWS's own 500s are transient"
        );
        assert_eq!(verdict(503, HTML_500, seen.as_ref()).0, None);
    }

    #[test]
    fn not_implemented_stops_at_once() {
        assert!(verdict(501, b"", None).0.is_some());
        let moto = b"<ErrorResponse><Error><Code>NotImplemented</Code></Error></ErrorResponse>";
        assert!(verdict(400, moto, None).0.is_some());
        assert_eq!(verdict(400, b"<Code>ValidationError</Code>", None).0, None);
    }
}
