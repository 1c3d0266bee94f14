//! The commands that show an inventory or a scan another way: `report --framework`,
//! `inventory`, `owners`, `graph`, `rules` and `diff`.

use super::scan::{is_incomplete, scan_info, warn_rule_errors};
use super::*;
use crate::frameworks::Framework;

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
    let table = |framework: Framework| {
        FrameworkReport::new(
            framework,
            catalogs.get(framework),
            &run,
            scan.clone(),
            InventorySection::of(&enriched.inventory),
        )
    };
    let Some(framework) = args.framework else {
        let Some(dir) = &args.evidence else {
            bail!("give --framework or --evidence");
        };
        let frameworks = Framework::ALL.iter().map(|&f| table(f)).collect();
        let mut findings = Findings::new(
            rules.rules.iter().collect(),
            &enriched,
            evaluation.matches.clone(),
        );
        findings.sort();
        let hits = findings.hits();
        let report = Report {
            report_version: report::REPORT_VERSION,
            tool: Default::default(),
            scan: scan.clone(),
            coverage: super::scan::sorted_coverage(&enriched.inventory.coverage),
            inventory: InventorySection::of(&enriched.inventory),
            summary: findings.summary(),
            baseline: None,
            suppressions: None,
            rule_errors: evaluation.errors.iter().map(Into::into).collect(),
            leaks: (!enriched.leaks.summary.reports.is_empty())
                .then(|| enriched.leaks.summary.clone()),
            findings,
        };
        let evidence = report::evidence::Evidence {
            report: &report,
            enriched: &enriched,
            rules: &rules,
            frameworks,
            hits,
        };
        let written = report::evidence::write(dir, &evidence)?;
        note(
            verbosity,
            format!(
                "wrote the evidence pack {}: {}",
                dir.display(),
                written.join(", ")
            ),
        );
        return Ok(exit_policy::exit_code(None, None, incomplete));
    };
    let report = table(framework);
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
    agents.credentials = (enriched.inventory.credentials.iter().enumerate())
        .filter(|(c, _)| {
            (enriched.credential_owner(*c)).is_some_and(|i| enriched.identity_facts[i].ai_agent)
        })
        .map(|(_, credential)| credential.clone())
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
        GraphFormat::Svg => report::view::graph::write_svg(&view, out),
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
