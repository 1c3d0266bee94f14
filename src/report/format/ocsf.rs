//! OCSF: each finding as a Detection Finding event (class 2004, OCSF 1.5.0 with the
//! `cloud` profile), one JSON object per line, for SIEMs and security data lakes.

use crate::finding::Finding;
use crate::inventory::{Provider, ScopeKind};
use crate::report::Report;
use crate::rules::{Confidence, Severity};
use serde_json::{json, Value};
use std::io::{self, Write};

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.5.0";

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let time = report.scan.as_of.timestamp_millis();
    for finding in report.findings.iter() {
        serde_json::to_writer(&mut *out, &event(&finding, time, &report.tool.version))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One Detection Finding event; `time` is the scan's as-of time in epoch milliseconds.
pub fn event(f: &Finding, time: i64, version: &str) -> Value {
    let (severity_id, severity) = severity(f.severity);
    let (confidence_id, confidence) = confidence(f.confidence);
    let (status_id, status) = if f.suppressed.is_some() {
        (3, "Suppressed")
    } else {
        (1, "New")
    };
    let mut resource = json!({
        "uid": f.entity.id,
        "name": f.entity.label(),
        "type": f.entity.kind,
        "labels": [f.entity.target.as_str()],
        "data": {
            "owner_status": f.owner_status.as_str(),
            "evidence": f.evidence,
        },
    });
    if let Some(owner) = &f.owner {
        resource["owner"] = json!({ "name": owner });
    }
    if let Some(identity) = &f.entity.identity_id {
        resource["data"]["identity_id"] = json!(identity);
    }
    let mut unmapped = json!({ "references": f.references.labels() });
    if !f.also_fails.is_empty() {
        unmapped["also_fails"] = json!(f.also_fails);
    }
    if let Some(b) = f.baseline {
        unmapped["baseline"] = json!(b.as_str());
    }
    if let Some(s) = &f.suppressed {
        unmapped["suppression"] = json!(s);
    }
    let mut remediation = json!({ "desc": f.remediation.trim() });
    if !f.references.links.is_empty() {
        remediation["references"] = json!(f.references.links);
    }
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "confidence_id": confidence_id,
        "confidence": confidence,
        "status_id": status_id,
        "status": status,
        "time": time,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": f.id,
            "profiles": ["cloud"],
            "product": { "name": "nhiscan", "vendor_name": "nhiscan", "version": version },
        },
        "finding_info": {
            "uid": f.id,
            "title": f.title.as_ref(),
            "desc": f.message,
            "types": ["Non-human identity"],
            "analytic": { "uid": f.rule_id, "name": f.rule_id, "type_id": 1, "type": "Rule" },
        },
        "cloud": cloud(f),
        "resources": [resource],
        "remediation": remediation,
        "unmapped": unmapped,
    })
}

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn confidence(c: Confidence) -> (u8, &'static str) {
    match c {
        Confidence::Low => (1, "Low"),
        Confidence::Medium => (2, "Medium"),
        Confidence::High => (3, "High"),
    }
}

/// The `cloud` object: the provider, and the scope as an account of the matching type.
fn cloud(f: &Finding) -> Value {
    let provider = f.entity.provider.name();
    let scope = &f.entity.scope;
    let (type_id, kind) = match (f.entity.provider, scope.kind) {
        (Provider::Aws, ScopeKind::Account) => (10, "AWS Account"),
        (Provider::Gcp, ScopeKind::Project) => (11, "GCP Project"),
        (Provider::Azure, ScopeKind::Subscription) => (13, "Azure Subscription"),
        (Provider::Azure, ScopeKind::Tenant) => (17, "M365 Tenant"),
        (_, other) => (99, other.as_str()),
    };
    let mut account = json!({ "uid": scope.id, "type_id": type_id, "type": kind });
    if let Some(name) = &scope.name {
        account["name"] = json!(name);
    }
    let mut cloud = json!({ "provider": provider, "account": account });
    if f.entity.provider == Provider::Gcp && scope.kind == ScopeKind::Project {
        cloud["project_uid"] = json!(scope.id);
    }
    cloud
}
