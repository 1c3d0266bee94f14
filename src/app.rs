//! The commands: each wires the pipeline stages together and returns an exit code.

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
use crate::finding::EntityRef;
use crate::frameworks;
use crate::inventory::time::parse as parse_time;
use crate::inventory::Provider;
use crate::inventory::{Coverage, CoverageStatus, Inventory};
use crate::report::view::framework::{self, FrameworkReport, Run};
use crate::report::view::inventory::View;
use crate::report::{
    self, outputs, sanitize, Format, InventoryCounts, Report, RulePack, ScanInfo, Style,
};
use crate::rules::findings::Findings;
use crate::rules::load::{Override, RuleError};
use crate::rules::{check, eval, RuleSet};
use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{DateTime, Utc};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;
use strum::VariantArray;

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
            "read {} identities and {} credentials in {:.2?} from {}",
            inventory.identities.len(),
            inventory.credentials.len(),
            started.elapsed(),
            input
                .inventory
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
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
    let enriched = enrich_with(inventory, as_of, &resolver, &classifiers);
    note(
        verbosity,
        format!(
            "enriched in {:.2?} (delegation graph: {} edges)",
            started.elapsed(),
            enriched.delegation.graph.edge_count()
        ),
    );
    Ok((enriched, roster_path))
}

fn progress(verbosity: Verbosity) -> Progress {
    if verbosity == Verbosity::Quiet {
        Progress::hidden()
    } else {
        Progress::on_stderr()
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

/// `nhiscan collect <provider>`: writes the collected inventory. Exits 3 when part of
/// the provider could not be scanned (the inventory says which), 2 when none of it.
pub fn collect(command: &CollectCommand, verbosity: Verbosity) -> Result<u8> {
    let started = Instant::now();
    let progress = progress(verbosity);
    let inventory = command.provider.collect(&command.args, progress)?;
    let (format, output) = (command.output.format, command.output.output.as_deref());
    write_inventory(&inventory, format, output)?;
    say_collected(&inventory, started, verbosity);
    let incomplete = inventory.coverage.iter().any(|c| c.status.is_incomplete());
    Ok(if incomplete {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    })
}

/// `nhiscan merge`: joins inventory files into one (sources, coverage and API calls
/// included), refusing an id that two of them hold. Exits 0; the coverage gaps it
/// carries are reported (and make the exit code 3) when the result is scanned.
pub fn merge(args: &MergeArgs, verbosity: Verbosity) -> Result<u8> {
    let mut merged = Inventory::new();
    for path in &args.files {
        let mut inventory = crate::import::read_path(path)?;
        if inventory.sources.is_empty() {
            inventory.sources.push(path.display().to_string());
        }
        merged.extend(inventory);
    }
    crate::import::check_unique_ids(&merged, &args.files).context(
        "cannot merge: the inputs overlap (the same account collected twice, e.g. by two \
         runs with the same --shard or with different shard counts); merge each account's \
         inventory once",
    )?;
    write_inventory(&merged, args.format, args.output.as_deref())?;
    note(
        verbosity,
        format!(
            "merged {} files: {} identities, {} credentials, {} coverage entries",
            args.files.len(),
            merged.identities.len(),
            merged.credentials.len(),
            merged.coverage.len()
        ),
    );
    let gaps = merged
        .coverage
        .iter()
        .filter(|c| c.status.is_incomplete())
        .count();
    if gaps > 0 {
        warn(
            verbosity,
            format!(
                "the merged inventory records {gaps} part(s) that could not be collected; \
                 `nhiscan scan` lists them and exits 3"
            ),
        );
    }
    Ok(exit::CLEAN)
}

/// Writes an inventory (what `--inventory` reads back) to `output` or stdout.
fn write_inventory(
    inventory: &Inventory,
    format: InventoryFormat,
    output: Option<&Path>,
) -> Result<()> {
    report::write_output(output, |out| match format {
        InventoryFormat::Json => report::view::inventory::write_document(inventory, out),
        InventoryFormat::Jsonl => report::view::inventory::write_lines(inventory, out),
    })
    .with_context(|| output_error(output))
}

fn style_for(output: Option<&Path>) -> Style {
    Style::detect(output.is_none() && std::io::stdout().is_terminal())
}

pub fn scan(args: &ScanArgs, verbosity: Verbosity) -> Result<u8> {
    let config = Config::discover(args.input.config.as_deref())?;
    let (rules, dirs) = load_rules(&args.rules, &config)?;
    let (baseline, suppressions) =
        exit_policy::load(args.baseline.as_deref(), args.ignore.as_deref(), &rules)?;
    let out = &args.output;
    let outputs = outputs::plan(
        &out.formats,
        out.output.as_deref(),
        &config.output,
        config.path.as_deref(),
        std::io::stdout().is_terminal(),
    )?;
    let settings = outputs::Settings::resolve(
        out.csv_delimiter.as_deref(),
        out.csv_bom,
        out.top,
        &config.output,
        &config_label(&config),
    )?;
    let (enriched, roster) = load_inventory(&args.input, &config, verbosity)?;
    let fail_on = args.fail_on.or(config.scan.fail_on);
    if enriched.inventory.identities.is_empty() {
        let empty = "the inventory holds no identities, so nothing was judged (did a \
                     collection step write nothing?)";
        if fail_on.is_some() && !args.allow_empty {
            bail!("{empty}; with --fail-on that is an error: pass --allow-empty if the estate is empty on purpose");
        }
        warn(verbosity, empty);
    }
    let enabled = rules.rules.iter().filter(|r| r.enabled).count();
    let started = Instant::now();
    let eval::Evaluation {
        matches, errors, ..
    } = eval::evaluate(&rules, &enriched);
    let mut findings = Findings::new(rules.rules.iter().collect(), &enriched, matches);
    findings.sort();
    let triage = exit_policy::triage(
        &mut findings,
        baseline.as_ref(),
        suppressions.as_ref(),
        enriched.as_of,
    );
    if let Some(min) = args.min_severity {
        findings.retain_at_least(min);
    }
    for line in triage.warnings() {
        warn(verbosity, line);
    }
    note(
        verbosity,
        format!(
            "evaluated {enabled} rules in {:.2?}: {} findings",
            started.elapsed(),
            findings.len()
        ),
    );
    warn_rule_errors(&errors, verbosity);

    let incomplete = is_incomplete(&enriched, &errors);
    let code = exit_policy::exit_code(findings.worst_counted(), fail_on, incomplete);
    let mut summary = findings.summary();
    triage.complete(&mut summary);

    let report = Report {
        report_version: report::REPORT_VERSION,
        tool: Default::default(),
        scan: ScanInfo {
            fail_on,
            incomplete,
            ..scan_info(&args.input, &enriched, roster, &config, &rules, &dirs)
        },
        coverage: enriched.inventory.coverage.clone(),
        inventory: counts(&enriched),
        summary,
        baseline: triage.baseline,
        suppressions: triage.suppressions,
        rule_errors: errors.iter().map(Into::into).collect(),
        findings,
    };
    let started = Instant::now();
    let inputs = outputs::Inputs {
        report: &report,
        rules: &rules,
        enriched: &enriched,
        settings,
    };
    let written = outputs::write_all(&outputs, &inputs)?;
    note(
        verbosity,
        format!(
            "wrote {} findings to {} in {:.2?}",
            report.findings.len(),
            written.join(", "),
            started.elapsed()
        ),
    );
    Ok(code)
}

/// Warns about the first few rules that failed to evaluate.
fn warn_rule_errors(errors: &[eval::EvalError], verbosity: Verbosity) {
    for e in errors.iter().take(5) {
        warn(
            verbosity,
            format!(
                "rule `{}` failed on `{}`: {}",
                e.rule_id, e.entity_id, e.message
            ),
        );
    }
}

/// Whether some source could not be scanned or some rule failed to evaluate.
fn is_incomplete(enriched: &Enriched, errors: &[eval::EvalError]) -> bool {
    !errors.is_empty()
        || enriched
            .inventory
            .coverage
            .iter()
            .any(|c| c.status.is_incomplete())
}

/// What a report says about the run's inputs and rules (`fail_on` and `incomplete`
/// are the caller's to set).
fn scan_info(
    input: &InputArgs,
    enriched: &Enriched,
    roster: Option<PathBuf>,
    config: &Config,
    rules: &RuleSet,
    dirs: &[PathBuf],
) -> ScanInfo {
    ScanInfo {
        as_of: enriched.as_of,
        sources: if enriched.inventory.sources.is_empty() {
            input
                .inventory
                .iter()
                .map(|p| p.display().to_string())
                .collect()
        } else {
            enriched.inventory.sources.clone()
        },
        roster: roster.map(|p| p.display().to_string()),
        config: config.path.as_ref().map(|p| p.display().to_string()),
        rules: RulePack {
            builtin: crate::rules::load::builtin_count(),
            user_dirs: dirs.iter().map(|d| d.display().to_string()).collect(),
            enabled: rules.rules.iter().filter(|r| r.enabled).count(),
            disabled: rules
                .rules
                .iter()
                .filter(|r| !r.enabled)
                .map(|r| r.spec.id.clone())
                .collect(),
        },
        fail_on: None,
        incomplete: false,
        api_calls: enriched.inventory.api_calls.clone(),
    }
}

/// `nhiscan report --framework`: each control of the framework, the rules that test
/// it and how many entities pass and fail them. Exits 0, or 3 when incomplete.
pub fn report(args: &ReportArgs, verbosity: Verbosity) -> Result<u8> {
    let config = Config::discover(args.input.config.as_deref())?;
    let (rules, dirs) = load_rules(&args.rules, &config)?;
    let (enriched, roster) = load_inventory(&args.input, &config, verbosity)?;
    let evaluation = eval::evaluate(&rules, &enriched);
    warn_rule_errors(&evaluation.errors, verbosity);
    let incomplete = is_incomplete(&enriched, &evaluation.errors);
    let catalogs = frameworks::catalogs().map_err(|e| anyhow!(e))?;
    let all: Vec<&crate::rules::Rule> = rules.rules.iter().collect();
    let run = Run {
        rules: &all,
        enriched: &enriched,
        evaluation: &evaluation,
    };
    let scan = ScanInfo {
        incomplete,
        ..scan_info(&args.input, &enriched, roster, &config, &rules, &dirs)
    };
    let report = FrameworkReport::new(
        args.framework,
        catalogs.get(args.framework),
        &run,
        scan,
        counts(&enriched),
    );
    let output = args.output.output.as_deref();
    let style = style_for(output);
    report::write_output(output, |out| match args.output.format {
        Format::Table => framework::write_table(&report, style, out),
        Format::Csv => framework::write_csv(&report, out),
        Format::Json => framework::write_json(&report, out),
    })
    .with_context(|| output_error(output))?;
    Ok(exit_policy::exit_code(None, None, incomplete))
}

fn output_error(output: Option<&Path>) -> String {
    match output {
        Some(p) => format!("cannot write {}", p.display()),
        None => "cannot write to stdout".into(),
    }
}

fn counts(enriched: &Enriched) -> InventoryCounts {
    let inventory = &enriched.inventory;
    let mut counts = InventoryCounts {
        identities: inventory.identities.len(),
        credentials: inventory.credentials.len(),
        entities: (inventory.identities.iter().map(EntityRef::identity))
            .chain(inventory.credentials.iter().map(EntityRef::credential))
            .collect(),
        ..Default::default()
    };
    for i in &enriched.inventory.identities {
        counts.by_provider.entry(i.provider).or_default().identities += 1;
    }
    for c in &enriched.inventory.credentials {
        counts
            .by_provider
            .entry(c.provider)
            .or_default()
            .credentials += 1;
    }
    counts
        .by_provider
        .retain(|p, _| Provider::VARIANTS.contains(p));
    counts
}

pub fn inventory(args: &InventoryArgs, verbosity: Verbosity) -> Result<u8> {
    let config = Config::discover(args.input.config.as_deref())?;
    let (enriched, _) = load_inventory(&args.input, &config, verbosity)?;
    let output = args.output.output.as_deref();
    let style = style_for(output);
    let view = match (args.credentials, args.ai) {
        (true, _) => View::Credentials,
        (_, true) => View::AiAgents,
        _ => View::Identities,
    };
    report::write_output(output, |out| match args.output.format {
        Format::Table => report::view::inventory::write_table(&enriched, view, style, out),
        Format::Csv => report::view::inventory::write_csv(&enriched, view, out),
        Format::Json if view == View::AiAgents => {
            report::view::inventory::write_document(&ai_agents_only(&enriched), out)
        }
        Format::Json => report::view::inventory::write_document(&enriched.inventory, out),
    })
    .with_context(|| output_error(output))?;
    Ok(exit::CLEAN)
}

/// `nhiscan owners`: the ownership view, per owner or per entity.
pub fn owners(args: &OwnersArgs, verbosity: Verbosity) -> Result<u8> {
    use crate::report::view::owners;
    let config = Config::discover(args.input.config.as_deref())?;
    let (rules, _) = load_rules(&args.rules, &config)?;
    let (enriched, _) = load_inventory(&args.input, &config, verbosity)?;
    let evaluation = eval::evaluate(&rules, &enriched);
    let findings = Findings::new(rules.rules.iter().collect(), &enriched, evaluation.matches);
    let hits = findings.hits();
    let output = args.output.output.as_deref();
    let style = style_for(output);
    report::write_output(output, |out| {
        if args.list {
            let rows = owners::list(&enriched, &hits);
            match args.output.format {
                Format::Table => owners::write_table_list(&rows, style, out),
                Format::Csv => owners::write_csv_list(&rows, out),
                Format::Json => write_json(&serde_json::json!({ "entities": rows }), out),
            }
        } else {
            let rows = owners::summarise(&enriched, &hits);
            match args.output.format {
                Format::Table => owners::write_table_summary(&rows, style, out),
                Format::Csv => owners::write_csv_summary(&rows, out),
                Format::Json => write_json(&serde_json::json!({ "owners": rows }), out),
            }
        }
    })
    .with_context(|| output_error(output))?;
    let incomplete = enriched
        .inventory
        .coverage
        .iter()
        .any(|c| c.status.is_incomplete());
    Ok(if incomplete {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    })
}

fn write_json(value: &serde_json::Value, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// The AI agents of an inventory and their credentials, with its sources and coverage.
fn ai_agents_only(enriched: &Enriched) -> Inventory {
    let mut agents = Inventory::new();
    agents.generated_at = enriched.inventory.generated_at;
    agents.sources = enriched.inventory.sources.clone();
    agents.coverage = enriched.inventory.coverage.clone();
    agents.identities = enriched
        .inventory
        .identities
        .iter()
        .zip(&enriched.identity_facts)
        .filter(|(_, facts)| facts.ai_agent)
        .map(|(identity, _)| identity.clone())
        .collect();
    agents.credentials = enriched
        .inventory
        .credentials
        .iter()
        .zip(&enriched.credential_owner)
        .filter(|(_, owner)| owner.is_some_and(|i| enriched.identity_facts[i].ai_agent))
        .map(|(credential, _)| credential.clone())
        .collect();
    agents
}

/// `nhiscan graph ID`: what ID can act as (or who can act as it), with the paths.
pub fn graph(args: &GraphArgs, verbosity: Verbosity) -> Result<u8> {
    let config = Config::discover(args.input.config.as_deref())?;
    let (enriched, _) = load_inventory(&args.input, &config, verbosity)?;
    let identities = &enriched.inventory.identities;
    let root = walk::resolve(identities, &args.id).map_err(|e| anyhow!(e))?;
    let direction = if args.reverse {
        Direction::Reverse
    } else {
        Direction::Forward
    };
    let walk = Walk::new(&enriched.delegation.graph, root, direction);
    let view = report::view::graph::GraphView {
        walk: &walk,
        delegation: &enriched.delegation,
        identities,
    };
    let output = args.output.as_deref();
    report::write_output(output, |out| match args.format {
        GraphFormat::Text => report::view::graph::write_text(&view, out),
        GraphFormat::Dot => report::view::graph::write_dot(&view, out),
        GraphFormat::Json => report::view::graph::write_json(&view, out),
    })
    .with_context(|| output_error(output))?;
    Ok(exit::CLEAN)
}

pub fn rules(command: &RulesCommand, verbosity: Verbosity) -> Result<u8> {
    match command {
        RulesCommand::List {
            rules,
            config,
            format,
        } => {
            let config = Config::discover(config.as_deref())?;
            let (set, _) = load_rules(rules, &config)?;
            report::write_output(None, |out| {
                crate::report::view::rules::write_list(&set, *format, style_for(None), out)
            })
            .context("cannot write to stdout")?;
            Ok(exit::CLEAN)
        }
        RulesCommand::Explain { id, rules, config } => {
            let config = Config::discover(config.as_deref())?;
            let (set, _) = load_rules(rules, &config)?;
            let Some(rule) = set.get(id) else {
                bail!("no rule `{id}`; `nhiscan rules list` shows the rule ids");
            };
            report::write_output(None, |out| {
                crate::report::view::rules::write_explain(rule, out)
            })
            .context("cannot write to stdout")?;
            Ok(exit::CLEAN)
        }
        RulesCommand::Check { dir } => {
            let set = match dir {
                Some(dir) => RuleSet::load_dir_only(dir),
                None => RuleSet::load(&[]),
            }
            .map_err(rule_errors)?;
            let (failures, ran) = check::check_examples(&set, true);
            if !failures.is_empty() {
                for f in &failures {
                    eprintln!("  {}", sanitize::message(&f.to_string()));
                }
                bail!(
                    "{} of {} rule example(s) failed in {} rule(s)",
                    failures.len(),
                    ran,
                    set.rules.len()
                );
            }
            if verbosity != Verbosity::Quiet {
                report::write_output(None, |out| {
                    writeln!(
                        out,
                        "{} rules OK: {} examples and negative examples behave as declared.",
                        set.rules.len(),
                        ran
                    )
                })
                .context("cannot write to stdout")?;
            }
            Ok(exit::CLEAN)
        }
    }
}

/// `nhiscan diff`.
pub fn diff(args: &DiffArgs) -> anyhow::Result<u8> {
    let old = report::document::read(&args.old)?;
    let new = report::document::read(&args.new)?;
    let diff = report::view::diff::compare(
        old,
        &args.old.display().to_string(),
        new,
        &args.new.display().to_string(),
    );
    let output = args.output.as_deref();
    report::write_output(output, |out| match args.format {
        DiffFormat::Table => report::view::diff::render::write_table(&diff, out),
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &diff)?;
            writeln!(out)
        }
        DiffFormat::Markdown => report::view::diff::render::write_markdown(&diff, out),
    })
    .with_context(|| match output {
        Some(p) => format!("cannot write {}", p.display()),
        None => "cannot write to stdout".into(),
    })?;
    Ok(match args.fail_on {
        Some(threshold) if diff.fails(threshold) => exit::FINDINGS,
        _ => exit::CLEAN,
    })
}
