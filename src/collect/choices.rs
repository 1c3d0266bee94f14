//! What a user chooses about each live provider on the command line, in every build:
//! the command line is the same whatever providers are compiled in (a provider left out
//! is refused when used, naming its feature), so these types do not live in the
//! collectors, which are compiled only with their provider's cargo feature.

use std::fmt;
use std::str::FromStr;

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

/// GitHub's REST API (`--github-api`; GitHub Enterprise Server: `https://HOST/api/v3`).
pub const GITHUB_DEFAULT_API: &str = "https://api.github.com";

/// `--shard K/N`: the K-th of N disjoint parts of the account list (1 ≤ K ≤ N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl Shard {
    /// Whether the account at `position` (from 0) of the sorted list is in this shard.
    pub fn holds(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "`{}` is not a shard: write K/N with 1 <= K <= N, e.g. 2/4 for the second \
                 of four jobs",
                text.escape_debug()
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let index: usize = k.trim().parse().map_err(|_| usage())?;
        let count: usize = n.trim().parse().map_err(|_| usage())?;
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Whether `id` is an AWS account id: 12 digits.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/2/3", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 3, count: 5 }.to_string(), "3/5");
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("123456789012"));
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }
}
