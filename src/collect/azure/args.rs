//! What a user chooses about Azure on the command line (in every build).

use clap::Args;

/// How to reach Azure. The login is the usual one: `az login` / `azd auth login`, a
/// service principal in the environment, workload identity or a managed identity.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Azure")]
pub struct AzureArgs {
    /// How to sign in to Azure (default: the first of env, workload-identity,
    /// managed-identity, azure-cli, azd that works).
    #[arg(long, value_enum, value_name = "METHOD", default_value_t = AzureAuthMethod::Auto)]
    pub auth: AzureAuthMethod,
    /// Entra tenant (id or domain) to sign in to; default the login's own.
    #[arg(long, value_name = "TENANT", env = "AZURE_TENANT_ID")]
    pub tenant: Option<String>,
    /// Only these subscriptions (ids or names; comma-separated or repeated); default every
    /// subscription the login can list.
    #[arg(long = "subscription", value_name = "ID,...", value_delimiter = ',')]
    pub subscriptions: Vec<String>,
    /// Do not list Key Vault secrets, keys and certificates.
    #[arg(long)]
    pub no_key_vault: bool,
    /// Seconds one attempt of a Microsoft Graph or Azure Resource Manager request may take, waiting for the answer
    /// included (connecting: at most 20), before it is retried (6 attempts at most).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::collect::http::DEFAULT_ATTEMPT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub azure_timeout: u64,
    #[command(flatten)]
    pub usage: crate::collect::usage_args::UsageArgs,
}

/// How to sign in to Azure (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AzureAuthMethod {
    /// The first of env, workload-identity, managed-identity, azure-cli, azd that works.
    #[default]
    Auto,
    /// Client secret from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET.
    Env,
    /// Federated token from AZURE_FEDERATED_TOKEN_FILE (with AZURE_TENANT_ID / AZURE_CLIENT_ID).
    WorkloadIdentity,
    /// The managed identity of the Azure host.
    ManagedIdentity,
    /// `az login`.
    AzureCli,
    /// `azd auth login`.
    Azd,
}

impl AzureAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AzureAuthMethod::Auto => "auto",
            AzureAuthMethod::Env => "env",
            AzureAuthMethod::WorkloadIdentity => "workload-identity",
            AzureAuthMethod::ManagedIdentity => "managed-identity",
            AzureAuthMethod::AzureCli => "azure-cli",
            AzureAuthMethod::Azd => "azd",
        }
    }
}
