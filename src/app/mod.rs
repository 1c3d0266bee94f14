//! The commands: each wires the pipeline stages together and returns an exit code.
//! What they share (reading the rules and the inventory, live collection, messages)
//! is here; the command bodies are in `scan`, `collect` and `views`.

mod collect;
mod scan;
mod views;

pub use collect::{collect, merge};
pub use scan::scan;
pub use views::{diff, graph, inventory, owners, report, rules};

use crate::cli::{
    CollectCommand, DiffArgs, DiffFormat, GraphArgs, GraphFormat, InputArgs, InventoryArgs,
    InventoryFormat, MergeArgs, OwnersArgs, ReportArgs, RuleArgs, RulesCommand, ScanArgs,
};
use crate::collect::progress::Progress;
use crate::collect::registry::LiveProvider;
use crate::config::{parse_set, Config};
use crate::enrich::graph::walk::{self, Direction, Walk};
use crate::enrich::owner::{OwnerResolver, Roster};
use crate::enrich::{enrich_with, Classifiers, Enriched};
use crate::exit_policy::{self, exit};
use crate::frameworks;
use crate::inventory::time::parse as parse_time;
use crate::inventory::{Coverage, CoverageStatus, Inventory};
use crate::report::view::framework::{self, FrameworkReport, Run};
use crate::report::view::inventory::View;
use crate::report::{
    self, outputs, sanitize, Format, InventorySection, Report, RulePack, ScanInfo, Style,
};
use crate::rules::findings::Findings;
use crate::rules::load::{Override, RuleError};
use crate::rules::{check, eval, RuleSet};
use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{DateTime, Utc};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;
/// How chatty to be on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

fn note(verbosity: Verbosity, message: impl AsRef<str>) {
    if verbosity == Verbosity::Verbose {
        eprintln!("nhiscan: {}", sanitize::message(message.as_ref()));
    }
}

/// The process's peak memory so far (resident set), as `, peak memory N MiB` for the
/// `-v` stage notes; empty where the system does not say (it is read from Linux's
/// `/proc/self/status`).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!(", peak memory {} MiB", kib / 1024))
        })
        .unwrap_or_default()
}

fn warn(verbosity: Verbosity, message: impl AsRef<str>) {
    if verbosity != Verbosity::Quiet {
        eprintln!("warning: {}", sanitize::message(message.as_ref()));
    }
}

/// Joins several rule errors into one error, one per line.
fn rule_errors(errors: Vec<RuleError>) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    anyhow!(
        "{} problem(s) with the rules:\n{}\nFix the rule files or overrides; `nhiscan rules check DIR` validates a folder.",
        errors.len(),
        lines.join("\n")
    )
}

/// Parses `--now`, default the current time.
pub fn as_of(now: Option<&str>) -> Result<DateTime<Utc>> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => parse_time(text).ok_or_else(|| {
            anyhow!(
                "--now {text:?} is not a time: use RFC 3339 (2026-01-31T00:00:00Z) or YYYY-MM-DD"
            )
        }),
    }
}

/// The config file's name for messages.
fn config_label(config: &Config) -> String {
    match &config.path {
        Some(path) => path.display().to_string(),
        None => "nhiscan.toml".into(),
    }
}

/// Loads the rules with config overrides and `--set`s applied.
fn load_rules(args: &RuleArgs, config: &Config) -> Result<(RuleSet, Vec<PathBuf>)> {
    let mut dirs = config.scan.rules.clone();
    dirs.extend(args.rules.iter().cloned());
    let mut rules = RuleSet::load(&dirs).map_err(rule_errors)?;
    let mut overrides: Vec<Override> = config.overrides();
    for text in &args.set {
        overrides.push(parse_set(text).map_err(|e| anyhow!(e))?);
    }
    rules.apply_overrides(&overrides).map_err(rule_errors)?;
    Ok((rules, dirs))
}

/// Reads the inventory, the roster and the config, and enriches.
fn load_inventory(
    input: &InputArgs,
    config: &Config,
    verbosity: Verbosity,
) -> Result<(Enriched, Option<PathBuf>)> {
    let as_of = as_of(input.now.as_deref())?;
    let started = Instant::now();
    for provider in &input.providers {
        provider.check(&input.live)?;
    }
    let mut inventory = crate::import::read_all(&input.inventory)?;
    for provider in &input.providers {
        inventory.extend(collect_live(*provider, input, verbosity));
    }
    if !input.providers.is_empty() {
        crate::import::check_unique_ids(&inventory, &input.inventory)?;
    }
    note(
        verbosity,
        format!(
            "read {} identities and {} credentials in {:.2?} from {}{}",
            inventory.identities.len(),
            inventory.credentials.len(),
            started.elapsed(),
            (input.inventory.iter().map(|p| p.display().to_string()))
                .chain(
                    input
                        .providers
                        .iter()
                        .map(|p| format!("{} (live)", p.name()))
                )
                .collect::<Vec<_>>()
                .join(", "),
            peak_memory()
        ),
    );
    let mut resolver = OwnerResolver::default();
    if let Some(keys) = &config.owners.tag_keys {
        resolver.tag_keys = keys.clone();
    }
    resolver.teams = config
        .owners
        .teams
        .iter()
        .map(|(team, people)| (team.trim().to_lowercase(), people.clone()))
        .collect();
    let roster_path = input
        .owners
        .clone()
        .or_else(|| config.owners.roster.clone());
    if let Some(path) = &roster_path {
        let roster = Roster::new(crate::import::csv::read_records(path)?);
        note(
            verbosity,
            format!("roster {} lists {} people", path.display(), roster.len()),
        );
        resolver.roster = Some(roster);
    }
    let started = Instant::now();
    let classifiers = Classifiers {
        ai: config
            .ai
            .classifier()
            .map_err(|e| anyhow!("{}: {e}", config_label(config)))?,
        identity_type: config
            .identities
            .classifier()
            .map_err(|e| anyhow!("{}: {e}", config_label(config)))?,
    };
    let mut enriched = enrich_with(inventory, as_of, &resolver, &classifiers);
    note(
        verbosity,
        format!(
            "enriched in {:.2?} (delegation graph: {} edges){}",
            started.elapsed(),
            enriched.delegation.graph.edge_count(),
            peak_memory()
        ),
    );
    if !input.leaks.is_empty() {
        let reports = crate::import::leaks::read_all(&input.leaks)?;
        enriched.attach_leaks(reports);
        let summary = &enriched.leaks.summary;
        note(
            verbosity,
            format!(
                "leak reports {}: {} leaked credentials, {} matched in the inventory",
                summary.reports.join(", "),
                summary.leaks,
                summary.matched
            ),
        );
        for leak in summary.unmatched.iter().take(5) {
            warn(
                verbosity,
                format!(
                    "leak {} ({}; {}, {} entry {}) matches no credential here: {}",
                    leak.identifier,
                    leak.kind.replace('_', " "),
                    leak.location.scanner,
                    leak.location.report,
                    leak.location.entry,
                    leak.why
                ),
            );
        }
        if summary.unmatched.len() > 5 {
            warn(
                verbosity,
                format!(
                    "{} more leaks match no credential here (the JSON report lists them under `leaks`)",
                    summary.unmatched.len() - 5
                ),
            );
        }
    }
    Ok((enriched, roster_path))
}

/// Bars unless `--quiet`; with `-v`, also a line per finished scope (e.g. each account
/// of an organisation).
fn progress(verbosity: Verbosity) -> Progress {
    match verbosity {
        Verbosity::Quiet => Progress::hidden(),
        Verbosity::Normal => Progress::on_stderr(),
        Verbosity::Verbose => {
            Progress::on_stderr().with_notes(|line| format!("nhiscan: {}", sanitize::message(line)))
        }
    }
}

/// Collects one provider. A provider that cannot be scanned at all becomes a failed
/// coverage entry, so the others' results and the report survive it.
fn collect_live(provider: LiveProvider, input: &InputArgs, verbosity: Verbosity) -> Inventory {
    let started = Instant::now();
    let result = provider.collect(&input.live, progress(verbosity));
    match result {
        Ok(inventory) => {
            say_collected(&inventory, started, verbosity);
            inventory
        }
        Err(error) => {
            warn(
                verbosity,
                format!("{} could not be scanned: {error:#}", provider.name()),
            );
            let mut inventory = Inventory::new();
            inventory.coverage.push(Coverage {
                target: provider.id().to_string(),
                provider: provider.provider(),
                status: CoverageStatus::Failed,
                detail: Some(format!("{error:#}")),
            });
            inventory
        }
    }
}

/// Says what a collection found, its API calls (verbose) and its gaps (warnings).
fn say_collected(inventory: &Inventory, started: Instant, verbosity: Verbosity) {
    note(
        verbosity,
        format!(
            "collected {} identities and {} credentials in {:.2?} with {} API calls",
            inventory.identities.len(),
            inventory.credentials.len(),
            started.elapsed(),
            inventory.api_calls.values().sum::<u64>()
        ),
    );
    for (call, count) in &inventory.api_calls {
        note(verbosity, format!("  {call}: {count}"));
    }
    for gap in inventory
        .coverage
        .iter()
        .filter(|c| c.status.is_incomplete())
    {
        let detail = gap.detail.as_deref().unwrap_or("not scanned");
        warn(verbosity, format!("{}: {detail}", gap.target));
    }
}

fn style_for(output: Option<&Path>) -> Style {
    Style::detect(output.is_none() && std::io::stdout().is_terminal())
}

fn output_error(output: Option<&Path>) -> String {
    match output {
        Some(p) => format!("cannot write {}", p.display()),
        None => "cannot write to stdout".into(),
    }
}
