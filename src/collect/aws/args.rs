//! What a user chooses about AWS on the command line (in every build).

use clap::Args;
use std::fmt;
use std::str::FromStr;

/// How to reach AWS. The login is the standard AWS one: environment, profiles (SSO
/// included), web identity, container or instance credentials.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// AWS profile to use (default: the standard credential chain).
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Region to scan for regional services such as Secrets Manager. Repeatable;
    /// default the profile's or AWS_REGION's region.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Also scan every region enabled for the account (ec2:DescribeRegions).
    #[arg(long)]
    pub all_regions: bool,
    /// Send AWS requests to this endpoint instead (an emulator such as moto).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Scan every account of the AWS Organization (organizations:ListAccounts),
    /// limited by the SCPs over each, assuming --role-name in each; run as the
    /// management account or a delegated administrator.
    #[arg(long)]
    pub org: bool,
    /// With --org: the role to assume in each account.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "nhiscan-audit",
        requires = "org"
    )]
    pub role_name: String,
    /// With --org: the sts:ExternalId the role's trust policy asks for.
    #[arg(long, value_name = "ID", requires = "org")]
    pub external_id: Option<String>,
    /// With --org: only these accounts (12-digit ids, comma-separated or repeated).
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        requires = "org",
        value_parser = parse_account_id
    )]
    pub accounts: Vec<String>,
    /// With --org: only shard K of N: the accounts (sorted by id, counted from 0) whose
    /// position i has i mod N = K-1, so that N jobs split the organisation. `auto/N`
    /// takes K from JOB_COMPLETION_INDEX + 1 (a Kubernetes Indexed Job's pod).
    #[arg(long, value_name = "K/N", requires = "org", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// AWS requests in flight at once per account (per-user IAM calls, regions).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// With --org: accounts scanned at once.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "org", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub org_concurrency: u64,
    /// Do not list each user's SSH public keys (one `iam:ListSSHPublicKeys` call per
    /// user, the largest per-user call family): they are then missing from the
    /// inventory, and the coverage says so.
    #[arg(long)]
    pub no_ssh_keys: bool,
    /// With --usage: seconds to wait for IAM to compile the service last accessed data.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, requires = "usage", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub usage_timeout: u64,
    /// How throttled AWS requests are retried: `standard` backs off each request on
    /// its own (exponential, with jitter); `adaptive` also slows every later request of
    /// the client after throttling (the SDK's client-side rate limiter).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = RetryMode::Standard)]
    pub retry_mode: RetryMode,
    /// Seconds one attempt of an AWS request may take, waiting for an answer
    /// included, before it is retried (5 attempts at most).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub aws_timeout: u64,
    #[command(flatten)]
    pub usage: crate::collect::usage_args::UsageArgs,
}

/// `--retry-mode`: the AWS SDK's retry modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RetryMode {
    /// Exponential backoff with jitter, per request.
    #[default]
    Standard,
    /// Standard, plus a client-side rate limiter that slows down after throttling.
    Adaptive,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text, std::env::var("JOB_COMPLETION_INDEX").ok().as_deref())
}

fn parse_account_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if is_account_id(id) {
        Ok(id.to_string())
    } else {
        Err(format!(
            "`{}` is not an AWS account id (12 digits)",
            id.escape_debug()
        ))
    }
}

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

/// The environment variable a Kubernetes Indexed Job gives each pod: its index, from 0.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

impl Shard {
    /// `K/N`, or `auto/N` with K = `completion_index` + 1 (the pod's
    /// JOB_COMPLETION_INDEX in a Kubernetes Indexed Job of N completions).
    pub fn parse(text: &str, completion_index: Option<&str>) -> Result<Shard, String> {
        let Some(count) = text.trim().strip_prefix("auto/") else {
            return text.parse();
        };
        let index = completion_index.ok_or_else(|| {
            format!(
                "`--shard {text}` takes its part from {JOB_COMPLETION_INDEX}, which only a \
                 Kubernetes Indexed Job sets; elsewhere write K/N"
            )
        })?;
        let from_zero: usize = index.trim().parse().map_err(|_| {
            format!(
                "{JOB_COMPLETION_INDEX}=`{}` is not an index",
                index.escape_debug()
            )
        })?;
        let shard: Shard = format!("{}/{count}", from_zero + 1).parse()?;
        Ok(shard)
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
    fn auto_shards_take_the_kubernetes_completion_index() {
        assert_eq!(
            Shard::parse("auto/4", Some("0")),
            Ok(Shard { index: 1, count: 4 })
        );
        assert_eq!(
            Shard::parse("auto/4", Some("3")),
            Ok(Shard { index: 4, count: 4 })
        );
        assert_eq!(
            Shard::parse("2/4", Some("0")),
            Ok(Shard { index: 2, count: 4 })
        );
        assert!(
            Shard::parse("auto/4", Some("4")).is_err(),
            "index 4 of 4 completions"
        );
        assert!(Shard::parse("auto/4", Some("x")).is_err_and(|e| e.contains("not an index")));
        assert!(Shard::parse("auto/4", None).is_err_and(|e| e.contains("Indexed Job")));
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("123456789012"));
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }
}
