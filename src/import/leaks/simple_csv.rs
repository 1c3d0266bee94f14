//! The simple CSV any tool can write: `provider,identifier,kind,repository,file,line,
//! commit,scanner,detected_at`, one leaked credential a row, and no secret column.
//! `kind` is `access_key` (AWS, the key id), `service_account_key` (GCP, the
//! `private_key_id`) or `client_secret` (Azure, the application id).

use super::{LeakLocation, LeakedCredential, Parsed};
use crate::import::{ImportError, Position};
use serde::Deserialize;
use std::path::Path;

/// The header, in order.
pub const HEADER: &str = "provider,identifier,kind,repository,file,line,commit,scanner,detected_at";

#[derive(Deserialize)]
struct Row {
    provider: String,
    identifier: String,
    kind: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    scanner: Option<String>,
    #[serde(default)]
    detected_at: Option<String>,
}

pub fn parse(path: &Path, bytes: &[u8], report: &str) -> Result<Parsed, ImportError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| {
            ImportError::invalid(
                path,
                Some(Position {
                    line: 1,
                    column: None,
                }),
                None,
                e.to_string(),
            )
        })?
        .iter()
        .collect::<Vec<_>>()
        .join(",");
    if header != HEADER {
        return Err(ImportError::invalid(
            path,
            Some(Position {
                line: 1,
                column: None,
            }),
            None,
            format!("the header must be `{HEADER}`"),
        ));
    }
    let mut parsed = Parsed::default();
    for (n, row) in reader.deserialize::<Row>().enumerate() {
        let line = n as u64 + 2;
        let at = Some(Position { line, column: None });
        let row = row.map_err(|e| {
            let message = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => match err.field() {
                    Some(field) => format!("column {}: {}", field + 1, err.kind()),
                    None => err.kind().to_string(),
                },
                _ => "not a CSV row of the simple leak format".to_string(),
            };
            ImportError::invalid(path, at, None, message)
        })?;
        let identifier = row.identifier.trim().to_string();
        let credential = match (row.provider.trim(), row.kind.trim()) {
            ("aws", "access_key") => LeakedCredential::AwsAccessKey { key_id: identifier },
            ("gcp", "service_account_key") => LeakedCredential::GcpServiceAccountKey {
                private_key_id: identifier.to_ascii_lowercase(),
                client_email: None,
            },
            ("azure", "client_secret") => LeakedCredential::AzureClientSecret {
                app_id: identifier.to_ascii_lowercase(),
                tenant_id: None,
            },
            (provider, kind) => {
                return Err(ImportError::invalid(
                    path,
                    at,
                    Some("kind".into()),
                    format!(
                    "`{provider}`/`{kind}` is not a leak this format names: use aws/access_key, \
                         gcp/service_account_key or azure/client_secret"
                ),
                ))
            }
        };
        let text = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let location = LeakLocation {
            scanner: text(row.scanner).unwrap_or_else(|| "csv".into()),
            repository: text(row.repository),
            file: text(row.file),
            line: row.line,
            commit: text(row.commit),
            detected: text(row.detected_at),
            report: report.to_string(),
            entry: n + 1,
            ..Default::default()
        };
        parsed.add(vec![credential], location);
    }
    Ok(parsed)
}
