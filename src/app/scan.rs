//! `nhiscan scan`: read or collect the inventory, enrich it, evaluate the rules, apply
//! the exit policy and write the reports.

use super::*;

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
        matches,
        errors,
        evaluated,
    } = eval::evaluate(&rules, &enriched);
    // The HTML report's framework tables tally the rules' own matches, as `report
    // --framework` does (before superseded findings are folded and --min-severity).
    let html = outputs
        .iter()
        .any(|o| o.format == outputs::ScanFormat::Html);
    let evaluation = html.then(|| eval::Evaluation {
        matches: matches.clone(),
        errors: errors.clone(),
        evaluated,
    });
    // The entities' report order is found while the findings are folded and sorted.
    let (mut findings, inventory) = rayon::join(
        || {
            let mut findings = Findings::new(rules.rules.iter().collect(), &enriched, matches);
            findings.sort();
            findings
        },
        || InventorySection::of(&enriched.inventory),
    );
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
            "evaluated {enabled} rules in {:.2?}: {} findings{}",
            started.elapsed(),
            findings.len(),
            peak_memory()
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
        coverage: sorted_coverage(&enriched.inventory.coverage),
        inventory,
        summary,
        baseline: triage.baseline,
        suppressions: triage.suppressions,
        rule_errors: errors.iter().map(Into::into).collect(),
        leaks: (!enriched.leaks.summary.reports.is_empty()).then(|| enriched.leaks.summary.clone()),
        findings,
    };
    let started = Instant::now();
    let inputs = outputs::Inputs {
        report: &report,
        rules: &rules,
        enriched: &enriched,
        evaluation: evaluation.as_ref(),
        settings,
    };
    let written = outputs::write_all(&outputs, &inputs)?;
    note(
        verbosity,
        format!(
            "wrote {} findings to {} in {:.2?}{}",
            report.findings.len(),
            written.join(", "),
            started.elapsed(),
            peak_memory()
        ),
    );
    // The process ends next: freeing millions of entities one allocation at a time
    // would only delay its exit (about 2 s at 1,000,000 identities).
    std::mem::forget(report);
    std::mem::forget(enriched);
    Ok(code)
}

/// Warns about the first few rules that failed to evaluate.
pub(super) fn warn_rule_errors(errors: &[eval::EvalError], verbosity: Verbosity) {
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
pub(super) fn is_incomplete(enriched: &Enriched, errors: &[eval::EvalError]) -> bool {
    !errors.is_empty()
        || enriched
            .inventory
            .coverage
            .iter()
            .any(|c| c.status.is_incomplete())
}

/// What a report says about the run's inputs and rules (`fail_on` and `incomplete`
/// are the caller's to set).
pub(super) fn scan_info(
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

/// The coverage by target, so that a report does not depend on the order the parts
/// were collected or merged in (accounts scanned at once, shards).
pub(super) fn sorted_coverage(coverage: &[Coverage]) -> Vec<Coverage> {
    let mut sorted = coverage.to_vec();
    sorted.sort_by(|a, b| a.target.cmp(&b.target));
    sorted
}
