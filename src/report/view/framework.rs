//! `nhiscan report --framework`: how a framework's controls fare. For each control of
//! its catalog: the enabled rules that reference it, and how many entities (identities
//! and credentials) those rules were evaluated on that fail (have a finding of one of
//! them) or pass (have none). A control no rule references is "not tested".

use crate::enrich::identity_type::IdentityType;
use crate::enrich::Enriched;
use crate::frameworks::{Catalog, Control, Framework};
use crate::inventory::{Coverage, Provider};
use crate::report::format::csv::safe_writer;
use crate::report::format::table::{header, new_table, write_coverage_gaps};
use crate::report::sanitize::spreadsheet;
use crate::report::{EvalErrorRecord, InventorySection, ScanInfo, Style, Tool};
use crate::rules::eval::{self, Evaluation};
use crate::rules::{Rule, Target};
use comfy_table::{Cell, ColumnConstraint, Width};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};

/// Version of the framework report's JSON document. Bump on incompatible changes.
pub const FRAMEWORK_REPORT_VERSION: u32 = 1;

/// The framework report: the document the JSON reporter writes.
#[derive(Debug, Serialize)]
pub struct FrameworkReport<'a> {
    pub report_version: u32,
    pub tool: Tool,
    pub framework: FrameworkInfo,
    pub scan: ScanInfo,
    pub coverage: Vec<Coverage>,
    pub inventory: InventorySection<'a>,
    pub summary: ControlSummary,
    pub controls: Vec<ControlResult>,
    /// The enabled rules that reference the framework.
    pub rules: Vec<RuleResult>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_errors: Vec<EvalErrorRecord>,
}

#[derive(Debug, Serialize)]
pub struct FrameworkInfo {
    pub id: Framework,
    pub name: String,
    pub version: String,
    pub source: String,
}

/// How many controls are in each state.
#[derive(Debug, Default, Serialize)]
pub struct ControlSummary {
    pub controls: usize,
    pub failing: usize,
    pub passing: usize,
    pub not_evaluated: usize,
    pub not_tested: usize,
}

/// Where a control stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Some entity has a finding of one of its rules.
    Fail,
    /// Its rules were evaluated on some entities, none of which has a finding.
    Pass,
    /// It has rules, but the inventory holds nothing they apply to.
    NotEvaluated,
    /// No enabled rule references it.
    NotTested,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Pass => "pass",
            Status::NotEvaluated => "not evaluated",
            Status::NotTested => "not tested",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The providers whose entities count, when the control concerns only some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// The kinds of entity that count, when the control concerns only some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// The attribute values an entity must have to count, when the control says.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
    pub rules: Vec<String>,
    /// Entities at least one of the rules was evaluated on.
    pub evaluated: u64,
    pub pass: u64,
    pub fail: u64,
    /// Entities on which a rule failed to evaluate (and that have no finding): neither
    /// pass nor fail.
    #[serde(skip_serializing_if = "is_zero")]
    pub errors: u64,
    pub status: Status,
}

/// One rule that references the framework.
#[derive(Debug, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    /// The framework's controls it tests.
    pub controls: Vec<String>,
    pub evaluated: u64,
    pub findings: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An entity: its target and index into the inventory's identities or credentials.
type EntityKey = (Target, u32);

/// What a report needs besides the catalog: the run's rules (`Evaluation` indexes
/// them), the enriched inventory and the evaluation.
pub struct Run<'a> {
    pub rules: &'a [&'a Rule],
    pub enriched: &'a Enriched,
    pub evaluation: &'a Evaluation,
}

impl<'a> FrameworkReport<'a> {
    /// Tallies each control of `catalog` over the run.
    pub fn new(
        framework: Framework,
        catalog: &Catalog,
        run: &Run,
        scan: ScanInfo,
        inventory: InventorySection<'a>,
    ) -> FrameworkReport<'a> {
        let shape = Shape::of(run.enriched);
        let referencing: Vec<usize> = (0..run.rules.len())
            .filter(|&r| {
                run.rules[r].enabled && !run.rules[r].spec.references.ids(framework).is_empty()
            })
            .collect();
        let controls: Vec<ControlResult> = catalog
            .controls
            .iter()
            .map(|control| {
                let rules: Vec<usize> = referencing
                    .iter()
                    .copied()
                    .filter(|&r| {
                        run.rules[r]
                            .spec
                            .references
                            .ids(framework)
                            .contains(&control.id)
                    })
                    .collect();
                tally(control, &rules, run, &shape)
            })
            .collect();
        let mut findings = vec![0u64; run.rules.len()];
        for m in &run.evaluation.matches {
            findings[m.rule as usize] += 1;
        }
        let rules = referencing
            .iter()
            .map(|&r| {
                let rule = run.rules[r];
                RuleResult {
                    id: rule.spec.id.clone(),
                    title: rule.spec.title.clone(),
                    controls: rule.spec.references.ids(framework).to_vec(),
                    evaluated: run.evaluation.evaluated.get(r).copied().unwrap_or_default(),
                    findings: findings[r],
                }
            })
            .collect();
        let mut summary = ControlSummary {
            controls: controls.len(),
            ..Default::default()
        };
        for control in &controls {
            *match control.status {
                Status::Fail => &mut summary.failing,
                Status::Pass => &mut summary.passing,
                Status::NotEvaluated => &mut summary.not_evaluated,
                Status::NotTested => &mut summary.not_tested,
            } += 1;
        }
        FrameworkReport {
            report_version: FRAMEWORK_REPORT_VERSION,
            tool: Tool::default(),
            framework: FrameworkInfo {
                id: framework,
                name: catalog.name.clone(),
                version: catalog.version.clone(),
                source: catalog.source.clone(),
            },
            scan,
            coverage: run.enriched.inventory.coverage.clone(),
            inventory,
            summary,
            controls,
            rules,
            rule_errors: run.evaluation.errors.iter().map(Into::into).collect(),
        }
    }
}

/// What decides whether a rule applies to an entity: its target, provider, kind and
/// the type of the identity behind it.
type ShapeKey<'a> = (Target, Provider, &'a str, IdentityType);

/// How many entities the inventory holds of each [`ShapeKey`]: which rules apply to an
/// entity depends on nothing else.
struct Shape<'a> {
    counts: HashMap<ShapeKey<'a>, u64>,
}

impl<'a> Shape<'a> {
    fn of(enriched: &'a Enriched) -> Shape<'a> {
        let mut counts = HashMap::new();
        for index in 0..enriched.inventory.identities.len() {
            *counts
                .entry(entity_shape(enriched, (Target::Identity, index as u32)).0)
                .or_default() += 1;
        }
        for index in 0..enriched.inventory.credentials.len() {
            *counts
                .entry(entity_shape(enriched, (Target::Credential, index as u32)).0)
                .or_default() += 1;
        }
        Shape { counts }
    }
}

/// An entity's [`ShapeKey`] and attributes.
fn entity_shape(
    enriched: &Enriched,
    (target, index): EntityKey,
) -> (ShapeKey<'_>, &crate::inventory::Attributes) {
    let index = index as usize;
    match target {
        Target::Identity => {
            let i = &enriched.inventory.identities[index];
            let t = enriched.identity_facts[index].identity_type;
            ((target, i.provider, i.kind.as_str(), t), &i.attributes)
        }
        Target::Credential => {
            let c = &enriched.inventory.credentials[index];
            let t = enriched.credential_identity_type(index);
            ((target, c.provider, c.kind.as_str(), t), &c.attributes)
        }
    }
}

/// One control's counts: distinct entities of the providers, kinds and attributes it
/// concerns that any of `rules` (indexes into the run's rules) was evaluated on, and of
/// those the ones with a finding of them or on which one failed to evaluate.
fn tally(control: &Control, rules: &[usize], run: &Run, shape: &Shape) -> ControlResult {
    let judged = |(target, provider, kind, identity_type): &ShapeKey| {
        control.concerns(*provider, kind)
            && rules.iter().any(|&r| {
                let rule = run.rules[r];
                rule.spec.applies_to == *target
                    && eval::applies(rule, *provider, kind, *identity_type)
            })
    };
    let evaluated: u64 = if control.attributes.is_empty() {
        shape
            .counts
            .iter()
            .filter(|(key, _)| judged(key))
            .map(|(_, n)| n)
            .sum()
    } else {
        // Attribute conditions are rare: look at each entity.
        let identities =
            (0..run.enriched.inventory.identities.len()).map(|i| (Target::Identity, i as u32));
        let credentials =
            (0..run.enriched.inventory.credentials.len()).map(|i| (Target::Credential, i as u32));
        identities
            .chain(credentials)
            .filter(|entity| {
                let (key, attributes) = entity_shape(run.enriched, *entity);
                judged(&key) && control.concerns_attributes(attributes)
            })
            .count() as u64
    };
    let concerned = |entity: EntityKey| {
        let ((_, provider, kind, _), attributes) = entity_shape(run.enriched, entity);
        control.concerns_entity(provider, kind, attributes)
    };
    let failing: HashSet<EntityKey> = run
        .evaluation
        .matches
        .iter()
        .filter(|m| rules.contains(&(m.rule as usize)))
        .map(|m| (m.target, m.index))
        .filter(|e| concerned(*e))
        .collect();
    let erring: HashSet<EntityKey> = run
        .evaluation
        .errors
        .iter()
        .filter(|e| rules.iter().any(|&r| run.rules[r].spec.id == e.rule_id))
        .map(|e| e.entity)
        .filter(|e| concerned(*e) && !failing.contains(e))
        .collect();
    let fail = failing.len() as u64;
    let errors = erring.len() as u64;
    let status = if rules.is_empty() {
        Status::NotTested
    } else if evaluated == 0 {
        Status::NotEvaluated
    } else if fail > 0 {
        Status::Fail
    } else {
        Status::Pass
    };
    ControlResult {
        id: control.id.clone(),
        title: control.title.clone(),
        note: control.note.clone(),
        providers: control.providers.clone(),
        kinds: control.kinds.clone(),
        attributes: control.attributes.clone(),
        rules: rules
            .iter()
            .map(|&r| run.rules[r].spec.id.clone())
            .collect(),
        evaluated,
        pass: evaluated.saturating_sub(fail + errors),
        fail,
        errors,
        status,
    }
}

pub fn write_json(report: &FrameworkReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// The CSV columns, in order; new ones are only ever appended.
pub const COLUMNS: [&str; 11] = [
    "framework",
    "control",
    "title",
    "rules",
    "evaluated",
    "pass",
    "fail",
    "errors",
    "status",
    "note",
    "as_of",
];

pub fn write_csv(report: &FrameworkReport, out: &mut dyn Write) -> io::Result<()> {
    let mut w = safe_writer(out);
    w.write_record(COLUMNS)?;
    let as_of = report.scan.as_of.to_rfc3339();
    for c in &report.controls {
        let tested = c.status != Status::NotTested;
        let count = |n: u64| if tested { n.to_string() } else { String::new() };
        let row = [
            report.framework.id.name().to_string(),
            c.id.clone(),
            c.title.clone(),
            c.rules.join("; "),
            count(c.evaluated),
            count(c.pass),
            count(c.fail),
            count(c.errors),
            c.status.as_str().to_string(),
            c.note.clone().unwrap_or_default(),
            as_of.clone(),
        ];
        w.write_record(row.iter().map(|cell| spreadsheet(cell)))?;
    }
    w.flush()
}

/// The control table as Markdown, for an audit file: a heading with the framework and
/// the date, the summary, then a row per control.
pub fn write_markdown(report: &FrameworkReport, out: &mut dyn Write) -> io::Result<()> {
    use crate::report::format::markdown::cell;
    let f = &report.framework;
    writeln!(
        out,
        "# {} {}
",
        cell(&f.name),
        cell(&f.version)
    )?;
    writeln!(
        out,
        "Source: {}. As of {}: {} identities and {} credentials.
",
        cell(&f.source),
        report.scan.as_of.to_rfc3339(),
        report.inventory.identities,
        report.inventory.credentials
    )?;
    let s = &report.summary;
    writeln!(
        out,
        "{} controls: {} failing, {} passing, {} not evaluated, {} not tested.
",
        s.controls, s.failing, s.passing, s.not_evaluated, s.not_tested
    )?;
    writeln!(
        out,
        "| Control | Title | Rules | Evaluated | Pass | Fail | Status | Note |"
    )?;
    writeln!(out, "|---|---|---|---:|---:|---:|---|---|")?;
    for c in &report.controls {
        let tested = c.status != Status::NotTested;
        let count = |n: u64| if tested { n.to_string() } else { String::new() };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.id),
            cell(&c.title),
            cell(&c.rules.join(", ")),
            count(c.evaluated),
            count(c.pass),
            count(c.fail),
            c.status.as_str(),
            cell(c.note.as_deref().unwrap_or_default()),
        )?;
    }
    Ok(())
}

pub fn write_table(report: &FrameworkReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {} — {} identities and {} credentials as of {}",
        report.framework.name,
        report.framework.version,
        report.inventory.identities,
        report.inventory.credentials,
        report.scan.as_of.format("%Y-%m-%d %H:%M UTC"),
    )?;
    let mut table = new_table(style);
    table.set_header(header(
        &["Control", "Rules", "Pass", "Fail", "Status"],
        style,
    ));
    for c in &report.controls {
        let mut control = format!("{}\n{}", c.id, c.title);
        let scope: Vec<String> = c
            .providers
            .iter()
            .map(|p| p.as_str().to_string())
            .chain(c.kinds.iter().cloned())
            .chain(c.attributes.iter().map(|(k, v)| format!("{k}={v}")))
            .collect();
        if !scope.is_empty() {
            control.push_str(&format!(" [{}]", scope.join(", ")));
        }
        let (rules, pass, fail) = match c.status {
            Status::NotTested => (
                c.note.clone().unwrap_or_else(|| "-".to_string()),
                String::new(),
                String::new(),
            ),
            _ => (c.rules.join("\n"), c.pass.to_string(), c.fail.to_string()),
        };
        table.add_row(vec![
            Cell::new(control),
            Cell::new(rules),
            Cell::new(pass),
            Cell::new(fail),
            Cell::new(c.status.as_str()),
        ]);
    }
    // Rule ids are not broken across lines unless the terminal is too narrow for them.
    let longest = report
        .controls
        .iter()
        .flat_map(|c| c.rules.iter().map(String::len))
        .max()
        .unwrap_or(0)
        + 2;
    if let Some(column) = table.column_mut(1) {
        let width = u16::try_from(longest)
            .unwrap_or(u16::MAX)
            .min(style.width / 2);
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
    }
    writeln!(out, "{table}")?;
    let s = &report.summary;
    writeln!(
        out,
        "{} controls: {} failing, {} passing, {} not evaluated, {} not tested.",
        s.controls, s.failing, s.passing, s.not_evaluated, s.not_tested
    )?;
    writeln!(
        out,
        "Pass and fail count the identities and credentials a control's rules were evaluated on; \
         fail: one of them matched, reported on its own or folded into another finding (also_fails)."
    )?;
    writeln!(out, "Source: {}", report.framework.source)?;
    write_coverage_gaps(&report.coverage, out)?;
    if !report.rule_errors.is_empty() {
        writeln!(
            out,
            "warning: {} rule evaluation(s) failed and count as neither pass nor fail; the JSON report lists them.",
            report.rule_errors.len()
        )?;
    }
    if report.scan.incomplete {
        writeln!(
            out,
            "The scan is incomplete: some sources or rules could not be scanned."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{enrich, owner::OwnerResolver};
    use crate::inventory::Inventory;
    use crate::rules::RuleSet;
    use chrono::{TimeZone, Utc};

    const RULES: &str = r#"
id: old-key
title: Old key
severity: high
confidence: high
applies_to: credential
filter: { kinds: [access_key] }
when: credential.age_days > 90
message: m
description: d
remediation: r
references: { owasp_nhi: [NHI7], cis: ["CIS AWS Foundations 1.14"] }
"#;

    const OWNER: &str = r#"
id: no-owner
title: No owner
severity: high
confidence: high
applies_to: identity
when: identity.owner_status == "missing"
message: m
description: d
remediation: r
references: { owasp_nhi: [NHI1, NHI7] }
"#;

    fn inventory() -> Inventory {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "identities": [
                {"provider": "aws", "scope": {"kind": "account", "id": "1"}, "id": "u1", "name": "u1", "kind": "service_user"},
                {"provider": "azure", "scope": {"kind": "tenant", "id": "t"}, "id": "a1", "name": "a1", "kind": "app_registration", "owners": ["x"]}
            ],
            "credentials": [
                {"provider": "aws", "scope": {"kind": "account", "id": "1"}, "id": "k1", "kind": "access_key", "identity_id": "u1", "created": "2024-01-01T00:00:00Z"},
                {"provider": "aws", "scope": {"kind": "account", "id": "1"}, "id": "k2", "kind": "access_key", "identity_id": "u1", "created": "2025-12-01T00:00:00Z"},
                {"provider": "azure", "scope": {"kind": "tenant", "id": "t"}, "id": "s1", "kind": "access_key", "created": "2020-01-01T00:00:00Z"},
                {"provider": "aws", "scope": {"kind": "account", "id": "1"}, "id": "c1", "kind": "certificate", "created": "2020-01-01T00:00:00Z"}
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn scan_info(as_of: chrono::DateTime<Utc>) -> ScanInfo {
        ScanInfo {
            as_of,
            sources: Vec::new(),
            roster: None,
            config: None,
            rules: crate::report::RulePack {
                builtin: 0,
                user_dirs: Vec::new(),
                enabled: 2,
                disabled: Vec::new(),
            },
            fail_on: None,
            incomplete: false,
            api_calls: Default::default(),
        }
    }

    #[test]
    fn controls_count_distinct_entities_and_untested_controls_are_listed() {
        let rules = RuleSet::from_sources(&[
            ("a.yaml".into(), RULES.into()),
            ("b.yaml".into(), OWNER.into()),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let enriched = enrich(inventory(), now, &OwnerResolver::default());
        let evaluation = eval::evaluate(&rules, &enriched);
        let all: Vec<&Rule> = rules.rules.iter().collect();
        let run = Run {
            rules: &all,
            enriched: &enriched,
            evaluation: &evaluation,
        };
        let catalogs = crate::frameworks::catalogs().unwrap_or_else(|e| panic!("{e}"));
        let nhi = FrameworkReport::new(
            Framework::OwaspNhi,
            catalogs.get(Framework::OwaspNhi),
            &run,
            scan_info(now),
            InventorySection::default(),
        );
        let control = |report: &FrameworkReport, id: &str| {
            let c = report.controls.iter().find(|c| c.id == id);
            c.map(|c| (c.rules.join(","), c.evaluated, c.pass, c.fail, c.status))
        };
        // NHI7: 3 access keys (k1 and s1 old) and 2 identities (u1 without owner).
        assert_eq!(
            control(&nhi, "NHI7"),
            Some(("no-owner,old-key".into(), 5, 2, 3, Status::Fail))
        );
        assert_eq!(
            control(&nhi, "NHI1"),
            Some(("no-owner".into(), 2, 1, 1, Status::Fail))
        );
        assert_eq!(
            control(&nhi, "NHI2"),
            Some((String::new(), 0, 0, 0, Status::NotTested))
        );
        assert_eq!(nhi.summary.failing, 2);
        assert_eq!(nhi.summary.not_tested, 8);
        let old_key = nhi.rules.iter().find(|r| r.id == "old-key");
        assert_eq!(old_key.map(|r| (r.evaluated, r.findings)), Some((3, 2)));

        // The CIS item concerns AWS only: the old Azure key does not count.
        let cis = FrameworkReport::new(
            Framework::Cis,
            catalogs.get(Framework::Cis),
            &run,
            scan_info(now),
            InventorySection::default(),
        );
        assert_eq!(
            control(&cis, "CIS AWS Foundations 1.14"),
            Some(("old-key".into(), 2, 1, 1, Status::Fail))
        );
    }
}
