//! Findings: what a rule matched, on which entity, with the evidence and what to do.

use crate::enrich::owner::OwnerStatus;
use crate::inventory::{Credential, Identity, Provider, Scope};
use crate::rules::{Confidence, References, Severity, Target};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Version of the JSON report document (the findings and what the scan saw). Bump on
/// incompatible changes.
pub const REPORT_VERSION: u32 = 1;

/// One finding, reduced to its entity, rule and severity (what the ownership view
/// counts), without building the finding.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub target: Target,
    /// The entity's position in the inventory's identities or credentials.
    pub index: usize,
    pub rule_id: &'a str,
    pub severity: Severity,
}

/// The identity or credential a finding is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EntityRef {
    #[serde(rename = "type")]
    pub target: Target,
    pub provider: Provider,
    pub scope: Scope,
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For a credential: the identity it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
}

impl EntityRef {
    pub fn identity(i: &Identity) -> EntityRef {
        EntityRef {
            target: Target::Identity,
            provider: i.provider,
            scope: i.scope.clone(),
            kind: i.kind.as_str().to_string(),
            id: i.id.clone(),
            name: Some(i.name.clone()),
            identity_id: None,
        }
    }

    pub fn credential(c: &Credential) -> EntityRef {
        EntityRef {
            target: Target::Credential,
            provider: c.provider,
            scope: c.scope.clone(),
            kind: c.kind.as_str().to_string(),
            id: c.id.clone(),
            name: c.name.clone(),
            identity_id: c.identity_id.clone(),
        }
    }

    /// The best short label: name, else id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// One rule match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable across runs: derived from the rule id and the entity, never from time.
    pub id: String,
    pub rule_id: String,
    /// Shared with every finding of the rule.
    pub title: Arc<str>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub entity: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub owner_status: OwnerStatus,
    pub message: String,
    /// The values that made the rule match, by variable path.
    pub evidence: BTreeMap<String, serde_json::Value>,
    pub remediation: Arc<str>,
    /// The framework controls it fails: its rule's, and those of the rules folded in.
    pub references: Arc<References>,
    /// Rules that also match the entity for the same root cause, reported by this
    /// finding instead of findings of their own (their `supersedes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_fails: Vec<String>,
    /// With `--baseline`: whether the baseline report already had this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
    /// The suppression that covers this finding: it stays listed but does not fail
    /// the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Arc<Suppressed>>,
}

/// A finding's state against the baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: counts for the exit code.
    New,
    /// Already in the baseline: reported, but does not fail the run.
    Existing,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Existing => "existing",
        }
    }
}

/// The suppression entry that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppressed {
    /// Why it is accepted, as written in the suppressions file.
    pub reason: String,
    /// When the suppression stops applying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// The entry: `FILE:LINE`.
    pub source: String,
}

/// What triage added to a finding: its baseline state and suppression.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mark {
    pub baseline: Option<BaselineState>,
    pub suppressed: Option<Arc<Suppressed>>,
}

impl Mark {
    /// Whether the finding counts for the exit code: not suppressed, and not already
    /// in the baseline.
    pub fn counts(&self) -> bool {
        self.suppressed.is_none() && self.baseline != Some(BaselineState::Existing)
    }
}

/// The stable finding id: `NHI-` and 16 hex digits of SHA-256 over rule id, provider
/// and entity id.
pub fn finding_id(rule_id: &str, provider: Provider, entity_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    hasher.update(provider.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(entity_id.as_bytes());
    let digest = hasher.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(20);
    id.push_str("NHI-");
    for byte in &digest[..8] {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_are_stable_and_distinct() {
        let a = finding_id("r1", Provider::Aws, "arn:aws:iam::1:user/a");
        assert_eq!(a, finding_id("r1", Provider::Aws, "arn:aws:iam::1:user/a"));
        assert_ne!(a, finding_id("r2", Provider::Aws, "arn:aws:iam::1:user/a"));
        assert_ne!(
            a,
            finding_id("r1", Provider::Azure, "arn:aws:iam::1:user/a")
        );
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("NHI-"));
    }
}

// The counts of a run's findings, as the report and the exit policy give them (a plain
// comment: a doc comment would change the report's published JSON schema).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub findings: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_provider: BTreeMap<Provider, usize>,
    pub by_rule: BTreeMap<String, usize>,
    /// With `--baseline`: findings the baseline did not have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    /// With `--baseline`: findings the baseline already had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing: Option<usize>,
    /// With a suppressions file: findings it suppresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<usize>,
}
