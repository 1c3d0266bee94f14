//! The command line (clap derive).

use crate::collect::registry::{LiveProvider, ProviderArgs};
use crate::frameworks::Framework;
use crate::report::outputs::{OutputSpec, ScanFormat};
use crate::report::view::rules::ListFormat;
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
    /// Report a framework's controls (OWASP NHI, OWASP Agentic, CIS, NIST CSF, MAESTRO,
    /// NIST AI RMF): the rules that test each, and how many identities and credentials
    /// pass and fail; or write an auditor's evidence pack (`--evidence DIR`).
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
    /// Secret-scanner report to match against the credentials (repeatable): gitleaks or
    /// Nosey Parker JSON, TruffleHog JSON lines, GitHub secret-scanning alerts, or the
    /// simple CSV. Only identifiers are kept, never the secret.
    #[arg(long = "leaks", value_name = "FILE")]
    pub leaks: Vec<PathBuf>,
    /// Compute ages and expiry as of this time (RFC 3339 or YYYY-MM-DD); default now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Config file; default ./nhiscan.toml when it exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Each live provider's arguments (collect/registry.rs).
    #[command(flatten)]
    pub live: ProviderArgs,
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
    // The help lists the formats of `ScanFormat`.
    #[arg(short, long = "format", value_name = "FORMAT[:PATH]", help = ScanFormat::help())]
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
    #[arg(
        long,
        value_enum,
        value_name = "FRAMEWORK",
        required_unless_present = "evidence"
    )]
    pub framework: Option<Framework>,
    /// Write an auditor's evidence pack into this folder instead: the JSON report, the
    /// inventory and its sha256, every framework's control table (CSV and Markdown), the
    /// owner attestation list and a manifest. Same inputs, byte-identical files.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["framework", "output"])]
    pub evidence: Option<PathBuf>,
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
    /// A drawing laid out by nhiscan (no Graphviz needed): `-f svg -o reach.svg`.
    Svg,
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

/// `nhiscan collect <provider>`: one subcommand per live provider (collect/registry.rs).
pub type CollectCommand = crate::collect::registry::CollectCommand<CollectArgs>;

/// The file formats an inventory can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InventoryFormat {
    Json,
    Jsonl,
}

/// What every `collect <provider>` takes besides the provider's own arguments.
#[derive(Debug, Clone, Args)]
pub struct CollectArgs {
    /// Inventory format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Json)]
    pub format: InventoryFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Exit 0, not 3, when part of the provider could not be scanned (the inventory
    /// records which, and `scan` reports it and exits 3): for job runners that take any
    /// other exit code as a failure to retry, such as a Kubernetes Job.
    #[arg(long)]
    pub partial_ok: bool,
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
