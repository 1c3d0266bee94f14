//! gitleaks `--report-format json`: an array of findings (gitleaks'
//! `report/finding.go`: `RuleID`, `File`, `StartLine`, `Commit`, `Date`, `Link`, and the
//! secret in `Secret` and `Match`).

use super::secret::SecretText;
use super::{parse_json, LeakLocation, Parsed};
use crate::import::ImportError;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Finding {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    start_line: Option<u64>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    secret: Option<SecretText>,
    #[serde(default, rename = "Match")]
    matched: Option<SecretText>,
}

/// The repository of an SCM link gitleaks writes
/// (`https://github.com/<org>/<repo>/blob/<commit>/<file>#L<line>`).
fn repository_of(link: &str) -> Option<String> {
    let (repository, _) = link.split_once("/blob/")?;
    Some(repository.trim_start_matches("https://").to_string())
}

pub fn parse(path: &Path, text: &str, report: &str) -> Result<Parsed, ImportError> {
    let findings: Vec<Finding> = parse_json(path, text)?;
    let mut parsed = Parsed::default();
    for (n, finding) in findings.into_iter().enumerate() {
        let mut found = finding
            .secret
            .map(SecretText::identifiers)
            .unwrap_or_default();
        found.merge(
            finding
                .matched
                .map(SecretText::identifiers)
                .unwrap_or_default(),
        );
        let location = LeakLocation {
            scanner: "gitleaks".into(),
            repository: finding.link.as_deref().and_then(repository_of),
            file: finding.file,
            line: finding.start_line,
            commit: finding.commit.filter(|c| !c.is_empty()),
            detected: finding.date.filter(|d| !d.is_empty()),
            link: finding.link.filter(|l| !l.is_empty()),
            report: report.to_string(),
            entry: n + 1,
            ..Default::default()
        };
        parsed.add(found.credentials(), location);
    }
    Ok(parsed)
}
