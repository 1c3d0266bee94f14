//! One AWS Query-protocol read (`Action=…&Version=…`, a form-encoded POST), signed with
//! SigV4 by the SDK's own signer (`aws-sigv4`) and sent on the REST collectors' HTTP
//! client. It serves the one EC2 call nhiscan makes, `DescribeRegions`, without
//! `aws-sdk-ec2`: that crate took 16 CPU-minutes and 4–7 GB to build for this one call.
//!
//! It keeps the SDK clients' rules: only reads are sent ([`super::calls::is_allowed`],
//! checked before anything else), every attempt is counted as `aws:<service>:<Action>`,
//! an attempt may take `--aws-timeout`, and throttling, server errors, dropped
//! connections and timeouts are retried (5 attempts, 3 of them timed out at most).
//! The endpoint is `AWS_ENDPOINT_URL_<SERVICE>`, else the configured endpoint URL
//! (`--endpoint-url`, `AWS_ENDPOINT_URL`, the profile's), else the regional one.

use super::config::Session;
use super::errors::{from_answer, without_answer, ApiError, ErrorKind};
use super::AwsOptions;
use crate::collect::http::{error_chain, exchange_failure, Answer, Failure, Retry, RetryPolicy};
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// One Query-protocol call.
#[derive(Debug, Clone, Copy)]
pub struct QueryCall<'a> {
    /// The signing name and endpoint prefix, as in `aws:<service>:…` (`ec2`).
    pub service: &'static str,
    pub action: &'static str,
    /// The IAM permission it needs, for messages (`ec2:DescribeRegions`).
    pub operation: &'static str,
    /// The API version the action belongs to (`2016-11-15` for EC2).
    pub version: &'static str,
    pub params: &'a [(&'a str, &'a str)],
}

/// The retry policy of the collector's own requests: the SDK clients' attempts and
/// `--aws-timeout`.
pub fn retry_policy(options: &AwsOptions) -> RetryPolicy {
    RetryPolicy {
        max_attempts: options.max_attempts.max(1),
        attempt_timeout: options.attempt_timeout,
        ..RetryPolicy::default()
    }
}

/// Sends `call` to `region` and returns the answer's body (XML) when it succeeded.
pub async fn send(
    session: &Session,
    region: &str,
    call: QueryCall<'_>,
    policy: &RetryPolicy,
) -> Result<String, ApiError> {
    if !super::calls::is_allowed(call.service, call.action) {
        return Err(without_answer(
            call.operation,
            ErrorKind::Other,
            &format!(
                "nhiscan refuses to call {}:{}: the collector only reads metadata",
                call.service, call.action
            ),
        ));
    }
    let url = endpoint(session, call.service, region);
    let body = form_body(&call);
    let credentials = session
        .base
        .credentials_provider()
        .ok_or_else(|| without_answer(call.operation, ErrorKind::NoCredentials, "no credentials"))?
        .provide_credentials()
        .await
        .map_err(|e| without_answer(call.operation, ErrorKind::NoCredentials, &error_chain(&e)))?;
    let identity = credentials.into();
    let http = policy
        .client()
        .map_err(|e| without_answer(call.operation, ErrorKind::Other, &error_chain(&e)))?;
    let key = format!("aws:{}:{}", call.service, call.action);
    let prepare = || async {
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(call.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| without_answer(call.operation, ErrorKind::Other, &error_chain(&e)))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &url,
            [("content-type", CONTENT_TYPE)].into_iter(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .and_then(|request| sign(request, &params))
        .map_err(|e| without_answer(call.operation, ErrorKind::Other, &error_chain(&e)))?;
        let (instructions, _signature) = signable.into_parts();
        let mut request = http
            .post(&url)
            .header("content-type", CONTENT_TYPE)
            .body(body.clone());
        for (name, value) in instructions.headers() {
            request = request.header(name, value);
        }
        Ok(request)
    };
    let error = |answer: &Answer| from_answer(call.operation, answer.status.as_u16(), &answer.body);
    let retry = |answer: &Answer| {
        if error(answer).kind == ErrorKind::Throttled || answer.status.is_server_error() {
            Retry::After(None)
        } else {
            Retry::No
        }
    };
    match policy.send(&session.counter, &key, prepare, retry).await {
        Ok(answer) => String::from_utf8(answer.body).map_err(|_| {
            without_answer(call.operation, ErrorKind::Other, "the answer is not UTF-8")
        }),
        Err(Failure::Prepare(error)) => Err(error),
        Err(Failure::Exchange { attempts, error }) => Err(without_answer(
            call.operation,
            ErrorKind::Unreachable,
            &exchange_failure(&url, attempts, &error),
        )),
        Err(Failure::Answer { answer, .. }) => Err(error(&answer)),
    }
}

/// Where `service` answers in `region`.
fn endpoint(session: &Session, service: &str, region: &str) -> String {
    let variable = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    if let Some(url) = std::env::var(variable)
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        return url;
    }
    if let Some(url) = session.base.endpoint_url() {
        return url.to_string();
    }
    let suffix = match super::regions::partition_of(region) {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    format!("https://{service}.{region}.{suffix}")
}

/// `Action=…&Version=…&<params>`, form-encoded.
fn form_body(call: &QueryCall<'_>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", call.action)
        .append_pair("Version", call.version);
    for (name, value) in call.params {
        form.append_pair(name, value);
    }
    form.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_form_encoded() {
        let call = QueryCall {
            service: "ec2",
            action: "DescribeRegions",
            operation: "ec2:DescribeRegions",
            version: "2016-11-15",
            params: &[("AllRegions", "false"), ("Filter.1.Name", "a b&c")],
        };
        assert_eq!(
            form_body(&call),
            "Action=DescribeRegions&Version=2016-11-15&AllRegions=false&Filter.1.Name=a+b%26c"
        );
    }
}
