//! The command line (clap derive).

use crate::collect::choices::{AzureAuthMethod as AuthMethod, GcpAuthMethod, Shard};
use crate::frameworks::Framework;
use crate::report::outputs::OutputSpec;
use crate::report::rules::ListFormat;
use crate::report::Format;
use crate::rules::Severity;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Finds the non-human identities of an organisation and flags the access nobody
/// governs any more: no owner, old keys, secrets that never expire, admin rights.
#[derive(Debug, Parser)]
#[command(name = "nhiscan", version, about, long_about = None)]
pub struct Cli {
    /// Print nothing but the report and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print what is being read and evaluated.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Refuse input files (inventories, rules, configs, suppressions, baselines,
    /// rosters) larger than this many MiB [default: 2048].
    #[arg(long, global = true, value_name = "MIB")]
    pub max_input_mib: Option<u64>,
    /// Refuse JSON Lines and CSV inputs with a line longer than this many MiB
    /// [default: 64].
    #[arg(long, global = true, value_name = "MIB")]
    pub max_line_mib: Option<u64>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules over an inventory (from files or collected live) and report
    /// the findings.
    Scan(ScanArgs),
    /// Collect a live inventory from a provider and write it (JSON or JSON Lines).
    #[command(subcommand)]
    Collect(CollectCommand),
    /// List the identities (or credentials) an inventory holds.
    Inventory(InventoryArgs),
    /// Report a framework's controls (OWASP NHI, OWASP Agentic, CIS, NIST CSF, MAESTRO):
    /// the rules that test each, and how many identities and credentials pass and fail.
    Report(ReportArgs),
    /// List, explain and check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Join inventory files (e.g. the shards of an organisation) into one inventory.
    Merge(MergeArgs),
    /// Who owns what: per owner, the identities, credentials, AI agents and findings they
    /// answer for, unowned entities and departed owners first (--list: one row per entity).
    Owners(OwnersArgs),
    /// Show what an identity can act as (assume, impersonate, take over), directly or
    /// through others, with the shortest path to each; --reverse: who can act as it.
    Graph(GraphArgs),
    /// Compare two JSON reports: new, resolved and changed findings, new and removed
    /// identities and credentials.
    Diff(DiffArgs),
    /// Print the JSON schema of the report (`scan -f json`).
    Schema,
    /// Write a commented starter nhiscan.toml.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of nhiscan and its commands.
    Man,
}

/// A provider nhiscan can collect from live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveProvider {
    Aws,
    Azure,
    Gcp,
    Github,
    Kubernetes,
}

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
    /// position i has i mod N = K-1, so that N jobs split the organisation.
    #[arg(long, value_name = "K/N", requires = "org", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Seconds one attempt of an AWS request may take, waiting for an answer
    /// included, before it is retried (5 attempts at most).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub aws_timeout: u64,
}

/// How to reach Azure. The login is the usual one: `az login` / `azd auth login`, a
/// service principal in the environment, workload identity or a managed identity.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Azure")]
pub struct AzureArgs {
    /// How to sign in to Azure (default: the first of env, workload-identity,
    /// managed-identity, azure-cli, azd that works).
    #[arg(long, value_enum, value_name = "METHOD", default_value_t = AuthMethod::Auto)]
    pub auth: AuthMethod,
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
}

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
}

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
        default_value = crate::collect::choices::GITHUB_DEFAULT_API
    )]
    pub github_api: String,
    /// Seconds one attempt of a GitHub API request may take, waiting for the answer
    /// included (connecting: at most 20), before it is retried (5 attempts at most).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::collect::http::DEFAULT_ATTEMPT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub github_timeout: u64,
}

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

fn parse_shard(text: &str) -> Result<Shard, String> {
    text.parse()
}

fn parse_account_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if crate::collect::choices::is_account_id(id) {
        Ok(id.to_string())
    } else {
        Err(format!(
            "`{}` is not an AWS account id (12 digits)",
            id.escape_debug()
        ))
    }
}

/// Where the inventory comes from, and how to judge it.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Inventory to read: .json, .jsonl/.ndjson, identities.csv / credentials.csv,
    /// or a folder holding the CSV pair. Repeat to join several.
    #[arg(
        short = 'i',
        long = "inventory",
        value_name = "PATH",
        required_unless_present = "providers"
    )]
    pub inventory: Vec<PathBuf>,
    /// Collect live from this provider too (repeatable), with your normal login.
    #[arg(long = "provider", value_enum, value_name = "PROVIDER")]
    pub providers: Vec<LiveProvider>,
    /// HR/directory roster CSV (person,email,status,end_date) to judge owners against.
    #[arg(long, value_name = "CSV")]
    pub owners: Option<PathBuf>,
    /// Compute ages and expiry as of this time (RFC 3339 or YYYY-MM-DD); default now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Config file; default ./nhiscan.toml when it exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub azure: AzureArgs,
    #[command(flatten)]
    pub gcp: GcpArgs,
    #[command(flatten)]
    pub github: GithubArgs,
    #[command(flatten)]
    pub kubernetes: KubernetesArgs,
}

/// Rule selection and parameters.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rules")]
pub struct RuleArgs {
    /// Extra folder of rule files (*.yaml). Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Override a rule parameter, `enabled` or `severity`: RULE.PARAM=VALUE. Repeatable.
    #[arg(long = "set", value_name = "RULE.PARAM=VALUE")]
    pub set: Vec<String>,
}

/// Where and how to write.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Report")]
pub struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Where and how `scan` writes its reports.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Report")]
pub struct ScanOutputArgs {
    /// Report format, optionally with its file: FORMAT[:PATH]. Repeat for several
    /// reports from one run; at most one without a file (stdout). Formats: table, csv,
    /// json, jsonl, sarif, markdown, ocsf, xlsx. Default: [output] formats in
    /// nhiscan.toml, else table.
    #[arg(short, long = "format", value_name = "FORMAT[:PATH]")]
    pub formats: Vec<OutputSpec>,
    /// Write the report (the one format without a file) to this file instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// CSV field separator: one character such as `;` or `|`, or `tab`.
    #[arg(long, value_name = "CHAR")]
    pub csv_delimiter: Option<String>,
    /// Start CSV reports with a UTF-8 byte order mark, for Excel.
    #[arg(long)]
    pub csv_bom: bool,
    /// Findings listed in the Markdown summary (default 20).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: ScanOutputArgs,
    /// Exit 1 when a finding is at or above this severity (default: none fail).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// With --fail-on, accept an inventory without identities (else exit 2: a
    /// collection step that wrote nothing must not pass a CI gate).
    #[arg(long)]
    pub allow_empty: bool,
    /// Leave findings below this severity out of the report.
    #[arg(long, value_name = "SEVERITY")]
    pub min_severity: Option<Severity>,
    /// A previous JSON report (`scan -f json`): only findings new since then count for
    /// --fail-on, and each finding is marked new or existing.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Suppressions file; default ./.nhiscan-ignore.yaml when it exists.
    #[arg(long, value_name = "FILE")]
    pub ignore: Option<PathBuf>,
}

/// How `nhiscan diff` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    #[value(alias = "md")]
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The earlier report (`scan -f json`).
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later report.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a new finding (or one whose severity rose) is at or above this
    /// severity.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(value_name = "PATH", default_value = "nhiscan.toml")]
    pub path: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct OwnersArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// One row per identity and credential with its owner and findings, instead of one
    /// per owner: filter it by owner to hand each owner their list.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The framework whose controls to report.
    #[arg(long, value_enum, value_name = "FRAMEWORK")]
    pub framework: Framework,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// List credentials instead of identities (table and CSV).
    #[arg(long, conflicts_with = "ai")]
    pub credentials: bool,
    /// List only the identities classified as AI agents, with the signals that decided
    /// it (with -f json: the inventory of the agents and their credentials).
    #[arg(long)]
    pub ai: bool,
}

/// How `nhiscan graph` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A tree of shortest paths, then the paths to admins and into other boundaries.
    #[value(alias = "table")]
    Text,
    /// Graphviz: `nhiscan graph ID -f dot | dot -Tsvg > reach.svg`.
    Dot,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct GraphArgs {
    /// The identity: its id, or a name (or `role/NAME` for AWS) only one identity has.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Show who can act as ID instead of what ID can act as.
    #[arg(long)]
    pub reverse: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = GraphFormat::Text, help_heading = "Report")]
    pub format: GraphFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH", help_heading = "Report")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CollectCommand {
    /// Collect IAM users, roles, their keys and policies, and Secrets Manager secrets
    /// (metadata only) from the AWS account your login belongs to, or with --org from
    /// every account of the organisation.
    Aws(CollectAwsArgs),
    /// Collect Entra ID app registrations, service principals and managed identities
    /// (credentials' metadata, owners, Graph permissions, sign-ins), role assignments and
    /// Key Vault item properties from the tenant and subscriptions your login can see.
    Azure(CollectAzureArgs),
    /// Collect service accounts, their user-managed keys' metadata, the IAM bindings they
    /// hold (inherited ones included), who may impersonate them, the workloads that run as
    /// them (VMs, GKE node pools, Cloud Run, Cloud Functions) and their last authentication
    /// from the Google Cloud projects your login can see.
    Gcp(CollectGcpArgs),
    /// Collect a GitHub organisation's deploy keys, GitHub App installations and their
    /// permissions, Actions secrets (names and dates only) and variables (counted), and
    /// the fine-grained personal access tokens granted to it.
    Github(CollectGithubArgs),
    /// Collect ServiceAccounts, their RBAC grants, the workloads that use them and legacy
    /// token Secrets (metadata only) from the cluster of a kubeconfig context.
    Kubernetes(CollectKubernetesArgs),
}

/// The file formats an inventory can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InventoryFormat {
    Json,
    Jsonl,
}

#[derive(Debug, Clone, Args)]
pub struct CollectAwsArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CollectAzureArgs {
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CollectGcpArgs {
    #[command(flatten)]
    pub gcp: GcpArgs,
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CollectGithubArgs {
    #[command(flatten)]
    pub github: GithubArgs,
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CollectKubernetesArgs {
    #[command(flatten)]
    pub kubernetes: KubernetesArgs,
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Inventory files to join (.json, .jsonl/.ndjson, CSV); an id found in two of them
    /// is refused.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule with its severity and framework references.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Config file; default ./nhiscan.toml when it exists.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Show one rule in full: why it matters, what it tests, how to fix.
    Explain {
        /// The rule id.
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
        /// Config file; default ./nhiscan.toml when it exists.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Validate rule files: unique ids, known fields, expressions compile and use
    /// known variables, every example fires and no negative example does.
    Check {
        /// A folder of rule files; default the built-in rules.
        dir: Option<PathBuf>,
    },
}
