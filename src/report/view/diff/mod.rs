//! `nhiscan diff OLD.json NEW.json`: what changed between two reports. Findings are
//! matched by their stable id: new, resolved, and changed (severity or evidence);
//! identities and credentials by provider and id, from the reports' `inventory.entities`.

pub mod render;

use crate::finding::{EntityRef, Finding};
use crate::report::document::ReportDocument;
use crate::rules::{Severity, Target};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The difference between two reports.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub summary: DiffSummary,
    /// In the new report only, most severe first.
    pub new_findings: Vec<Finding>,
    /// In the old report only.
    pub resolved_findings: Vec<Finding>,
    /// In both, with another severity or other evidence.
    pub changed_findings: Vec<Changed>,
    /// Whether both reports list their entities (reports before `inventory.entities`
    /// do not, and then no identity changes are shown).
    pub entities_compared: bool,
    pub new_entities: Vec<EntityRef>,
    pub removed_entities: Vec<EntityRef>,
}

/// One of the two reports.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub file: String,
    pub as_of: DateTime<Utc>,
    pub findings: usize,
    pub identities: usize,
    pub credentials: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffSummary {
    pub new: usize,
    pub resolved: usize,
    pub changed: usize,
    pub new_identities: usize,
    pub removed_identities: usize,
    pub new_credentials: usize,
    pub removed_credentials: usize,
}

/// A finding in both reports that changed.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// Set when the severity changed (a rule override, a new rule pack).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_severity: Option<Severity>,
    /// The evidence values that changed, by path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceChange>,
    /// The finding as the new report has it.
    pub finding: Finding,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceChange {
    pub path: String,
    /// Absent when the old report had no value there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<serde_json::Value>,
}

/// Evidence that grows every day by itself (`days_since_rotation`, `age_days`…):
/// a change there alone does not make a finding "changed".
fn is_day_count(
    path: &str,
    old: Option<&serde_json::Value>,
    new: Option<&serde_json::Value>,
) -> bool {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    leaf.contains("days")
        && old.is_some_and(serde_json::Value::is_number)
        && new.is_some_and(serde_json::Value::is_number)
}

/// Compares two reports (the files name them in the result).
pub fn compare(old: ReportDocument, old_file: &str, new: ReportDocument, new_file: &str) -> Diff {
    let side = |doc: &ReportDocument, file: &str| Side {
        file: file.to_string(),
        as_of: doc.scan.as_of,
        findings: doc.findings.len(),
        identities: doc.inventory.identities,
        credentials: doc.inventory.credentials,
    };
    let (old_side, new_side) = (side(&old, old_file), side(&new, new_file));
    let mut old_by_id: HashMap<String, Finding> = old
        .findings
        .into_iter()
        .map(|f| (f.id.clone(), f))
        .collect();
    let mut new_findings = Vec::new();
    let mut changed_findings = Vec::new();
    for f in new.findings {
        match old_by_id.remove(&f.id) {
            None => new_findings.push(f),
            Some(before) => {
                if let Some(change) = changed(&before, f) {
                    changed_findings.push(change);
                }
            }
        }
    }
    let mut resolved_findings: Vec<Finding> = old_by_id.into_values().collect();
    resolved_findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.entity.id.cmp(&b.entity.id))
    });

    let listed = |doc: &crate::report::InventoryCounts| {
        !doc.entities.is_empty() || doc.identities + doc.credentials == 0
    };
    let entities_compared = listed(&old.inventory) && listed(&new.inventory);
    let (mut new_entities, mut removed_entities) = (Vec::new(), Vec::new());
    if entities_compared {
        let key = |e: &EntityRef| (e.target.as_str(), e.provider, e.id.clone());
        let old_keys: HashSet<_> = old.inventory.entities.iter().map(key).collect();
        let new_keys: HashSet<_> = new.inventory.entities.iter().map(key).collect();
        new_entities = new
            .inventory
            .entities
            .into_iter()
            .filter(|e| !old_keys.contains(&key(e)))
            .collect();
        removed_entities = old
            .inventory
            .entities
            .into_iter()
            .filter(|e| !new_keys.contains(&key(e)))
            .collect();
    }
    let count =
        |list: &[EntityRef], target: Target| list.iter().filter(|e| e.target == target).count();
    let summary = DiffSummary {
        new: new_findings.len(),
        resolved: resolved_findings.len(),
        changed: changed_findings.len(),
        new_identities: count(&new_entities, Target::Identity),
        removed_identities: count(&removed_entities, Target::Identity),
        new_credentials: count(&new_entities, Target::Credential),
        removed_credentials: count(&removed_entities, Target::Credential),
    };
    Diff {
        old: old_side,
        new: new_side,
        summary,
        new_findings,
        resolved_findings,
        changed_findings,
        entities_compared,
        new_entities,
        removed_entities,
    }
}

/// The change of a finding found in both reports, if any.
fn changed(before: &Finding, after: Finding) -> Option<Changed> {
    let old_severity = (before.severity != after.severity).then_some(before.severity);
    let paths: BTreeSet<&String> = before
        .evidence
        .keys()
        .chain(after.evidence.keys())
        .collect();
    let evidence: Vec<EvidenceChange> = paths
        .iter()
        .filter_map(|path| {
            let (old, new) = (before.evidence.get(*path), after.evidence.get(*path));
            (old != new && !is_day_count(path, old, new)).then(|| EvidenceChange {
                path: path.to_string(),
                old: old.cloned(),
                new: new.cloned(),
            })
        })
        .collect();
    (old_severity.is_some() || !evidence.is_empty()).then_some(Changed {
        old_severity,
        evidence,
        finding: after,
    })
}

impl Diff {
    /// Whether a new finding, or one whose severity rose, is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.new_findings.iter().any(|f| f.severity >= threshold)
            || self.changed_findings.iter().any(|c| {
                c.old_severity.is_some_and(|old| old < c.finding.severity)
                    && c.finding.severity >= threshold
            })
    }
}
