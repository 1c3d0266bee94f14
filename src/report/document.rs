//! The JSON report as a document to read back (`--baseline`, `nhiscan diff`) and to
//! describe (`nhiscan schema`): the same fields [`crate::report::Report`] writes, owned.

use crate::exit_policy::baseline::BaselineInfo;
use crate::exit_policy::suppress::SuppressionReport;
use crate::finding::Finding;
use crate::inventory::Coverage;
use crate::report::{EvalErrorRecord, InventoryCounts, ScanInfo, Summary, Tool, REPORT_VERSION};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A report of `nhiscan scan -f json`, version 1.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "nhiscan report",
    description = "The JSON report of `nhiscan scan -f json`."
)]
pub struct ReportDocument {
    /// Version of this document format; incompatible changes bump it.
    pub report_version: u32,
    pub tool: Tool,
    pub scan: ScanInfo,
    /// What was scanned and what could not be, with why.
    pub coverage: Vec<Coverage>,
    pub inventory: InventoryCounts,
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
    /// Most severe first.
    pub findings: Vec<Finding>,
}

/// The JSON schema of the report (draft 2020-12), pretty-printed with a final newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ReportDocument);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a JSON report; errors name the file, line, column and field.
pub fn read(path: &Path) -> anyhow::Result<ReportDocument> {
    let bytes = crate::input::read(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    parse(path, &bytes)
}

/// Parses a JSON report; `path` only names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> anyhow::Result<ReportDocument> {
    let document: ReportDocument = crate::input::parse_report_json(path, bytes)?;
    if document.report_version != REPORT_VERSION {
        anyhow::bail!(
            "{}: report_version {} is not supported (this nhiscan reads version {REPORT_VERSION}); \
             write the report again with this version",
            path.display(),
            document.report_version
        );
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_field() {
        let text = b"{\"report_version\": 1,\n \"tool\": {\"name\": \"nhiscan\", \"version\": 3}}";
        let err = parse(Path::new("old.json"), text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("old.json:2:"), "{err}");
        assert!(err.contains("tool.version"), "{err}");
    }

    #[test]
    fn the_schema_describes_the_findings() {
        let schema: serde_json::Value = serde_json::from_str(&schema_json()).unwrap_or_default();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert!(schema["properties"]["findings"].is_object());
        assert!(schema["$defs"]["Finding"]["properties"]["suppressed"].is_object());
    }
}
