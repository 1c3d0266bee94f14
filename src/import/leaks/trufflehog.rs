//! TruffleHog v3 `--json`: one JSON object per line (`Raw`, `RawV2` and `Redacted` hold
//! the secret or parts of it; `SourceMetadata.Data.<source>` says where; `ExtraData`
//! holds what the detector learned, e.g. the application id of an Azure secret).

use super::identifiers::Identifiers;
use super::secret::SecretText;
use super::{json_error, LeakLocation, LeakedCredential, Parsed};
use crate::import::ImportError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Finding {
    #[serde(default)]
    source_metadata: Option<SourceMetadata>,
    #[serde(default)]
    detector_name: Option<String>,
    #[serde(default)]
    verified: Option<bool>,
    #[serde(default)]
    raw: Option<SecretText>,
    #[serde(default, rename = "RawV2")]
    raw_v2: Option<SecretText>,
    #[serde(default)]
    redacted: Option<SecretText>,
    /// Only the keys read below are kept; every value is searched, never kept whole.
    #[serde(default)]
    extra_data: Option<BTreeMap<String, SecretText>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SourceMetadata {
    #[serde(default)]
    data: BTreeMap<String, Source>,
}

/// One source's location fields (Git, Github, Gitlab, Filesystem, …).
#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

pub fn parse(path: &Path, text: &str, report: &str) -> Result<Parsed, ImportError> {
    let mut parsed = Parsed::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let mut finding: Finding =
            serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(path, e, n as u64))?;
        let detector = finding.detector_name.unwrap_or_default().to_lowercase();
        let mut found = Identifiers::default();
        let mut credentials = Vec::new();
        let mut extra = finding.extra_data.unwrap_or_default();
        if detector.starts_with("azure") {
            // The Azure detectors name the application (client) and tenant ids: in
            // `ExtraData` once verified, else inside `RawV2` beside the secret.
            let mut app_id = extra.remove("client").and_then(SecretText::into_guid);
            let mut tenant_id = extra.remove("tenant").and_then(SecretText::into_guid);
            if let Some(raw) = finding.raw_v2.take() {
                let (client, tenant) = raw.azure_ids();
                app_id = app_id.or(client);
                tenant_id = tenant_id.or(tenant);
            }
            if let Some(app_id) = app_id {
                credentials.push(LeakedCredential::AzureClientSecret { app_id, tenant_id });
            }
        }
        // Newer GCP results name the key in `ExtraData` (older ones only inside `RawV2`).
        if let Some(key_id) = extra
            .remove("private_key_id")
            .and_then(SecretText::identifiers_as_hex_key)
        {
            found.gcp_keys.push((key_id, None));
        }
        for text in [finding.raw, finding.raw_v2, finding.redacted]
            .into_iter()
            .flatten()
        {
            found.merge(text.identifiers());
        }
        for (_, value) in extra {
            found.merge(value.identifiers());
        }
        credentials.extend(found.credentials());
        credentials.sort();
        credentials.dedup();
        let source = finding
            .source_metadata
            .and_then(|m| m.data.into_values().next());
        let location = LeakLocation {
            scanner: "trufflehog".into(),
            repository: source.as_ref().and_then(|s| s.repository.clone()),
            file: source.as_ref().and_then(|s| s.file.clone()),
            line: source.as_ref().and_then(|s| s.line),
            commit: source.as_ref().and_then(|s| s.commit.clone()),
            detected: source.as_ref().and_then(|s| s.timestamp.clone()),
            verified: finding.verified,
            link: source.and_then(|s| s.link),
            report: report.to_string(),
            entry: n + 1,
            ..Default::default()
        };
        parsed.add(credentials, location);
    }
    Ok(parsed)
}
