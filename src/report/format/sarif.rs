//! SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer): one rule descriptor per
//! enabled rule, with help text, `security-severity`, `precision` and tags; one result
//! per finding. A cloud resource has no file, and GitHub refuses results without one,
//! so each result carries a synthetic artifact `nhiscan/<provider>/<scope id>` (line 1)
//! beside a logical location naming the resource; the finding id is its fingerprint.

use crate::finding::{BaselineState, Finding};
use crate::report::Report;
use crate::rules::{Confidence, Rule, RuleSet, Severity};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, Write};

/// GitHub accepts at most this many results per run; the most severe are kept.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub reads at most this many tags per rule.
const MAX_TAGS: usize = 20;

/// Characters kept as they are in a path segment of the synthetic artifact URI.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn write(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(report, rules))?;
    writeln!(out)
}

/// The whole SARIF log.
pub fn document(report: &Report, rules: &RuleSet) -> Value {
    let enabled: Vec<&Rule> = rules.rules.iter().filter(|r| r.enabled).collect();
    let index: HashMap<&str, usize> = enabled
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id(), i))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .take(MAX_RESULTS)
        .map(|f| result(&f, index.get(f.rule_id.as_str()).copied()))
        .collect();
    let omitted = report.findings.len().saturating_sub(MAX_RESULTS);
    let mut notifications: Vec<Value> = report
        .coverage
        .iter()
        .filter(|c| c.status.is_incomplete())
        .map(|c| {
            json!({
                "level": "warning",
                "message": { "text": format!("{} {}: {}", c.provider, c.target,
                    c.detail.as_deref().unwrap_or("not scanned")) },
            })
        })
        .collect();
    if omitted > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!("{omitted} less severe findings were left out: GitHub accepts {MAX_RESULTS} results per run; the JSON report has them all") },
        }));
    }
    let mut run = json!({
        "tool": { "driver": {
            "name": "nhiscan",
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": enabled.iter().map(|r| descriptor(r)).collect::<Vec<_>>(),
        }},
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
        "properties": {
            "as_of": report.scan.as_of.to_rfc3339(),
            "incomplete": report.scan.incomplete,
        },
    });
    if omitted > 0 {
        run["properties"]["results_omitted"] = json!(omitted);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn descriptor(rule: &Rule) -> Value {
    let spec = &rule.spec;
    let remediation = spec.remediation.describe();
    let references = rule.shared.references.labels();
    let mut text = format!(
        "{}\n\n{}\n\nRemediation:\n{remediation}",
        spec.title,
        spec.description.trim()
    );
    let mut markdown = format!(
        "**{}**\n\n{}\n\n**Remediation**\n\n{remediation}",
        spec.title,
        spec.description.trim()
    );
    if !references.is_empty() {
        text.push_str(&format!("\n\nReferences: {}", references.join("; ")));
        markdown.push_str(&format!("\n\n**References**: {}", references.join("; ")));
    }
    for link in &rule.shared.references.links {
        text.push_str(&format!("\n{link}"));
        markdown.push_str(&format!("\n- <{link}>"));
    }
    let mut tags = vec![
        "security".to_string(),
        "non-human-identity".to_string(),
        spec.applies_to.as_str().to_string(),
    ];
    tags.extend(references);
    tags.truncate(MAX_TAGS);
    let mut properties = json!({ "precision": precision(spec.confidence), "tags": tags });
    if let Some(score) = security_severity(rule.severity) {
        properties["security-severity"] = json!(score);
    }
    let mut d = json!({
        "id": spec.id,
        "name": spec.id,
        "shortDescription": { "text": spec.title },
        "fullDescription": { "text": spec.description.trim() },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": properties,
    });
    if let Some(link) = rule.shared.references.links.first() {
        d["helpUri"] = json!(link);
    }
    d
}

/// The synthetic artifact of a finding: `nhiscan/<provider>/<scope id>`.
pub fn artifact_uri(f: &Finding) -> String {
    format!(
        "nhiscan/{}/{}",
        f.entity.provider,
        utf8_percent_encode(&f.entity.scope.id, SEGMENT)
    )
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let mut r = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(f) },
                "region": { "startLine": 1 },
            },
            "logicalLocations": [{
                "name": f.entity.label(),
                "fullyQualifiedName": f.entity.id,
                "kind": "resource",
            }],
        }],
        "partialFingerprints": { "nhiscanFindingId/v1": f.id },
        "properties": {
            "finding_id": f.id,
            "severity": f.severity.as_str(),
            "provider": f.entity.provider.as_str(),
            "scope": f.entity.scope.to_string(),
            "entity_type": f.entity.target.as_str(),
            "entity_kind": f.entity.kind,
            "owner_status": f.owner_status.as_str(),
            "evidence": f.evidence,
        },
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(owner) = &f.owner {
        r["properties"]["owner"] = json!(owner);
    }
    if let Some(identity) = &f.entity.identity_id {
        r["properties"]["identity_id"] = json!(identity);
    }
    if !f.also_fails.is_empty() {
        r["properties"]["also_fails"] = json!(f.also_fails);
    }
    if let Some(b) = f.baseline {
        r["baselineState"] = json!(match b {
            BaselineState::New => "new",
            BaselineState::Existing => "unchanged",
        });
    }
    if let Some(s) = &f.suppressed {
        let mut suppression = json!({
            "kind": "external",
            "status": "accepted",
            "justification": s.reason,
            "properties": { "source": s.source },
        });
        if let Some(expires) = s.expires {
            suppression["properties"]["expires"] = json!(expires.to_rfc3339());
        }
        r["suppressions"] = json!([suppression]);
    }
    r
}
