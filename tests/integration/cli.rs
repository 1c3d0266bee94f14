//! Runs the real `nhiscan` binary with a clean environment.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-01-01T00:00:00Z";

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The binary, run from the repository root with nothing inherited but PATH.
fn nhiscan() -> Command {
    Command::from_std(crate::support::nhiscan())
}

fn scan_small(format: &str) -> Command {
    let mut cmd = nhiscan();
    cmd.args(["scan", "-i", "tests/fixtures/small/inventory.json"])
        .args([
            "--owners",
            "tests/fixtures/small/roster.csv",
            "--now",
            NOW,
            "-f",
            format,
        ]);
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_of(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_str(&stdout_of(cmd)).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|x| x["rule_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn table_report_snapshot() {
    insta::assert_snapshot!("scan_small_table", stdout_of(&mut scan_small("table")));
}

#[test]
fn csv_report_snapshot() {
    insta::assert_snapshot!("scan_small_csv", stdout_of(&mut scan_small("csv")));
}

#[test]
fn json_report_snapshot() {
    let mut report = json_of(&mut scan_small("json"));
    report["tool"]["version"] = "[version]".into();
    insta::assert_json_snapshot!("scan_small_json", report);
}

#[test]
fn findings_cover_every_first_pack_concern() {
    let report = json_of(&mut scan_small("json"));
    // A rule folded into another's finding (`supersedes`) still counts as found.
    let mut ids = rule_ids(&report);
    for finding in report["findings"].as_array().into_iter().flatten() {
        for folded in finding["also_fails"].as_array().into_iter().flatten() {
            ids.extend(folded.as_str().map(String::from));
        }
    }
    for expected in [
        "admin-privileges",
        "credential-never-expires",
        "expired-credential-enabled",
        "identity-without-owner",
        "interactive-login-on-service-identity",
        "multiple-active-keys",
        "owner-departed",
        "owner-unknown-to-roster",
        "secret-rotation-disabled",
        "static-key-not-rotated",
        "wildcard-privileges",
    ] {
        assert!(
            ids.contains(&expected.to_string()),
            "{expected} missing from {ids:?}"
        );
    }
    // Stable ids: the same scan gives the same finding ids.
    let again = json_of(&mut scan_small("json"));
    assert_eq!(report["findings"], again["findings"]);
    assert_eq!(report["scan"]["as_of"], NOW);
}

#[test]
fn without_a_roster_owners_are_only_present_or_missing() {
    let report = json_of(nhiscan().args([
        "scan",
        "-i",
        "tests/fixtures/small/inventory.json",
        "--now",
        NOW,
        "-f",
        "json",
    ]));
    let ids = rule_ids(&report);
    assert!(!ids.contains(&"owner-departed".to_string()));
    assert!(!ids.contains(&"owner-unknown-to-roster".to_string()));
    assert!(ids.contains(&"identity-without-owner".to_string()));
}

#[test]
fn fail_on_sets_exit_code_one() {
    scan_small("json")
        .arg("--fail-on")
        .arg("high")
        .assert()
        .code(1);
    scan_small("json")
        .arg("--fail-on")
        .arg("critical")
        .assert()
        .code(0);
    scan_small("json").assert().code(0);
}

#[test]
fn incomplete_coverage_has_its_own_exit_code_and_is_reported() {
    let mut cmd = nhiscan();
    cmd.args([
        "scan",
        "-i",
        "tests/fixtures/coverage/inventory.json",
        "--now",
        NOW,
    ]);
    cmd.assert()
        .code(3)
        .stdout(predicate::str::contains("ap-south-1"))
        .stdout(predicate::str::contains("AccessDenied"));
    let mut cmd = nhiscan();
    cmd.args([
        "scan",
        "-i",
        "tests/fixtures/coverage/inventory.json",
        "--now",
        NOW,
        "--fail-on",
        "low",
    ]);
    cmd.assert().code(4);
}

#[test]
fn min_severity_filters_the_report() {
    let report = json_of(scan_small("json").args(["--min-severity", "high"]));
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    assert!(!findings.is_empty());
    assert!(findings
        .iter()
        .all(|f| f["severity"] == "high" || f["severity"] == "critical"));
}

#[test]
fn set_overrides_a_parameter_and_unknown_ones_fail() {
    let report =
        json_of(scan_small("json").args(["--set", "static-key-not-rotated.max_age_days=100000"]));
    assert!(!rule_ids(&report).contains(&"static-key-not-rotated".to_string()));
    let report = json_of(scan_small("json").args(["--set", "admin-privileges.enabled=false"]));
    assert!(!rule_ids(&report).contains(&"admin-privileges".to_string()));
    assert_eq!(report["scan"]["rules"]["disabled"][0], "admin-privileges");

    scan_small("json")
        .args(["--set", "static-key-not-rotated.max_age=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no parameter `max_age`"));
    scan_small("json")
        .args(["--set", "static-key-not-rotated.max_age_days=soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`soon` is not a whole number"));
}

#[test]
fn config_file_overrides_and_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("nhiscan.toml");
    std::fs::write(
        &config,
        "[rules.static-key-not-rotated]\nmax_age_days = 100000\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = json_of(scan_small("json").arg("--config").arg(&config));
    assert!(!rule_ids(&report).contains(&"static-key-not-rotated".to_string()));

    std::fs::write(
        &config,
        "[scan]\nfail_on = \"high\"\n\n[owners]\ntag_key = []\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    scan_small("json")
        .arg("--config")
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nhiscan.toml: line 5"))
        .stderr(predicate::str::contains("unknown field `tag_key`"));
}

#[test]
fn malformed_json_names_file_line_and_field_and_exits_two() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inv.json");
    std::fs::write(
        &path,
        "{\"schema_version\": 1,\n \"identities\": [\n  {\"provider\": \"aws\", \"scope\": {\"kind\": \"account\", \"id\": \"1\"}, \"id\": \"a\", \"name\": \"a\", \"kind\": \"service_user\", \"created\": \"last tuesday\"}]}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["scan", "-i"])
        .arg(&path)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("inv.json:3:"))
        .stderr(predicate::str::contains("identities[0].created"));

    std::fs::write(&path, "{\"schema_version\": 1, \"identities\": [")
        .unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["scan", "-i"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inv.json:1:"));
}

#[test]
fn csv_with_a_missing_column_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("identities.csv"),
        "provider,scope_kind,scope_id,id,kind\naws,account,1,a,service_user\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["scan", "-i"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("identities.csv:1"))
        .stderr(predicate::str::contains("required column `name`"));
}

#[test]
fn broken_rule_expression_is_refused_naming_the_file() {
    scan_small("table")
        .args(["--rules", "tests/fixtures/rules-broken"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("broken-expression.yaml"))
        .stderr(predicate::str::contains("`when` does not compile"));
}

#[test]
fn unknown_rule_field_is_refused_naming_file_and_line() {
    nhiscan()
        .args(["rules", "check", "tests/fixtures/rules-unknown-field"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("extra-field.yaml:10"))
        .stderr(predicate::str::contains("unknown field `severty`"));
}

#[test]
fn a_reference_outside_the_framework_catalog_is_refused_at_its_line() {
    nhiscan()
        .args(["rules", "check", "tests/fixtures/rules-unknown-reference"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("misfiled-reference.yaml:12: rule `misfiled-reference`"))
        .stderr(predicate::str::contains(
            "`references.nist_csf`: `PR.AC-01` is not a control of NIST Cybersecurity Framework 2.0",
        ));
}

#[test]
fn rules_check_passes_on_the_builtin_pack_and_fails_on_a_lying_example() {
    nhiscan()
        .args(["rules", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rules OK"));
    nhiscan()
        .args(["rules", "check", "rules"])
        .assert()
        .success();
    nhiscan()
        .args(["rules", "check", "tests/fixtures/rules-bad-example"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`a service user is not a role`: expected a finding",
        ));
}

#[test]
fn the_rule_table_in_the_docs_is_the_one_the_rule_files_make() {
    let out = nhiscan()
        .args(["rules", "list", "-f", "markdown"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{out:?}");
    let generated = String::from_utf8_lossy(&out.stdout);
    let docs = std::fs::read_to_string("docs/rules.md").unwrap_or_else(|e| panic!("{e}"));
    let table = docs
        .split_once("<!-- rules:begin -->\n")
        .and_then(|(_, rest)| rest.split_once("<!-- rules:end -->"))
        .map(|(table, _)| table)
        .unwrap_or_else(|| panic!("docs/rules.md has no rules:begin/rules:end markers"));
    assert!(
        table == generated,
        "docs/rules.md's rule table differs from the rule files: replace the lines between \
         its markers with `cargo run -- rules list -f markdown`"
    );
}

#[test]
fn user_rules_are_added_to_the_builtin_pack() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("kubernetes-sa-seen.yaml"),
        "id: kubernetes-sa-seen\ntitle: t\nseverity: info\nconfidence: high\napplies_to: identity\n\
         filter: { providers: [kubernetes] }\nwhen: 'true'\nmessage: '{identity.name}'\ndescription: d\nremediation: r\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = json_of(scan_small("json").arg("--rules").arg(dir.path()));
    let hits: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|x| x["rule_id"] == "kubernetes-sa-seen")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["message"], "payments/api");
}

#[test]
fn csv_export_is_safe_against_formula_injection() {
    let text = stdout_of(&mut scan_small("csv"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut checked = 0;
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{e}"));
        for cell in record.iter() {
            let first = cell.trim_start_matches(' ').chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "dangerous cell {cell:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100);
    assert!(text.contains("\"'=HYPERLINK("));
    assert!(text.contains("\"'+cmd|"));
    assert!(text.contains("'@SUM(1+1)"));
}

#[test]
fn terminal_output_never_carries_control_characters() {
    for args in [vec!["scan"], vec!["inventory"]] {
        let out = nhiscan()
            .args(&args)
            .args(["-i", "tests/fixtures/small/inventory.json", "--now", NOW])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("\\u{1b}[31m"), "{text}");
        assert!(!out.stdout.iter().any(|&b| b == 0x1b || b == 0x07));
    }
}

#[test]
fn output_file_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("report.json");
    scan_small("json")
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());

    let failed = dir.path().join("failed.json");
    nhiscan()
        .args([
            "scan",
            "-i",
            "tests/fixtures/rules-broken/broken-expression.yaml",
            "-o",
        ])
        .arg(&failed)
        .assert()
        .code(2);
    assert!(!failed.exists());
    let leftovers = std::fs::read_dir(dir.path())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 1, "temporary files left behind");

    nhiscan()
        .args([
            "scan",
            "-i",
            "tests/fixtures/small/inventory.json",
            "-o",
            "/nonexistent-dir/x.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot write /nonexistent-dir/x.json",
        ));
}

#[test]
fn jsonl_and_csv_imports_read_the_same_estate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("tests/fixtures/small/inventory.json"))
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let mut lines = vec![r#"{"type":"header","schema_version":1}"#.to_string()];
    for (kind, key) in [("identity", "identities"), ("credential", "credentials")] {
        for entry in source[key].as_array().cloned().unwrap_or_default() {
            let mut entry = entry;
            entry["type"] = kind.into();
            lines.push(entry.to_string());
        }
    }
    let jsonl = dir.path().join("inventory.jsonl");
    std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));

    let from_json = json_of(&mut scan_small("json"));
    let from_lines = json_of(
        nhiscan()
            .args([
                "scan",
                "--owners",
                "tests/fixtures/small/roster.csv",
                "--now",
                NOW,
                "-f",
                "json",
                "-i",
            ])
            .arg(&jsonl),
    );
    assert_eq!(from_json["findings"], from_lines["findings"]);

    // The example CSV pair loads, as a folder and as two files.
    let folder = json_of(nhiscan().args([
        "inventory",
        "-f",
        "json",
        "-i",
        "examples/csv",
        "--now",
        NOW,
    ]));
    let files = json_of(nhiscan().args([
        "inventory",
        "-f",
        "json",
        "--now",
        NOW,
        "-i",
        "examples/csv/identities.csv",
        "-i",
        "examples/csv/credentials.csv",
    ]));
    assert!(folder["identities"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    assert_eq!(folder["identities"], files["identities"]);
    assert_eq!(folder["credentials"], files["credentials"]);
}

#[test]
fn duplicate_ids_across_inputs_are_refused() {
    nhiscan()
        .args([
            "scan",
            "-i",
            "tests/fixtures/small/inventory.json",
            "-i",
            "tests/fixtures/small/inventory.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("appears twice"));
}

#[test]
fn inventory_lists_identities_and_credentials() {
    let text = stdout_of(nhiscan().args([
        "inventory",
        "-f",
        "csv",
        "-i",
        "tests/fixtures/small/inventory.json",
        "--now",
        NOW,
    ]));
    assert_eq!(text.lines().count(), 6);
    assert!(text.starts_with("\"provider\",\"scope\",\"kind\""));
    let text = stdout_of(nhiscan().args([
        "inventory",
        "--credentials",
        "-f",
        "csv",
        "-i",
        "tests/fixtures/small/inventory.json",
        "--now",
        NOW,
    ]));
    assert_eq!(text.lines().count(), 6);
    assert!(text.contains("'+cmd|"));
}

#[test]
fn example_estate_scan_from_the_readme_works() {
    let report = json_of(nhiscan().args([
        "scan",
        "-i",
        "examples/estate/inventory.json",
        "--owners",
        "examples/roster.csv",
        "--config",
        "examples/nhiscan.toml",
        "--leaks",
        "examples/estate/leaks.json",
        "--now",
        "2026-11-01",
        "-f",
        "json",
    ]));
    assert!(report["inventory"]["identities"].as_u64().unwrap_or(0) >= 60);
    assert!(report["inventory"]["credentials"].as_u64().unwrap_or(0) >= 100);
    let ids = rule_ids(&report);
    assert!(ids.len() >= 10, "{ids:?}");
}

#[test]
fn rules_list_and_explain() {
    nhiscan()
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("static-key-not-rotated"));
    let listed = json_of(nhiscan().args(["rules", "list", "-f", "json"]));
    for rule in listed.as_array().cloned().unwrap_or_default() {
        assert!(
            rule["references"]["owasp_nhi"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{} has no OWASP NHI reference",
            rule["id"]
        );
    }
    nhiscan()
        .args([
            "rules",
            "explain",
            "static-key-not-rotated",
            "--set",
            "static-key-not-rotated.max_age_days=30",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Remediation"))
        .stdout(predicate::str::contains("max_age_days = 30 (default 90)"));
    nhiscan()
        .args(["rules", "explain", "no-such-rule"])
        .assert()
        .code(2);
}

#[test]
fn explain_shows_each_remediation_template_and_what_fills_it() {
    nhiscan()
        .args(["rules", "explain", "static-key-not-rotated"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Each finding fills {credential.last_used}, {credential.id}, {identity.name}, {identity.id} with its own values (<path> where it has none).",
        ))
        .stdout(predicate::str::contains("  aws:\n    If nothing uses it"))
        .stdout(predicate::str::contains(
            "`aws iam update-access-key --status Inactive --access-key-id {credential.id} --user-name {identity.name}`",
        ))
        .stdout(predicate::str::contains("  otherwise:\n"))
        .stdout(predicate::str::contains("OWASP-NHI:NHI7 Long-Lived Secrets"));
}

fn report(framework: &str, format: &str) -> Command {
    let mut cmd = nhiscan();
    cmd.args(["report", "--framework", framework])
        .args(["-i", "tests/fixtures/small/inventory.json"])
        .args([
            "--owners",
            "tests/fixtures/small/roster.csv",
            "--now",
            NOW,
            "-f",
            format,
        ]);
    cmd
}

fn finding<'a>(report: &'a serde_json::Value, rule: &str, entity: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|x| x["rule_id"] == rule && x["entity"]["id"] == entity)
        })
        .unwrap_or_else(|| panic!("no {rule} finding on {entity}"))
}

#[test]
fn remediation_names_the_real_key_and_user() {
    let report = json_of(&mut scan_small("json"));
    let old_key = finding(&report, "static-key-not-rotated", "AKIAOLDKEY0000000001");
    let remediation = old_key["remediation"].as_str().unwrap_or_default();
    assert!(
        remediation.contains(
            "aws iam update-access-key --status Inactive --access-key-id AKIAOLDKEY0000000001 --user-name billing-export"
        ),
        "{remediation}"
    );
    assert!(!remediation.contains("az ad app"), "{remediation}");
    // A vault secret belongs to no identity: what the finding lacks is shown, not guessed.
    let secret = finding(
        &report,
        "secret-rotation-disabled",
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf",
    );
    let remediation = secret["remediation"].as_str().unwrap_or_default();
    assert!(
        remediation.contains(
            "--secret-id arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf --rotation-lambda-arn"
        ),
        "{remediation}"
    );
    // The CSV carries the same filled text.
    let csv = stdout_of(&mut scan_small("csv"));
    assert!(csv.contains("--access-key-id AKIAOLDKEY0000000001 --user-name billing-export"));
}

#[test]
fn framework_report_snapshots() {
    insta::assert_snapshot!(
        "report_owasp_nhi_table",
        stdout_of(&mut report("owasp-nhi", "table"))
    );
    let mut json = json_of(&mut report("owasp-nhi", "json"));
    json["tool"]["version"] = "[version]".into();
    insta::assert_json_snapshot!("report_owasp_nhi_json", json);
    insta::assert_snapshot!("report_cis_table", stdout_of(&mut report("cis", "table")));
    insta::assert_snapshot!(
        "report_nist_csf_csv",
        stdout_of(&mut report("nist-csf", "csv"))
    );
}

#[test]
fn framework_report_counts_match_the_scan() {
    let scan = json_of(&mut scan_small("json"));
    let nhi = json_of(&mut report("owasp-nhi", "json"));
    // Every finding's entity of an NHI7 rule is a failing entity of NHI7.
    let nhi7 = nhi["controls"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "NHI7"))
        .cloned()
        .unwrap_or_default();
    let rules: Vec<&str> = nhi7["rules"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r.as_str()).collect())
        .unwrap_or_default();
    let mut failing: Vec<String> = scan["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|x| rules.contains(&x["rule_id"].as_str().unwrap_or_default()))
                .map(|x| format!("{}|{}", x["entity"]["type"], x["entity"]["id"]))
                .collect()
        })
        .unwrap_or_default();
    failing.sort();
    failing.dedup();
    assert_eq!(nhi7["fail"], failing.len());
    assert_eq!(
        nhi7["evaluated"].as_u64().unwrap_or_default(),
        nhi7["pass"].as_u64().unwrap_or_default() + nhi7["fail"].as_u64().unwrap_or_default()
    );
    assert_eq!(nhi["summary"]["controls"], 10);
    assert_eq!(nhi["summary"]["not_tested"], 0);
    // Every framework reports; an unknown one is a usage error.
    for framework in ["owasp-agentic", "maestro"] {
        report(framework, "table").assert().success();
    }
    report("iso-27001", "table").assert().code(2);
}

#[test]
fn usage_errors_exit_two() {
    nhiscan().args(["scan"]).assert().code(2);
    nhiscan()
        .args([
            "scan",
            "-i",
            "tests/fixtures/small/inventory.json",
            "--now",
            "yesterday",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--now \"yesterday\" is not a time",
        ));
    nhiscan()
        .args(["scan", "-i", "tests/fixtures/small/nope.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.json: cannot read"));
}

#[test]
fn help_texts_snapshot() {
    for args in [
        vec!["--help"],
        vec!["scan", "--help"],
        vec!["inventory", "--help"],
        vec!["rules", "--help"],
        vec!["graph", "--help"],
        vec!["report", "--help"],
    ] {
        let name = format!("help_{}", args.join("_").replace("--", ""));
        insta::assert_snapshot!(name, stdout_of(nhiscan().args(&args)));
    }
}

#[test]
fn jsonl_lines_refuse_unknown_fields_and_name_the_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inv.jsonl");
    std::fs::write(
        &path,
        "{\"type\":\"header\",\"schema_version\":1}\n\n\
         {\"type\":\"identity\",\"provider\":\"aws\",\"scope\":{\"kind\":\"account\",\"id\":\"1\"},\"id\":\"a\",\"name\":\"a\",\"kind\":\"role\",\"colour\":\"red\"}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["scan", "-i"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inv.jsonl:3:"))
        .stderr(predicate::str::contains("unknown field `colour`"));
}

/// `tests/fixtures/precision`: an AI agent role with AdministratorAccess, a human admin
/// engineer, a human read-only analyst whose policy lists Bedrock reads, a service user
/// and a Secrets Manager secret whose rotation is off.
fn precision(args: &[&str]) -> serde_json::Value {
    let mut cmd = nhiscan();
    cmd.args(args)
        .args(["-i", "tests/fixtures/precision/inventory.json"])
        .args(["--owners", "tests/fixtures/precision/roster.csv"])
        .args(["--now", NOW, "-f", "json"]);
    json_of(&mut cmd)
}

fn findings_on<'a>(report: &'a serde_json::Value, name: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["entity"]["name"] == name).collect())
        .unwrap_or_default()
}

#[test]
fn an_ai_agent_with_administrator_access_fails_cis_aws_1_16_in_one_finding() {
    let scan = precision(&["scan"]);
    let agent = findings_on(&scan, "support-agent-llm");
    assert_eq!(agent.len(), 1, "{agent:#?}");
    assert_eq!(agent[0]["rule_id"], "ai-agent-excessive-privileges");
    assert_eq!(
        agent[0]["also_fails"],
        serde_json::json!(["admin-privileges"])
    );
    // The folded rule's control, and only the controls that concern an AWS role.
    assert_eq!(
        agent[0]["references"]["cis"],
        serde_json::json!(["CIS AWS Foundations 1.16"])
    );

    let report = precision(&["report", "--framework", "cis"]);
    let control = report["controls"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "CIS AWS Foundations 1.16"))
        .unwrap_or_else(|| panic!("no CIS AWS 1.16 in {report:#}"));
    assert_eq!(control["status"], "fail", "{control:#}");
    // The agent fails; the human admin engineer is not judged by an NHI rule.
    assert_eq!(control["fail"], 1, "{control:#}");
}

#[test]
fn human_users_are_told_from_machines_and_judged_only_by_rules_about_every_user() {
    let scan = precision(&["scan"]);
    // An admin engineer signing in with MFA: no NHI finding (admin, owner, unused...).
    assert!(findings_on(&scan, "marcus.chen").is_empty());
    // The analyst's console password is unused for 306 days: CIS AWS 1.12 is about every
    // user. Nothing else: not an AI agent although her policy lists bedrock:List*.
    let analyst: Vec<&str> = findings_on(&scan, "elena.analyst")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(analyst, ["aws-console-password-unused"]);

    let mut cmd = nhiscan();
    cmd.args(["inventory", "-i", "tests/fixtures/precision/inventory.json"])
        .args(["--owners", "tests/fixtures/precision/roster.csv"])
        .args(["--now", NOW, "-f", "csv"]);
    let csv = stdout_of(&mut cmd);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().cloned().unwrap_or_default();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (name, kind, ai, signals) = (
        column("name").unwrap_or_default(),
        column("identity_type").unwrap_or_else(|| panic!("no identity_type column")),
        column("ai_agent").unwrap_or_default(),
        column("identity_type_signals").unwrap_or_else(|| panic!("no signals column")),
    );
    let rows: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    let row = |who: &str| {
        rows.iter()
            .find(|r| &r[name] == who)
            .unwrap_or_else(|| panic!("no {who} in {csv}"))
    };
    assert_eq!(&row("marcus.chen")[kind], "human");
    assert!(row("marcus.chen")[signals].contains("roster"));
    // A person's own user answers to that person.
    let (owner, status) = (
        column("owner").unwrap_or_default(),
        column("owner_status").unwrap_or_default(),
    );
    assert_eq!(&row("marcus.chen")[owner], "marcus.chen@acme.example");
    assert_eq!(&row("marcus.chen")[status], "active");
    assert_eq!(&row("elena.analyst")[kind], "human");
    assert_eq!(&row("elena.analyst")[ai], "false");
    assert_eq!(&row("billing-export")[kind], "non_human");
    assert_eq!(&row("support-agent-llm")[ai], "true");
}

#[test]
fn a_secret_without_rotation_is_one_finding_that_names_every_rule_it_fails() {
    let scan = precision(&["scan"]);
    let secret = findings_on(&scan, "prod/db");
    assert_eq!(secret.len(), 1, "{secret:#?}");
    assert_eq!(secret[0]["rule_id"], "secret-rotation-disabled");
    assert_eq!(
        secret[0]["also_fails"],
        serde_json::json!(["credential-never-expires", "secret-not-rotated"])
    );
}

// --- Hostile input and faults (issue 14) ----------------------------------------------

/// The small estate with `edit` applied to its first identity, written to `dir`.
fn small_with(dir: &Path, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(fixture("tests/fixtures/small/inventory.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut inventory: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    edit(&mut inventory["identities"][0]);
    let path = dir.join(name);
    std::fs::write(&path, inventory.to_string()).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn devices_and_fifos_given_as_outputs_stay_what_they_are() {
    use std::os::unix::fs::FileTypeExt;
    scan_small("json")
        .args(["-o", "/dev/null"])
        .assert()
        .code(0);
    let null = std::fs::metadata("/dev/null").unwrap_or_else(|e| panic!("{e}"));
    assert!(null.file_type().is_char_device());

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("report.pipe");
    if !mkfifo(&fifo) {
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap_or_default())
    };
    scan_small("json").arg("-o").arg(&fifo).assert().code(0);
    let text = reader.join().unwrap_or_default();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    let meta = std::fs::symlink_metadata(&fifo).unwrap_or_else(|e| panic!("{e}"));
    assert!(meta.file_type().is_fifo());
}

#[test]
fn a_failed_output_changes_no_earlier_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let earlier = dir.path().join("a.json");
    std::fs::write(&earlier, "the earlier report").unwrap_or_else(|e| panic!("{e}"));
    let folder = dir.path().join("adir");
    std::fs::create_dir(&folder).unwrap_or_else(|e| panic!("{e}"));
    let out = scan_small("table")
        .arg("-f")
        .arg(format!("json:{}", earlier.display()))
        .arg("-f")
        .arg(format!("csv:{}", folder.display()))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("adir") && stderr.contains("is a folder"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&earlier).unwrap_or_default(),
        "the earlier report"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert_eq!(names, ["a.json", "adir"]);
}

/// SIGTERM while reports are staged (stdout blocked: nobody reads it) removes the
/// staged files and exits 143.
#[cfg(unix)]
#[test]
fn sigterm_removes_staged_reports() {
    a_signal_removes_staged_reports("TERM", 143);
}

/// Ctrl-C (SIGINT) likewise, exit 130.
#[cfg(unix)]
#[test]
fn sigint_removes_staged_reports() {
    a_signal_removes_staged_reports("INT", 130);
}

#[cfg(unix)]
fn a_signal_removes_staged_reports(signal: &str, exit_code: i32) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = dir.path().join("findings.csv");
    let mut child = crate::support::nhiscan()
        .args(["scan", "-i", "examples/estate/inventory.json", "--now", NOW])
        .arg("-f")
        .arg(format!("csv:{}", csv.display()))
        .args(["-f", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let staged = || {
        std::fs::read_dir(dir.path())
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".nhiscan-"))
                    .count()
            })
            .unwrap_or(0)
    };
    // The JSON report is far larger than a pipe holds: the run blocks on stdout with
    // the CSV staged.
    let mut waited = 0;
    while staged() == 0 && waited < 600 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }
    assert_eq!(staged(), 1, "the CSV was never staged");
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(killed);
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(exit_code), "SIG{signal}");
    assert_eq!(staged(), 0, "staged files left behind");
    assert!(!csv.exists());
}

#[test]
fn a_one_megabyte_name_is_cut_in_tables_and_spreadsheets_and_kept_whole_in_json() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let long = "n".repeat(1 << 20);
    let path = small_with(dir.path(), "long.json", |identity| {
        identity["name"] = serde_json::json!(long);
    });
    let run = |format: &str| {
        let out = nhiscan()
            .args(["scan", "--now", NOW, "-f", format, "-i"])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(0), "{format}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let table = run("table");
    assert!(table.contains("…[truncated"), "table");
    assert!(table.len() < 200_000, "{} bytes", table.len());
    let csv = run("csv");
    assert!(csv.contains("…[truncated 1,016,576 chars]"), "csv");
    let mut cells = ::csv::Reader::from_reader(csv.as_bytes());
    for record in cells.records() {
        let record = record.unwrap_or_else(|e| panic!("{e}"));
        assert!(record.iter().all(|cell| cell.chars().count() <= 32_767));
    }
    assert!(run("json").contains(&long));
    let out = nhiscan()
        .args(["inventory", "-i"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("…[truncated"));
}

#[cfg(unix)]
#[test]
fn inputs_that_never_end_or_block_are_refused_with_the_limit_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let zero = dir.path().join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("inventory.json");
    let have_fifo = mkfifo(&fifo);
    let mut refused: Vec<Vec<String>> = vec![vec!["-i".into(), zero.display().to_string()]];
    if have_fifo {
        let fifo = fifo.display().to_string();
        for (flag, name) in [("--rules", ""), ("--ignore", ""), ("--config", "")] {
            let _ = name;
            let mut args = vec![
                "-i".to_string(),
                "tests/fixtures/small/inventory.json".into(),
            ];
            if flag == "--rules" {
                let rules = dir.path().join("rules");
                std::fs::create_dir_all(&rules).unwrap_or_else(|e| panic!("{e}"));
                let rule_fifo = rules.join("hostile.yaml");
                if !rule_fifo.exists() {
                    assert!(mkfifo(&rule_fifo));
                }
                args.extend([flag.to_string(), rules.display().to_string()]);
            } else {
                args.extend([flag.to_string(), fifo.clone()]);
            }
            refused.push(args);
        }
        refused.push(vec!["-i".into(), fifo]);
    }
    for args in refused {
        nhiscan()
            .arg("scan")
            .args(&args)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not a regular file"));
    }
    // A line without end, past the line limit.
    let endless = dir.path().join("endless.jsonl");
    std::fs::write(&endless, vec![b'{'; 3 << 20]).unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["--max-line-mib", "1", "scan", "-i"])
        .arg(&endless)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("longer than the limit of 1 MiB"))
        .stderr(predicate::str::contains("--max-line-mib"));
    let csv_dir = dir.path().join("csv");
    std::fs::create_dir(&csv_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(csv_dir.join("identities.csv"), vec![b'x'; 3 << 20])
        .unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["--max-line-mib", "1", "scan", "-i"])
        .arg(&csv_dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-line-mib"));
    nhiscan()
        .args(["--max-input-mib", "1", "scan", "-i"])
        .arg(&endless)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-input-mib"));
}

#[test]
fn hostile_rule_expressions_are_rule_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rule = |name: &str, when: &str| {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
        let text = format!(
            "id: {name}\ntitle: T\nseverity: low\nconfidence: low\napplies_to: identity\n\
             when: {}\nmessage: m\ndescription: d\nremediation: r\n",
            serde_json::json!(when)
        );
        std::fs::write(folder.join(format!("{name}.yaml")), text).unwrap_or_else(|e| panic!("{e}"));
        folder
    };
    let chain = rule("long-chain", &(vec!["1"; 3000].join("+") + " > 0"));
    let far = rule("far-error", &format!("'{}' == 'x' &&", "a".repeat(70_000)));
    for (folder, says) in [(chain, "operators"), (far, "characters")] {
        let scan = [
            "scan",
            "-i",
            "tests/fixtures/small/inventory.json",
            "--rules",
        ];
        for command in [&["rules", "check"][..], &scan[..]] {
            nhiscan()
                .args(command)
                .arg(&folder)
                .assert()
                .code(2)
                .stderr(predicate::str::contains(says));
        }
    }
    // Nested comprehensions over a 10,000-element list: that rule errs on that
    // identity (exit 3), every other finding stands.
    let big = small_with(dir.path(), "big-list.json", |identity| {
        identity["permissions"]["policies"] =
            serde_json::json!((0..10_000).map(|i| format!("p{i}")).collect::<Vec<_>>());
    });
    let nested = rule(
        "nested-loops",
        "identity.permissions.policies.exists(a, identity.permissions.policies.exists(b, a + b == 'x'))",
    );
    let out = nhiscan()
        .args(["scan", "--now", NOW, "-f", "json", "-i"])
        .arg(&big)
        .arg("--rules")
        .arg(&nested)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let errors = report["rule_errors"].to_string();
    assert!(
        errors.contains("nested-loops") && errors.contains("budget"),
        "{errors}"
    );
    assert!(report["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

#[cfg(unix)]
#[test]
fn a_rules_folder_that_links_to_itself_is_read_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop"))
        .unwrap_or_else(|e| panic!("{e}"));
    nhiscan()
        .args(["rules", "list", "--rules"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(0);
}

#[test]
fn messages_quoting_input_never_carry_control_characters() {
    let out = nhiscan()
        .args(["scan", "-i", "tests/fixtures/small/inventory.json", "--now"])
        .arg("2026\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{202e}")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}') && !stderr.contains('\u{202e}')
    );
    assert!(stderr.contains("\\u{1b}"), "{stderr}");
}

#[test]
fn an_empty_inventory_warns_and_fails_a_gate_unless_allowed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    let csv_dir = dir.path().join("csv");
    std::fs::create_dir(&csv_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        csv_dir.join("identities.csv"),
        "provider,scope_kind,scope_id,id,name,kind\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for input in [&empty, &csv_dir] {
        nhiscan()
            .args(["scan", "-i"])
            .arg(input)
            .assert()
            .code(0)
            .stderr(predicate::str::contains("holds no identities"));
        nhiscan()
            .args(["scan", "--fail-on", "high", "-i"])
            .arg(input)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--allow-empty"));
        nhiscan()
            .args(["scan", "--fail-on", "high", "--allow-empty", "-i"])
            .arg(input)
            .assert()
            .code(0);
    }
}

#[test]
fn an_inventory_is_read_from_stdin_as_a_document_or_lines() {
    let document = std::fs::read(fixture("tests/fixtures/small/inventory.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let from_file = json_of(&mut scan_small("json"));
    let from_stdin = |input: Vec<u8>| {
        json_of(
            nhiscan()
                .args([
                    "scan",
                    "-i",
                    "-",
                    "--owners",
                    "tests/fixtures/small/roster.csv",
                ])
                .args(["--now", NOW, "-f", "json"])
                .write_stdin(input),
        )
    };
    assert_eq!(
        from_stdin(document.clone())["findings"],
        from_file["findings"]
    );
    // The same estate as JSON Lines.
    let value: serde_json::Value =
        serde_json::from_slice(&document).unwrap_or_else(|e| panic!("{e}"));
    let mut lines = vec![
        serde_json::json!({"type": "header", "schema_version": value["schema_version"]})
            .to_string(),
    ];
    for (kind, list) in [("identity", "identities"), ("credential", "credentials")] {
        for entry in value[list].as_array().cloned().unwrap_or_default() {
            let mut entry = entry;
            entry["type"] = serde_json::json!(kind);
            lines.push(entry.to_string());
        }
    }
    let from_lines = from_stdin((lines.join("\n") + "\n").into_bytes());
    assert_eq!(from_lines["findings"], from_file["findings"]);
}
