//! CSV: one finding per row, stable documented columns, safe to open in a spreadsheet.

use crate::finding::Finding;
use crate::report::sanitize::spreadsheet;
use crate::report::Report;
use std::io::{self, Write};

/// The columns, in order. Documented in docs/output.md; append new ones at the end only.
pub const COLUMNS: [&str; 23] = [
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
    "baseline",
    "suppressed",
    "suppression_reason",
    "also_fails",
];

/// `--csv-delimiter` and `--csv-bom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// The field separator (one ASCII character).
    pub delimiter: u8,
    /// Start with a UTF-8 byte order mark, so that Excel reads the file as UTF-8.
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            bom: false,
        }
    }
}

/// Parses a delimiter: one ASCII character other than a quote or line break, or
/// `tab` / `\t`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => return Ok(b'\t'),
        _ => {}
    }
    match text.as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') && !b.is_ascii_alphanumeric() => {
            Ok(*b)
        }
        _ => Err(format!(
            "`{}` is not a CSV delimiter: use one punctuation character such as `,` `;` `|`, or `tab`",
            text.escape_debug()
        )),
    }
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_with(report, CsvOptions::default(), out)
}

pub fn write_with(report: &Report, options: CsvOptions, out: &mut dyn Write) -> io::Result<()> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut writer = ::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Always)
        .delimiter(options.delimiter)
        .from_writer(out);
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

/// A finding's evidence as `path=value; …`.
pub fn evidence_text(f: &Finding) -> String {
    f.evidence
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A finding's cells in [`COLUMNS`] order, not yet made spreadsheet-safe.
pub fn row(f: &Finding, as_of: &str) -> [String; 23] {
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
        evidence_text(f),
        f.remediation.trim().to_string(),
        f.references.labels().join("; "),
        as_of.to_string(),
        f.baseline
            .map(|b| b.as_str().to_string())
            .unwrap_or_default(),
        f.suppressed.is_some().to_string(),
        f.suppressed
            .as_ref()
            .map(|s| s.reason.clone())
            .unwrap_or_default(),
        f.also_fails.join("; "),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_one_safe_character() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("|"), Ok(b'|'));
        for bad in ["", ";;", "\"", "a", "7", "é"] {
            assert!(parse_delimiter(bad).is_err(), "{bad}");
        }
    }
}
