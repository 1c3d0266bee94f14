//! What a user chooses about Kubernetes on the command line (in every build).

use clap::Args;
use std::path::PathBuf;

/// How to reach Kubernetes: a kubeconfig and one of its contexts, with whatever
/// authentication it names (tokens, client certificates, exec plugins).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Kubernetes")]
pub struct KubernetesArgs {
    /// Kubeconfig file (default: $KUBECONFIG, several files merged, or ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Only these namespaces (comma-separated or repeated); default all. ClusterRoles and
    /// ClusterRoleBindings are always read.
    #[arg(long = "namespace", value_name = "NS,...", value_delimiter = ',')]
    pub namespaces: Vec<String>,
    /// Do not list legacy service-account token Secrets (then `list` on secrets is not
    /// needed, and long-lived tokens are not reported).
    #[arg(long)]
    pub no_token_secrets: bool,
    /// Seconds a request to the Kubernetes API may wait for its answer (connecting: at
    /// most 20) before the cluster is reported as failed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub k8s_timeout: u64,
}
