//! JSON: the versioned report document (see [`crate::report::Report`]), pretty-printed.
//! The two long arrays, the inventory's entities and the findings, are rendered on all
//! cores a batch at a time ([`pipeline`]); the bytes are those
//! `serde_json::to_writer_pretty` writes.

use super::pipeline;
use super::pretty::{self, Array, Object};
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
            pretty::element(piece, 2, &entities.nth(k))
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
        pretty::element(piece, 1, &findings.nth(k))
    })?;
    top.end()?;
    writeln!(out)
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
