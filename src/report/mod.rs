//! Reporters: the scan result as a terminal table, CSV, a versioned JSON document,
//! JSON Lines, SARIF, Markdown, OCSF or an XLSX workbook ([`outputs`] writes several
//! from one run). Files are written atomically: a temporary file beside the target,
//! then a rename; devices and FIFOs directly ([`destination`]).

pub mod destination;
pub mod direct_write;
pub mod document;
pub mod entities;
pub mod evidence;
pub mod format;
pub mod outputs;
pub mod sanitize;
pub mod view;

use crate::exit_policy::baseline::BaselineInfo;
use crate::exit_policy::suppress::SuppressionReport;
use crate::finding::EntityRef;
use crate::inventory::{Coverage, Provider};
use crate::rules::eval::EvalError;
use crate::rules::findings::Findings;
use crate::rules::Severity;
use chrono::{DateTime, Utc};
pub use entities::InventorySection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

pub use crate::finding::REPORT_VERSION;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Everything a scan produced: the document the JSON reporter writes. Findings are
/// built while they are written.
#[derive(Serialize)]
pub struct Report<'a> {
    pub report_version: u32,
    pub tool: Tool,
    pub scan: ScanInfo,
    /// What was scanned and what could not be, with why.
    pub coverage: Vec<Coverage>,
    pub inventory: InventorySection<'a>,
    pub summary: Summary,
    /// With `--baseline`: the report compared against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineInfo>,
    /// The suppressions file applied, with its expired and unmatched entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressions: Option<SuppressionReport>,
    /// Rules that failed to evaluate on some entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_errors: Vec<EvalErrorRecord>,
    /// With `--leaks`: the leak reports read, and the leaks that match no credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaks: Option<crate::enrich::leaks::LeakSummary>,
    pub findings: Findings<'a>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScanInfo {
    /// The time ages and expiry were computed against.
    pub as_of: DateTime<Utc>,
    /// The inventory inputs or collectors.
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    pub rules: RulePack,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Whether some source or rule could not be fully scanned.
    pub incomplete: bool,
    /// API calls the collectors made, by `provider:service:Operation`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_calls: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RulePack {
    pub builtin: usize,
    pub user_dirs: Vec<String>,
    pub enabled: usize,
    pub disabled: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct InventoryCounts {
    pub identities: usize,
    pub credentials: usize,
    pub by_provider: BTreeMap<Provider, ProviderCounts>,
    /// Every identity and credential scanned (for `nhiscan diff`); absent from reports
    /// written before it was added.
    #[serde(default)]
    pub entities: Vec<EntityRef>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ProviderCounts {
    pub identities: usize,
    pub credentials: usize,
}

pub use crate::finding::Summary;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EvalErrorRecord {
    pub rule_id: String,
    pub entity_id: String,
    pub message: String,
}

impl From<&EvalError> for EvalErrorRecord {
    fn from(e: &EvalError) -> Self {
        EvalErrorRecord {
            rule_id: e.rule_id.clone(),
            entity_id: e.entity_id.clone(),
            message: e.message.clone(),
        }
    }
}

/// How to present output on this run.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// ANSI colour allowed (a terminal, and `NO_COLOR` unset).
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
}

impl Style {
    /// Colour and width for stdout when `to_terminal`; plain and 100 wide otherwise.
    pub fn detect(to_terminal: bool) -> Style {
        let width = comfy_table::Table::new().width();
        Style::choose(to_terminal, std::env::var_os("NO_COLOR"), width)
    }

    /// The choice itself: colour only on a terminal and never with a non-empty
    /// `NO_COLOR` (no-color.org); the terminal's width there, 100 columns elsewhere.
    pub fn choose(
        to_terminal: bool,
        no_color: Option<std::ffi::OsString>,
        terminal_width: Option<u16>,
    ) -> Style {
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        Style {
            color: to_terminal && !no_color,
            width: match (to_terminal, terminal_width) {
                (true, Some(width)) => width.max(60),
                _ => 100,
            },
        }
    }
}

/// Writes to `path` (see [`destination`]: atomically for a regular file, directly for a
/// device or FIFO), or to stdout when `path` is `None`. Nothing is left behind when
/// `write` fails.
pub fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match path {
        None => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            write(&mut lock)?;
            lock.flush()
        }
        Some(path) => {
            let staged = destination::stage(path, write)?;
            destination::commit(vec![staged]).map_err(|e| e.error)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(Style::choose(true, None, Some(120)).color);
        assert!(Style::choose(true, Some("".into()), None).color);
        assert!(!Style::choose(true, Some("1".into()), Some(120)).color);
        assert!(!Style::choose(false, None, Some(120)).color);
        assert_eq!(Style::choose(false, None, Some(120)).width, 100);
        assert_eq!(Style::choose(true, None, Some(40)).width, 60);
    }

    #[test]
    fn failed_writes_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let target = dir.path().join("report.csv");
        let result = write_output(Some(&target), |out| {
            out.write_all(b"half a report")?;
            Err(io::Error::other("disk full"))
        });
        assert!(result.is_err());
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(99),
            0
        );
    }
}
