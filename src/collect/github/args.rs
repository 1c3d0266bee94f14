//! What a user chooses about GitHub on the command line (in every build).

use anyhow::{anyhow, Result};
use clap::Args;

/// What to read on GitHub. The token is `GH_TOKEN`, else `GITHUB_TOKEN`, else the GitHub
/// CLI's login (`gh auth token`); it is never printed.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "GitHub")]
pub struct GithubArgs {
    /// The organisation to scan (its login, as in github.com/ORG).
    #[arg(long, value_name = "ORG", env = "NHISCAN_GITHUB_ORG")]
    pub github_org: Option<String>,
    /// The REST API: https://api.github.com, or https://HOST/api/v3 for GitHub
    /// Enterprise Server.
    #[arg(
        long,
        value_name = "URL",
        default_value = GITHUB_DEFAULT_API
    )]
    pub github_api: String,
    /// Seconds one attempt of a GitHub API request may take, waiting for the answer
    /// included (connecting: at most 20), before it is retried (5 attempts at most).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::collect::http::DEFAULT_ATTEMPT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub github_timeout: u64,
}

impl GithubArgs {
    /// The organisation `--github-org` names: an error when none is given.
    pub fn org(&self) -> Result<&str> {
        self.github_org
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .ok_or_else(|| {
                anyhow!(
                    "GitHub needs an organisation: add --github-org ORG (or set NHISCAN_GITHUB_ORG)"
                )
            })
    }
}

/// GitHub's REST API (`--github-api`; GitHub Enterprise Server: `https://HOST/api/v3`).
pub const GITHUB_DEFAULT_API: &str = "https://api.github.com";
