//! `rules list` and `rules explain`.

use crate::frameworks::{self, Framework};
use crate::report::format::table::{header, new_table};
use crate::report::{Format, Style};
use crate::rules::remediation::{self, Audience};
use crate::rules::{References, Rule, RuleSet};
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

/// The formats of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
    /// The table of docs/rules.md, grouped by the folder each rule is in.
    Markdown,
}

pub fn write_list(
    set: &RuleSet,
    format: ListFormat,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let format = match format {
        ListFormat::Markdown => return write_markdown_list(set, out),
        ListFormat::Table => Format::Table,
        ListFormat::Csv => Format::Csv,
        ListFormat::Json => Format::Json,
    };
    match format {
        Format::Json => {
            let all: Vec<Listed> = set.rules.iter().map(listed).collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)
        }
        Format::Csv => {
            let mut w = crate::report::format::csv::safe_writer(out);
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
                    .map(|c| crate::report::sanitize::spreadsheet(c)),
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
                let frameworks = Framework::ALL
                    .iter()
                    .map(|f| {
                        refs.ids(*f)
                            .join(if *f == Framework::Cis { "; " } else { " " })
                    })
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

/// `rules list -f markdown`: one row per rule, grouped by the folder of its file
/// (`ownership`, `aws` ...), with the OWASP NHI, OWASP Agentic and CIS references.
fn write_markdown_list(set: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let folder = |rule: &Rule| {
        let path = rule.origin.trim_start_matches("builtin:rules/");
        path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string()
    };
    let mut rules: Vec<&Rule> = set.rules.iter().collect();
    rules.sort_by_key(|r| (folder(r), r.spec.id.clone()));
    let cell = crate::report::format::markdown::cell;
    writeln!(
        out,
        "| Rule | Area | Severity | What it flags | OWASP NHI | OWASP Agentic | CIS |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for rule in rules {
        let refs = &rule.spec.references;
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            rule.spec.id,
            folder(rule),
            rule.severity,
            cell(&rule.spec.title),
            refs.owasp_nhi.join(", "),
            refs.owasp_agentic.join(", "),
            cell(&refs.cis.join(", ")),
        )?;
    }
    Ok(())
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
    let judged: Vec<&str> = if s.filter.identity_types.is_empty() {
        vec!["non_human"]
    } else {
        s.filter.identity_types.iter().map(|t| t.as_str()).collect()
    };
    let whose = match s.applies_to {
        crate::rules::Target::Identity => "identities",
        crate::rules::Target::Credential => "credentials of identities",
    };
    writeln!(out, "judges: {whose} that are {}", judged.join(", "))?;
    if !s.supersedes.is_empty() {
        writeln!(
            out,
            "supersedes: {} (on an entity both match: one finding, listing them in also_fails)",
            s.supersedes.join(", ")
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
    write_remediation(rule, out)?;
    write_frameworks(&s.references, out)
}

/// Each remediation text as written, with whom it is for and what fills its
/// placeholders.
fn write_remediation(rule: &Rule, out: &mut dyn Write) -> io::Result<()> {
    let remediation = &rule.spec.remediation;
    let placeholders = remediation.placeholders().unwrap_or_default();
    writeln!(out, "\nRemediation")?;
    if !placeholders.is_empty() {
        writeln!(
            out,
            "  Each finding fills {} with its own values ({} where it has none).",
            placeholders
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            remediation::missing("path")
        )?;
    }
    for (audience, text) in remediation.texts() {
        let indent = match audience {
            Audience::All => "  ",
            audience => {
                match audience {
                    Audience::Default => writeln!(out, "  otherwise:")?,
                    audience => writeln!(out, "  {audience}:")?,
                }
                "    "
            }
        };
        writeln!(
            out,
            "{indent}{}",
            text.trim().replace('\n', &format!("\n{indent}"))
        )?;
    }
    Ok(())
}

/// The framework controls a rule tests, with their titles from the catalogs.
fn write_frameworks(references: &References, out: &mut dyn Write) -> io::Result<()> {
    let labels = references.labels();
    if labels.is_empty() && references.links.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nFrameworks")?;
    let catalogs = frameworks::catalogs().ok();
    for framework in Framework::ALL {
        for id in references.ids(framework) {
            let title = catalogs
                .and_then(|c| c.get(framework).get(id))
                .map(|c| format!(" {}", c.title))
                .unwrap_or_default();
            writeln!(out, "  {}:{id}{title}", framework.label())?;
        }
    }
    for link in &references.links {
        writeln!(out, "  {link}")?;
    }
    Ok(())
}
