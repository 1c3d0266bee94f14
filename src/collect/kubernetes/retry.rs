//! Which failed Kubernetes requests are worth another attempt. kube's own retry layer
//! retries 429, 503 and 504 (honouring `Retry-After`); the collector adds the rest of
//! what a read may recover from: HTTP 500 and 502, a dropped connection and an attempt
//! past `--k8s-timeout`, with the REST collectors' policy ([`RetryPolicy`]).

use crate::collect::http::RetryPolicy;

/// How a failed request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Not worth another attempt (refused, not found, a bad answer ...).
    Final,
    /// The server failed or the connection dropped.
    Transient,
    /// The attempt ran out of time.
    TimedOut,
}

/// What kind of failure `error` is.
pub fn classify(error: &kube::Error) -> Failure {
    match error {
        kube::Error::Api(status) => match status.code {
            429 | 500 | 502 | 503 | 504 => Failure::Transient,
            _ => Failure::Final,
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            if timed_out(error) {
                Failure::TimedOut
            } else {
                Failure::Transient
            }
        }
        _ => Failure::Final,
    }
}

/// Whether an I/O timeout is among the causes of `error`.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        cause = current.source();
    }
    false
}

/// The last error of a request that failed, and how many attempts it took.
#[derive(Debug)]
pub struct Failed {
    pub error: kube::Error,
    pub attempts: u32,
}

/// Runs `attempt` until it succeeds, fails for good, or `policy` gives up; `before_each`
/// runs before every attempt (to count it).
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    mut before_each: impl FnMut(),
    mut attempt: F,
) -> Result<T, Failed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut tried = 0;
    let mut timeouts = 0;
    loop {
        tried += 1;
        before_each();
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let retried = match classify(&error) {
            Failure::Final => false,
            Failure::Transient => policy.retries(tried, timeouts),
            Failure::TimedOut => {
                timeouts += 1;
                policy.retries(tried, timeouts)
            }
        };
        if !retried {
            return Err(Failed {
                error,
                attempts: tried,
            });
        }
        tokio::time::sleep(policy.backoff(tried)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    fn api_error(code: u16) -> kube::Error {
        kube::Error::Api(Box::new(Status {
            code,
            ..Status::default()
        }))
    }

    #[test]
    fn server_errors_and_throttling_are_transient_refusals_final() {
        for code in [429, 500, 502, 503, 504] {
            assert_eq!(classify(&api_error(code)), Failure::Transient, "{code}");
        }
        for code in [400, 401, 403, 404, 410] {
            assert_eq!(classify(&api_error(code)), Failure::Final, "{code}");
        }
    }

    #[test]
    fn a_timeout_among_the_causes_is_a_timeout() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline");
        let service = kube::Error::Service(Box::new(io));
        assert_eq!(classify(&service), Failure::TimedOut);
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(
            classify(&kube::Error::Service(Box::new(reset))),
            Failure::Transient
        );
    }

    #[tokio::test]
    async fn a_failing_call_is_tried_up_to_the_limit_and_a_refusal_once() {
        let policy = RetryPolicy {
            max_wait: std::time::Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let mut counted = 0;
        let failed: Result<(), _> =
            with_retries(&policy, || counted += 1, || async { Err(api_error(500)) }).await;
        assert_eq!(
            failed.map_err(|f| f.attempts).err(),
            Some(policy.max_attempts)
        );
        assert_eq!(counted, policy.max_attempts);
        let mut counted = 0;
        let refused: Result<(), _> =
            with_retries(&policy, || counted += 1, || async { Err(api_error(403)) }).await;
        assert!(refused.is_err());
        assert_eq!(counted, 1);
    }
}
