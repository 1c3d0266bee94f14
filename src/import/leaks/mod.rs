//! Leak reports: what secret scanners found in code, reduced to the credential each
//! finding names and where it was found. The secret itself is read only to find the
//! identifier in it (an AWS access key id, a GCP key's `private_key_id`, an Azure app
//! id, a GitHub token's type) and is dropped at parse time: it is never kept, printed,
//! logged or put in an error ([`secret::SecretText`]).
//!
//! Formats: gitleaks (`--report-format json`), TruffleHog (`--json`, JSON lines), Nosey
//! Parker (`report --format json`), GitHub secret-scanning alerts (the REST API's JSON),
//! and a simple CSV (`provider,identifier,kind,repository,file,line,commit,scanner,
//! detected_at`). [`read`] tells them apart by their content.

mod github;
mod gitleaks;
mod identifiers;
mod noseyparker;
mod secret;
mod simple_csv;
mod trufflehog;

use super::ImportError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One credential a scanner found, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Leak {
    pub credential: LeakedCredential,
    pub location: LeakLocation,
}

/// What identifies a leaked credential: never any of its secret material.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LeakedCredential {
    /// An AWS access key, by its id (`AKIA…`, `ASIA…`).
    AwsAccessKey { key_id: String },
    /// A GCP service-account key, by its `private_key_id` (and the account's email when
    /// the leaked file holds it).
    GcpServiceAccountKey {
        private_key_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_email: Option<String>,
    },
    /// A client secret of the Azure application (client) id.
    AzureClientSecret {
        app_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant_id: Option<String>,
    },
    /// A GitHub token, by its type (its documented prefix): GitHub exposes nothing
    /// else that would tie a token's value to the tokens an organisation lists.
    GithubToken { token_type: String },
}

impl LeakedCredential {
    /// The identifier as a person would search for it: `AKIA…`, a key id, an app id.
    pub fn identifier(&self) -> &str {
        match self {
            LeakedCredential::AwsAccessKey { key_id } => key_id,
            LeakedCredential::GcpServiceAccountKey { private_key_id, .. } => private_key_id,
            LeakedCredential::AzureClientSecret { app_id, .. } => app_id,
            LeakedCredential::GithubToken { token_type } => token_type,
        }
    }
}

/// Where a scanner found a credential.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct LeakLocation {
    /// The scanner: `gitleaks`, `trufflehog`, `noseyparker`, `github secret scanning`,
    /// or the simple CSV's `scanner` column.
    pub scanner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// When it was committed or detected, as the scanner wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<String>,
    /// The scanner's own verdict on whether the secret still works, when it tested it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// The scanner's alert state (GitHub: `open`, `resolved: revoked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// A link to the finding or the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The report it was read from, and its entry there (1-based).
    #[serde(default)]
    pub report: String,
    #[serde(default)]
    pub entry: usize,
}

/// Everything the leak reports found, and what they held that names no credential.
#[derive(Debug, Clone, Default)]
pub struct LeakReports {
    pub leaks: Vec<Leak>,
    /// The reports read.
    pub paths: Vec<String>,
    /// Findings that named no credential nhiscan can identify (e.g. a password in a
    /// config file), counted by report.
    pub without_identifier: usize,
}

/// Reads every leak report; a report that cannot be read fails with its path and why.
pub fn read_all(paths: &[std::path::PathBuf]) -> Result<LeakReports, ImportError> {
    let mut all = LeakReports::default();
    for path in paths {
        let read = read(path)?;
        all.leaks.extend(read.leaks);
        all.without_identifier += read.without_identifier;
        all.paths.push(path.display().to_string());
    }
    all.leaks.sort();
    all.leaks.dedup();
    Ok(all)
}

/// What one report held.
#[derive(Debug, Default)]
pub struct Parsed {
    pub leaks: Vec<Leak>,
    pub without_identifier: usize,
}

impl Parsed {
    /// Adds a finding's leaks, all at `location`; a finding naming none is counted.
    fn add(&mut self, credentials: Vec<LeakedCredential>, location: LeakLocation) {
        if credentials.is_empty() {
            self.without_identifier += 1;
        }
        for credential in credentials {
            self.leaks.push(Leak {
                credential,
                location: location.clone(),
            });
        }
    }
}

/// Reads one leak report, whichever scanner wrote it.
pub fn read(path: &Path) -> Result<Parsed, ImportError> {
    let bytes = crate::input::read(path).map_err(|e| ImportError::io(path, e))?;
    parse(path, &bytes)
}

/// Parses one leak report; `path` names it in errors and in each leak's location.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::invalid(path, None, None, format!("not UTF-8 text ({e})")))?;
    let report = path.display().to_string();
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(inside) = trimmed.strip_prefix('[') {
        // Each format has keys no other has; its reader's types never keep the secret.
        if text.contains("\"RuleID\"") {
            return gitleaks::parse(path, text, &report);
        }
        if text.contains("\"rule_name\"") && text.contains("\"matches\"") {
            return noseyparker::parse(path, text, &report);
        }
        if text.contains("\"secret_type\"") {
            return github::parse(path, text, &report);
        }
        if inside.trim_start().starts_with(']') {
            return Ok(Parsed::default());
        }
        return Err(unknown(path));
    }
    if trimmed.starts_with('{') {
        return trufflehog::parse(path, text, &report);
    }
    if trimmed.starts_with("provider,") {
        return simple_csv::parse(path, bytes, &report);
    }
    Err(unknown(path))
}

fn unknown(path: &Path) -> ImportError {
    ImportError::invalid(
        path,
        None,
        None,
        "not a leak report nhiscan reads: give a gitleaks JSON report (--report-format \
         json), TruffleHog JSON lines (--json), a Nosey Parker report (report --format \
         json), GitHub secret-scanning alerts (the REST API's JSON array), or the simple \
         CSV (provider,identifier,kind,repository,file,line,commit,scanner,detected_at)",
    )
}

/// Parses JSON into `T`; errors name the line, column and field, never a value.
fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ImportError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(path, e, 0))
}

/// An error of a JSON value that starts at `line_offset` lines into the file.
fn json_error(
    path: &Path,
    e: serde_path_to_error::Error<serde_json::Error>,
    line_offset: u64,
) -> ImportError {
    let field = e.path().to_string();
    let inner = e.into_inner();
    ImportError::invalid(
        path,
        Some(super::Position {
            line: inner.line() as u64 + line_offset,
            column: Some(inner.column() as u64),
        }),
        Some(field),
        secret::describe(&inner),
    )
}
