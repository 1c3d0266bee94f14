//! `rules list` and `rules explain`.

use super::table::{header, new_table};
use super::{Format, Style};
use crate::rules::Rule;
use crate::rules::RuleSet;
use comfy_table::Cell;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    title: &'a str,
    severity: crate::rules::Severity,
    confidence: crate::rules::Confidence,
    applies_to: crate::rules::Target,
    enabled: bool,
    origin: &'a str,
    params: &'a std::collections::BTreeMap<String, serde_json::Value>,
    references: &'a crate::rules::References,
}

fn listed(rule: &Rule) -> Listed<'_> {
    Listed {
        id: &rule.spec.id,
        title: &rule.spec.title,
        severity: rule.severity,
        confidence: rule.spec.confidence,
        applies_to: rule.spec.applies_to,
        enabled: rule.enabled,
        origin: &rule.origin,
        params: &rule.params,
        references: &rule.spec.references,
    }
}

pub fn write_list(
    set: &RuleSet,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => {
            let all: Vec<Listed> = set.rules.iter().map(listed).collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)
        }
        Format::Csv => {
            let mut w = super::csv::safe_writer(out);
            w.write_record([
                "id",
                "severity",
                "applies_to",
                "enabled",
                "title",
                "references",
                "origin",
            ])?;
            for r in &set.rules {
                w.write_record(
                    [
                        r.spec.id.clone(),
                        r.severity.to_string(),
                        r.spec.applies_to.as_str().to_string(),
                        r.enabled.to_string(),
                        r.spec.title.clone(),
                        r.spec.references.labels().join("; "),
                        r.origin.clone(),
                    ]
                    .iter()
                    .map(|c| super::sanitize::spreadsheet(c)),
                )?;
            }
            w.flush()
        }
        Format::Table => {
            let mut table = new_table(style);
            table.set_header(header(
                &["Rule", "Severity", "On", "Title", "Frameworks"],
                style,
            ));
            for r in &set.rules {
                let id = if r.enabled {
                    r.spec.id.clone()
                } else {
                    format!("{} (disabled)", r.spec.id)
                };
                let refs = &r.spec.references;
                let frameworks = [
                    refs.owasp_nhi.join(" "),
                    refs.cis.join("; "),
                    refs.nist_csf.join(" "),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
                table.add_row(vec![
                    Cell::new(id),
                    Cell::new(r.severity.as_str()),
                    Cell::new(r.spec.applies_to.as_str()),
                    Cell::new(&r.spec.title),
                    Cell::new(frameworks),
                ]);
            }
            writeln!(out, "{table}")?;
            writeln!(
                out,
                "{} rules. `nhiscan rules explain ID` shows one in full.",
                set.rules.len()
            )
        }
    }
}

pub fn write_explain(rule: &Rule, out: &mut dyn Write) -> io::Result<()> {
    let s = &rule.spec;
    writeln!(out, "{} — {}", s.id, s.title)?;
    writeln!(
        out,
        "severity {} · confidence {} · applies to {}{}",
        rule.severity,
        s.confidence.as_str(),
        s.applies_to.as_str(),
        if rule.enabled { "" } else { " · DISABLED" }
    )?;
    writeln!(out, "source: {}", rule.origin)?;
    if !s.filter.providers.is_empty() || !s.filter.kinds.is_empty() {
        let providers: Vec<String> = s.filter.providers.iter().map(|p| p.to_string()).collect();
        writeln!(
            out,
            "only: {} {}",
            providers.join(", "),
            s.filter.kinds.join(", ")
        )?;
    }
    writeln!(
        out,
        "\nWhy it matters\n  {}",
        s.description.trim().replace('\n', "\n  ")
    )?;
    writeln!(
        out,
        "\nMatches when\n  {}",
        s.when.trim().replace('\n', "\n  ")
    )?;
    if !rule.params.is_empty() {
        writeln!(
            out,
            "\nParameters (override with --set {}.NAME=VALUE or [rules.{}] in nhiscan.toml)",
            s.id, s.id
        )?;
        for (k, v) in &rule.params {
            let default = s
                .params
                .get(k)
                .filter(|d| *d != v)
                .map(|d| format!(" (default {d})"))
                .unwrap_or_default();
            writeln!(out, "  {k} = {v}{default}")?;
        }
    }
    writeln!(
        out,
        "\nRemediation\n  {}",
        s.remediation.trim().replace('\n', "\n  ")
    )?;
    let labels = s.references.labels();
    if !labels.is_empty() {
        writeln!(out, "\nFrameworks\n  {}", labels.join("\n  "))?;
    }
    for link in &s.references.links {
        writeln!(out, "  {link}")?;
    }
    Ok(())
}
