//! The live Kubernetes collector: ServiceAccounts with what RBAC grants them (Roles,
//! ClusterRoles and their bindings), the workloads that run as them (Pods, Deployments,
//! StatefulSets, DaemonSets, CronJobs) and the legacy long-lived token Secrets
//! (`kubernetes.io/service-account-token`, metadata only) of one cluster, through the
//! user's kubeconfig and context — `list` calls only, every one counted as
//! `kubernetes:<resource>:list`.
//!
//! ```no_run
//! use nhiscan::collect::kubernetes::{collect_blocking, KubernetesOptions};
//! let inventory = collect_blocking(&KubernetesOptions::default())?; // current context
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! What it needs: `list` on the resources in [`permissions::NEEDED`]
//! (`examples/kubernetes/nhiscan-reader.yaml`). Token Secrets are listed with a field
//! selector on their type and as metadata only (`PartialObjectMetadataList`), so no
//! token value is transferred; `--no-token-secrets` skips them.
//!
//! Failures: an unreadable kubeconfig or unknown context fails the collection. Otherwise
//! the cluster is one coverage entry `kubernetes:<cluster>`: `scanned`, `partial` (some
//! resource or namespace was refused or failed: the detail names it and the RBAC rule
//! that fixes it) or `failed` (no ServiceAccount could be listed, e.g. an unreachable
//! server); what was listed is kept. A resource refused cluster-wide is listed again
//! namespace by namespace, in the namespaces that have ServiceAccounts.

mod args;
#[cfg(feature = "kubernetes")]
mod collector;

#[cfg(feature = "kubernetes")]
pub mod build;
#[cfg(feature = "kubernetes")]
pub mod permissions;
#[cfg(feature = "kubernetes")]
pub mod proxy;
#[cfg(feature = "kubernetes")]
pub mod retry;

pub use args::*;

use crate::collect::progress::Progress;
use crate::collect::registry::Collector;
use crate::inventory::{Inventory, Provider};
use anyhow::Result;
#[cfg(feature = "kubernetes")]
pub use collector::*;

/// Kubernetes in the registry of live providers ([`crate::collect::registry`]).
pub struct Kubernetes;

impl Collector for Kubernetes {
    const ID: &'static str = "kubernetes";
    const NAME: &'static str = "Kubernetes";
    const PROVIDER: Provider = Provider::Kubernetes;
    const ABOUT: &'static str = "Collect ServiceAccounts, their RBAC grants, the workloads that use them and legacy token Secrets (metadata only) from the cluster of a kubeconfig context";
    type Args = KubernetesArgs;

    #[cfg(feature = "kubernetes")]
    fn collect(args: &KubernetesArgs, progress: Progress) -> Result<Inventory> {
        let options = KubernetesOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            namespaces: args.namespaces.clone(),
            token_secrets: !args.no_token_secrets,
            progress,
            request_timeout: std::time::Duration::from_secs(args.k8s_timeout),
            ..KubernetesOptions::default()
        };
        collect_blocking(&options)
    }

    #[cfg(not(feature = "kubernetes"))]
    fn collect(_: &KubernetesArgs, _: Progress) -> Result<Inventory> {
        Err(crate::collect::registry::not_compiled::<Self>())
    }
}
