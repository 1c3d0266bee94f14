//! The terminal table: findings most severe first, then a summary and coverage notes.

use crate::inventory::{Coverage, CoverageStatus};
use crate::report::sanitize::terminal;
use crate::report::{Report, Style};
use crate::rules::Severity;
use comfy_table::{
    presets, Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width,
};
use std::io::{self, Write};

pub fn write(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        let mut table = new_table(style);
        table.set_header(header(&["Severity", "Entity", "Finding"], style));
        for f in report.findings.iter() {
            let owner = match &f.owner {
                Some(o) => format!("{} ({})", terminal(o), f.owner_status.as_str()),
                None => format!("({})", f.owner_status.as_str()),
            };
            let entity = format!(
                "{}\n{} {} · {}\nowner: {}",
                terminal(f.entity.label()),
                f.entity.provider,
                terminal(&f.entity.kind),
                terminal(&f.entity.scope.id),
                owner
            );
            let marker = match (&f.suppressed, f.baseline) {
                (Some(_), _) => Some("suppressed"),
                (None, Some(b)) => Some(b.as_str()),
                (None, None) => None,
            };
            table.add_row(vec![
                severity_cell(f.severity, marker, style),
                Cell::new(entity),
                Cell::new(format!(
                    "{}{}\n{}",
                    f.rule_id,
                    also_fails(&f),
                    terminal(&f.message)
                )),
            ]);
        }
        if let Some(column) = table.column_mut(1) {
            column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(
                (style.width / 3).max(24),
            )));
        }
        writeln!(out, "{table}")?;
    }
    writeln!(out)?;
    write_summary(report, style, out)
}

fn write_summary(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let counts: Vec<String> = Severity::descending()
        .filter_map(|s| {
            report
                .summary
                .by_severity
                .get(&s)
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    writeln!(
        out,
        "{} finding{}{} in {} identities and {} credentials (as of {}).",
        report.summary.findings,
        if report.summary.findings == 1 {
            ""
        } else {
            "s"
        },
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        report.inventory.identities,
        report.inventory.credentials,
        report.scan.as_of.format("%Y-%m-%d %H:%M UTC"),
    )?;
    if !report.summary.by_rule.is_empty() {
        let mut table = new_table(style);
        table.set_header(header(&["Rule", "Findings", "Provider", "Findings"], style));
        let rules: Vec<(&String, &usize)> = report.summary.by_rule.iter().collect();
        let providers: Vec<String> = report
            .summary
            .by_provider
            .iter()
            .map(|(p, n)| format!("{p}\t{n}"))
            .collect();
        for i in 0..rules.len().max(providers.len()) {
            let (rule, n) = rules
                .get(i)
                .map(|(r, n)| (r.to_string(), n.to_string()))
                .unwrap_or_default();
            let (provider, pn) = providers
                .get(i)
                .and_then(|p| p.split_once('\t'))
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .unwrap_or_default();
            table.add_row(vec![rule, n, provider, pn]);
        }
        writeln!(out, "{table}")?;
    }
    if let Some(b) = &report.baseline {
        writeln!(
            out,
            "Baseline {} (as of {}): {} new, {} existing, {} resolved.",
            terminal(&b.file),
            b.as_of.format("%Y-%m-%d %H:%M UTC"),
            report.summary.new.unwrap_or(0),
            report.summary.existing.unwrap_or(0),
            b.resolved
        )?;
    }
    if let Some(s) = &report.suppressions {
        writeln!(
            out,
            "Suppressions {}: {} finding(s) suppressed by {} entries.",
            terminal(&s.file),
            s.suppressed,
            s.entries
        )?;
        for line in s.warnings() {
            writeln!(out, "warning: {}", terminal(&line))?;
        }
    }
    write_coverage_gaps(&report.coverage, out)?;
    if !report.rule_errors.is_empty() {
        writeln!(
            out,
            "warning: {} rule evaluation(s) failed; the JSON report lists them (first: rule `{}` on `{}`: {})",
            report.rule_errors.len(),
            report.rule_errors[0].rule_id,
            terminal(&report.rule_errors[0].entity_id),
            terminal(&report.rule_errors[0].message),
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

/// A table in the house style for `style`.
/// One `coverage:` line per source that was not fully scanned, with why.
pub fn write_coverage_gaps(coverage: &[Coverage], out: &mut dyn Write) -> io::Result<()> {
    for c in coverage {
        if c.status != CoverageStatus::Scanned {
            writeln!(
                out,
                "coverage: {} {} {:?}: {}",
                c.provider,
                terminal(&c.target),
                c.status,
                terminal(c.detail.as_deref().unwrap_or("no detail"))
            )?;
        }
    }
    Ok(())
}

pub fn new_table(style: Style) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width);
    if !style.color {
        table.force_no_tty();
    }
    table
}

pub fn header(names: &[&str], style: Style) -> Vec<Cell> {
    names
        .iter()
        .map(|n| {
            let cell = Cell::new(n);
            if style.color {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        })
        .collect()
}

/// The severity, with `new`, `existing` or `suppressed` under it when known.
fn severity_cell(severity: Severity, marker: Option<&str>, style: Style) -> Cell {
    let cell = match marker {
        Some(m) => Cell::new(format!("{}\n{m}", severity.as_str())),
        None => Cell::new(severity.as_str()),
    };
    if !style.color {
        return cell;
    }
    match severity {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
        Severity::Info => cell,
    }
}

/// ` (also fails: a, b)` for a finding that stands for other rules too, else nothing.
pub(crate) fn also_fails(f: &crate::finding::Finding) -> String {
    if f.also_fails.is_empty() {
        String::new()
    } else {
        format!(" (also fails: {})", f.also_fails.join(", "))
    }
}
