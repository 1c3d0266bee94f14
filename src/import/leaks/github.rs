//! GitHub secret-scanning alerts, as the REST API lists them
//! (`GET /orgs/{org}/secret-scanning/alerts`, `/repos/{owner}/{repo}/secret-scanning/alerts`):
//! `secret_type`, the secret in `secret`, `state`/`resolution`/`validity`,
//! `repository.full_name` and `first_location_detected`.

use super::identifiers::Identifiers;
use super::secret::SecretText;
use super::{parse_json, LeakLocation, Parsed};
use crate::import::ImportError;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    secret_type: Option<String>,
    #[serde(default)]
    secret: Option<SecretText>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    validity: Option<String>,
    #[serde(default)]
    repository: Option<Repository>,
    #[serde(default)]
    first_location_detected: Option<Location>,
}

#[derive(Deserialize)]
struct Repository {
    #[serde(default)]
    full_name: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    start_line: Option<u64>,
    #[serde(default)]
    commit_sha: Option<String>,
}

pub fn parse(path: &Path, text: &str, report: &str) -> Result<Parsed, ImportError> {
    let alerts: Vec<Alert> = parse_json(path, text)?;
    let mut parsed = Parsed::default();
    for (n, alert) in alerts.into_iter().enumerate() {
        let secret_type = alert.secret_type.unwrap_or_default();
        let found = match (secret_type.as_str(), alert.secret) {
            // The secret of these types is the identifier itself.
            ("google_cloud_private_key_id", Some(secret)) => {
                let key_id = secret.identifiers_as_hex_key();
                Identifiers {
                    gcp_keys: key_id.map(|k| (k, None)).into_iter().collect(),
                    ..Default::default()
                }
            }
            (_, Some(secret)) => secret.identifiers(),
            (_, None) => Identifiers::default(),
        };
        let location = alert.first_location_detected;
        let state = match (alert.state, alert.resolution) {
            (Some(state), Some(resolution)) => Some(format!("{state}: {resolution}")),
            (state, _) => state,
        };
        let location = LeakLocation {
            scanner: "github secret scanning".into(),
            repository: alert.repository.and_then(|r| r.full_name),
            file: location.as_ref().and_then(|l| l.path.clone()),
            line: location.as_ref().and_then(|l| l.start_line),
            commit: location.and_then(|l| l.commit_sha),
            detected: alert.created_at,
            verified: match alert.validity.as_deref() {
                Some("active") => Some(true),
                Some("inactive") => Some(false),
                _ => None,
            },
            state,
            link: alert.html_url,
            report: report.to_string(),
            entry: n + 1,
        };
        parsed.add(found.credentials(), location);
    }
    Ok(parsed)
}
