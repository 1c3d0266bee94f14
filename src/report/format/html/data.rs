//! The findings as the page's script reads them: one JSON document, rows as arrays (the
//! column order is `F` in report.js) and the rules and shared remediation texts once each,
//! embedded gzip-compressed and base64-encoded (the page inflates it with the browser's
//! `DecompressionStream`): 129,000 findings' JSON is 142 MiB, which a browser takes
//! 14 s to read from disk as page text (docs/performance.md).

use super::escape::visible;
use crate::finding::{BaselineState, Finding};
use crate::frameworks::Framework;
use crate::report::Report;
use crate::rules::{RuleSet, Severity};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

/// The severities in the page's order (index 0 = critical).
pub fn severity_index(severity: Severity) -> u8 {
    Severity::descending()
        .position(|s| s == severity)
        .unwrap_or_default() as u8
}

/// 0 counts, 1 suppressed, 2 already in the baseline.
fn state(finding: &Finding) -> u8 {
    if finding.suppressed.is_some() {
        1
    } else if finding.baseline == Some(BaselineState::Existing) {
        2
    } else {
        0
    }
}

#[derive(Serialize)]
struct RuleEntry<'a> {
    id: &'a str,
    title: String,
    frameworks: Vec<String>,
}

/// Writes the data as base64 of its gzip-compressed JSON: only `[A-Za-z0-9+/=]`, which
/// nothing in an inventory can turn into markup. Values from the inventory have their
/// control characters spelled out ([`visible`]).
pub fn write_embedded(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let base64 = base64::write::EncoderWriter::new(out, &base64::engine::general_purpose::STANDARD);
    let mut gzip = flate2::write::GzEncoder::new(base64, flate2::Compression::fast());
    write(report, rules, &mut gzip)?;
    gzip.finish()?.finish()?;
    Ok(())
}

/// Writes the JSON.
fn write(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let mut rule_index: HashMap<String, usize> = HashMap::new();
    let mut rule_entries: Vec<RuleEntry> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut text_index: HashMap<usize, usize> = HashMap::new();
    out.write_all(br#"{"findings":["#)?;
    for (n, finding) in report.findings.iter().enumerate() {
        let rule = match rule_index.get(&finding.rule_id) {
            Some(&i) => i,
            None => {
                let spec = rules.rules.iter().find(|r| r.spec.id == finding.rule_id);
                let frameworks = spec
                    .map(|r| {
                        Framework::ALL
                            .iter()
                            .flat_map(|f| r.spec.references.ids(*f).iter().cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                rule_entries.push(RuleEntry {
                    id: spec.map_or("", |r| r.spec.id.as_str()),
                    title: visible(&finding.title).into_owned(),
                    frameworks,
                });
                rule_index.insert(finding.rule_id.clone(), rule_entries.len() - 1);
                rule_entries.len() - 1
            }
        };
        // A rule's own remediation text is shared by its findings (one allocation, held by
        // the rule): written once, by index. One filled in for this entity is unique:
        // written in the row, so that the texts are not all kept until the end.
        // (Keyed by address, and checked: an address freed and reused is a new text.)
        let text = visible(&finding.remediation);
        let shared = Arc::strong_count(&finding.remediation) > 1;
        let key = Arc::as_ptr(&finding.remediation) as *const u8 as usize;
        let remediation = match text_index.get(&key) {
            Some(&i) if shared && texts[i] == *text => serde_json::Value::from(i),
            None if shared => {
                texts.push(text.into_owned());
                text_index.insert(key, texts.len() - 1);
                serde_json::Value::from(texts.len() - 1)
            }
            _ => serde_json::Value::from(text.into_owned()),
        };
        let entity = &finding.entity;
        let evidence = visible_json(&serde_json::to_value(&finding.evidence)?);
        let row = (
            &finding.id,
            rule,
            severity_index(finding.severity),
            entity.provider.as_str(),
            visible(&entity.scope.id),
            visible(&entity.kind),
            visible(&entity.id),
            entity.name.as_deref().map(visible),
            finding.owner.as_deref().map(visible),
            finding.owner_status.as_str(),
            visible(&finding.message),
            evidence,
            state(&finding),
            remediation,
            entity.identity_id.as_deref().map(visible),
        );
        if n > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &row)?;
    }
    out.write_all(br#"],"rules":"#)?;
    serde_json::to_writer(&mut *out, &rule_entries)?;
    out.write_all(br#","texts":"#)?;
    serde_json::to_writer(&mut *out, &texts)?;
    out.write_all(b"}")
}

/// A JSON value with control characters spelled out in every string, keys included.
fn visible_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(visible(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(visible_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (visible(k).into_owned(), visible_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}
