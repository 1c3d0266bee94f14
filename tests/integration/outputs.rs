//! The CI outputs, run through the real binary with a clean environment: every report
//! format (snapshots, official schemas, read-back), several formats from one run, the
//! baseline, `diff`, suppressions, the report's JSON schema, and init/completions/man.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const NOW: &str = "2026-01-01T00:00:00Z";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> PathBuf {
    root().join(path)
}

/// The binary, run from the repository root with nothing inherited but PATH.
fn nhiscan() -> Command {
    Command::from_std(crate::support::nhiscan())
}

/// `scan` of the small fixture as of NOW, with the roster, with absolute paths so
/// that it can run from any folder.
fn scan_small() -> Command {
    let mut cmd = nhiscan();
    cmd.arg("scan")
        .arg("-i")
        .arg(fixture("tests/fixtures/small/inventory.json"))
        .arg("--owners")
        .arg(fixture("tests/fixtures/small/roster.csv"))
        .args(["--now", NOW]);
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stdout_of(cmd: &mut Command) -> String {
    let (code, stdout, stderr) = run(cmd);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    stdout
}

fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn is_valid(schema_file: &str, instance: &Value) -> bool {
    validator(schema_file).is_valid(instance)
}

/// Validates `instance` against the schema file, listing every error.
fn assert_valid(schema_file: &str, instance: &Value) {
    let errors: Vec<String> = validator(schema_file)
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}:\n{}", errors.join("\n"));
}

fn validator(schema_file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixture(schema_file)).unwrap_or_default();
    // The OASIS schema's `language` pattern has a stray `]` (legal in ECMA-262, not for
    // the regex crate); Microsoft's copy has the fix, applied here in memory.
    let text = text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{schema_file}: {e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{schema_file}: {e}"))
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

// ---- formats -------------------------------------------------------------------

#[test]
fn jsonl_has_one_finding_per_line_as_in_the_report() {
    let report = json_of(scan_small().args(["-f", "json"]));
    let lines = stdout_of(scan_small().args(["-f", "jsonl"]));
    let parsed: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(parsed, findings(&report));
    insta::assert_snapshot!("jsonl_small", lines);
}

#[test]
fn markdown_snapshot_and_escaping() {
    let text = stdout_of(scan_small().args(["-f", "markdown"]));
    insta::assert_snapshot!("markdown_small", text);
    // The hostile names and owners cannot break the table, link or mention.
    assert!(
        text.contains("=HYPERLINK(\"http:&#8203;//evil.example/x\",\"click\")"),
        "{text}"
    );
    assert!(
        text.contains("@&#8203;SUM(1+1)") && !text.contains(" @SUM"),
        "{text}"
    );
    assert!(text.contains("+cmd\\|' /C calc'\\!A0"), "{text}");
    assert!(text.contains("### All "), "{text}");
    let top = stdout_of(scan_small().args(["-f", "markdown", "--top", "2"]));
    assert!(top.contains("### Top 2 findings"), "{top}");
    let rows = top
        .lines()
        .filter(|l| l.starts_with("| high |") && l.matches(" | ").count() == 5)
        .count();
    assert_eq!(rows, 2, "{top}");
    assert!(top.contains("…and "), "{top}");
}

#[test]
fn sarif_is_valid_sarif_2_1_0_that_github_accepts() {
    let sarif = json_of(scan_small().args(["-f", "sarif"]));
    assert_valid("tests/schemas/sarif-2.1.0.microsoft.json", &sarif);
    assert_valid("tests/schemas/sarif-schema-2.1.0.oasis.json", &sarif);
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!is_valid(
        "tests/schemas/sarif-2.1.0.microsoft.json",
        &broken
    ));
    assert!(!is_valid(
        "tests/schemas/sarif-schema-2.1.0.oasis.json",
        &broken
    ));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!rules.is_empty());
    for rule in &rules {
        let props = &rule["properties"];
        if let Some(score) = props["security-severity"].as_str() {
            let n: f64 = score.parse().unwrap_or(-1.0);
            assert!((0.0..=10.0).contains(&n), "{score}");
        }
        assert!(["very-high", "high", "medium", "low"]
            .contains(&props["precision"].as_str().unwrap_or("")));
        let tags = props["tags"].as_array().cloned().unwrap_or_default();
        assert!(
            tags.contains(&json!("security")) && tags.len() <= 20,
            "{tags:?}"
        );
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("**Remediation**")));
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let report = json_of(scan_small().args(["-f", "json"]));
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), findings(&report).len());
    for (result, finding) in results.iter().zip(findings(&report)) {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["ruleId"], finding["rule_id"]);
        let location = &result["locations"][0];
        let uri = location["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or("");
        assert!(uri.starts_with("nhiscan/"), "{uri}");
        assert_eq!(location["physicalLocation"]["region"]["startLine"], 1);
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            finding["entity"]["id"]
        );
        assert_eq!(
            result["partialFingerprints"]["nhiscanFindingId/v1"],
            finding["id"]
        );
        assert!(result["message"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
    }
    let mut sarif = sarif;
    sarif["runs"][0]["tool"]["driver"]["version"] = "[version]".into();
    sarif["runs"][0]["tool"]["driver"]["semanticVersion"] = "[version]".into();
    // Every rule descriptor is checked above; the snapshot keeps their ids, and the
    // descriptor of the first result in full.
    let descriptors = sarif["runs"][0]["tool"]["driver"]["rules"].take();
    let first = results[0]["ruleIndex"].as_u64().unwrap_or(0) as usize;
    insta::assert_json_snapshot!("sarif_small_first_rule", descriptors[first]);
    sarif["runs"][0]["tool"]["driver"]["rules"] = descriptors
        .as_array()
        .map(|all| all.iter().map(|r| r["id"].clone()).collect())
        .unwrap_or_default();
    insta::assert_json_snapshot!("sarif_small", sarif);
}

#[test]
fn ocsf_events_are_valid_detection_findings() {
    let text = stdout_of(scan_small().args(["-f", "ocsf"]));
    let report = json_of(scan_small().args(["-f", "json"]));
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(events.len(), findings(&report).len());
    for (event, finding) in events.iter().zip(findings(&report)) {
        assert_valid(
            "tests/schemas/ocsf-1.5.0-detection_finding-cloud.json",
            event,
        );
        let mut broken = event.clone();
        broken["severity_id"] = 42.into();
        assert!(!is_valid(
            "tests/schemas/ocsf-1.5.0-detection_finding-cloud.json",
            &broken
        ));
        assert_eq!(event["class_uid"], 2004);
        assert_eq!(event["type_uid"], 200401);
        assert_eq!(event["finding_info"]["uid"], finding["id"]);
        assert_eq!(event["resources"][0]["uid"], finding["entity"]["id"]);
    }
    let mut first = events.first().cloned().unwrap_or_default();
    first["metadata"]["product"]["version"] = "[version]".into();
    insta::assert_json_snapshot!("ocsf_small_first", first);
}

#[test]
fn xlsx_reads_back_with_strings_never_formulas() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let dir = tempdir();
    let path = dir.path().join("findings.xlsx");
    scan_small()
        .arg("-f")
        .arg(format!("xlsx:{}", path.display()))
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let mut book: Xlsx<_> = open_workbook(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        book.sheet_names(),
        ["Findings", "Summary", "Inventory", "Credentials"]
    );
    let report = json_of(scan_small().args(["-f", "json"]));
    let sheet = book
        .worksheet_range("Findings")
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), findings(&report).len() + 1);
    assert_eq!(rows[0][0], Data::String("finding_id".into()));
    assert_eq!(rows[0][1], Data::String("severity".into()));
    let cells: Vec<&Data> = rows.iter().flat_map(|r| r.iter()).collect();
    for hostile in [
        "=HYPERLINK(\"http://evil.example/x\",\"click\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
    ] {
        assert!(
            cells.contains(&&Data::String(hostile.into())),
            "{hostile} is not a string cell"
        );
    }
    for name in ["Findings", "Summary", "Inventory", "Credentials"] {
        let formulas = book
            .worksheet_formula(name)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name} has a formula"
        );
    }
    let inventory = book
        .worksheet_range("Inventory")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inventory.rows().count(), 6);
    assert!(inventory
        .rows()
        .flat_map(|r| r.iter())
        .any(|c| *c == Data::String("=HYPERLINK(\"http://evil.example/x\",\"click\")".into())));
    let summary = book
        .worksheet_range("Summary")
        .unwrap_or_else(|e| panic!("{e}"));
    let labels: Vec<String> = summary
        .rows()
        .filter_map(|r| r.first())
        .map(|c| c.to_string())
        .collect();
    for label in ["severity", "provider", "rule", "owner", "dan@example.com"] {
        assert!(labels.iter().any(|l| l == label), "{label} in {labels:?}");
    }
}

#[test]
fn csv_delimiter_and_bom() {
    let text = stdout_of(scan_small().args(["-f", "csv", "--csv-delimiter", ";", "--csv-bom"]));
    assert!(text.starts_with("\u{feff}\"finding_id\";\"severity\";"));
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.ends_with("\"baseline\";\"suppressed\";\"suppression_reason\";\"also_fails\""),
        "{header}"
    );
    scan_small()
        .args(["-f", "csv", "--csv-delimiter", "ab"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a CSV delimiter"));
}

#[test]
fn several_formats_from_one_run() {
    let dir = tempdir();
    let csv = dir.path().join("out.csv");
    let sarif = dir.path().join("out.sarif");
    let (code, stdout, stderr) = run(scan_small()
        .args(["-f", "table", "-f"])
        .arg(format!("csv:{}", csv.display()))
        .arg("-f")
        .arg(format!("sarif:{}", sarif.display())));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("admin-privileges") && stdout.contains("Severity"));
    assert!(std::fs::read_to_string(&csv).is_ok_and(|t| t.starts_with("\"finding_id\"")));
    assert_eq!(read_json(&sarif)["version"], "2.1.0");
    // Only the temporary files' targets remain.
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0),
        2
    );

    scan_small()
        .args(["-f", "table", "-f", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would both go to stdout"));
    // -o still works for a single format.
    let single = dir.path().join("r.json");
    scan_small()
        .args(["-f", "json", "-o"])
        .arg(&single)
        .assert()
        .code(0);
    assert_eq!(read_json(&single)["report_version"], 1);
    // A failed run leaves no file behind.
    let missing = dir.path().join("nope").join("x.csv");
    let late = dir.path().join("late.json");
    scan_small()
        .arg("-f")
        .arg(format!("json:{}", late.display()))
        .arg("-f")
        .arg(format!("csv:{}", missing.display()))
        .assert()
        .code(2);
    assert!(!late.exists());
}

#[test]
fn config_output_defaults_apply_without_f() {
    let dir = tempdir();
    write(
        &dir.path().join("nhiscan.toml"),
        "[output]\nformats = [\"markdown\", \"csv:reports.csv\"]\ncsv_delimiter = \"tab\"\nmarkdown_top = 2\n",
    );
    let (code, stdout, stderr) = run(scan_small().current_dir(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("## nhiscan:"), "{stdout}");
    assert!(stdout.contains("### Top 2 findings"), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("reports.csv")).unwrap_or_default();
    assert!(csv.starts_with("\"finding_id\"\t\"severity\""), "{csv}");
}

// ---- baseline and diff ---------------------------------------------------------

/// The small report, written to `dir/name`, after `edit`.
fn small_report(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut report = json_of(scan_small().args(["-f", "json"]));
    edit(&mut report);
    let path = dir.join(name);
    write(
        &path,
        &serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
    path
}

fn remove_finding(report: &mut Value, rule: &str) -> Value {
    let list = report["findings"]
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let (gone, kept): (Vec<Value>, Vec<Value>) =
        list.into_iter().partition(|f| f["rule_id"] == rule);
    report["findings"] = Value::Array(kept);
    gone.into_iter().next().unwrap_or_default()
}

#[test]
fn baseline_marks_findings_and_only_new_ones_fail() {
    let dir = tempdir();
    let same = small_report(dir.path(), "same.json", |_| {});
    // Everything is in the baseline: nothing new, nothing fails.
    let report = json_of(
        scan_small()
            .args(["-f", "json", "--fail-on", "low", "--baseline"])
            .arg(&same),
    );
    assert!(findings(&report)
        .iter()
        .all(|f| f["baseline"] == "existing"));
    assert_eq!(report["summary"]["new"], 0);
    assert_eq!(report["baseline"]["resolved"], 0);
    scan_small()
        .args(["-f", "json", "--fail-on", "low", "--baseline"])
        .arg(&same)
        .assert()
        .code(0);

    // The baseline lacks the admin finding: it is new and fails --fail-on high.
    let older = small_report(dir.path(), "older.json", |r| {
        remove_finding(r, "admin-privileges");
    });
    let report = json_of(scan_small().args(["-f", "json", "--baseline"]).arg(&older));
    let all = findings(&report);
    let new: Vec<&Value> = all.iter().filter(|f| f["baseline"] == "new").collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["rule_id"], "admin-privileges");
    assert_eq!(report["summary"]["new"], 1);
    scan_small()
        .args(["-f", "json", "--fail-on", "high", "--baseline"])
        .arg(&older)
        .assert()
        .code(1);
    scan_small()
        .args(["-f", "json", "--fail-on", "critical", "--baseline"])
        .arg(&older)
        .assert()
        .code(0);

    // Table marker and CSV column.
    let table = stdout_of(scan_small().args(["-f", "table", "--baseline"]).arg(&older));
    assert!(table.contains("new") && table.contains("existing"));
    assert!(table.contains("1 new,"), "{table}");
    let csv = stdout_of(scan_small().args(["-f", "csv", "--baseline"]).arg(&older));
    assert_eq!(csv.matches(",\"new\",").count(), 1, "{csv}");

    // Something that is no report is refused with its position.
    scan_small()
        .args(["-f", "json", "--baseline"])
        .arg(fixture("tests/fixtures/small/inventory.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inventory.json:"))
        .stderr(predicate::str::contains("report_version"));
}

#[test]
fn markdown_puts_new_findings_first_with_a_baseline() {
    let dir = tempdir();
    let older = small_report(dir.path(), "older.json", |r| {
        remove_finding(r, "multiple-active-keys");
    });
    let text = stdout_of(
        scan_small()
            .args(["-f", "markdown", "--top", "3", "--baseline"])
            .arg(&older),
    );
    assert!(text.contains("**1 new** since the baseline"), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| ") && l.matches(" | ").count() == 6)
        .filter(|l| !l.starts_with("| Severity"))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(
        rows[0].starts_with("| medium | new | multiple-active-keys |"),
        "{text}"
    );
    assert!(rows[1].starts_with("| high | existing |"), "{text}");
    assert!(text.contains("| medium | 5 | 1 |"), "{text}");
}

#[test]
fn diff_lists_new_resolved_changed_findings_and_identities() {
    let dir = tempdir();
    let new = small_report(dir.path(), "new.json", |r| {
        // Changed between the runs: a severity and an evidence value.
        let list = r["findings"].as_array_mut();
        for f in list.into_iter().flatten() {
            if f["rule_id"] == "multiple-active-keys" {
                f["severity"] = "high".into();
            }
            if f["rule_id"] == "owner-departed" {
                f["evidence"]["identity.owner_source"] = "declared".into();
                // A day counter that merely grew is no change.
                f["evidence"]["identity.owner_departed_days"] = 79.into();
            }
        }
    });
    let old = small_report(dir.path(), "old.json", |r| {
        remove_finding(r, "admin-privileges");
        let mut resolved = remove_finding(r, "credential-unused");
        resolved["id"] = "NHI-00000000000000aa".into();
        if let Some(list) = r["findings"].as_array_mut() {
            list.push(resolved);
        }
        let entities = r["inventory"]["entities"].as_array_mut();
        let list = entities.map(std::mem::take).unwrap_or_default();
        let mut kept: Vec<Value> = list.into_iter().filter(|e| e["name"] != "deploy").collect();
        kept.push(json!({"type": "identity", "provider": "aws", "scope": {"kind": "account", "id": "111122223333"},
            "kind": "role", "id": "arn:aws:iam::111122223333:role/retired", "name": "retired"}));
        r["inventory"]["entities"] = Value::Array(kept);
    });
    let diff = json_of(nhiscan().args(["diff", "-f", "json"]).arg(&old).arg(&new));
    let rules = |key: &str| -> Vec<String> {
        diff[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                f["rule_id"]
                    .as_str()
                    .or(f["finding"]["rule_id"].as_str())
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    assert_eq!(rules("new_findings").len(), 2, "{diff:#}");
    assert!(rules("new_findings").contains(&"admin-privileges".to_string()));
    assert!(rules("new_findings").contains(&"credential-unused".to_string()));
    assert_eq!(rules("resolved_findings"), ["credential-unused"]);
    let mut changed = rules("changed_findings");
    changed.sort();
    assert_eq!(changed, ["multiple-active-keys", "owner-departed"]);
    let owner = diff["changed_findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["finding"]["rule_id"] == "owner-departed")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        owner["evidence"].as_array().map(Vec::len),
        Some(1),
        "{owner:#}"
    );
    assert_eq!(diff["summary"]["new_identities"], 1);
    assert_eq!(diff["summary"]["removed_identities"], 1);
    assert_eq!(diff["new_entities"][0]["name"], "deploy");
    assert_eq!(diff["removed_entities"][0]["name"], "retired");

    let markdown = stdout_of(
        nhiscan()
            .current_dir(dir.path())
            .args(["diff", "-f", "markdown", "old.json", "new.json"]),
    );
    insta::assert_snapshot!("diff_markdown", markdown);
    let table = stdout_of(
        nhiscan()
            .current_dir(dir.path())
            .args(["diff", "old.json", "new.json"]),
    );
    insta::assert_snapshot!("diff_table", table);
    // --fail-on: a new high finding fails.
    nhiscan()
        .args(["diff", "--fail-on", "high"])
        .arg(&old)
        .arg(&new)
        .assert()
        .code(1);
    nhiscan()
        .args(["diff", "--fail-on", "critical"])
        .arg(&old)
        .arg(&new)
        .assert()
        .code(0);
}

// ---- suppressions --------------------------------------------------------------

const IGNORE: &str = "\
suppressions:
  - id: NHI-54e6e16cff199bbc
    reason: deploy role is break-glass, reviewed quarterly (SEC-7)
  - rule: static-key-not-rotated
    resource: AKIA*
    provider: aws
    account: 111122223333
    reason: rotation automated in Q1
    expires: 2026-03-01
  - rule: credential-unused
    resource: \"arn:aws:iam::*:user/ghost-*\"
    reason: left over
";

#[test]
fn suppressions_mark_findings_and_do_not_fail() {
    let dir = tempdir();
    let ignore = dir.path().join("ignore.yaml");
    write(&ignore, IGNORE);
    let (code, stdout, stderr) = run(scan_small()
        .args(["-f", "json", "--fail-on", "high", "--ignore"])
        .arg(&ignore));
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let suppressed: Vec<Value> = findings(&report)
        .into_iter()
        .filter(|f| f["suppressed"].is_object())
        .collect();
    assert_eq!(suppressed.len(), 2, "{report:#}");
    assert!(suppressed
        .iter()
        .any(|f| f["suppressed"]["source"] == format!("{}:2", ignore.display())));
    assert_eq!(report["summary"]["suppressed"], 2);
    assert_eq!(
        report["suppressions"]["unmatched"][0]["source"],
        format!("{}:10", ignore.display())
    );
    assert!(report["suppressions"]["expired"]
        .as_array()
        .is_none_or(Vec::is_empty));
    assert!(
        stderr.contains(&format!(
            "{}:10: suppression matched no finding",
            ignore.display()
        )),
        "{stderr}"
    );
    // Other high findings remain, so the run still fails; suppress them and it passes.
    assert_eq!(code, 1);
    let csv = stdout_of(scan_small().args(["-f", "csv", "--ignore"]).arg(&ignore));
    assert_eq!(
        csv.matches("\"true\",\"rotation automated in Q1\"").count(),
        1,
        "{csv}"
    );
    let table = stdout_of(scan_small().args(["-f", "table", "--ignore"]).arg(&ignore));
    assert!(table.contains("suppressed"), "{table}");
}

#[test]
fn expired_suppressions_stop_applying_as_of_now() {
    let dir = tempdir();
    write(&dir.path().join(".nhiscan-ignore.yaml"), IGNORE);
    // Found in the working directory by default.
    let later = |now: &str| {
        let mut cmd = nhiscan();
        cmd.current_dir(dir.path())
            .arg("scan")
            .arg("-i")
            .arg(fixture("tests/fixtures/small/inventory.json"))
            .args(["--now", now, "-f", "json"]);
        cmd
    };
    let before = json_of(&mut later("2026-02-28"));
    let key = |r: &Value| {
        findings(r)
            .into_iter()
            .find(|f| f["rule_id"] == "static-key-not-rotated")
            .unwrap_or_default()
    };
    assert!(key(&before)["suppressed"].is_object());
    let (_, stdout, stderr) = run(&mut later("2026-03-01"));
    let after: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(key(&after)["suppressed"].is_null());
    let expired = &after["suppressions"]["expired"][0];
    assert_eq!(expired["source"], ".nhiscan-ignore.yaml:4");
    assert_eq!(expired["matches"], 1);
    assert!(
        stderr.contains(".nhiscan-ignore.yaml:4: suppression expired on 2026-03-01"),
        "{stderr}"
    );
}

#[test]
fn suppression_file_errors_point_at_file_and_line() {
    let dir = tempdir();
    let ignore = dir.path().join("bad.yaml");
    write(&ignore, "suppressions:\n  - id: NHI-54e6e16cff199bbc\n    reason: ok\n  - rule: no-such-rule\n    resource: \"*\"\n    reason: typo\n");
    scan_small()
        .args(["-f", "json", "--ignore"])
        .arg(&ignore)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "{}:4: no rule `no-such-rule`",
            ignore.display()
        )));
    write(
        &ignore,
        "suppressions:\n  - id: NHI-54e6e16cff199bbc\n    reason: ok\n    expire: 2026-01-01\n",
    );
    scan_small()
        .args(["--ignore"])
        .arg(&ignore)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:4:", ignore.display())))
        .stderr(predicate::str::contains("unknown field `expire`"));
}

// ---- schema --------------------------------------------------------------------

#[test]
fn checked_in_schema_matches_the_types_and_validates_a_real_report() {
    let printed = stdout_of(nhiscan().arg("schema"));
    let checked_in =
        std::fs::read_to_string(fixture("schema/report.schema.json")).unwrap_or_default();
    assert!(
        printed == checked_in,
        "schema/report.schema.json is out of date: run `cargo run -- schema > schema/report.schema.json`"
    );
    let schema: Value = serde_json::from_str(&checked_in).unwrap_or_default();
    let dir = tempdir();
    let ignore = dir.path().join("ignore.yaml");
    write(&ignore, IGNORE);
    let older = small_report(dir.path(), "older.json", |r| {
        remove_finding(r, "admin-privileges");
    });
    for args in [
        vec![],
        vec![
            "--baseline".to_string(),
            older.display().to_string(),
            "--ignore".to_string(),
            ignore.display().to_string(),
        ],
    ] {
        let text = stdout_of(scan_small().args(["-f", "json"]).args(&args));
        let report: Value = serde_json::from_str(&text).unwrap_or_default();
        let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        // The schema's types read the report back without losing a field.
        let document = nhiscan::report::document::parse(Path::new("r.json"), text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(serde_json::to_value(&document).unwrap_or_default(), report);
    }
    // The schema is strict where the report is: an unknown severity is refused.
    let mut report = json_of(scan_small().args(["-f", "json"]));
    report["findings"][0]["severity"] = "urgent".into();
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    assert!(!validator.is_valid(&report));
}

// ---- init, completions, man ----------------------------------------------------

#[test]
fn init_writes_a_config_that_scan_accepts_and_refuses_to_overwrite() {
    let dir = tempdir();
    nhiscan()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(0);
    let path = dir.path().join("nhiscan.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(text.contains("[output]"));
    scan_small()
        .current_dir(dir.path())
        .args(["-f", "json"])
        .assert()
        .code(0);
    nhiscan()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists; use --force"));
    write(&path, "# mine\n");
    nhiscan()
        .current_dir(dir.path())
        .args(["init", "--force"])
        .assert()
        .code(0);
    assert!(std::fs::read_to_string(&path).is_ok_and(|t| t.contains("[output]")));
}

#[test]
fn completions_and_man_page() {
    nhiscan()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("_nhiscan()"))
        .stdout(predicate::str::contains("--baseline"));
    nhiscan()
        .args(["completions", "zsh"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("#compdef nhiscan"));
    nhiscan()
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(".TH nhiscan"))
        .stdout(predicate::str::contains(".TH nhiscan-scan"))
        .stdout(predicate::str::contains("\\-\\-baseline"));
}

// ---- examples/ci ---------------------------------------------------------------

#[test]
fn ci_examples_parse_and_do_what_the_readme_says() {
    let read = |p: &str| std::fs::read_to_string(fixture(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let workflow: serde_norway::Value =
        serde_norway::from_str(&read("examples/ci/github-actions.yml"))
            .unwrap_or_else(|e| panic!("{e}"));
    let steps = workflow["jobs"]["scan"]["steps"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let uses: Vec<String> = steps
        .iter()
        .filter_map(|s| s["uses"].as_str().map(String::from))
        .collect();
    assert!(uses
        .iter()
        .any(|u| u.starts_with("github/codeql-action/upload-sarif@")));
    assert!(uses
        .iter()
        .any(|u| u.starts_with("actions/download-artifact@")));
    let runs: String = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for needed in [
        "--baseline",
        "--fail-on high",
        "GITHUB_STEP_SUMMARY",
        "sarif:nhiscan.sarif",
        "markdown:",
    ] {
        assert!(runs.contains(needed), "{needed}");
    }
    assert!(workflow["on"]["schedule"].is_sequence());
    let gitlab: serde_norway::Value = serde_norway::from_str(&read("examples/ci/gitlab-ci.yml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let script: Vec<&str> = gitlab["nhiscan"]["script"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        script
            .iter()
            .any(|l| l.contains("--fail-on high $BASELINE")),
        "{script:?}"
    );
    Command::new("bash")
        .arg("-n")
        .arg(fixture("examples/ci/nightly.sh"))
        .assert()
        .success();
}

/// The bundled example estate, as the README's first command scans it, in every format
/// from one run: the text formats as snapshots, SARIF and OCSF valid against their
/// schemas (and snapshots), the JSON report valid against ours, the XLSX read back; all
/// of them carry the same findings.
#[test]
fn the_example_estate_in_every_format() {
    use calamine::{open_workbook, Reader, Xlsx};
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name);
    let mut cmd = nhiscan();
    cmd.arg("scan")
        .args(["-i", "examples/estate/inventory.json"])
        .args(["--owners", "examples/roster.csv"])
        .args(["--config", "examples/nhiscan.toml"])
        .args(["--leaks", "examples/estate/leaks.json"])
        .args(["--now", "2026-11-01T00:00:00Z"]);
    for (format, file) in [
        ("table", "report.txt"),
        ("csv", "findings.csv"),
        ("json", "report.json"),
        ("jsonl", "findings.jsonl"),
        ("sarif", "findings.sarif"),
        ("markdown", "summary.md"),
        ("ocsf", "findings.ocsf.json"),
        ("xlsx", "findings.xlsx"),
    ] {
        cmd.arg("-f")
            .arg(format!("{format}:{}", path(file).display()));
    }
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    let text =
        |name: &str| std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));

    let report = read_json(&path("report.json"));
    assert_valid("schema/report.schema.json", &report);
    let ids: Vec<String> = findings(&report)
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect();
    // A sanity check: the per-rule snapshot below pins the findings themselves.
    assert!(ids.len() > 100, "{} findings", ids.len());

    let jsonl = text("findings.jsonl");
    let jsonl_ids: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(jsonl_ids, ids);

    let sarif = read_json(&path("findings.sarif"));
    assert_valid("tests/schemas/sarif-schema-2.1.0.oasis.json", &sarif);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(ids.len())
    );
    let mut events: Vec<Value> = text("findings.ocsf.json")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(events.len(), ids.len());
    for event in &mut events {
        assert_valid(
            "tests/schemas/ocsf-1.5.0-detection_finding-cloud.json",
            event,
        );
        event["metadata"]["product"]["version"] = "[version]".into();
    }
    // The snapshots outlive version bumps.
    let mut sarif = sarif;
    for key in ["version", "semanticVersion"] {
        if sarif["runs"][0]["tool"]["driver"].get(key).is_some() {
            sarif["runs"][0]["tool"]["driver"][key] = "[version]".into();
        }
    }

    // Every format carries the same findings, in the same order.
    let csv = text("findings.csv");
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let csv_ids: Vec<String> = reader
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}"))[0].to_string())
        .collect();
    assert_eq!(csv_ids, ids, "CSV");
    let results = sarif["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sarif_ids: Vec<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["nhiscanFindingId/v1"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(sarif_ids, ids, "SARIF");
    let ocsf_ids: Vec<&str> = events
        .iter()
        .map(|e| e["finding_info"]["uid"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ocsf_ids, ids, "OCSF");
    let mut book: Xlsx<_> = open_workbook(path("findings.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    let sheet = book
        .worksheet_range("Findings")
        .unwrap_or_else(|e| panic!("{e}"));
    let xlsx_ids: Vec<String> = sheet.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(xlsx_ids, ids, "XLSX");
    let table = text("report.txt");
    let severity_column = table.lines().filter(|l| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .any(|s| l.starts_with(&format!("│ {s} ")))
    });
    assert_eq!(severity_column.count(), ids.len(), "table rows");
    assert!(table.contains(&format!("{} findings (", ids.len())));

    // What the estate yields, one line per rule, severity and provider: a change to
    // any rule or collector shows here as a line a reviewer can read.
    let mut counts: std::collections::BTreeMap<(String, String, String), usize> =
        std::collections::BTreeMap::new();
    for f in findings(&report) {
        let key = |v: &Value| v.as_str().unwrap_or("?").to_string();
        *counts
            .entry((
                key(&f["rule_id"]),
                key(&f["severity"]),
                key(&f["entity"]["provider"]),
            ))
            .or_default() += 1;
    }
    let per_rule: String = counts
        .iter()
        .map(|((rule, severity, provider), n)| {
            format!("{rule:<42} {severity:<8} {provider:<10} {n}\n")
        })
        .collect();
    insta::assert_snapshot!(
        "estate_findings_per_rule",
        format!("{} findings\n{per_rule}", ids.len())
    );
    // And which entity each finding is on (a finding that moves shows here).
    let mut on: Vec<String> = findings(&report)
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
            format!("{:<42} {}", text(&f["rule_id"]), text(&f["entity"]["id"]))
        })
        .collect();
    on.sort();
    insta::assert_snapshot!("estate_finding_entities", on.join("\n"));

    // A sample of each format: its first three findings (the table's closing summary),
    // small enough to read.
    let csv_sample: Vec<&str> = csv.lines().take(4).collect();
    let first_findings: Vec<&str> = jsonl.lines().take(3).collect();
    let summary_start = table
        .lines()
        .position(|l| l.contains(" findings (") && l.contains(" identities and "))
        .unwrap_or(0);
    let table_summary: Vec<&str> = table.lines().skip(summary_start).collect();
    insta::assert_snapshot!("estate_table_summary", table_summary.join("\n"));
    insta::assert_snapshot!("estate_csv_first_rows", csv_sample.join("\n"));
    insta::assert_snapshot!("estate_jsonl_first_lines", first_findings.join("\n"));
    insta::assert_json_snapshot!("estate_sarif_first_results", results[..3]);
    insta::assert_json_snapshot!("estate_ocsf_first_event", events[0]);
    insta::assert_snapshot!("estate_markdown", text("summary.md"));
}

/// One finding per root cause: on the example estate, no identity or credential has two
/// findings whose remediations share a command that changes something (a `delete`,
/// `update`, `detach`, `disable`, `rotate`... of aws, az, gcloud, gh or kubectl); the
/// second rule should be folded into the first (`supersedes`). Read-only commands that
/// several remediations use to look first (`list-access-keys`) may repeat.
#[test]
fn no_entity_of_the_example_estate_has_two_findings_with_one_remediation_command() {
    const CLIS: [&str; 5] = ["aws ", "az ", "gcloud ", "gh ", "kubectl "];
    const CHANGES: [&str; 16] = [
        "delete",
        "remove",
        "detach",
        "update",
        "put-",
        "set",
        "disable",
        "deactivate",
        "rotate",
        "revoke",
        "reset",
        "edit",
        "patch",
        "tag-",
        "-X DELETE",
        "create",
    ];
    let mut cmd = nhiscan();
    cmd.arg("scan")
        .args(["-i", "examples/estate/inventory.json"])
        .args(["--owners", "examples/roster.csv"])
        .args(["--config", "examples/nhiscan.toml"])
        .args(["--leaks", "examples/estate/leaks.json"])
        .args(["--now", "2026-11-01T00:00:00Z", "-f", "json"]);
    let report = json_of(&mut cmd);
    let mut by_command: std::collections::BTreeMap<(String, String, String), Vec<String>> =
        std::collections::BTreeMap::new();
    for finding in findings(&report) {
        let entity = &finding["entity"];
        let remediation = finding["remediation"].as_str().unwrap_or_default();
        let mut commands: Vec<&str> = remediation
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|c| CLIS.iter().any(|cli| c.starts_with(cli)))
            .filter(|c| CHANGES.iter().any(|verb| c.contains(verb)))
            .collect();
        commands.sort_unstable();
        commands.dedup();
        for command in commands {
            by_command
                .entry((
                    entity["type"].as_str().unwrap_or_default().to_string(),
                    entity["id"].as_str().unwrap_or_default().to_string(),
                    command.to_string(),
                ))
                .or_default()
                .push(finding["rule_id"].as_str().unwrap_or_default().to_string());
        }
    }
    let shared: Vec<String> = by_command
        .iter()
        .filter(|(_, rules)| rules.len() > 1)
        .map(|((kind, id, command), rules)| format!("{kind} {id}: {rules:?} share `{command}`"))
        .collect();
    assert!(shared.is_empty(), "{}", shared.join("\n"));
}
