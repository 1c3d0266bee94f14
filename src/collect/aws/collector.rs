//! The top of the AWS collection: its options and the run that fills an inventory.

use super::RetryMode;
use super::{calls, config, errors, iam, org, query, regions, scp, secrets};
use crate::collect::progress::Progress;
use crate::inventory::{Coverage, CoverageStatus, Inventory, Provider, Scope, ScopeKind};
use anyhow::{Context, Result};
pub use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use calls::CallCounter;
use config::Session;
pub use org::OrgOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to log in and what to scan.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// AWS profile (`~/.aws/config`, including SSO profiles); `None` uses the default
    /// chain: environment, default profile, web identity, container, instance metadata.
    pub profile: Option<String>,
    /// Regions to scan for regional services (Secrets Manager). Empty: the configured
    /// region (profile or `AWS_REGION`). The first region is also used for STS and IAM.
    pub regions: Vec<String>,
    /// Send every request here instead of AWS (an emulator such as moto, or a VPC
    /// endpoint).
    pub endpoint_url: Option<String>,
    /// Use these credentials instead of the profile or default chain (e.g. a role the
    /// caller has already assumed in another account).
    pub credentials: Option<SharedCredentialsProvider>,
    /// Most requests in flight at once for per-user and per-region calls. Default 8.
    pub concurrency: usize,
    /// Attempts per request, with the SDK's standard retry (exponential backoff with
    /// jitter, from 200 ms, on throttling, 5xx and I/O errors). Default 5.
    pub max_attempts: u32,
    /// Standard retries, or adaptive ones (a client-side rate limiter on top). Default
    /// standard.
    pub retry_mode: RetryMode,
    /// How long one attempt may take, from connecting to the last byte of the answer,
    /// before it is abandoned and retried. Default 60 s.
    pub attempt_timeout: Duration,
    /// List each user's SSH public keys (one `ListSSHPublicKeys` call per user).
    /// Default true.
    pub ssh_keys: bool,
    /// Read which granted services each user and role used (IAM's service last accessed
    /// data: two calls or more per identity). Default false.
    pub usage: bool,
    /// How long to wait for the service last accessed jobs to complete. Default 5 minutes.
    pub usage_timeout: Duration,
    /// How long to wait for IAM to generate the credential report. Default 2 minutes.
    pub credential_report_timeout: Duration,
    /// Also scan every region enabled for the account (`ec2:DescribeRegions`), after the
    /// ones in `regions`. Default false.
    pub all_regions: bool,
    /// Scan the accounts of the AWS Organization instead of the caller's account alone
    /// (see [`org`]); used by [`collect_any`]. Default `None`.
    pub org: Option<OrgOptions>,
    /// The service control policies that limit the account's identities, when it is
    /// scanned as a member of an organisation (set by [`org`]). Default `None`.
    pub service_control: Option<Arc<scp::ServiceControl>>,
    /// Progress bars on stderr. Default hidden.
    pub progress: Progress,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            regions: Vec::new(),
            endpoint_url: None,
            credentials: None,
            concurrency: 4,
            max_attempts: 5,
            retry_mode: RetryMode::Standard,
            attempt_timeout: Duration::from_secs(60),
            ssh_keys: true,
            usage: false,
            usage_timeout: Duration::from_secs(300),
            credential_report_timeout: Duration::from_secs(120),
            all_regions: false,
            org: None,
            service_control: None,
            progress: Progress::hidden(),
        }
    }
}

/// Collects what the options ask for: the organisation's accounts when
/// [`AwsOptions::org`] is set ([`org::collect`]), else the caller's account
/// ([`collect`]).
pub async fn collect_any(options: &AwsOptions) -> Result<Inventory> {
    match &options.org {
        Some(org) => org::collect(options, org).await,
        None => collect(options).await,
    }
}

/// Collects one AWS account: the one the credentials belong to. ([`AwsOptions::org`] is
/// not looked at: see [`collect_any`].)
pub async fn collect(options: &AwsOptions) -> Result<Inventory> {
    let counter = CallCounter::default();
    let session = Session::load(options, &counter).await?;
    let identifying = options.progress.step("aws:", "identifying the account");
    let caller = session
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| errors::api_error("sts:GetCallerIdentity", e))
        .context("cannot identify the AWS account to scan")?;
    let account = caller
        .account()
        .context("sts:GetCallerIdentity returned no account id")?
        .to_string();
    // The alias only names the account in reports: without it, the scan is as complete.
    let alias = session
        .iam
        .list_account_aliases()
        .send()
        .await
        .ok()
        .and_then(|out| out.account_aliases().first().cloned());
    drop(identifying);
    let scope = Scope {
        kind: ScopeKind::Account,
        id: account.clone().into(),
        name: alias.map(Into::into),
    };
    let label = format!("aws:{account}");

    let mut inventory = Inventory::new();
    let mut scan_regions = session.regions.clone();
    if options.all_regions {
        let _listing = options.progress.step(&label, "listing regions");
        let partition = regions::partition_of_arn(caller.arn().unwrap_or_default());
        match regions::enabled(&session, &query::retry_policy(options), partition).await {
            Ok(enabled) => scan_regions = regions::union(&session.regions, &enabled),
            Err(e) => inventory.coverage.push(Coverage {
                target: format!("aws:{account}:regions"),
                provider: Provider::Aws,
                status: CoverageStatus::Partial,
                detail: Some(format!(
                    "the regions enabled for the account could not be listed, so regional \
                     services were scanned only in {}: {e}",
                    scan_regions.join(", ")
                )),
            }),
        }
    }

    let (iam_result, regional) = tokio::join!(
        async {
            let _phase = options.progress.step(&label, "IAM users and roles");
            iam::collect(&session.iam, &scope, options).await
        },
        async {
            let phase = options.progress.steps(
                &label,
                "Secrets Manager regions",
                scan_regions.len() as u64,
            );
            collect_secrets(&session, &scope, &scan_regions, options, &phase).await
        }
    );

    inventory.generated_at = Some(chrono::Utc::now());
    inventory.sources.push(match caller.arn() {
        Some(arn) => format!("aws:{account} (as {arn})"),
        None => format!("aws:{account}"),
    });
    let iam_target = format!("aws:{account}:iam");
    match iam_result {
        Ok(outcome) => {
            inventory.coverage.push(Coverage {
                target: iam_target,
                provider: Provider::Aws,
                status: if outcome.problems.is_empty() {
                    CoverageStatus::Scanned
                } else {
                    CoverageStatus::Partial
                },
                detail: (!outcome.problems.is_empty()).then(|| outcome.problems.join("; ")),
            });
            inventory.identities.extend(outcome.identities);
            inventory.credentials.extend(outcome.credentials);
        }
        Err(e) => inventory.coverage.push(Coverage {
            target: iam_target,
            provider: Provider::Aws,
            status: CoverageStatus::Failed,
            detail: Some(format!("IAM users and roles were not collected: {e}")),
        }),
    }
    if !options.ssh_keys {
        inventory.coverage.push(Coverage {
            target: format!("aws:{account}:iam:ssh-keys"),
            provider: Provider::Aws,
            status: CoverageStatus::Skipped,
            detail: Some(
                "users' SSH public keys were not listed (--no-ssh-keys): keys for \
                 CodeCommit are missing from the inventory and from its findings"
                    .into(),
            ),
        });
    }
    for (region, result) in regional {
        let target = format!("aws:{account}:secretsmanager:{region}");
        match result {
            Ok(credentials) => {
                inventory.coverage.push(Coverage {
                    target,
                    provider: Provider::Aws,
                    status: CoverageStatus::Scanned,
                    detail: None,
                });
                inventory.credentials.extend(credentials);
            }
            Err(e) => inventory.coverage.push(Coverage {
                target,
                provider: Provider::Aws,
                status: CoverageStatus::Failed,
                detail: Some(format!(
                    "Secrets Manager in {region} was not collected: {e}"
                )),
            }),
        }
    }
    inventory.api_calls = counter.snapshot();
    Ok(inventory)
}

type RegionResult = (
    String,
    Result<Vec<crate::inventory::Credential>, errors::ApiError>,
);

/// Secrets Manager in every region, regions in parallel (bounded); results in the order
/// the regions were given.
async fn collect_secrets(
    session: &Session,
    scope: &Scope,
    regions: &[String],
    options: &AwsOptions,
    phase: &crate::collect::progress::Phase,
) -> Vec<RegionResult> {
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, region) in regions.iter().enumerate() {
        let client = session.secrets(region);
        let (scope, region, limit) = (scope.clone(), region.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let result = secrets::collect_region(&client, &scope, &region).await;
            (index, region, result)
        });
    }
    let mut done: Vec<(usize, RegionResult)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        phase.inc();
        match joined {
            Ok((index, region, result)) => done.push((index, (region, result))),
            Err(e) => done.push((
                usize::MAX,
                (
                    "unknown".into(),
                    Err(errors::ApiError {
                        operation: "secretsmanager:ListSecrets",
                        kind: errors::ErrorKind::Other,
                        code: None,
                        detail: format!("the task failed: {e}"),
                    }),
                ),
            )),
        }
    }
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// [`collect_any`] for callers without an async runtime: builds one and waits. Must
/// not be called from inside a tokio runtime.
pub fn collect_blocking(options: &AwsOptions) -> Result<Inventory> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for the AWS collector")?;
    runtime.block_on(collect_any(options))
}

/// SDK timestamps to chrono.
pub(crate) mod time {
    use chrono::{DateTime, Utc};

    pub fn from_aws(t: &aws_sdk_iam::primitives::DateTime) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(t.secs(), t.subsec_nanos())
    }
}
