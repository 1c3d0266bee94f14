//! `nhiscan owners`: the ownership view an auditor hands out — per owner, how many
//! identities, credentials, AI agents and findings they answer for, with the unowned
//! entities as one row of their own; with `--list`, one row per owned entity, so that
//! each owner's list can be filtered out of one CSV.

use crate::enrich::owner::{OwnerStatus, ResolvedOwner};
use crate::enrich::Enriched;
use crate::finding::Hit;
use crate::report::format::csv::safe_writer;
use crate::report::format::table::{header, new_table};
use crate::report::sanitize::{spreadsheet, terminal};
use crate::report::Style;
use crate::rules::{Severity, Target};
use comfy_table::Cell;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

/// The owner label of entities nobody owns.
pub const UNOWNED: &str = "(unowned)";

/// One owner's totals.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerRow {
    pub owner: String,
    pub owner_status: OwnerStatus,
    /// Days since the owner left, when departed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departed_days: Option<i64>,
    pub identities: usize,
    pub credentials: usize,
    pub ai_agents: usize,
    pub findings: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

/// One owned (or unowned) entity with its findings.
#[derive(Debug, Clone, Serialize)]
pub struct EntityRow {
    pub owner: String,
    pub owner_status: OwnerStatus,
    pub entity_type: &'static str,
    pub provider: String,
    pub scope: String,
    pub kind: String,
    pub id: String,
    pub name: String,
    pub ai_agent: bool,
    pub findings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<Severity>,
    pub rules: Vec<String>,
}

struct Entity<'a> {
    owner: &'a ResolvedOwner,
    target: Target,
    index: usize,
}

fn owner_label(owner: &ResolvedOwner) -> String {
    match (&owner.owner, owner.status) {
        (Some(name), _) => name.to_string(),
        (None, _) => UNOWNED.to_string(),
    }
}

fn entities(enriched: &Enriched) -> impl Iterator<Item = Entity<'_>> {
    let identities = enriched
        .identity_facts
        .iter()
        .enumerate()
        .map(|(index, f)| Entity {
            owner: &f.owner,
            target: Target::Identity,
            index,
        });
    let credentials = (0..enriched.inventory.credentials.len()).map(|index| Entity {
        owner: enriched.credential_resolved_owner(index),
        target: Target::Credential,
        index,
    });
    identities.chain(credentials)
}

/// One entity's findings: the rules that fired and each finding's severity.
type EntityFindings<'a> = (BTreeSet<&'a str>, Vec<Severity>);

/// Findings per entity.
fn by_entity<'a>(hits: &[Hit<'a>]) -> HashMap<(Target, usize), EntityFindings<'a>> {
    let mut map: HashMap<(Target, usize), EntityFindings<'a>> = HashMap::new();
    for hit in hits {
        let entry = map.entry((hit.target, hit.index)).or_default();
        entry.0.insert(hit.rule_id);
        entry.1.push(hit.severity);
    }
    map
}

/// Severity order of owners: unowned first, then departed, unknown, then the rest;
/// within each, most findings first.
fn status_rank(status: OwnerStatus) -> u8 {
    match status {
        OwnerStatus::Missing => 0,
        OwnerStatus::Departed => 1,
        OwnerStatus::Unknown => 2,
        OwnerStatus::Present | OwnerStatus::Active => 3,
    }
}

/// Per-owner totals.
pub fn summarise(enriched: &Enriched, hits: &[Hit<'_>]) -> Vec<OwnerRow> {
    let findings = by_entity(hits);
    let mut rows: BTreeMap<String, OwnerRow> = BTreeMap::new();
    for entity in entities(enriched) {
        let label = owner_label(entity.owner);
        let row = rows
            .entry(label.to_lowercase())
            .or_insert_with(|| OwnerRow {
                owner: label,
                owner_status: entity.owner.status,
                departed_days: entity.owner.owner_departed_days.map(i64::from),
                identities: 0,
                credentials: 0,
                ai_agents: 0,
                findings: 0,
                critical: 0,
                high: 0,
                medium: 0,
                low: 0,
            });
        match entity.target {
            Target::Identity => {
                row.identities += 1;
                if enriched.identity_facts[entity.index].ai_agent {
                    row.ai_agents += 1;
                }
            }
            Target::Credential => row.credentials += 1,
        }
        if let Some((_, severities)) = findings.get(&(entity.target, entity.index)) {
            for severity in severities {
                row.findings += 1;
                match severity {
                    Severity::Critical => row.critical += 1,
                    Severity::High => row.high += 1,
                    Severity::Medium => row.medium += 1,
                    Severity::Low => row.low += 1,
                    Severity::Info => {}
                }
            }
        }
    }
    let mut rows: Vec<OwnerRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        status_rank(a.owner_status)
            .cmp(&status_rank(b.owner_status))
            .then(b.findings.cmp(&a.findings))
            .then(a.owner.cmp(&b.owner))
    });
    rows
}

/// One row per entity, grouped by owner in the order of [`summarise`].
pub fn list(enriched: &Enriched, hits: &[Hit<'_>]) -> Vec<EntityRow> {
    let findings = by_entity(hits);
    let mut rows: Vec<EntityRow> = entities(enriched)
        .map(|entity| {
            let (rules, worst) = match findings.get(&(entity.target, entity.index)) {
                Some((rules, severities)) => (
                    rules.iter().map(|r| r.to_string()).collect(),
                    severities.iter().max().copied(),
                ),
                None => (Vec::new(), None),
            };
            let count = findings
                .get(&(entity.target, entity.index))
                .map_or(0, |(_, s)| s.len());
            let (entity_type, provider, scope, kind, id, name, ai_agent) = match entity.target {
                Target::Identity => {
                    let (i, f) = enriched.identity(entity.index);
                    (
                        "identity",
                        i.provider.to_string(),
                        i.scope.to_string(),
                        i.kind.to_string(),
                        i.id.clone(),
                        i.name.clone(),
                        f.ai_agent,
                    )
                }
                Target::Credential => {
                    let (c, _) = enriched.credential(entity.index);
                    let ai = enriched
                        .credential_owner(entity.index)
                        .is_some_and(|i| enriched.identity_facts[i].ai_agent);
                    (
                        "credential",
                        c.provider.to_string(),
                        c.scope.to_string(),
                        c.kind.to_string(),
                        c.id.clone(),
                        c.name.clone().unwrap_or_default(),
                        ai,
                    )
                }
            };
            EntityRow {
                owner: owner_label(entity.owner),
                owner_status: entity.owner.status,
                entity_type,
                provider,
                scope,
                kind,
                id,
                name,
                ai_agent,
                findings: count,
                worst,
                rules,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        status_rank(a.owner_status)
            .cmp(&status_rank(b.owner_status))
            .then(a.owner.to_lowercase().cmp(&b.owner.to_lowercase()))
            .then(b.worst.cmp(&a.worst))
            .then(a.entity_type.cmp(b.entity_type))
            .then(a.id.cmp(&b.id))
    });
    rows
}

pub const OWNER_COLUMNS: [&str; 12] = [
    "owner",
    "owner_status",
    "departed_days",
    "identities",
    "credentials",
    "ai_agents",
    "findings",
    "critical",
    "high",
    "medium",
    "low",
    "share_of_findings",
];

pub const ENTITY_COLUMNS: [&str; 12] = [
    "owner",
    "owner_status",
    "entity_type",
    "provider",
    "scope",
    "kind",
    "id",
    "name",
    "ai_agent",
    "findings",
    "worst_severity",
    "rules",
];

fn owner_cells(row: &OwnerRow, total: usize) -> Vec<String> {
    let share = if total == 0 {
        0.0
    } else {
        row.findings as f64 * 100.0 / total as f64
    };
    vec![
        row.owner.clone(),
        row.owner_status.as_str().to_string(),
        row.departed_days.map(|d| d.to_string()).unwrap_or_default(),
        row.identities.to_string(),
        row.credentials.to_string(),
        row.ai_agents.to_string(),
        row.findings.to_string(),
        row.critical.to_string(),
        row.high.to_string(),
        row.medium.to_string(),
        row.low.to_string(),
        format!("{share:.1}%"),
    ]
}

fn entity_cells(row: &EntityRow) -> Vec<String> {
    vec![
        row.owner.clone(),
        row.owner_status.as_str().to_string(),
        row.entity_type.to_string(),
        row.provider.clone(),
        row.scope.clone(),
        row.kind.clone(),
        row.id.clone(),
        row.name.clone(),
        row.ai_agent.to_string(),
        row.findings.to_string(),
        row.worst.map(|s| s.to_string()).unwrap_or_default(),
        row.rules.join("; "),
    ]
}

pub fn write_csv_summary(rows: &[OwnerRow], out: &mut dyn Write) -> io::Result<()> {
    let total = rows.iter().map(|r| r.findings).sum();
    let mut w = safe_writer(out);
    w.write_record(OWNER_COLUMNS)?;
    for row in rows {
        w.write_record(owner_cells(row, total).iter().map(|c| spreadsheet(c)))?;
    }
    w.flush()
}

pub fn write_csv_list(rows: &[EntityRow], out: &mut dyn Write) -> io::Result<()> {
    let mut w = safe_writer(out);
    w.write_record(ENTITY_COLUMNS)?;
    for row in rows {
        w.write_record(entity_cells(row).iter().map(|c| spreadsheet(c)))?;
    }
    w.flush()
}

pub fn write_table_summary(rows: &[OwnerRow], style: Style, out: &mut dyn Write) -> io::Result<()> {
    let total: usize = rows.iter().map(|r| r.findings).sum();
    let mut table = new_table(style);
    table.set_header(header(
        &[
            "Owner",
            "Status",
            "Identities",
            "Credentials",
            "AI agents",
            "Findings",
            "C/H/M/L",
        ],
        style,
    ));
    for row in rows {
        let status = match row.departed_days {
            Some(days) => format!("{} ({days}d ago)", row.owner_status.as_str()),
            None => row.owner_status.as_str().to_string(),
        };
        table.add_row(
            [
                terminal(&row.owner),
                status,
                row.identities.to_string(),
                row.credentials.to_string(),
                row.ai_agents.to_string(),
                row.findings.to_string(),
                format!("{}/{}/{}/{}", row.critical, row.high, row.medium, row.low),
            ]
            .map(Cell::new),
        );
    }
    writeln!(out, "{table}")?;
    let unowned = rows
        .iter()
        .find(|r| r.owner == UNOWNED)
        .map_or(0, |r| r.identities + r.credentials);
    writeln!(
        out,
        "{} owners; {unowned} entities without an owner; {total} findings.",
        rows.iter().filter(|r| r.owner != UNOWNED).count()
    )
}

pub fn write_table_list(rows: &[EntityRow], style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut table = new_table(style);
    table.set_header(header(&["Owner", "Entity", "Findings", "Rules"], style));
    for row in rows {
        let owner = format!("{}\n({})", terminal(&row.owner), row.owner_status.as_str());
        let label = if row.name.is_empty() {
            &row.id
        } else {
            &row.name
        };
        let ai = if row.ai_agent { " · AI agent" } else { "" };
        let entity = format!(
            "{}\n{} {} {}{ai} · {}",
            terminal(label),
            row.provider,
            row.entity_type,
            row.kind,
            terminal(&row.scope)
        );
        let findings = match row.worst {
            Some(worst) => format!("{} (worst {worst})", row.findings),
            None => "0".into(),
        };
        table.add_row([owner, entity, findings, row.rules.join("\n")].map(Cell::new));
    }
    writeln!(out, "{table}")?;
    writeln!(out, "{} entities.", rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unowned_and_departed_owners_come_first() {
        let rank: Vec<u8> = [
            OwnerStatus::Active,
            OwnerStatus::Missing,
            OwnerStatus::Unknown,
            OwnerStatus::Departed,
        ]
        .into_iter()
        .map(status_rank)
        .collect();
        assert_eq!(rank, [3, 0, 2, 1]);
    }
}
