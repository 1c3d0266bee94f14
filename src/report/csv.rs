//! CSV: one finding per row, stable documented columns, safe to open in a spreadsheet.

use super::sanitize::spreadsheet;
use super::Report;
use crate::finding::Finding;
use std::io::{self, Write};

/// The columns, in order. Documented in the README; append new ones at the end only.
pub const COLUMNS: [&str; 19] = [
    "finding_id",
    "severity",
    "confidence",
    "rule_id",
    "title",
    "provider",
    "scope",
    "entity_type",
    "entity_kind",
    "entity_id",
    "entity_name",
    "identity_id",
    "owner",
    "owner_status",
    "message",
    "evidence",
    "remediation",
    "references",
    "as_of",
];

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = safe_writer(out);
    writer.write_record(COLUMNS)?;
    let as_of = report.scan.as_of.to_rfc3339();
    for f in report.findings.iter() {
        writer.write_record(row(&f, &as_of).iter().map(|cell| spreadsheet(cell)))?;
    }
    writer.flush()
}

/// A CSV writer that quotes every cell (with the `'` prefix, OWASP's advice).
pub fn safe_writer(out: &mut dyn Write) -> ::csv::Writer<&mut dyn Write> {
    ::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Always)
        .from_writer(out)
}

fn row(f: &Finding, as_of: &str) -> [String; 19] {
    let evidence = f
        .evidence
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    [
        f.id.clone(),
        f.severity.to_string(),
        f.confidence.as_str().to_string(),
        f.rule_id.clone(),
        f.title.to_string(),
        f.entity.provider.to_string(),
        f.entity.scope.to_string(),
        f.entity.target.as_str().to_string(),
        f.entity.kind.clone(),
        f.entity.id.clone(),
        f.entity.name.clone().unwrap_or_default(),
        f.entity.identity_id.clone().unwrap_or_default(),
        f.owner.clone().unwrap_or_default(),
        f.owner_status.as_str().to_string(),
        f.message.clone(),
        evidence,
        f.remediation.trim().to_string(),
        f.references.labels().join("; "),
        as_of.to_string(),
    ]
}
