//! `nhiscan diff` as a terminal table or Markdown (JSON is the [`Diff`] itself).

use super::{Changed, Diff};
use crate::finding::{EntityRef, Finding};
use crate::report::format::markdown::cell;
use crate::report::sanitize::terminal;
use std::io::{self, Write};

fn headline(diff: &Diff) -> String {
    let s = &diff.summary;
    format!(
        "{} new, {} resolved, {} changed finding(s); {} new and {} removed identities, {} new and {} removed credentials",
        s.new, s.resolved, s.changed, s.new_identities, s.removed_identities, s.new_credentials, s.removed_credentials
    )
}

fn change_text(c: &Changed) -> String {
    let mut parts = Vec::new();
    if let Some(old) = c.old_severity {
        parts.push(format!("severity {old} → {}", c.finding.severity));
    }
    for e in &c.evidence {
        let show = |v: &Option<serde_json::Value>| match v {
            None => "(none)".to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        parts.push(format!("{}: {} → {}", e.path, show(&e.old), show(&e.new)));
    }
    parts.join("; ")
}

pub fn write_table(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}) → {} ({})",
        terminal(&diff.old.file),
        diff.old.as_of.format("%Y-%m-%d"),
        terminal(&diff.new.file),
        diff.new.as_of.format("%Y-%m-%d")
    )?;
    writeln!(out, "{}.", headline(diff))?;
    let finding_line = |f: &Finding| {
        format!(
            "  {:<8} {}  {} ({} {})  {}",
            f.severity.as_str(),
            f.rule_id,
            terminal(f.entity.label()),
            f.entity.provider,
            terminal(&f.entity.scope.id),
            terminal(&f.message)
        )
    };
    let sections: [(&str, Vec<String>); 3] = [
        (
            "New findings",
            diff.new_findings.iter().map(finding_line).collect(),
        ),
        (
            "Resolved findings",
            diff.resolved_findings.iter().map(finding_line).collect(),
        ),
        (
            "Changed findings",
            diff.changed_findings
                .iter()
                .map(|c| {
                    format!(
                        "{}\n      {}",
                        finding_line(&c.finding),
                        terminal(&change_text(c))
                    )
                })
                .collect(),
        ),
    ];
    for (title, lines) in sections {
        if !lines.is_empty() {
            writeln!(out, "\n{title} ({}):", lines.len())?;
            for line in lines {
                writeln!(out, "{line}")?;
            }
        }
    }
    let entity_line = |e: &EntityRef| {
        format!(
            "  {} {} {} ({} {})",
            e.target.as_str(),
            terminal(&e.kind),
            terminal(e.label()),
            e.provider,
            terminal(&e.scope.id)
        )
    };
    if diff.entities_compared {
        for (title, list) in [
            ("New", &diff.new_entities),
            ("Removed", &diff.removed_entities),
        ] {
            if !list.is_empty() {
                writeln!(
                    out,
                    "\n{title} identities and credentials ({}):",
                    list.len()
                )?;
                for e in list {
                    writeln!(out, "{}", entity_line(e))?;
                }
            }
        }
    } else {
        writeln!(
            out,
            "\nIdentities not compared: a report has no entity list (written by an older nhiscan)."
        )?;
    }
    Ok(())
}

pub fn write_markdown(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "## nhiscan: changes from {} to {}\n",
        diff.old.as_of.format("%Y-%m-%d"),
        diff.new.as_of.format("%Y-%m-%d")
    )?;
    writeln!(out, "{}.\n", headline(diff))?;
    let header = "| Severity | Rule | Entity | Scope | Finding |\n|---|---|---|---|---|";
    let row = |f: &Finding| {
        format!(
            "| {} | {} | {} | {} {} | {} |",
            f.severity,
            cell(&f.rule_id),
            cell(f.entity.label()),
            f.entity.provider,
            cell(&f.entity.scope.id),
            cell(&f.message)
        )
    };
    for (title, list) in [
        ("New findings", &diff.new_findings),
        ("Resolved findings", &diff.resolved_findings),
    ] {
        if !list.is_empty() {
            writeln!(out, "### {title} ({})\n\n{header}", list.len())?;
            for f in list {
                writeln!(out, "{}", row(f))?;
            }
            writeln!(out)?;
        }
    }
    if !diff.changed_findings.is_empty() {
        writeln!(
            out,
            "### Changed findings ({})\n\n| Severity | Rule | Entity | Change |\n|---|---|---|---|",
            diff.changed_findings.len()
        )?;
        for c in &diff.changed_findings {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.finding.severity,
                cell(&c.finding.rule_id),
                cell(c.finding.entity.label()),
                cell(&change_text(c))
            )?;
        }
        writeln!(out)?;
    }
    if diff.entities_compared {
        for (title, list) in [
            ("New", &diff.new_entities),
            ("Removed", &diff.removed_entities),
        ] {
            if !list.is_empty() {
                writeln!(
                    out,
                    "### {title} identities and credentials ({})\n\n| Type | Kind | Name | Id | Scope |\n|---|---|---|---|---|",
                    list.len()
                )?;
                for e in list {
                    writeln!(
                        out,
                        "| {} | {} | {} | {} | {} {} |",
                        e.target.as_str(),
                        cell(&e.kind),
                        cell(e.label()),
                        cell(&e.id),
                        e.provider,
                        cell(&e.scope.id)
                    )?;
                }
                writeln!(out)?;
            }
        }
    } else {
        writeln!(
            out,
            "Identities were not compared: a report has no entity list (written by an older nhiscan).\n"
        )?;
    }
    Ok(())
}
