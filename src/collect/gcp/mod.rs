//! The live GCP collector: for every project the login can list (or those given), the
//! service accounts, their user-managed keys' metadata (validity, origin, disabled), the
//! project's IAM bindings they hold (basic and admin roles), who may act as each (token
//! creator, service account user, workload identity user — on the account or the whole
//! project), the workloads that run as each (VMs — and whether with the full
//! `cloud-platform` scope —, GKE node pools, Cloud Run services, Cloud Functions), and
//! when each account and key last authenticated (Activity Analyzer) — read-only. With
//! `--usage`, which of its project role bindings each account used in 90 days
//! ([`usage`]: the IAM Recommender's policy insights). Roles
//! granted on the projects' folders and organisation count as the projects' own.
//!
//! ```no_run
//! use nhiscan::collect::gcp::{collect_blocking, GcpOptions};
//! let inventory = collect_blocking(&GcpOptions::default())?; // after `gcloud auth application-default login`
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! What it needs: see [`permissions`] and `examples/gcp/nhiscan-reader.role.yaml`.
//!
//! Failures: no login, or a project listing that fails, fails the collection with what to
//! do. Otherwise each project is reported in `Inventory::coverage` as
//! `gcp:project:<id>` — `scanned`, `partial` or `failed` with the reason and the
//! permission that is missing — and whatever was read elsewhere is kept. Inherited roles,
//! workloads and activity are optional: a denial there is a note (and no `workloads`,
//! `activity_tracked: false`), not a gap.
//! Calls are counted in `Inventory::api_calls` as `gcp:<service>:<method>`.

mod args;
#[cfg(feature = "gcp")]
mod collector;

#[cfg(feature = "gcp")]
pub mod ancestry;
#[cfg(feature = "gcp")]
pub mod api;
#[cfg(feature = "gcp")]
pub mod auth;
#[cfg(feature = "gcp")]
pub mod build;
#[cfg(feature = "gcp")]
pub mod errors;
#[cfg(feature = "gcp")]
pub mod permissions;
#[cfg(feature = "gcp")]
pub mod rest;
#[cfg(feature = "gcp")]
pub mod usage;
#[cfg(feature = "gcp")]
pub mod workloads;

pub use args::*;

use crate::collect::progress::Progress;
use crate::collect::registry::Collector;
use crate::inventory::{Inventory, Provider};
use anyhow::Result;
#[cfg(feature = "gcp")]
pub use collector::*;

/// Google Cloud in the registry of live providers ([`crate::collect::registry`]).
pub struct Gcp;

impl Collector for Gcp {
    const ID: &'static str = "gcp";
    const NAME: &'static str = "Google Cloud";
    const PROVIDER: Provider = Provider::Gcp;
    const ABOUT: &'static str = "Collect service accounts, their user-managed keys' metadata, the IAM bindings they hold (inherited ones included), who may impersonate them, the workloads that run as them (VMs, GKE node pools, Cloud Run, Cloud Functions) and their last authentication from the Google Cloud projects your login can see";
    type Args = GcpArgs;

    #[cfg(feature = "gcp")]
    fn collect(args: &GcpArgs, progress: Progress) -> Result<Inventory> {
        let defaults = GcpOptions::default();
        let options = GcpOptions {
            auth: args.gcp_auth,
            projects: args
                .gcp_projects
                .iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            usage: args.usage.usage,
            progress,
            retry: defaults.retry.with_attempt_timeout(args.gcp_timeout),
            ..defaults
        };
        collect_blocking(&options)
    }

    #[cfg(not(feature = "gcp"))]
    fn collect(_: &GcpArgs, _: Progress) -> Result<Inventory> {
        Err(crate::collect::registry::not_compiled::<Self>())
    }
}
