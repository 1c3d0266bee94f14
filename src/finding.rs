//! Findings: what a rule matched, on which entity, with the evidence and what to do.

use crate::enrich::owner::OwnerStatus;
use crate::inventory::{Provider, Scope};
use crate::rules::{Confidence, References, Severity, Target};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The identity or credential a finding is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The best short label: name, else id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// One rule match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub references: Arc<References>,
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
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("NHI-{hex}")
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
