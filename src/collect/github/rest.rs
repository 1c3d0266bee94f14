//! Read-only calls to the GitHub REST API (github.com or GitHub Enterprise Server) with
//! the token from [`super::auth`]: GET only (the client refuses any other method before
//! sending), paging through the `Link: <…>; rel="next"` header, waiting out rate limits
//! (`Retry-After`, or `x-ratelimit-remaining: 0` until `x-ratelimit-reset`) up to a
//! bound, retrying transient errors, every attempt counted as `github:<api>:<operation>`.
//!
//! A next-page link is followed only when it points at the API's own origin: the token
//! is never sent to a host a response names.

use super::auth::Token;
use super::errors::{ApiError, ErrorKind};
use crate::collect::counter::CallCounter;
pub use crate::collect::http::RetryPolicy;
use crate::collect::http::{next_page_on, read_json, read_json_value, Answer, Retry};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, LINK, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

pub use super::GITHUB_DEFAULT_API as DEFAULT_API;

/// The REST client: one per collection.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    token: Token,
    base: String,
    counter: CallCounter,
    retry: RetryPolicy,
}

impl Rest {
    pub fn new(
        token: Token,
        api: &str,
        counter: CallCounter,
        retry: RetryPolicy,
    ) -> Result<Rest, ApiError> {
        let base = api.trim_end_matches('/').to_string();
        if reqwest::Url::parse(&base).is_err() {
            return Err(ApiError::new(
                "github",
                ErrorKind::Invalid,
                format!("--github-api {base:?} is not a URL"),
            ));
        }
        let http = retry
            .client()
            .map_err(|e| ApiError::new("http client", ErrorKind::Network, e.to_string()))?;
        Ok(Rest {
            http,
            token,
            base,
            counter,
            retry,
        })
    }

    /// The API's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// GETs one JSON document.
    pub async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path_and_query: &str,
    ) -> Result<T, ApiError> {
        let url = format!("{}{path_and_query}", self.base);
        let (body, _) = self.send(Method::GET, operation, &url).await?;
        parse(operation, &body)
    }

    /// GETs every page of a collection whose pages are JSON arrays.
    pub async fn list<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path_and_query: &str,
    ) -> Result<Vec<T>, ApiError> {
        self.pages(operation, path_and_query, None).await
    }

    /// GETs every page of a collection whose pages are `{"total_count": N, field: [...]}`.
    pub async fn list_in<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path_and_query: &str,
        field: &'static str,
    ) -> Result<Vec<T>, ApiError> {
        self.pages(operation, path_and_query, Some(field)).await
    }

    async fn pages<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path_and_query: &str,
        field: Option<&'static str>,
    ) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut url = format!("{}{path_and_query}", self.base);
        loop {
            let (body, next) = self.send(Method::GET, operation, &url).await?;
            let page: Vec<T> = match field {
                None => parse(operation, &body)?,
                Some(field) => {
                    let mut value: serde_json::Value = parse(operation, &body)?;
                    let list = value.get_mut(field).map(serde_json::Value::take);
                    match list {
                        Some(list) => parse_value(operation, field, list)?,
                        None => {
                            return Err(ApiError::new(
                                operation_key(operation),
                                ErrorKind::Invalid,
                                format!("unexpected response from GitHub: no `{field}` field"),
                            ))
                        }
                    }
                }
            };
            items.extend(page);
            match next {
                Some(next) => {
                    url = next_page_on(&self.base, next).map_err(|message| {
                        ApiError::new(operation_key(operation), ErrorKind::Invalid, message)
                    })?;
                }
                None => return Ok(items),
            }
        }
    }

    /// Sends one request (GET only), retrying throttling and transient errors; returns
    /// the body and the next page's URL.
    async fn send(
        &self,
        method: Method,
        operation: &'static str,
        url: &str,
    ) -> Result<(Vec<u8>, Option<String>), ApiError> {
        let key = operation_key(operation);
        if method != Method::GET {
            return Err(ApiError::new(
                key,
                ErrorKind::Invalid,
                format!("refusing to send {method}: nhiscan only reads"),
            ));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", self.token.secret()))
            .map_err(|_| {
            ApiError::new(
                key.clone(),
                ErrorKind::Token,
                "the GitHub token holds characters a header cannot carry",
            )
        })?;
        authorization.set_sensitive(true);
        let prepare = || async {
            Ok(self
                .http
                .request(method.clone(), url)
                .header(AUTHORIZATION, authorization.clone())
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28"))
        };
        let retry = |answer: &Answer| match rate_limit_wait(
            answer.status,
            &answer.headers,
            &answer.body,
            chrono::Utc::now(),
        ) {
            Some(wait) => Retry::After(wait),
            None if answer.status.is_server_error() => Retry::After(None),
            None => Retry::No,
        };
        let answer = self.retry.send(&self.counter, &key, prepare, retry).await;
        answer
            .map(|answer| (answer.body, next_link(&answer.headers)))
            .map_err(|failure| {
                ApiError::from_failure(key, "GitHub", failure, |key, answer, attempts, too_long| {
                    let limited = rate_limit_wait(
                        answer.status,
                        &answer.headers,
                        &answer.body,
                        chrono::Utc::now(),
                    );
                    let message = match (too_long, limited) {
                        (Some(wait), _) => format!(
                            "rate limited: GitHub asks to wait {} s, more than the {} s \
                             nhiscan waits",
                            wait.as_secs(),
                            self.retry.max_wait.as_secs()
                        ),
                        (None, Some(_)) => format!("still rate limited after {attempts} attempts"),
                        (None, None) => {
                            return super::errors::from_response(
                                key,
                                answer.status.as_u16(),
                                &answer.body,
                            )
                        }
                    };
                    let mut error = ApiError::new(key, ErrorKind::Unavailable, message);
                    error.status = Some(answer.status.as_u16());
                    error
                })
            })
    }
}

/// `github:orgs:repos` etc.
pub fn operation_key(operation: &str) -> String {
    format!("github:{operation}")
}

fn parse<T: DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T, ApiError> {
    read_json(body).map_err(|e| unexpected(operation, e))
}

fn parse_value<T: DeserializeOwned>(
    operation: &str,
    field: &str,
    value: serde_json::Value,
) -> Result<T, ApiError> {
    read_json_value(value, field).map_err(|e| unexpected(operation, e))
}

fn unexpected(operation: &str, at: String) -> ApiError {
    ApiError::new(
        operation_key(operation),
        ErrorKind::Invalid,
        format!("unexpected response from GitHub {at}"),
    )
}

/// Whether a failed response is a rate limit, and if so how long it asks to wait
/// (`Some(None)`: a limit that names no time; back off).
///
/// GitHub answers 403 or 429 with `Retry-After` (secondary limits), or with
/// `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds; primary limit).
fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Option<Duration>> {
    if !matches!(status.as_u16(), 403 | 429) {
        return None;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(seconds) = header(RETRY_AFTER.as_str()).and_then(|v| v.parse::<u64>().ok()) {
        return Some(Some(Duration::from_secs(seconds)));
    }
    if header("x-ratelimit-remaining") == Some("0") {
        let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok());
        return Some(reset.map(|reset| {
            let seconds = (reset - now.timestamp()).max(0) as u64;
            Duration::from_secs(seconds + 1)
        }));
    }
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    if status.as_u16() == 429 || text.contains("rate limit") {
        return Some(None);
    }
    None
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn link_headers_give_the_next_page() {
        let h = headers(&[(
            "link",
            "<https://api.github.com/organizations/1/repos?per_page=100&page=2>; rel=\"next\", <https://api.github.com/organizations/1/repos?per_page=100&page=3>; rel=\"last\"",
        )]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/organizations/1/repos?per_page=100&page=2")
        );
        let last = headers(&[(
            "link",
            "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=1>; rel=\"first\"",
        )]);
        assert_eq!(next_link(&last), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn rate_limits_are_told_from_denials() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let forbidden = StatusCode::FORBIDDEN;
        assert_eq!(
            rate_limit_wait(forbidden, &headers(&[("retry-after", "3")]), b"", now),
            Some(Some(Duration::from_secs(3)))
        );
        let primary = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000010"),
        ]);
        assert_eq!(
            rate_limit_wait(forbidden, &primary, b"", now),
            Some(Some(Duration::from_secs(11)))
        );
        assert_eq!(
            rate_limit_wait(
                forbidden,
                &headers(&[("x-ratelimit-remaining", "4999")]),
                br#"{"message":"Resource not accessible by integration"}"#,
                now
            ),
            None
        );
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), b"", now),
            Some(None)
        );
        assert_eq!(
            rate_limit_wait(StatusCode::NOT_FOUND, &primary, b"", now),
            None
        );
    }

    #[tokio::test]
    async fn only_get_is_ever_sent() {
        let rest = Rest::new(
            Token::new("t"),
            "https://127.0.0.1:9",
            CallCounter::default(),
            RetryPolicy::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let refused = rest
            .send(Method::DELETE, "repos:keys", "https://127.0.0.1:9/x")
            .await
            .err()
            .unwrap_or_else(|| panic!("a DELETE was sent"));
        assert_eq!(refused.kind, ErrorKind::Invalid);
        assert!(
            rest.counter.snapshot().is_empty(),
            "a refused call is not counted"
        );
    }
}
