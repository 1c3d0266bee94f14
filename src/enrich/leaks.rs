//! Leaks matched to the inventory: which credential each leak report names, and the
//! leaks that name none here (with why).

use crate::import::leaks::{Leak, LeakLocation, LeakReports, LeakedCredential};
use crate::inventory::{CredentialKind, Inventory, Provider};
use serde::Serialize;
use std::collections::HashMap;

/// The leak reports read, matched to credentials by index.
#[derive(Debug, Default)]
pub struct LeakIndex {
    /// By credential index: where it leaked.
    by_credential: HashMap<u32, Vec<LeakLocation>>,
    pub summary: LeakSummary,
}

/// What the report says of the leak reports: what was read, and what matched nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct LeakSummary {
    /// The leak reports read.
    pub reports: Vec<String>,
    /// Leaks that named a credential (one per credential and location).
    pub leaks: usize,
    /// Of those, the ones matched to a credential of the inventory.
    pub matched: usize,
    /// Scanner findings that named no credential nhiscan can identify (a password in a
    /// config file, a private key of unknown use): not matched to anything.
    pub without_identifier: usize,
    /// The leaks that match no credential here, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<UnmatchedLeak>,
}

/// A leak that names no credential of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct UnmatchedLeak {
    /// `aws_access_key`, `gcp_service_account_key`, `azure_client_secret`, `github_token`.
    pub kind: String,
    /// The key id, `private_key_id`, application id, or token type.
    pub identifier: String,
    #[serde(flatten)]
    pub location: LeakLocation,
    pub why: String,
}

impl LeakIndex {
    /// Where credential `index` leaked (empty when it did not).
    pub fn of_credential(&self, index: usize) -> &[LeakLocation] {
        self.by_credential
            .get(&(index as u32))
            .map_or(&[], Vec::as_slice)
    }

    /// Records that credential `index` leaked at `locations` (rule examples).
    pub fn insert(&mut self, index: usize, locations: Vec<LeakLocation>) {
        self.by_credential
            .entry(index as u32)
            .or_default()
            .extend(locations);
    }

    /// Matches every leak to the credentials it names.
    pub fn build(reports: LeakReports, inventory: &Inventory) -> LeakIndex {
        let mut aws_keys: HashMap<&str, u32> = HashMap::new();
        let mut gcp_keys: HashMap<&str, u32> = HashMap::new();
        let mut client_secrets: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, c) in inventory.credentials.iter().enumerate() {
            match (c.provider, &c.kind) {
                (Provider::Aws, CredentialKind::AccessKey) => {
                    aws_keys.insert(c.id.as_str(), i as u32);
                }
                (Provider::Gcp, CredentialKind::ServiceAccountKey) => {
                    let key_id = c.id.rsplit_once("/keys/").map_or(c.id.as_str(), |(_, k)| k);
                    gcp_keys.insert(key_id, i as u32);
                }
                (Provider::Azure, CredentialKind::ClientSecret) => {
                    if let Some(identity) = c.identity_id.as_deref() {
                        client_secrets.entry(identity).or_default().push(i as u32);
                    }
                }
                _ => {}
            }
        }
        // An Azure application's id is its `appId`; its secrets hang off its object id.
        let mut apps: HashMap<String, Vec<&str>> = HashMap::new();
        for identity in &inventory.identities {
            if identity.provider != Provider::Azure {
                continue;
            }
            if let Some(app_id) = identity.attributes.get("appId").and_then(|v| v.as_str()) {
                apps.entry(app_id.to_ascii_lowercase())
                    .or_default()
                    .push(identity.id.as_str());
            }
        }

        let mut index = LeakIndex::default();
        index.summary.reports = reports.paths;
        index.summary.without_identifier = reports.without_identifier;
        index.summary.leaks = reports.leaks.len();
        for Leak {
            credential,
            location,
        } in reports.leaks
        {
            let matched: Vec<u32> = match &credential {
                LeakedCredential::AwsAccessKey { key_id } => {
                    aws_keys.get(key_id.as_str()).copied().into_iter().collect()
                }
                LeakedCredential::GcpServiceAccountKey { private_key_id, .. } => gcp_keys
                    .get(private_key_id.as_str())
                    .copied()
                    .into_iter()
                    .collect(),
                LeakedCredential::AzureClientSecret { app_id, .. } => apps
                    .get(&app_id.to_ascii_lowercase())
                    .into_iter()
                    .flatten()
                    .flat_map(|object_id| client_secrets.get(object_id).into_iter().flatten())
                    .copied()
                    .collect(),
                LeakedCredential::GithubToken { .. } => Vec::new(),
            };
            if matched.is_empty() {
                index
                    .summary
                    .unmatched
                    .push(unmatched(&credential, location, &apps));
                continue;
            }
            index.summary.matched += 1;
            for i in matched {
                let seen = index.by_credential.entry(i).or_default();
                if !seen.contains(&location) {
                    seen.push(location.clone());
                }
            }
        }
        index
    }
}

fn unmatched(
    credential: &LeakedCredential,
    location: LeakLocation,
    apps: &HashMap<String, Vec<&str>>,
) -> UnmatchedLeak {
    let (kind, why) = match credential {
        LeakedCredential::AwsAccessKey { key_id } => (
            "aws_access_key",
            format!(
                "no access key {key_id} in the scanned accounts: it belongs to an account not \
                 scanned, or it was deleted (then check CloudTrail for its use before that)"
            ),
        ),
        LeakedCredential::GcpServiceAccountKey { client_email, .. } => (
            "gcp_service_account_key",
            format!(
                "no such key of {} in the scanned projects: a project not scanned, or a key \
                 already deleted",
                client_email.as_deref().unwrap_or("any service account")
            ),
        ),
        LeakedCredential::AzureClientSecret { app_id, .. } => {
            (
                "azure_client_secret",
                if apps.contains_key(&app_id.to_ascii_lowercase()) {
                    format!("application {app_id} has no client secret left: the leaked one was removed")
                } else {
                    format!("no application {app_id} in the scanned tenants")
                },
            )
        }
        LeakedCredential::GithubToken { .. } => (
            "github_token",
            "GitHub lists no token values or hashes to match: revoke it with GitHub's \
             credential revocation API (POST /credentials/revoke) or ask its owner to"
                .to_string(),
        ),
    };
    UnmatchedLeak {
        kind: kind.to_string(),
        identifier: credential.identifier().to_string(),
        location,
        why,
    }
}
