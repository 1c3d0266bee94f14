//! JSON: the versioned report document (see [`crate::report::Report`]), pretty-printed.
//! The two long arrays, the inventory's entities and the findings, are rendered on all
//! cores a batch at a time ([`pipeline`]); the bytes are those
//! `serde_json::to_writer_pretty` writes.

use super::pipeline;
use super::pretty::{self, indent, key, string, value_at, Array, Object};
use crate::finding::Finding;
use crate::report::entities::EntityView;
use crate::report::Report;
use std::io::{self, Write};

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut top = Object::begin(out, 0)?;
    top.field("report_version", &report.report_version)?;
    top.field("tool", &report.tool)?;
    top.field("scan", &report.scan)?;
    top.field("coverage", &report.coverage)?;
    {
        let inventory = &report.inventory;
        let mut section = Object::begin(top.key("inventory")?, 1)?;
        section.field("identities", &inventory.identities)?;
        section.field("credentials", &inventory.credentials)?;
        section.field("by_provider", &inventory.by_provider)?;
        let entities = &inventory.entities;
        array(section.key("entities")?, 2, entities.len(), |k, piece| {
            let depth = pretty::element_start(piece, 2)?;
            entities.write_pretty(k, piece, depth)
        })?;
        section.end()?;
    }
    top.field("summary", &report.summary)?;
    if let Some(baseline) = &report.baseline {
        top.field("baseline", baseline)?;
    }
    if let Some(suppressions) = &report.suppressions {
        top.field("suppressions", suppressions)?;
    }
    if !report.rule_errors.is_empty() {
        top.field("rule_errors", &report.rule_errors)?;
    }
    if let Some(leaks) = &report.leaks {
        top.field("leaks", leaks)?;
    }
    let findings = &report.findings;
    array(top.key("findings")?, 1, findings.len(), |k, piece| {
        let depth = pretty::element_start(piece, 1)?;
        finding(piece, depth, &findings.nth(k))
    })?;
    top.end()?;
    writeln!(out)
}

/// Writes `f` as pretty JSON whose first line is `depth` levels in, byte for byte as
/// [`value_at`] does, without serde's call per field: its texts (the message and the
/// remediation, most of a report's bytes) are copied whole when they need no escape.
fn finding(out: &mut Vec<u8>, depth: usize, f: &Finding) -> io::Result<()> {
    let inner = depth + 1;
    out.push(b'{');
    let texts = [
        ("id", &*f.id),
        ("rule_id", &f.rule_id),
        ("title", &f.title),
        ("severity", f.severity.as_str()),
        ("confidence", f.confidence.as_str()),
    ];
    for (position, (name, text)) in texts.into_iter().enumerate() {
        key(out, position == 0, inner, name)?;
        string(out, text)?;
    }
    key(out, false, inner, "entity")?;
    EntityView::of(&f.entity).write_pretty(out, inner)?;
    if let Some(owner) = &f.owner {
        key(out, false, inner, "owner")?;
        string(out, owner)?;
    }
    key(out, false, inner, "owner_status")?;
    string(out, f.owner_status.as_str())?;
    key(out, false, inner, "message")?;
    string(out, &f.message)?;
    key(out, false, inner, "evidence")?;
    value_at(out, inner, &f.evidence)?;
    key(out, false, inner, "remediation")?;
    string(out, &f.remediation)?;
    key(out, false, inner, "references")?;
    value_at(out, inner, &*f.references)?;
    if !f.also_fails.is_empty() {
        key(out, false, inner, "also_fails")?;
        value_at(out, inner, &f.also_fails)?;
    }
    if let Some(baseline) = f.baseline {
        key(out, false, inner, "baseline")?;
        string(out, baseline.as_str())?;
    }
    if let Some(suppressed) = &f.suppressed {
        key(out, false, inner, "suppressed")?;
        value_at(out, inner, &**suppressed)?;
    }
    out.push(b'\n');
    indent(out, depth)?;
    out.push(b'}');
    Ok(())
}

/// Writes an array of `count` elements `depth` levels in, element `k` rendered by
/// `render(k, piece)` on all cores ([`pipeline`]).
fn array(
    out: &mut dyn Write,
    depth: usize,
    count: usize,
    render: impl Fn(usize, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let mut array = Array::begin(out, depth)?;
    pipeline::render_in_order(count, render, |piece| array.piece(piece))?;
    array.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{enrich, owner::OwnerResolver};
    use crate::report::{InventorySection, RulePack, ScanInfo};
    use crate::rules::{eval, findings::Findings, RuleSet};
    use std::path::Path;

    /// Several batches, the last one short: pipelined, they still come out in order.
    #[test]
    fn an_array_of_many_batches_is_written_in_order() {
        let count = 3 * pipeline::BATCH + 17;
        let values: Vec<String> = (0..count).map(|k| format!("element {k}")).collect();
        let mut written = Vec::new();
        array(&mut written, 0, count, |k, piece| {
            pretty::element(piece, 0, &values[k])
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let expected = serde_json::to_vec_pretty(&values).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&expected)
        );
        let mut empty = Vec::new();
        array(&mut empty, 0, 0, |_, _| Ok(())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(empty, b"[]");
    }

    /// A finding with every optional field, and one with none, written as serde writes
    /// it, at the top and nested.
    #[test]
    fn a_finding_is_written_as_serde_writes_it() {
        use crate::enrich::owner::OwnerStatus;
        use crate::finding::{BaselineState, EntityRef, Suppressed};
        use crate::inventory::{Provider, Scope, ScopeKind};
        use crate::rules::{Confidence, References, Severity, Target};
        use std::sync::Arc;
        use strum::VariantArray;
        let full = Finding {
            id: "NHI-0123456789abcdef".into(),
            rule_id: "static-key-not-rotated".into(),
            title: "Key \"not\" rotated".into(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            entity: EntityRef {
                target: Target::Credential,
                provider: Provider::Aws,
                scope: Scope {
                    kind: ScopeKind::Account,
                    id: "111111111111".into(),
                    name: Some("prod".into()),
                },
                kind: "access_key".into(),
                id: "AKIA\\1".into(),
                name: Some("key".into()),
                identity_id: Some("arn:aws:iam::111111111111:user/ci".into()),
            },
            owner: Some("ana@example.com".into()),
            owner_status: OwnerStatus::Departed,
            message: "line one\nline two\t\u{1}".into(),
            evidence: [
                ("credential.age_days".to_string(), serde_json::json!(400)),
                (
                    "credential.tags".to_string(),
                    serde_json::json!({"env": ["a", "b"], "x": {}}),
                ),
            ]
            .into(),
            remediation: "1. `aws iam update-access-key --status Inactive`\n".into(),
            references: Arc::new(References {
                owasp_nhi: vec!["NHI7".into()],
                cis: vec!["1.14".into()],
                ..Default::default()
            }),
            also_fails: vec!["a".into(), "b".into()],
            baseline: Some(BaselineState::Existing),
            suppressed: Some(Arc::new(Suppressed {
                reason: "accepted".into(),
                expires: Some(chrono::DateTime::UNIX_EPOCH),
                source: "suppressions.yaml:3".into(),
            })),
        };
        let bare = Finding {
            entity: EntityRef {
                scope: Scope {
                    name: None,
                    ..full.entity.scope.clone()
                },
                name: None,
                identity_id: None,
                ..full.entity.clone()
            },
            owner: None,
            evidence: Default::default(),
            references: Default::default(),
            also_fails: Vec::new(),
            baseline: None,
            suppressed: None,
            ..full.clone()
        };
        for f in [&full, &bare] {
            for depth in [0, 2] {
                let mut expected = Vec::new();
                value_at(&mut expected, depth, f).unwrap_or_else(|e| panic!("{e}"));
                let mut written = Vec::new();
                finding(&mut written, depth, f).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
        // Every severity, confidence and owner status, named as serde names them.
        let statuses = [
            OwnerStatus::Present,
            OwnerStatus::Missing,
            OwnerStatus::Active,
            OwnerStatus::Unknown,
        ];
        let named = (Severity::VARIANTS
            .iter()
            .zip(Confidence::VARIANTS.iter().cycle()))
        .zip(statuses.iter().cycle());
        for ((&severity, &confidence), &owner_status) in named {
            let f = Finding {
                severity,
                confidence,
                owner_status,
                ..bare.clone()
            };
            let (mut expected, mut written) = (Vec::new(), Vec::new());
            value_at(&mut expected, 1, &f).unwrap_or_else(|e| panic!("{e}"));
            finding(&mut written, 1, &f).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(written, expected);
        }
    }

    /// A failing render fails the whole array, whichever batch it is in.
    #[test]
    fn a_render_error_in_a_later_batch_is_returned() {
        let failing = pipeline::BATCH + 3;
        let result = array(&mut Vec::new(), 0, 2 * pipeline::BATCH, |k, piece| {
            if k == failing {
                return Err(io::Error::other("boom"));
            }
            pretty::element(piece, 0, &k)
        });
        assert_eq!(result.map_err(|e| e.to_string()), Err("boom".into()));
    }

    /// The example estate's report, written whole by serde_json and in pieces by
    /// [`write`], with and without findings.
    #[test]
    fn writes_what_serde_json_writes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/estate/inventory.json");
        let inventory = crate::import::json::read_document(&path).unwrap_or_else(|e| panic!("{e}"));
        let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .to_utc();
        let enriched = enrich(inventory, as_of, &OwnerResolver::default());
        let rules = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e:?}"));
        let evaluation = eval::evaluate(&rules, &enriched);
        for matches in [evaluation.matches.clone(), Vec::new()] {
            let mut findings = Findings::new(rules.rules.iter().collect(), &enriched, matches);
            findings.sort();
            let report = Report {
                report_version: crate::report::REPORT_VERSION,
                tool: Default::default(),
                scan: ScanInfo {
                    as_of,
                    sources: vec!["examples/estate/inventory.json".into()],
                    roster: None,
                    config: None,
                    rules: RulePack {
                        builtin: rules.rules.len(),
                        user_dirs: Vec::new(),
                        enabled: rules.rules.len(),
                        disabled: Vec::new(),
                    },
                    fail_on: None,
                    incomplete: false,
                    api_calls: Default::default(),
                },
                coverage: enriched.inventory.coverage.clone(),
                inventory: InventorySection::of(&enriched.inventory),
                summary: findings.summary(),
                baseline: None,
                suppressions: None,
                rule_errors: vec![crate::report::EvalErrorRecord {
                    rule_id: "r".into(),
                    entity_id: "e".into(),
                    message: "m".into(),
                }],
                leaks: Some(Default::default()),
                findings,
            };
            let mut whole = serde_json::to_vec_pretty(&report).unwrap_or_default();
            whole.push(b'\n');
            let mut pieces = Vec::new();
            write(&report, &mut pieces).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                String::from_utf8_lossy(&pieces),
                String::from_utf8_lossy(&whole)
            );
        }
    }
}
