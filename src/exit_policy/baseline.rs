//! `--baseline`: a previous JSON report, so that only findings new since then fail the
//! run. Findings are matched by their stable id.

use crate::finding::BaselineState;
use crate::input::parse_report_json;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// The baseline as the report records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineInfo {
    /// The baseline report's path, as given.
    pub file: String,
    /// The as-of time of the baseline's scan.
    pub as_of: DateTime<Utc>,
    /// Findings in the baseline.
    pub findings: usize,
    /// Baseline findings this scan no longer has (fixed, or out of its scope).
    pub resolved: usize,
}

/// The finding ids of a previous report.
#[derive(Debug, Clone)]
pub struct Baseline {
    ids: HashSet<String>,
    file: String,
    as_of: DateTime<Utc>,
}

/// Only what a baseline needs from a report; other fields are not checked, so a report
/// of another nhiscan version serves as long as its version and finding ids agree.
#[derive(Deserialize)]
struct Doc {
    report_version: u32,
    scan: DocScan,
    findings: Vec<DocFinding>,
}

#[derive(Deserialize)]
struct DocScan {
    as_of: DateTime<Utc>,
}

#[derive(Deserialize)]
struct DocFinding {
    id: String,
}

impl Baseline {
    /// Reads a report written by `nhiscan scan -f json`.
    pub fn read(path: &Path) -> anyhow::Result<Baseline> {
        let bytes = crate::input::read(path)
            .map_err(|e| anyhow::anyhow!("--baseline {}: cannot read: {e}", path.display()))?;
        Baseline::parse(path, &bytes)
    }

    /// Parses a report; `path` names it in errors and in the report.
    pub fn parse(path: &Path, bytes: &[u8]) -> anyhow::Result<Baseline> {
        let doc: Doc = parse_report_json(path, bytes)?;
        if doc.report_version != crate::finding::REPORT_VERSION {
            anyhow::bail!(
                "{}: report_version {} is not supported as a baseline (expected {})",
                path.display(),
                doc.report_version,
                crate::finding::REPORT_VERSION
            );
        }
        Ok(Baseline {
            ids: doc.findings.into_iter().map(|f| f.id).collect(),
            file: path.display().to_string(),
            as_of: doc.scan.as_of,
        })
    }

    /// `new` unless the baseline has a finding with this id.
    pub fn state(&self, finding_id: &str) -> BaselineState {
        if self.ids.contains(finding_id) {
            BaselineState::Existing
        } else {
            BaselineState::New
        }
    }

    /// What the report says about the baseline, given how many of its findings this
    /// scan still has.
    pub fn info(&self, existing: usize) -> BaselineInfo {
        BaselineInfo {
            file: self.file.clone(),
            as_of: self.as_of,
            findings: self.ids.len(),
            resolved: self.ids.len().saturating_sub(existing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{"report_version": 1, "scan": {"as_of": "2025-12-01T00:00:00Z"},
        "findings": [{"id": "NHI-0000000000000001", "severity": "high"},
                     {"id": "NHI-0000000000000002"}]}"#;

    #[test]
    fn known_ids_are_existing_others_new() {
        let baseline = Baseline::parse(Path::new("old.json"), REPORT.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            baseline.state("NHI-0000000000000001"),
            BaselineState::Existing
        );
        assert_eq!(baseline.state("NHI-0000000000000003"), BaselineState::New);
        let info = baseline.info(1);
        assert_eq!((info.findings, info.resolved), (2, 1));
        assert_eq!(info.file, "old.json");
    }

    #[test]
    fn a_file_that_is_no_report_is_refused_with_its_position() {
        let err = Baseline::parse(
            Path::new("inv.json"),
            b"{\"schema_version\": 1,\n \"identities\": []}",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.starts_with("inv.json:2:"), "{err}");
        assert!(err.contains("report_version"), "{err}");
        let err = Baseline::parse(
            Path::new("v9.json"),
            br#"{"report_version": 9, "scan": {"as_of": "2025-12-01T00:00:00Z"}, "findings": []}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("report_version 9"), "{err}");
    }
}
