//! Fuzz targets (proptest): every parser of input that someone else may have written —
//! the JSON and JSON Lines importers, the CSV importer, the rule loader, the
//! suppressions parser — fed mutated seeds and random bytes. Each must answer `Ok` or an
//! error, never panic (proptest reports a panic as a failure, with the input shrunk).
//!
//! Bounded for CI: `NHISCAN_FUZZ_CASES` cases per target (default 2,000: about 2 s for
//! all); raise it for a longer run: `NHISCAN_FUZZ_CASES=100000 cargo test --lib fuzz`.

use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::Config;
use std::path::Path;

const INVENTORY: &str = include_str!("../tests/fixtures/small/inventory.json");
const LINES: &str = include_str!("../tests/fixtures/fuzz/inventory.jsonl");
const IDENTITIES: &str = include_str!("../tests/fixtures/fuzz/identities.csv");
const ROSTER: &str = include_str!("../tests/fixtures/small/roster.csv");
const SUPPRESSIONS: &str = include_str!("../tests/fixtures/fuzz/suppressions.yaml");
const RULE: &str = include_str!("../rules/aws/aws-privilege-escalation-actions.yaml");
const RULE_WITH_PARAMS: &str = include_str!("../rules/credentials/static-key-not-rotated.yaml");

/// What an edit may insert: structure, numbers and dates out of range, control and bidi
/// characters, invalid UTF-8, expression fragments.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"null",
    b"-1",
    b"1e309",
    b"99999999999999999999999",
    b"2026-13-45T99:99:99Z",
    b"\x1b[2J",
    b"\xe2\x80\xae",
    b"\0",
    b"\xff\xfe",
    b"((((((((",
    b".exists(x, ",
    b"&& ",
    b"{identity.",
    b"- ",
    b"  ",
    b"*:",
    b"=HYPERLINK(",
    b";",
    b"|",
];

/// `seeds[i]` with up to 8 edits: a token inserted, a span deleted, the rest cut off,
/// or a span repeated.
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        0..seeds.len(),
        prop::collection::vec((any::<Index>(), 0u8..4, select(TOKENS)), 0..8),
    )
        .prop_map(move |(seed, edits)| {
            let mut bytes = seeds[seed].as_bytes().to_vec();
            for (at, op, token) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 => {
                        bytes.splice(i..i, token.iter().copied());
                    }
                    1 => {
                        let end = (i + 1 + token.len() * 4).min(bytes.len());
                        bytes.drain(i.min(end)..end);
                    }
                    2 => bytes.truncate(i),
                    _ => {
                        let end = (i + 64).min(bytes.len());
                        let span = bytes[i.min(end)..end].to_vec();
                        bytes.splice(i..i, span);
                    }
                }
            }
            bytes
        })
}

/// Mutated seeds, or bytes at random.
fn inputs(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => mutated(seeds),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

fn config() -> Config {
    let cases = std::env::var("NHISCAN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn json_documents(bytes in inputs(&[INVENTORY])) {
        let _ = crate::import::json::parse_document(Path::new("fuzz.json"), &bytes);
    }

    #[test]
    fn json_lines(bytes in inputs(&[LINES])) {
        let _ = crate::import::json::parse_lines(Path::new("fuzz.jsonl"), &bytes);
    }

    #[test]
    fn csv_identities(bytes in inputs(&[IDENTITIES])) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("identities.csv");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = crate::import::read_path(&path);
    }

    #[test]
    fn rosters(bytes in inputs(&[ROSTER])) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = crate::import::csv::read_records::<crate::enrich::owner::RosterEntry>(&path);
    }

    #[test]
    fn rule_files(bytes in inputs(&[RULE, RULE_WITH_PARAMS])) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = crate::rules::RuleSet::from_sources(&[("fuzz.yaml".to_string(), text)]);
    }

    #[test]
    fn suppressions(bytes in inputs(&[SUPPRESSIONS])) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = crate::exit_policy::suppress::Suppressions::parse("fuzz.yaml", &text);
    }
}
