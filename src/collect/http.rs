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
    }
}
