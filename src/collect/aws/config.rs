//! Login and clients: the aws-config default chain (environment, profiles including
//! SSO, web identity, container and instance metadata), or the caller's own credentials;
//! standard retry with short backoff; every client carries the call-counting, read-only interceptor.

use super::calls::CallCounter;
use super::{AwsOptions, RetryMode};
use anyhow::{bail, Result};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::retry::{ClientRateLimiter, RetryPartition, TokenBucket};
use std::time::Duration;

/// Clients for one account, sharing one loaded configuration and one call counter.
#[derive(Debug, Clone)]
pub struct Session {
    pub base: SdkConfig,
    pub counter: CallCounter,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    /// The regions to scan for regional services, in order.
    pub regions: Vec<String>,
}

impl Session {
    pub async fn load(options: &AwsOptions, counter: &CallCounter) -> Result<Session> {
        for region in &options.regions {
            check_region(region)?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retries(options))
            .timeout_config(timeouts(options));
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = options.regions.first() {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(provider) = &options.credentials {
            loader = loader.credentials_provider(provider.clone());
        }
        let base = loader.load().await;
        let regions = if options.regions.is_empty() {
            let Some(region) = base.region() else {
                bail!(
                    "no AWS region given or configured: pass one or more regions, or set \
                     AWS_REGION or `region` in the AWS profile"
                );
            };
            check_region(region.as_ref())?;
            vec![region.to_string()]
        } else {
            options.regions.clone()
        };
        if base.credentials_provider().is_none() {
            bail!("no AWS credentials source is configured");
        }
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&base)
                .retry_partition(own_partition("iam"))
                .interceptor(super::calls::interceptor(counter, "iam"))
                .interceptor(super::give_up::GiveUp)
                .retry_classifier(super::give_up::GiveUpClassifier)
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&base)
                .retry_partition(own_partition("sts"))
                .interceptor(super::calls::interceptor(counter, "sts"))
                .interceptor(super::give_up::GiveUp)
                .retry_classifier(super::give_up::GiveUpClassifier)
                .build(),
        );
        Ok(Session {
            base,
            counter: counter.clone(),
            iam,
            sts,
            regions,
        })
    }

    /// An AWS Organizations client (a global service: the SDK sends it to the
    /// partition's single endpoint whatever the region).
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&self.base)
                .retry_partition(own_partition("organizations"))
                .interceptor(super::calls::interceptor(&self.counter, "organizations"))
                .interceptor(super::give_up::GiveUp)
                .retry_classifier(super::give_up::GiveUpClassifier)
                .build(),
        )
    }

    /// A Secrets Manager client for one region.
    pub fn secrets(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&self.base)
                .region(Region::new(region.to_string()))
                .retry_partition(own_partition("secretsmanager"))
                .interceptor(super::calls::interceptor(&self.counter, "secretsmanager"))
                .interceptor(super::give_up::GiveUp)
                .retry_classifier(super::give_up::GiveUpClassifier)
                .build(),
        )
    }
}

/// A retry partition of this client alone. The SDK's default partition is per service,
/// shared by every client of the process: with `--org`, one throttled account would
/// spend the retry quota (and, in adaptive mode, slow the sending rate) of every other
/// account, although AWS throttles each account on its own.
///
/// Its retry quota charges nothing for retrying a throttled call or a server error: the
/// SDK's default (500 tokens, 5 a retry) ran out within seconds at 20 requests a second,
/// after which every throttled call failed at its first attempt and the scan was
/// incomplete (docs/performance-aws.md). Each call still stops after `max_attempts`,
/// and an answer that is not an AWS error stops earlier ([`super::give_up`]). Timeouts
/// and broken connections still cost 10 tokens of 500: an endpoint that is down is not
/// asked again and again.
fn own_partition(service: &'static str) -> RetryPartition {
    // As the SDK starts its own limiter: at the slowest rate, not yet limiting (it
    // limits only after a throttle), its clock at now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64());
    RetryPartition::custom(service)
        .client_rate_limiter(ClientRateLimiter::new(now))
        .token_bucket(TokenBucket::builder().retry_cost(0).build())
        .build()
}

/// Region names are lowercase letters, digits and dashes (`eu-west-1`); anything else
/// would end up in an endpoint host name.
pub fn check_region(region: &str) -> Result<()> {
    let valid = !region.is_empty()
        && region.len() <= 40
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !valid {
        bail!(
            "`{}` is not an AWS region name (like eu-west-1)",
            region.escape_debug()
        );
    }
    Ok(())
}

/// Connecting may take 10 s (less when an attempt may take less); an attempt, from
/// connecting to the answer's last byte, `attempt_timeout`; an operation, its attempts
/// and the backoff between them, `max_attempts` attempts and a minute more. A server that
/// accepts the connection and never answers is given up on after that.
fn timeouts(options: &AwsOptions) -> TimeoutConfig {
    let attempt = options.attempt_timeout;
    TimeoutConfig::builder()
        .connect_timeout(attempt.min(Duration::from_secs(10)))
        .read_timeout(attempt)
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt * options.max_attempts.max(1) + Duration::from_secs(60))
        .build()
}

/// Retries with exponential backoff and full jitter, starting at 200 ms and at most 5 s
/// apart. Standard mode: a throttled call waits about as long as throttling needs,
/// while the others go on. Adaptive mode adds the SDK's client-side rate limiter, which
/// slows every call of the client after a throttle (docs/performance-aws.md measures
/// both against a rate-limited emulator).
fn retries(options: &AwsOptions) -> RetryConfig {
    let config = match options.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    };
    config
        .with_max_attempts(options.max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        assert!(check_region("eu-west-1").is_ok());
        assert!(check_region("us-gov-west-1").is_ok());
        for bad in ["", "EU-WEST-1", "eu west", "evil.com/x", "-x", "x-"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }
}
