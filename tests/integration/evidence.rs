//! `nhiscan report --evidence DIR`: the auditor's evidence pack, run as the real binary.
//! Same inputs, byte-identical files; the manifest's checksums hold.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

fn nhiscan() -> Command {
    Command::from_std(crate::support::nhiscan())
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn pack(dir: &Path) {
    let out = nhiscan()
        .args([
            "report",
            "-i",
            "examples/estate/inventory.json",
            "--owners",
            "examples/roster.csv",
            "--config",
            "examples/nhiscan.toml",
            "--now",
            "2026-11-01",
            "--leaks",
            "tests/fixtures/leaks/gitleaks/report.json",
            "--evidence",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_pack_is_complete_checksummed_and_byte_identical_when_run_again() {
    let root = tempfile::tempdir().unwrap();
    let (first, second) = (root.path().join("one"), root.path().join("two"));
    pack(&first);
    pack(&second);
    let (a, b) = (files(&first), files(&second));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between two runs");
    }
    // Run again into the same folder: it replaces the earlier pack, byte for byte.
    pack(&first);
    assert_eq!(files(&first), a);

    let expected = [
        "SHA256SUMS",
        "frameworks/cis.csv",
        "frameworks/cis.md",
        "frameworks/maestro.csv",
        "frameworks/maestro.md",
        "frameworks/nist-ai-rmf.csv",
        "frameworks/nist-ai-rmf.md",
        "frameworks/nist-csf.csv",
        "frameworks/nist-csf.md",
        "frameworks/owasp-agentic.csv",
        "frameworks/owasp-agentic.md",
        "frameworks/owasp-nhi.csv",
        "frameworks/owasp-nhi.md",
        "inventory.json",
        "manifest.json",
        "owner-attestations.csv",
        "report.json",
    ];
    assert_eq!(a.keys().map(String::as_str).collect::<Vec<_>>(), expected);

    // The manifest names every other file with its sha256, and SHA256SUMS all of them.
    let manifest: Value = serde_json::from_slice(&a["manifest.json"]).unwrap();
    assert_eq!(manifest["as_of"], "2026-11-01T00:00:00+00:00");
    assert_eq!(manifest["tool"]["name"], "nhiscan");
    assert_eq!(manifest["rule_pack"]["sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["scopes"].as_array().unwrap().len() >= 5);
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), expected.len() - 2);
    for file in listed {
        let path = file["path"].as_str().unwrap();
        assert_eq!(file["sha256"], hex(&a[path]), "{path}");
    }
    let sums = String::from_utf8(a["SHA256SUMS"].clone()).unwrap();
    for line in sums.lines() {
        let (sum, path) = line.split_once("  ").unwrap();
        assert_eq!(sum, hex(&a[path]), "{path}");
    }
    assert_eq!(sums.lines().count(), expected.len() - 1);

    // The report was computed from the inventory in the pack.
    let inventory: Value = serde_json::from_slice(&a["inventory.json"]).unwrap();
    let report: Value = serde_json::from_slice(&a["report.json"]).unwrap();
    assert_eq!(
        report["inventory"]["identities"].as_u64().unwrap() as usize,
        inventory["identities"].as_array().unwrap().len()
    );
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "credential-leaked-still-active"));

    // Owners get a row per identity: confirm it, or retire or fix what failed.
    let mut reader = csv::Reader::from_reader(a["owner-attestations.csv"].as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        &header[..4],
        ["owner", "owner_status", "owner_source", "action"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.len() >= inventory["identities"].as_array().unwrap().len());
    let jenkins = rows
        .iter()
        .find(|r| &r[10] == "arn:aws:iam::111122223333:user/jenkins-svc")
        .unwrap();
    assert_eq!(&jenkins[3], "retire or remediate");
    assert_eq!(&jenkins[4], "critical");
    assert!(
        jenkins[6].contains("credential-leaked-still-active"),
        "{:?}",
        &jenkins[6]
    );
    assert!(rows.iter().any(|r| &r[3] == "confirm still needed"));

    let rmf = String::from_utf8(a["frameworks/nist-ai-rmf.md"].clone()).unwrap();
    assert!(rmf.contains("| GOVERN 1.6 |"), "{rmf}");
}

#[test]
fn a_folder_of_other_files_is_not_overwritten() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), "mine").unwrap();
    let out = nhiscan()
        .args([
            "report",
            "-i",
            "examples/estate/inventory.json",
            "--now",
            "2026-11-01",
            "--evidence",
        ])
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an nhiscan evidence pack"));
    assert_eq!(
        std::fs::read_to_string(root.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn the_ai_rmf_table_tallies_the_agent_rules() {
    let out = nhiscan()
        .args([
            "report",
            "--framework",
            "nist-ai-rmf",
            "-i",
            "tests/fixtures/ai/inventory.json",
            "--now",
            "2025-12-01",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let control = |id: &str| {
        report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no control {id}"))
    };
    for id in [
        "GOVERN 1.6",
        "GOVERN 6.1",
        "MAP 3.5",
        "MEASURE 2.7",
        "MANAGE 2.4",
    ] {
        assert!(!control(id)["title"].as_str().unwrap().is_empty());
    }
    let measure = control("MEASURE 2.7");
    assert_eq!(measure["status"], "fail");
    assert!(measure["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "ai-agent-static-credential"));
    assert_eq!(control("GOVERN 6.1")["status"], "not_tested");
}
