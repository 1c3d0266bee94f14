//! Read-only REST calls to Microsoft Graph and Azure Resource Manager with a bearer token
//! from the login ([`super::auth`]): GET only, paging through `@odata.nextLink` (Graph)
//! and `nextLink` (ARM), retries on throttling and transient errors honouring
//! `Retry-After`, every attempt counted as `azure:<api>:<operation>`.
//!
//! A next-page link is followed only when it points at the same origin as the API: the
//! token is never sent to a host a response names.

use super::errors::{ApiError, ErrorKind};
use crate::collect::counter::CallCounter;
pub use crate::collect::http::RetryPolicy;
use crate::collect::http::{next_page_on, read_json, Answer, Retry};
use azure_core::credentials::TokenCredential;
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The two REST APIs, with the token audience each needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Graph,
    Arm,
}

impl Api {
    /// `graph` or `arm`, as in `azure:<api>:<operation>`.
    pub fn label(self) -> &'static str {
        match self {
            Api::Graph => "graph",
            Api::Arm => "arm",
        }
    }
}

/// Where the APIs live (the public cloud by default; sovereign clouds differ).
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub graph: String,
    pub arm: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            graph: "https://graph.microsoft.com".into(),
            arm: "https://management.azure.com".into(),
        }
    }
}

impl Endpoints {
    fn base(&self, api: Api) -> &str {
        match api {
            Api::Graph => &self.graph,
            Api::Arm => &self.arm,
        }
    }

    fn scope(&self, api: Api) -> String {
        format!("{}/.default", self.base(api).trim_end_matches('/'))
    }
}

/// A page of a Graph or ARM collection.
#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    odata_next_link: Option<String>,
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

/// The REST client: one per collection.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    credential: Arc<dyn TokenCredential>,
    endpoints: Endpoints,
    counter: CallCounter,
    retry: RetryPolicy,
}

impl Rest {
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        endpoints: Endpoints,
        counter: CallCounter,
        retry: RetryPolicy,
    ) -> Result<Rest, ApiError> {
        let http = retry
            .client()
            .map_err(|e| ApiError::new("http client", ErrorKind::Network, e.to_string()))?;
        Ok(Rest {
            http,
            credential,
            endpoints,
            counter,
            retry,
        })
    }

    /// The full URL of `path_and_query` on `api`.
    pub fn url(&self, api: Api, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.endpoints.base(api).trim_end_matches('/'),
            path_and_query
        )
    }

    /// GETs one JSON document.
    pub async fn get<T: DeserializeOwned>(
        &self,
        api: Api,
        operation: &'static str,
        path_and_query: &str,
    ) -> Result<T, ApiError> {
        let url = self.url(api, path_and_query);
        let body = self.get_bytes(api, operation, &url).await?;
        parse(api, operation, &body)
    }

    /// GETs every page of a collection, following next links on the same origin.
    pub async fn list<T: DeserializeOwned>(
        &self,
        api: Api,
        operation: &'static str,
        path_and_query: &str,
    ) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut url = self.url(api, path_and_query);
        loop {
            let body = self.get_bytes(api, operation, &url).await?;
            let page: Page<T> = parse(api, operation, &body)?;
            items.extend(page.value);
            match page.odata_next_link.or(page.next_link) {
                Some(next) if !next.is_empty() => {
                    url = next_page_on(self.endpoints.base(api), next).map_err(|message| {
                        ApiError::new(operation_key(api, operation), ErrorKind::Invalid, message)
                    })?;
                }
                _ => return Ok(items),
            }
        }
    }

    async fn get_bytes(
        &self,
        api: Api,
        operation: &'static str,
        url: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let key = operation_key(api, operation);
        let scope = self.endpoints.scope(api);
        let prepare = || async {
            let token = self
                .credential
                .get_token(&[scope.as_str()], None)
                .await
                .map_err(|e| {
                    ApiError::new(
                        key.clone(),
                        ErrorKind::Token,
                        format!("no access token for {scope}: {e}"),
                    )
                })?;
            Ok(self
                .http
                .get(url)
                .header(AUTHORIZATION, format!("Bearer {}", token.token.secret()))
                .header("Accept", "application/json"))
        };
        // Azure's waits are capped at the policy's longest rather than refused.
        let max_wait = self.retry.max_wait;
        let retry = |answer: &Answer| match answer.status.as_u16() {
            429 | 500 | 502 | 503 | 504 => {
                Retry::After(retry_after(&answer.headers).map(|wait| wait.min(max_wait)))
            }
            _ => Retry::No,
        };
        let answer = self.retry.send(&self.counter, &key, prepare, retry).await;
        answer.map(|answer| answer.body).map_err(|failure| {
            ApiError::from_failure(key, api_name(api), failure, |key, answer, _, _| {
                super::errors::from_response(key, answer.status.as_u16(), &answer.body)
            })
        })
    }
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Graph => "Microsoft Graph",
        Api::Arm => "Azure Resource Manager",
    }
}

/// `azure:graph:applications` etc.
pub fn operation_key(api: Api, operation: &str) -> String {
    format!("azure:{}:{operation}", api.label())
}

fn parse<T: DeserializeOwned>(api: Api, operation: &str, body: &[u8]) -> Result<T, ApiError> {
    read_json(body).map_err(|e| {
        ApiError::new(
            operation_key(api, operation),
            ErrorKind::Invalid,
            format!("unexpected response from {} {e}", api_name(api)),
        )
    })
}

/// `Retry-After` (seconds or an HTTP date) or `x-ms-retry-after-ms`.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("x-ms-retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_milliseconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("x-ms-retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut dated = HeaderMap::new();
        dated.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&dated), Some(Duration::ZERO));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn pages_read_both_link_styles() {
        let graph: Page<u32> =
            serde_json::from_str(r#"{"value":[1,2],"@odata.nextLink":"https://x/2"}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(graph.value, vec![1, 2]);
        assert_eq!(graph.odata_next_link.as_deref(), Some("https://x/2"));
        let arm: Page<u32> = serde_json::from_str(r#"{"value":[],"nextLink":null}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(arm.next_link.is_none() && arm.value.is_empty());
    }
}
