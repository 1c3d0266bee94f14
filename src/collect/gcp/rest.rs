//! Read-only calls to Google Cloud REST APIs with the token of [`super::auth`]: GET, and
//! POST only to `…:getIamPolicy` (a read that Google exposes as a POST) — the client
//! refuses anything else before sending. Paging follows `nextPageToken`; 429 and
//! 500/502/503/504 are retried (honouring `Retry-After`, exponential otherwise) up to a
//! bound; every attempt is counted as `gcp:<service>:<method>`.

use super::auth::Login;
use super::errors::{ApiError, ErrorKind};
use crate::collect::counter::CallCounter;
pub use crate::collect::http::RetryPolicy;
use crate::collect::http::{read_json, read_json_value, Answer, Retry};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The APIs the collector calls.
pub const RESOURCE_MANAGER: &str = "https://cloudresourcemanager.googleapis.com";
pub const IAM: &str = "https://iam.googleapis.com";
pub const COMPUTE: &str = "https://compute.googleapis.com";
pub const POLICY_ANALYZER: &str = "https://policyanalyzer.googleapis.com";
pub const RECOMMENDER: &str = "https://recommender.googleapis.com";
pub const CLOUD_RUN: &str = "https://run.googleapis.com";
pub const CLOUD_FUNCTIONS: &str = "https://cloudfunctions.googleapis.com";
pub const CONTAINER: &str = "https://container.googleapis.com";

/// The body of a Resource Manager `getIamPolicy`: policy version 3, so conditional
/// bindings come back with their conditions.
const GET_IAM_POLICY_BODY: &str = r#"{"options":{"requestedPolicyVersion":3}}"#;

/// Where a `getIamPolicy` method takes its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOptions {
    /// Resource Manager (projects, folders, organisations).
    InBody,
    /// IAM (service accounts): the body must be empty.
    InQuery,
}

/// The REST client: one per collection.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    login: Login,
    counter: CallCounter,
    retry: RetryPolicy,
}

impl Rest {
    pub fn new(login: Login, counter: CallCounter, retry: RetryPolicy) -> Result<Rest, ApiError> {
        let http = retry
            .client()
            .map_err(|e| ApiError::new("http client", ErrorKind::Network, e.to_string()))?;
        Ok(Rest {
            http,
            login,
            counter,
            retry,
        })
    }

    /// GETs one JSON document.
    pub async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &str,
    ) -> Result<T, ApiError> {
        let body = self.send(Method::GET, operation, url).await?;
        parse(operation, &body)
    }

    /// GETs every page of a listing (`pageToken` ← `nextPageToken`), each page parsed as
    /// `P`.
    pub async fn pages<P: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &str,
    ) -> Result<Vec<P>, ApiError> {
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page_url = match &token {
                None => url.to_string(),
                Some(token) => with_page_token(url, token),
            };
            let body = self.send(Method::GET, operation, &page_url).await?;
            let value: serde_json::Value = parse(operation, &body)?;
            let next = value
                .get("nextPageToken")
                .and_then(|t| t.as_str())
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            pages.push(parse_value(operation, value)?);
            match next {
                Some(next) if token.as_deref() == Some(next.as_str()) => {
                    return Err(ApiError::new(
                        operation_key(operation),
                        ErrorKind::Invalid,
                        "the API returned the same page token twice; stopping",
                    ))
                }
                Some(next) => token = Some(next),
                None => return Ok(pages),
            }
        }
    }

    /// POSTs `…:getIamPolicy` asking for policy version 3: Resource Manager takes the
    /// options in the body; IAM's service-account method takes them in the query and
    /// requires an empty body.
    pub async fn get_iam_policy<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &str,
        options: PolicyOptions,
    ) -> Result<T, ApiError> {
        let (url, body) = match options {
            PolicyOptions::InBody => (url.to_string(), GET_IAM_POLICY_BODY),
            PolicyOptions::InQuery => (format!("{url}?options.requestedPolicyVersion=3"), ""),
        };
        let body = self.send_with(Method::POST, operation, &url, body).await?;
        parse(operation, &body)
    }

    /// Sends one request without a body.
    async fn send(
        &self,
        method: Method,
        operation: &'static str,
        url: &str,
    ) -> Result<Vec<u8>, ApiError> {
        self.send_with(method, operation, url, "").await
    }

    /// Sends one request, retrying throttling and transient errors.
    async fn send_with(
        &self,
        method: Method,
        operation: &'static str,
        url: &str,
        body: &'static str,
    ) -> Result<Vec<u8>, ApiError> {
        let key = operation_key(operation);
        check_read_only(&method, url)
            .map_err(|message| ApiError::new(key.clone(), ErrorKind::Invalid, message))?;
        let prepare = || async {
            let headers = self.login.headers().await?;
            let request = self.http.request(method.clone(), url).headers(headers);
            Ok(if method == Method::POST {
                request.header(CONTENT_TYPE, "application/json").body(body)
            } else {
                request
            })
        };
        let retry = |answer: &Answer| match answer.status.as_u16() {
            429 | 500 | 502 | 503 | 504 => Retry::After(
                answer
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            ),
            _ => Retry::No,
        };
        let answer = self.retry.send(&self.counter, &key, prepare, retry).await;
        answer.map(|answer| answer.body).map_err(|failure| {
            ApiError::from_failure(key, "Google Cloud", failure, |key, answer, _, too_long| {
                let mut error =
                    super::errors::from_response(key, answer.status.as_u16(), &answer.body);
                if let Some(wait) = too_long {
                    error.message = format!(
                        "{} (Google asks to wait {} s, more than the {} s nhiscan waits)",
                        error.message,
                        wait.as_secs(),
                        self.retry.max_wait.as_secs()
                    );
                }
                error
            })
        })
    }
}

/// GET anything; POST only a `:getIamPolicy` method; nothing else.
fn check_read_only(method: &Method, url: &str) -> Result<(), String> {
    if *method == Method::GET {
        return Ok(());
    }
    let path = reqwest::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    if *method == Method::POST && path.ends_with(":getIamPolicy") {
        return Ok(());
    }
    Err(format!(
        "refusing to send {method} {path}: nhiscan only reads (GET, and POST to :getIamPolicy)"
    ))
}

/// `url` with `pageToken` set (replacing any earlier one).
fn with_page_token(url: &str, token: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let kept: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "pageToken")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed
                .query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("pageToken", token);
            parsed.to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// `gcp:iam:serviceAccounts.list` etc.
pub fn operation_key(operation: &str) -> String {
    format!("gcp:{operation}")
}

fn parse<T: DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T, ApiError> {
    read_json(body).map_err(|e| unexpected(operation, e))
}

fn parse_value<T: DeserializeOwned>(
    operation: &str,
    value: serde_json::Value,
) -> Result<T, ApiError> {
    read_json_value(value, "").map_err(|e| unexpected(operation, e))
}

fn unexpected(operation: &str, at: String) -> ApiError {
    ApiError::new(
        operation_key(operation),
        ErrorKind::Invalid,
        format!("unexpected response from Google Cloud {at}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_are_sent() {
        let url =
            "https://iam.googleapis.com/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com";
        assert!(check_read_only(&Method::GET, url).is_ok());
        assert!(check_read_only(&Method::POST, &format!("{url}:getIamPolicy")).is_ok());
        assert!(check_read_only(&Method::POST, &format!("{url}:setIamPolicy")).is_err());
        assert!(check_read_only(&Method::POST, &format!("{url}/keys")).is_err());
        assert!(check_read_only(&Method::DELETE, url).is_err());
        // The method name must end the path, not hide in the query.
        assert!(check_read_only(
            &Method::POST,
            &format!("{url}:setIamPolicy?x=:getIamPolicy")
        )
        .is_err());
    }

    #[tokio::test]
    async fn a_refused_request_is_never_sent_nor_counted() {
        let rest = Rest::new(
            Login::for_tests("t"),
            CallCounter::default(),
            RetryPolicy::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let refused = rest
            .send(
                Method::POST,
                "iam:serviceAccounts.keys.create",
                "https://127.0.0.1:9/v1/projects/p/serviceAccounts/a/keys",
            )
            .await
            .err()
            .unwrap_or_else(|| panic!("a POST was sent"));
        assert_eq!(refused.kind, ErrorKind::Invalid);
        assert!(rest.counter.snapshot().is_empty());
    }

    #[test]
    fn page_tokens_replace_earlier_ones() {
        let url = "https://iam.googleapis.com/v1/projects/p/serviceAccounts?pageSize=100";
        let second = with_page_token(url, "tok/1+=");
        assert_eq!(
            second,
            "https://iam.googleapis.com/v1/projects/p/serviceAccounts?pageSize=100&pageToken=tok%2F1%2B%3D"
        );
        assert_eq!(
            with_page_token(&second, "t2"),
            "https://iam.googleapis.com/v1/projects/p/serviceAccounts?pageSize=100&pageToken=t2"
        );
    }
}
