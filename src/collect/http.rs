//! What the REST collectors (Azure, Google Cloud, GitHub, and AWS's one Query call) share
//! about HTTP: the client and its timeouts, the one send-and-retry loop
//! ([`RetryPolicy::send`]), which next-page links to follow, how to read a JSON answer and
//! how to describe a failed request. Each provider keeps only its authentication, its
//! paging and what its errors mean.

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

/// How hard a REST client retries and how long each attempt may take: throttling,
/// transient errors, dropped connections and attempts past `attempt_timeout` are retried
/// up to `max_attempts`, waiting what the service asks or backing off exponentially; a
/// wait asked for beyond `max_wait` fails the call instead.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Longest wait before a retry; a service asking for more fails the call.
    pub max_wait: Duration,
    /// How long one attempt may take, from connecting to the answer's last byte
    /// (connecting alone: at most [`CONNECT_TIMEOUT`]).
    pub attempt_timeout: Duration,
}

/// The longest wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Attempts at a request whose attempts time out: a server that let two attempts run
/// out of time is rarely quicker at the third, and each costs a whole timeout.
pub const TIMED_OUT_ATTEMPTS: u32 = 3;

/// The default of `--azure-timeout`, `--gcp-timeout` and `--github-timeout`, in seconds.
pub const DEFAULT_ATTEMPT_TIMEOUT_SECS: u64 = 60;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_wait: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(DEFAULT_ATTEMPT_TIMEOUT_SECS),
        }
    }
}

impl RetryPolicy {
    /// This policy with `seconds` per attempt (a provider's `--<provider>-timeout`).
    pub fn with_attempt_timeout(self, seconds: u64) -> Self {
        RetryPolicy {
            attempt_timeout: Duration::from_secs(seconds),
            ..self
        }
    }

    /// The wait after failed attempt `attempt` when the service names none: exponential,
    /// never more than `max_wait`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        exponential_backoff(attempt).min(self.max_wait)
    }

    /// Whether a failed exchange is tried again, after `attempt` attempts (counted
    /// from one) of which `timeouts` ran out of time: up to `max_attempts`, and while
    /// fewer than [`TIMED_OUT_ATTEMPTS`] timed out.
    pub fn retries(&self, attempt: u32, timeouts: u32) -> bool {
        attempt < self.max_attempts && timeouts < TIMED_OUT_ATTEMPTS
    }

    /// The HTTP client of a REST collector: this policy's timeouts, no redirects (a
    /// redirect could carry the token elsewhere), nhiscan's user agent.
    pub fn client(&self) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .connect_timeout(self.attempt_timeout.min(CONNECT_TIMEOUT))
            .timeout(self.attempt_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("nhiscan/", env!("CARGO_PKG_VERSION")))
            .build()
    }
}

/// Whether a service's error answer is worth another attempt: [`Retry::No`], or after
/// the wait it asks for (`None`: it names none; back off exponentially).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    No,
    After(Option<Duration>),
}

/// Why [`RetryPolicy::send`] gave up.
#[derive(Debug)]
pub enum Failure<E> {
    /// Preparing an attempt failed (no token, a request that cannot be signed): not retried.
    Prepare(E),
    /// No answer after `attempts` attempts: no connection, a dropped one, or timeouts.
    Exchange {
        attempts: u32,
        error: reqwest::Error,
    },
    /// The service's error answer after `attempts`: not worth retrying, still failing, or
    /// asking to wait `too_long`, longer than the policy's `max_wait`.
    Answer {
        attempts: u32,
        answer: Answer,
        too_long: Option<Duration>,
    },
}

#[cfg(any(
    feature = "aws",
    feature = "azure",
    feature = "gcp",
    feature = "github"
))]
impl RetryPolicy {
    /// Sends a request until it succeeds or this policy gives up: `prepare` builds each
    /// attempt (fresh token or signature), every attempt is counted under `key`, failed
    /// exchanges back off exponentially, and `retry` says which error answers are tried
    /// again and after how long.
    pub async fn send<E, F, Fut>(
        &self,
        counter: &super::counter::CallCounter,
        key: &str,
        mut prepare: F,
        retry: impl Fn(&Answer) -> Retry,
    ) -> Result<Answer, Failure<E>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<reqwest::RequestBuilder, E>>,
    {
        let (mut attempt, mut timeouts) = (0, 0);
        loop {
            attempt += 1;
            let request = prepare().await.map_err(Failure::Prepare)?;
            counter.add(key);
            let answer = match exchange(request).await {
                Ok(answer) => answer,
                Err(error) => {
                    timeouts += u32::from(error.is_timeout());
                    if self.retries(attempt, timeouts) {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(Failure::Exchange {
                        attempts: attempt,
                        error,
                    });
                }
            };
            if answer.status.is_success() {
                return Ok(answer);
            }
            let wait = match retry(&answer) {
                Retry::No => None,
                Retry::After(asked) => Some(asked.unwrap_or_else(|| self.backoff(attempt))),
            };
            match wait {
                Some(wait) if self.retries(attempt, timeouts) => {
                    if wait > self.max_wait {
                        return Err(Failure::Answer {
                            attempts: attempt,
                            answer,
                            too_long: Some(wait),
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return Err(Failure::Answer {
                        attempts: attempt,
                        answer,
                        too_long: None,
                    })
                }
            }
        }
    }
}

/// One request's answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Sends `request` and reads its whole answer. An error is a failed exchange — no
/// connection, a connection dropped before the last byte, or the attempt's timeout — and
/// is worth retrying: every request the collectors send is a read.
#[cfg(any(
    feature = "aws",
    feature = "azure",
    feature = "gcp",
    feature = "github"
))]
async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// What a failed exchange says after `attempts` attempts, with its causes (`operation
/// timed out`, `connection reset` ...).
pub fn exchange_failure(service: &str, attempts: u32, error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the exchange failed"
    };
    format!(
        "{service}: {what} after {attempts} attempt{}: {}",
        if attempts == 1 { "" } else { "s" },
        error_chain(error)
    )
}

/// Reads a JSON answer as `T`; the error says where it differs (`` at `value[3].id`:
/// invalid type ... ``).
pub fn read_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))
}

/// [`read_json`] of an already parsed value, found in the answer at `within` (a field
/// name, or empty for the whole answer).
pub fn read_json_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    within: &str,
) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| match within {
        "" => format!("at `{}`: {}", e.path(), e.inner()),
        field => format!("at `{field}.{}`: {}", e.path(), e.inner()),
    })
}

/// The next page's URL, refused when it leaves the API's origin: a response cannot send
/// the token to another host.
pub fn next_page_on(base: &str, next: String) -> Result<String, String> {
    if same_origin(&next, base) {
        Ok(next)
    } else {
        Err(format!(
            "the next page is on another host ({next}); not following it with the token"
        ))
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

    #[test]
    fn next_pages_are_followed_only_on_the_api_origin() {
        let graph = "https://graph.microsoft.com";
        let next = "https://graph.microsoft.com/v1.0/applications?$skiptoken=x";
        assert_eq!(next_page_on(graph, next.into()).as_deref(), Ok(next));
        for elsewhere in [
            "https://evil.example/v1.0/applications",
            "http://graph.microsoft.com/v1.0/x",
            "https://graph.microsoft.com:8443/v1.0/x",
            "not a url",
        ] {
            let refused = next_page_on(graph, elsewhere.into());
            assert!(
                refused.as_ref().is_err_and(|e| e.contains("another host")),
                "{elsewhere}: {refused:?}"
            );
        }
        let enterprise = "https://ghe.example.com/api/v3";
        let next = "https://ghe.example.com/api/v3/orgs/acme/repos?page=2";
        assert!(next_page_on(enterprise, next.into()).is_ok());
    }

    #[test]
    fn json_errors_name_where_the_answer_differs() {
        let read: Result<Vec<u32>, String> = read_json(br#"[1, "two"]"#);
        assert!(read.is_err_and(|e| e.starts_with("at `[1]`: invalid type")));
        let value = serde_json::json!([{"id": 1}, {"id": "x"}]);
        let read: Result<Vec<std::collections::BTreeMap<String, u32>>, String> =
            read_json_value(value, "keys");
        assert!(
            read.as_ref()
                .is_err_and(|e| e.starts_with("at `keys.[1].id`:")),
            "{read:?}"
        );
    }

    /// A local server answering every request with `response`, counting the requests.
    #[cfg(any(
        feature = "aws",
        feature = "azure",
        feature = "gcp",
        feature = "github"
    ))]
    async fn answering(
        response: &'static str,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicU32>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = format!(
            "http://{}/",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        );
        let served = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let count = served.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        (url, served)
    }

    #[cfg(any(
        feature = "aws",
        feature = "azure",
        feature = "gcp",
        feature = "github"
    ))]
    #[tokio::test]
    async fn send_retries_what_the_service_allows_and_refuses_long_waits() {
        let policy = RetryPolicy {
            max_attempts: 2,
            max_wait: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(5),
        };
        let client = policy.client().unwrap_or_else(|e| panic!("{e}"));
        let counter = super::super::counter::CallCounter::default();
        let retry_asked = |answer: &Answer| match answer.status.as_u16() {
            429 | 500 => Retry::After(
                answer
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .map(Duration::from_secs),
            ),
            _ => Retry::No,
        };
        let send = |url: String| {
            let client = client.clone();
            let counter = counter.clone();
            async move {
                policy
                    .send(
                        &counter,
                        "test:op",
                        || {
                            let request = client.get(&url);
                            async move { Ok::<_, ()>(request) }
                        },
                        retry_asked,
                    )
                    .await
            }
        };
        let cases = [
            // Asks for more than max_wait: given up at once, with the wait asked for.
            (
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: 120\r\ncontent-length: 0\r\n\r\n",
                1,
                Some(Duration::from_secs(120)),
            ),
            // Retried after the wait asked for, until max_attempts.
            (
                "HTTP/1.1 500 Internal Server Error\r\nretry-after: 0\r\ncontent-length: 0\r\n\r\n",
                2,
                None,
            ),
            // Not retried.
            (
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
                1,
                None,
            ),
        ];
        for (response, attempts_expected, too_long_expected) in cases {
            let (url, served) = answering(response).await;
            match send(url).await {
                Err(Failure::Answer {
                    attempts, too_long, ..
                }) => {
                    assert_eq!(attempts, attempts_expected, "{response}");
                    assert_eq!(too_long, too_long_expected, "{response}");
                    assert_eq!(
                        served.load(std::sync::atomic::Ordering::SeqCst),
                        attempts_expected,
                        "{response}"
                    );
                }
                other => panic!("{response}: {other:?}"),
            }
        }
        assert_eq!(
            counter.snapshot().get("test:op"),
            Some(&4),
            "every attempt counted"
        );
    }

    #[test]
    fn timeouts_stop_retries_sooner_than_other_failures() {
        let policy = RetryPolicy::default();
        assert!(policy.retries(4, 0), "a 4th failure is retried");
        assert!(!policy.retries(5, 0), "no 6th attempt");
        assert!(policy.retries(4, 2), "two timeouts among four failures");
        assert!(!policy.retries(3, 3), "three timeouts end it");
    }
}
