//! Live collection, one function per provider: the collector's options from the
//! command line, then its run. A provider whose cargo feature is off in this build is
//! an error naming the feature: the command line stays the same in every build, and
//! offline scans of any provider's inventory work in all of them.

use crate::cli::{AwsArgs, AzureArgs, GcpArgs, GithubArgs, KubernetesArgs, LiveProvider};
#[cfg(feature = "aws")]
use crate::collect::aws::{AwsOptions, OrgOptions};
#[cfg(feature = "azure")]
use crate::collect::azure::AzureOptions;
#[cfg(feature = "gcp")]
use crate::collect::gcp::GcpOptions;
#[cfg(feature = "github")]
use crate::collect::github::GithubOptions;
#[cfg(any(feature = "azure", feature = "gcp", feature = "github"))]
use crate::collect::http::RetryPolicy;
#[cfg(feature = "kubernetes")]
use crate::collect::kubernetes::KubernetesOptions;
use crate::collect::progress::Progress;
use crate::inventory::Inventory;
use anyhow::{anyhow, Result};

/// The live-provider arguments of a command.
#[derive(Debug, Clone, Copy)]
pub struct ProviderArgs<'a> {
    pub aws: &'a AwsArgs,
    pub azure: &'a AzureArgs,
    pub gcp: &'a GcpArgs,
    pub github: &'a GithubArgs,
    pub kubernetes: &'a KubernetesArgs,
}

/// Collects `provider` live.
pub fn collect(
    provider: LiveProvider,
    args: ProviderArgs<'_>,
    progress: Progress,
) -> Result<Inventory> {
    match provider {
        LiveProvider::Aws => aws(args.aws, progress),
        LiveProvider::Azure => azure(args.azure, progress),
        LiveProvider::Gcp => gcp(args.gcp, progress),
        LiveProvider::Github => github(args.github, progress),
        LiveProvider::Kubernetes => kubernetes(args.kubernetes, progress),
    }
}

/// The cargo features of the live providers compiled into this build.
pub const COMPILED: &[&str] = &[
    #[cfg(feature = "aws")]
    "aws",
    #[cfg(feature = "azure")]
    "azure",
    #[cfg(feature = "gcp")]
    "gcp",
    #[cfg(feature = "kubernetes")]
    "kubernetes",
    #[cfg(feature = "github")]
    "github",
];

/// The error of a live provider this build was compiled without.
#[allow(dead_code)] // unused when every provider is compiled in
fn not_compiled(feature: &str, provider: &str) -> anyhow::Error {
    anyhow!(
        "this nhiscan was built without the `{feature}` feature, so it cannot collect from \
         {provider}; the release binaries and image have every provider, or build with \
         `cargo install nhiscan --features {feature}`. Inventory files of every provider \
         (-i) scan in every build"
    )
}

/// The organisation `--github-org` names: an error when none is given.
pub fn github_org(args: &GithubArgs) -> Result<&str> {
    args.github_org
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .ok_or_else(|| {
            anyhow!(
                "GitHub needs an organisation: add --github-org ORG (or set NHISCAN_GITHUB_ORG)"
            )
        })
}

/// Collects AWS.
#[cfg(feature = "aws")]
pub fn aws(args: &AwsArgs, progress: Progress) -> Result<Inventory> {
    crate::collect::aws::collect_blocking(&aws_options(args, progress))
}

#[cfg(not(feature = "aws"))]
pub fn aws(_: &AwsArgs, _: Progress) -> Result<Inventory> {
    Err(not_compiled("aws", "AWS"))
}

/// Collects Azure.
#[cfg(feature = "azure")]
pub fn azure(args: &AzureArgs, progress: Progress) -> Result<Inventory> {
    crate::collect::azure::collect_blocking(&azure_options(args, progress))
}

#[cfg(not(feature = "azure"))]
pub fn azure(_: &AzureArgs, _: Progress) -> Result<Inventory> {
    Err(not_compiled("azure", "Azure"))
}

/// Collects Google Cloud.
#[cfg(feature = "gcp")]
pub fn gcp(args: &GcpArgs, progress: Progress) -> Result<Inventory> {
    crate::collect::gcp::collect_blocking(&gcp_options(args, progress))
}

#[cfg(not(feature = "gcp"))]
pub fn gcp(_: &GcpArgs, _: Progress) -> Result<Inventory> {
    Err(not_compiled("gcp", "Google Cloud"))
}

/// Collects a GitHub organisation.
#[cfg(feature = "github")]
pub fn github(args: &GithubArgs, progress: Progress) -> Result<Inventory> {
    let options = GithubOptions {
        org: github_org(args)?.to_string(),
        api: args.github_api.clone(),
        progress,
        retry: with_timeout(GithubOptions::default().retry, args.github_timeout),
        ..GithubOptions::default()
    };
    crate::collect::github::collect_blocking(&options)
}

#[cfg(not(feature = "github"))]
pub fn github(args: &GithubArgs, _: Progress) -> Result<Inventory> {
    github_org(args)?;
    Err(not_compiled("github", "GitHub"))
}

/// Collects the Kubernetes cluster of a kubeconfig context.
#[cfg(feature = "kubernetes")]
pub fn kubernetes(args: &KubernetesArgs, progress: Progress) -> Result<Inventory> {
    crate::collect::kubernetes::collect_blocking(&kubernetes_options(args, progress))
}

#[cfg(not(feature = "kubernetes"))]
pub fn kubernetes(_: &KubernetesArgs, _: Progress) -> Result<Inventory> {
    Err(not_compiled("kubernetes", "Kubernetes"))
}

/// A REST collector's retry policy with `--<provider>-timeout` seconds per attempt.
#[cfg(any(feature = "azure", feature = "gcp", feature = "github"))]
fn with_timeout(retry: RetryPolicy, seconds: u64) -> RetryPolicy {
    RetryPolicy {
        attempt_timeout: std::time::Duration::from_secs(seconds),
        ..retry
    }
}

#[cfg(feature = "azure")]
fn azure_options(args: &AzureArgs, progress: Progress) -> AzureOptions {
    AzureOptions {
        auth: args.auth,
        tenant: args.tenant.clone(),
        subscriptions: args.subscriptions.clone(),
        key_vault: !args.no_key_vault,
        progress,
        retry: with_timeout(AzureOptions::default().retry, args.azure_timeout),
        ..AzureOptions::default()
    }
}

#[cfg(feature = "gcp")]
fn gcp_options(args: &GcpArgs, progress: Progress) -> GcpOptions {
    GcpOptions {
        auth: args.gcp_auth,
        projects: args
            .gcp_projects
            .iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        progress,
        retry: with_timeout(GcpOptions::default().retry, args.gcp_timeout),
        ..GcpOptions::default()
    }
}

#[cfg(feature = "kubernetes")]
fn kubernetes_options(args: &KubernetesArgs, progress: Progress) -> KubernetesOptions {
    KubernetesOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespaces: args.namespaces.clone(),
        token_secrets: !args.no_token_secrets,
        progress,
        request_timeout: std::time::Duration::from_secs(args.k8s_timeout),
        ..KubernetesOptions::default()
    }
}

#[cfg(feature = "aws")]
fn aws_options(args: &AwsArgs, progress: Progress) -> AwsOptions {
    AwsOptions {
        profile: args.profile.clone(),
        regions: args.regions.clone(),
        endpoint_url: args.endpoint_url.clone(),
        all_regions: args.all_regions,
        org: args.org.then(|| OrgOptions {
            role_name: args.role_name.clone(),
            external_id: args.external_id.clone(),
            accounts: args.accounts.clone(),
            shard: args.shard,
            ..OrgOptions::default()
        }),
        progress,
        attempt_timeout: std::time::Duration::from_secs(args.aws_timeout),
        ..AwsOptions::default()
    }
}
