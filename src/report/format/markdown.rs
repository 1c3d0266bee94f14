//! Markdown: a summary for a CI job summary or a pull-request comment. Counts by
//! severity, then the top findings (new ones first when a baseline was given); every
//! value from the inventory is escaped so that it cannot break the table, start a code
//! span, inject HTML or mention someone.

use crate::finding::{BaselineState, Finding};
use crate::report::sanitize::terminal;
use crate::report::Report;
use crate::rules::Severity;
use std::io::{self, Write};

/// How many findings the table lists by default.
pub const DEFAULT_TOP: usize = 20;

pub fn write(report: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    let total = summary.findings;
    writeln!(
        out,
        "## nhiscan: {total} finding{}\n",
        if total == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "{} identities and {} credentials scanned as of {}.\n",
        report.inventory.identities,
        report.inventory.credentials,
        report.scan.as_of.format("%Y-%m-%d %H:%M UTC")
    )?;
    if let Some(b) = &report.baseline {
        writeln!(
            out,
            "**{} new** since the baseline of {} · {} existing · {} resolved\n",
            summary.new.unwrap_or(0),
            b.as_of.format("%Y-%m-%d"),
            summary.existing.unwrap_or(0),
            b.resolved
        )?;
    }
    write_counts(report, out)?;
    write_top(report, top, out)?;
    write_notes(report, out)
}

fn write_counts(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.summary.findings == 0 {
        return writeln!(out, "No findings.\n");
    }
    let with_new = report.baseline.is_some();
    let mut new_by: std::collections::BTreeMap<Severity, usize> = Default::default();
    if with_new {
        for f in report.findings.iter() {
            if f.baseline == Some(BaselineState::New) {
                *new_by.entry(f.severity).or_default() += 1;
            }
        }
    }
    if with_new {
        writeln!(out, "| Severity | Findings | New |\n|---|---:|---:|")?;
    } else {
        writeln!(out, "| Severity | Findings |\n|---|---:|")?;
    }
    for s in Severity::descending() {
        let n = report.summary.by_severity.get(&s).copied().unwrap_or(0);
        if with_new {
            let new = new_by.get(&s).copied().unwrap_or(0);
            writeln!(out, "| {s} | {n} | {new} |")?;
        } else {
            writeln!(out, "| {s} | {n} |")?;
        }
    }
    writeln!(out)
}

/// The first `top` findings: new ones first, then existing, suppressed ones last.
fn write_top(report: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    if report.summary.findings == 0 || top == 0 {
        return Ok(());
    }
    let rank = |f: &Finding| match (f.suppressed.is_some(), f.baseline) {
        (true, _) => 2,
        (false, Some(BaselineState::Existing)) => 1,
        _ => 0,
    };
    let mut rows: Vec<Finding> = Vec::with_capacity(top.min(report.summary.findings));
    for pass in 0..3 {
        if rows.len() >= top {
            break;
        }
        let wanted = top - rows.len();
        rows.extend(
            report
                .findings
                .iter()
                .filter(|f| rank(f) == pass)
                .take(wanted),
        );
    }
    writeln!(
        out,
        "### {} finding{}\n",
        if rows.len() < report.summary.findings {
            format!("Top {}", rows.len())
        } else {
            "All".to_string()
        },
        if rows.len() == 1 { "" } else { "s" }
    )?;
    // A status column only when there is a status to show.
    let with_status = report.baseline.is_some() || report.suppressions.is_some();
    if with_status {
        writeln!(
            out,
            "| Severity | Status | Rule | Entity | Scope | Owner | Finding |\n|---|---|---|---|---|---|---|"
        )?;
    } else {
        writeln!(
            out,
            "| Severity | Rule | Entity | Scope | Owner | Finding |\n|---|---|---|---|---|---|"
        )?;
    }
    for f in &rows {
        let status = match (&f.suppressed, f.baseline) {
            (Some(s), _) => format!(" suppressed: {} |", cell(&s.reason)),
            (None, Some(b)) => format!(" {} |", b.as_str()),
            (None, None) if with_status => " |".to_string(),
            (None, None) => String::new(),
        };
        let entity = match &f.entity.name {
            Some(name) if name != &f.entity.id => {
                format!("{} ({})", cell(name), cell(&f.entity.id))
            }
            _ => cell(&f.entity.id),
        };
        let owner = match &f.owner {
            Some(o) => format!("{} ({})", cell(o), f.owner_status.as_str()),
            None => format!("({})", f.owner_status.as_str()),
        };
        writeln!(
            out,
            "| {} |{status} {} | {entity} | {} {} | {owner} | {} |",
            f.severity,
            cell(&format!(
                "{}{}",
                f.rule_id,
                crate::report::format::table::also_fails(f)
            )),
            f.entity.provider,
            cell(&f.entity.scope.to_string()),
            cell(&f.message)
        )?;
    }
    if rows.len() < report.summary.findings {
        writeln!(
            out,
            "\n…and {} more: see the full report.",
            report.summary.findings - rows.len()
        )?;
    }
    writeln!(out)
}

fn write_notes(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let gaps: Vec<String> = report
        .coverage
        .iter()
        .filter(|c| c.status.is_incomplete())
        .map(|c| {
            format!(
                "- {} {}: {}",
                c.provider,
                cell(&c.target),
                cell(c.detail.as_deref().unwrap_or("not scanned"))
            )
        })
        .collect();
    if report.scan.incomplete {
        writeln!(
            out,
            "> [!WARNING]\n> The scan is incomplete: some sources or rules could not be scanned.\n"
        )?;
        for g in &gaps {
            writeln!(out, "{g}")?;
        }
        if !gaps.is_empty() {
            writeln!(out)?;
        }
    }
    if let Some(s) = &report.suppressions {
        writeln!(
            out,
            "{} finding(s) suppressed by {}.",
            s.suppressed,
            cell(&s.file)
        )?;
        for w in s.warnings() {
            writeln!(out, "- {}", cell(&w))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Text safe in a Markdown table cell: one line, control characters shown escaped,
/// `|` and backticks and other Markdown punctuation backslash-escaped, `<`, `>` and `&`
/// as entities, and a zero-width space after `@`, in `://` and `www.` so that it
/// mentions nobody and links nowhere.
pub fn cell(text: &str) -> String {
    let text = terminal(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if (c == ':' && out.ends_with(|p: char| p.is_ascii_alphanumeric()))
            && chars.peek() == Some(&'/')
        {
            out.push_str(":&#8203;");
            continue;
        }
        if c == '.' && (out.ends_with("www") || out.ends_with("WWW")) {
            out.push_str("&#8203;.");
            continue;
        }
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@&#8203;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_mention() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("`rm -rf`"), "\\`rm -rf\\`");
        assert_eq!(cell("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(cell("@acme/admins"), "@&#8203;acme/admins");
        assert_eq!(cell("[x](http://e)"), "\\[x\\](http:&#8203;//e)");
        assert_eq!(cell("l1\nl2"), "l1 l2");
        assert_eq!(cell("a\u{1b}[31m"), "a\\\\u{1b}\\[31m");
        assert_eq!(cell("plain-id_1"), "plain-id\\_1");
        assert_eq!(cell("see http://x.example"), "see http:&#8203;//x.example");
        assert_eq!(cell("www.x.example"), "www&#8203;.x.example");
        assert_eq!(cell("arn:aws:iam::1:role/a"), "arn:aws:iam::1:role/a");
    }
}
