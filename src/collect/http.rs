//! What the REST collectors (Azure, GitHub) share about HTTP: which next-page links to
//! follow, how long to wait before a retry, and how to describe a failed request.

use std::time::Duration;

/// Whether `url` has the same origin (scheme, host, port) as `base`: paging links
/// elsewhere are not followed, so a response cannot send the token to another host.
pub fn same_origin(url: &str, base: &str) -> bool {
    match (reqwest::Url::parse(url), reqwest::Url::parse(base)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// The exponential wait before attempt `attempt + 1`: 1, 2, 4 ... 64 seconds.
pub fn exponential_backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6))
}

/// How hard a REST client (GitHub, Google Cloud) retries: throttling and transient errors
/// are retried up to `max_attempts`, waiting what the service asks or backing off
/// exponentially; a wait asked for beyond `max_wait` fails the call instead.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Longest wait before a retry; a service asking for more fails the call.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` when the service names none: exponential,
    /// never more than `max_wait`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        exponential_backoff(attempt).min(self.max_wait)
    }
}

/// An error with its causes, for messages (reqwest's own Display stops at the top).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (1..=9).map(|a| exponential_backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
        let policy = RetryPolicy {
            max_wait: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff(2), Duration::from_secs(2));
        assert_eq!(
            policy.backoff(6),
            Duration::from_secs(10),
            "capped by max_wait"
        );
    }
}
