//! Nosey Parker `report --format json`: an array of findings, each with its `matches`;
//! a match's captured `groups` (base64) and `snippet` hold the secret, its `provenance`
//! (a file, or a Git blob's first commit) and `location` say where.

use super::identifiers::Identifiers;
use super::secret::SecretText;
use super::{parse_json, LeakLocation, Parsed};
use crate::import::ImportError;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Deserialize)]
struct Finding {
    #[serde(default)]
    matches: Vec<Match>,
}

#[derive(Deserialize)]
struct Match {
    #[serde(default)]
    provenance: Vec<Value>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    groups: Vec<SecretText>,
    #[serde(default)]
    snippet: Option<Snippet>,
}

#[derive(Deserialize)]
struct Snippet {
    #[serde(default)]
    matching: Option<SecretText>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    source_span: Option<Span>,
}

#[derive(Deserialize)]
struct Span {
    start: Point,
}

#[derive(Deserialize)]
struct Point {
    line: u64,
}

pub fn parse(path: &Path, text: &str, report: &str) -> Result<Parsed, ImportError> {
    let findings: Vec<Finding> = parse_json(path, text)?;
    let mut parsed = Parsed::default();
    for (n, finding) in findings.into_iter().enumerate() {
        for m in finding.matches {
            let mut found = Identifiers::default();
            for group in m.groups {
                if let Some(decoded) = group.decode_base64() {
                    found.merge(decoded.identifiers());
                }
            }
            if let Some(matching) = m.snippet.and_then(|s| s.matching) {
                found.merge(matching.identifiers());
            }
            let mut location = LeakLocation {
                scanner: "noseyparker".into(),
                line: m.location.and_then(|l| l.source_span).map(|s| s.start.line),
                report: report.to_string(),
                entry: n + 1,
                ..Default::default()
            };
            provenance(&m.provenance, &mut location);
            parsed.add(found.credentials(), location);
        }
    }
    Ok(parsed)
}

/// The file, repository and commit of the first provenance entry that names them.
fn provenance(entries: &[Value], location: &mut LeakLocation) {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    for entry in entries {
        match entry.get("kind").and_then(Value::as_str) {
            Some("git_repo") => {
                location.repository = text(entry, "repo_path");
                if let Some(commit) = entry.get("first_commit") {
                    location.file = text(commit, "blob_path");
                    let metadata = commit.get("commit_metadata");
                    location.commit = metadata.and_then(|m| text(m, "commit_id"));
                    location.detected = metadata.and_then(|m| text(m, "committer_timestamp"));
                }
                return;
            }
            Some("file") => {
                location.file = text(entry, "path");
                return;
            }
            _ => {}
        }
    }
}
