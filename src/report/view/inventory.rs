//! `nhiscan inventory`: what was discovered, as a table, CSV or the JSON inventory.

use crate::enrich::Enriched;
use crate::inventory::Inventory;
use crate::report::format::csv::safe_writer;
use crate::report::format::table::{header, new_table};
use crate::report::sanitize::{spreadsheet, terminal};
use crate::report::Style;
use chrono::{DateTime, Utc};
use comfy_table::Cell;
use std::io::{self, Write};

/// What `nhiscan inventory` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Identities,
    Credentials,
    /// Identities classified as AI agents, with the signals that decided it.
    AiAgents,
}

pub const IDENTITY_COLUMNS: [&str; 21] = [
    "provider",
    "scope",
    "kind",
    "id",
    "name",
    "enabled",
    "owner",
    "owner_status",
    "created",
    "last_activity",
    "age_days",
    "days_since_activity",
    "credentials",
    "active_static_keys",
    "interactive_login",
    "admin",
    "policies",
    "ai_agent",
    "ai_signals",
    "identity_type",
    "identity_type_signals",
];

pub const CREDENTIAL_COLUMNS: [&str; 16] = [
    "provider",
    "scope",
    "kind",
    "id",
    "name",
    "identity_id",
    "status",
    "owner",
    "owner_status",
    "created",
    "expires",
    "last_used",
    "last_rotated",
    "age_days",
    "days_to_expiry",
    "location",
];

fn date(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn num(n: Option<impl ToString>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

pub(crate) fn identity_rows(
    enriched: &Enriched,
    ai_only: bool,
) -> impl Iterator<Item = Vec<String>> + '_ {
    (0..enriched.inventory.identities.len())
        .filter(move |i| !ai_only || enriched.identity_facts[*i].ai_agent)
        .map(move |i| {
            let (id, f) = enriched.identity(i);
            vec![
                id.provider.to_string(),
                id.scope.to_string(),
                id.kind.to_string(),
                id.id.clone(),
                id.name.clone(),
                id.enabled.to_string(),
                f.owner.owner.as_deref().unwrap_or_default().to_string(),
                f.owner.status.as_str().to_string(),
                date(id.created),
                date(id.last_activity),
                num(f.age_days),
                num(f.days_since_activity),
                f.credential_count.to_string(),
                f.active_static_key_count.to_string(),
                id.interactive_login.to_string(),
                id.permissions.admin.to_string(),
                id.permissions.policies.join("; "),
                f.ai_agent.to_string(),
                f.ai_signals.join("; "),
                f.identity_type.to_string(),
                f.identity_type_signals.join("; "),
            ]
        })
}

pub(crate) fn credential_rows(enriched: &Enriched) -> impl Iterator<Item = Vec<String>> + '_ {
    (0..enriched.inventory.credentials.len()).map(move |i| {
        let (c, f) = enriched.credential(i);
        let location = [c.location.region.as_deref(), c.location.vault.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        vec![
            c.provider.to_string(),
            c.scope.to_string(),
            c.kind.to_string(),
            c.id.clone(),
            c.name.clone().unwrap_or_default(),
            c.identity_id.clone().unwrap_or_default(),
            c.status.as_str().to_string(),
            f.owner.owner.as_deref().unwrap_or_default().to_string(),
            f.owner.status.as_str().to_string(),
            date(c.created),
            date(c.expires),
            date(c.last_used),
            date(c.last_rotated),
            num(f.age_days),
            num(f.days_to_expiry),
            location,
        ]
    })
}

pub fn write_csv(enriched: &Enriched, view: View, out: &mut dyn Write) -> io::Result<()> {
    let mut w = safe_writer(out);
    if view == View::Credentials {
        w.write_record(CREDENTIAL_COLUMNS)?;
        for row in credential_rows(enriched) {
            w.write_record(row.iter().map(|c| spreadsheet(c)))?;
        }
    } else {
        w.write_record(IDENTITY_COLUMNS)?;
        for row in identity_rows(enriched, view == View::AiAgents) {
            w.write_record(row.iter().map(|c| spreadsheet(c)))?;
        }
    }
    w.flush()
}

pub fn write_table(
    enriched: &Enriched,
    view: View,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut table = new_table(style);
    if view == View::AiAgents {
        table.set_header(header(&["AI agent", "Owner", "Keys", "Signals"], style));
        let mut shown = 0;
        for r in identity_rows(enriched, true) {
            let r: Vec<String> = r.iter().map(|c| terminal(c)).collect();
            let identity = format!("{}\n{} {} · {}", r[4], r[0], r[2], r[1]);
            let signals = compact_signals(&r[18]);
            table.add_row([&identity, &owner_label(&r[6], &r[7]), &r[13], &signals].map(Cell::new));
            shown += 1;
        }
        writeln!(out, "{table}")?;
        return writeln!(
            out,
            "{shown} AI agents among {} identities.",
            enriched.inventory.identities.len()
        );
    }
    if view == View::Credentials {
        table.set_header(header(
            &[
                "Credential",
                "Status",
                "Owner",
                "Age",
                "Expires",
                "Last used",
            ],
            style,
        ));
        for r in credential_rows(enriched) {
            let r: Vec<String> = r.iter().map(|c| terminal(c)).collect();
            let label = if r[4].is_empty() { &r[3] } else { &r[4] };
            let credential = format!("{label}\n{} {} · {}", r[0], r[2], r[1]);
            table.add_row(
                [
                    &credential,
                    &r[6],
                    &owner_label(&r[7], &r[8]),
                    &days(&r[13]),
                    &r[10],
                    &r[11],
                ]
                .map(Cell::new),
            );
        }
    } else {
        table.set_header(header(
            &["Identity", "Owner", "Age", "Last activity", "Keys"],
            style,
        ));
        for r in identity_rows(enriched, false) {
            let r: Vec<String> = r.iter().map(|c| terminal(c)).collect();
            let identity = format!("{}\n{} {} · {}", r[4], r[0], r[2], r[1]);
            table.add_row(
                [
                    &identity,
                    &owner_label(&r[6], &r[7]),
                    &days(&r[10]),
                    &r[9],
                    &r[13],
                ]
                .map(Cell::new),
            );
        }
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "{} identities, {} credentials.",
        enriched.inventory.identities.len(),
        enriched.inventory.credentials.len()
    )
}

/// The strong signals, one per line, and how many weak ones there were.
fn compact_signals(joined: &str) -> String {
    let (weak, strong): (Vec<&str>, Vec<&str>) = joined
        .split("; ")
        .filter(|s| !s.is_empty())
        .partition(|s| s.starts_with("weak "));
    let mut lines: Vec<String> = strong.iter().take(4).map(|s| s.to_string()).collect();
    if strong.len() > 4 {
        lines.push(format!("(+{} more)", strong.len() - 4));
    }
    if !weak.is_empty() {
        lines.push(format!("(+{} weak)", weak.len()));
    }
    lines.join("\n")
}

fn owner_label(owner: &str, status: &str) -> String {
    if owner.is_empty() {
        format!("({status})")
    } else {
        format!("{owner} ({status})")
    }
}

fn days(n: &str) -> String {
    if n.is_empty() {
        String::new()
    } else {
        format!("{n}d")
    }
}

/// The inventory as our JSON document (what `--inventory` reads back).
pub fn write_document(inventory: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, inventory)?;
    writeln!(out)
}

/// The inventory as JSON Lines: a header, then one entry per line with `type` first.
pub fn write_lines(inventory: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    let header = serde_json::json!({
        "type": "header",
        "schema_version": inventory.schema_version,
        "generated_at": inventory.generated_at,
        "sources": inventory.sources,
        "api_calls": inventory.api_calls,
    });
    let mut header = header;
    if !inventory.shards.is_empty() {
        header["shards"] = serde_json::json!(inventory.shards);
    }
    serde_json::to_writer(&mut *out, &header)?;
    writeln!(out)?;
    for c in &inventory.coverage {
        tagged_line("coverage", c, out)?;
    }
    for i in &inventory.identities {
        tagged_line("identity", i, out)?;
    }
    for c in &inventory.credentials {
        tagged_line("credential", c, out)?;
    }
    Ok(())
}

/// `{"type":"<kind>",` followed by the entity's own fields.
fn tagged_line<T: serde::Serialize>(kind: &str, entity: &T, out: &mut dyn Write) -> io::Result<()> {
    let body = serde_json::to_vec(entity)?;
    let fields = body.strip_prefix(b"{").unwrap_or(&body);
    write!(out, r#"{{"type":"{kind}""#)?;
    if fields != b"}" {
        out.write_all(b",")?;
    }
    out.write_all(fields)?;
    writeln!(out)
}
