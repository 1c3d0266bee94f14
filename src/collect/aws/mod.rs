//! The live AWS collector: IAM users and roles (with policies, trust, access keys, SSH
//! keys, console passwords) and Secrets Manager secrets, read-only, into the same
//! [`Inventory`] the importers produce.
//!
//! ```no_run
//! use nhiscan::collect::aws::{collect_blocking, AwsOptions};
//! let options = AwsOptions {
//!     profile: Some("audit".into()),
//!     regions: vec!["eu-west-1".into(), "us-east-1".into()],
//!     ..AwsOptions::default()
//! };
//! let inventory = collect_blocking(&options)?;
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! What it needs: the permissions in `examples/aws/nhiscan-readonly-policy.json`, and
//! nothing else. What it calls, per account: `sts:GetCallerIdentity`,
//! `iam:ListAccountAliases`, with [`AwsOptions::all_regions`] `ec2:DescribeRegions`
//! ([`regions`]), then [`iam`] (bulk calls plus a few per-user ones) and, per region,
//! [`secrets`]. Every request is counted in `Inventory::api_calls` by
//! `aws:<service>:<Operation>` (retries included), and an interceptor refuses any call
//! that is not a read or that would return a secret's value ([`calls`]).
//!
//! A whole organisation ([`AwsOptions::org`], [`org`]) is collected account by account
//! with this same collector, in a role assumed in each account; [`collect_any`] picks
//! one or the other.
//!
//! Failures: if the account cannot be identified (no credentials, endpoint unreachable,
//! credentials refused) [`collect`] fails with a message saying what to do. Otherwise
//! each part is reported in `Inventory::coverage`, one entry for IAM
//! (`aws:<account>:iam`) and one per region (`aws:<account>:secretsmanager:<region>`):
//! `scanned`, `partial` (e.g. no credential report) or `failed` (with the reason, and for
//! a denied call the missing permission and the policy file), and whatever was collected
//! elsewhere is kept.

mod args;
#[cfg(feature = "aws")]
mod collector;

#[cfg(feature = "aws")]
pub mod calls;
#[cfg(feature = "aws")]
pub mod config;
#[cfg(feature = "aws")]
pub mod credential_report;
#[cfg(feature = "aws")]
pub mod effective;
#[cfg(feature = "aws")]
pub mod errors;
#[cfg(feature = "aws")]
pub mod give_up;
#[cfg(feature = "aws")]
pub mod iam;
#[cfg(feature = "aws")]
pub mod iam_policy;
#[cfg(feature = "aws")]
pub mod org;
#[cfg(feature = "aws")]
pub mod query;
#[cfg(feature = "aws")]
pub mod regions;
#[cfg(feature = "aws")]
pub mod scp;
#[cfg(feature = "aws")]
pub mod secrets;
#[cfg(feature = "aws")]
pub mod trust;

pub use args::*;

use crate::collect::progress::Progress;
use crate::collect::registry::Collector;
use crate::inventory::{Inventory, Provider};
use anyhow::Result;
#[cfg(feature = "aws")]
pub use collector::*;

/// AWS in the registry of live providers ([`crate::collect::registry`]).
pub struct Aws;

impl Collector for Aws {
    const ID: &'static str = "aws";
    const NAME: &'static str = "AWS";
    const PROVIDER: Provider = Provider::Aws;
    const ABOUT: &'static str = "Collect IAM users, roles, their keys and policies, and Secrets Manager secrets (metadata only) from the AWS account your login belongs to, or with --org from every account of the organisation";
    type Args = AwsArgs;

    #[cfg(feature = "aws")]
    fn collect(args: &AwsArgs, progress: Progress) -> Result<Inventory> {
        let options = AwsOptions {
            profile: args.profile.clone(),
            regions: args.regions.clone(),
            endpoint_url: args.endpoint_url.clone(),
            all_regions: args.all_regions,
            org: args.org.then(|| OrgOptions {
                role_name: args.role_name.clone(),
                external_id: args.external_id.clone(),
                accounts: args.accounts.clone(),
                shard: args.shard,
                concurrency: args.org_concurrency as usize,
            }),
            progress,
            attempt_timeout: std::time::Duration::from_secs(args.aws_timeout),
            concurrency: args.concurrency as usize,
            ssh_keys: !args.no_ssh_keys,
            usage: args.usage.usage,
            usage_timeout: std::time::Duration::from_secs(args.usage_timeout),
            retry_mode: args.retry_mode,
            ..AwsOptions::default()
        };
        collect_blocking(&options)
    }

    #[cfg(not(feature = "aws"))]
    fn collect(_: &AwsArgs, _: Progress) -> Result<Inventory> {
        Err(crate::collect::registry::not_compiled::<Self>())
    }
}
