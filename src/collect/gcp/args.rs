//! What a user chooses about Google Cloud on the command line (in every build).

use clap::Args;

/// How to reach Google Cloud. The login is Application Default Credentials (`gcloud auth
/// application-default login`, GOOGLE_APPLICATION_CREDENTIALS, workload identity
/// federation, the metadata server) or the gcloud CLI's own login.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "GCP")]
pub struct GcpArgs {
    /// How to sign in to Google Cloud (default: a credentials file, then the gcloud CLI,
    /// then the metadata server).
    #[arg(long, value_enum, value_name = "METHOD", default_value_t = GcpAuthMethod::Auto)]
    pub gcp_auth: GcpAuthMethod,
    /// Only these projects (ids or numbers; comma-separated or repeated); default every
    /// active project the login can list.
    #[arg(
        long = "gcp-project",
        value_name = "ID,...",
        value_delimiter = ',',
        env = "NHISCAN_GCP_PROJECTS"
    )]
    pub gcp_projects: Vec<String>,
    /// Seconds one attempt of a Google Cloud API request may take, waiting for the answer
    /// included (connecting: at most 20), before it is retried (5 attempts at most).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::collect::http::DEFAULT_ATTEMPT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub gcp_timeout: u64,
    #[command(flatten)]
    pub usage: crate::collect::usage_args::UsageArgs,
}

/// How to sign in to Google Cloud (`--gcp-auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum GcpAuthMethod {
    /// A credentials file, then the gcloud CLI, then the metadata server.
    #[default]
    Auto,
    /// Application Default Credentials only (file or metadata server).
    Adc,
    /// The gcloud CLI's login (`gcloud auth print-access-token`).
    Gcloud,
}
