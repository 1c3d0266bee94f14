//! `--leaks`: secret-scanner reports matched to the example estate's credentials, run
//! as the real binary. Each scanner's format names the credentials it found; no byte of
//! any secret in the reports reaches any output, log or error.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const ESTATE: &str = "examples/estate/inventory.json";
const NOW: &str = "2026-11-01";
const FIXTURES: &str = "tests/fixtures/leaks";

fn nhiscan() -> Command {
    Command::from_std(crate::support::nhiscan())
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// The JSON report of the example estate with these leak reports.
fn scan(leaks: &[&str]) -> Value {
    let mut cmd = nhiscan();
    cmd.args(["scan", "-i", ESTATE, "--now", NOW, "-f", "json"]);
    for leak in leaks {
        cmd.args(["--leaks", &fixture(leak)]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (rule, severity, credential id, repository or report, file) of each leak finding.
fn leak_findings(report: &Value) -> Vec<(String, String, String, String, String)> {
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"]
                .as_str()
                .unwrap()
                .starts_with("credential-leaked")
        })
        .map(|f| {
            let leak = &f["evidence"]["credential.leaks"][0];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&f["rule_id"]),
                text(&f["severity"]),
                text(&f["entity"]["id"]),
                text(&leak["repository"]),
                text(&leak["file"]),
            )
        })
        .collect();
    found.sort();
    found
}

/// (rule, severity, credential id) of each leak finding.
fn rule_severity_id(found: &[(String, String, String, String, String)]) -> Vec<(&str, &str, &str)> {
    found
        .iter()
        .map(|(r, s, id, _, _)| (r.as_str(), s.as_str(), id.as_str()))
        .collect()
}

fn unmatched(report: &Value) -> Vec<(String, String)> {
    report["leaks"]["unmatched"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|u| {
                    (
                        u["kind"].as_str().unwrap().to_string(),
                        u["identifier"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn row(
    rule: &str,
    severity: &str,
    id: &str,
    repository: &str,
    file: &str,
) -> (String, String, String, String, String) {
    (
        rule.into(),
        severity.into(),
        id.into(),
        repository.into(),
        file.into(),
    )
}

const ACTIVE: &str = "credential-leaked-still-active";
const INACTIVE: &str = "credential-leaked-inactive";
const TERRAFORM_GCP_KEY: &str = "projects/acme-data-prod/serviceAccounts/terraform-gcp@acme-data-prod.iam.gserviceaccount.com/keys/9899c7f21449cc86ad7ef38d50d47c936c0eac37";

#[test]
fn gitleaks_names_an_aws_key_and_a_gcp_key() {
    let report = scan(&["gitleaks/report.json"]);
    assert_eq!(
        leak_findings(&report),
        [
            row(
                ACTIVE,
                "critical",
                "AKIANI3KFTQ642OVWO6T",
                "github.com/acme-corp/jenkins-config",
                "ci/jenkins/docker-compose.override.yml"
            ),
            row(
                ACTIVE,
                "critical",
                TERRAFORM_GCP_KEY,
                "github.com/acme-corp/platform-infra",
                "terraform/gcp/bootstrap/terraform-gcp-key.json"
            ),
        ]
    );
    assert_eq!(
        unmatched(&report),
        [(
            "github_token".to_string(),
            "classic personal access token (ghp_)".to_string()
        )]
    );
    assert_eq!(report["leaks"]["matched"], 2);
}

#[test]
fn trufflehog_names_aws_keys_and_an_azure_secret() {
    let report = scan(&["trufflehog/report.jsonl"]);
    let repo = "https://github.com/acme-corp/platform-infra";
    let found = leak_findings(&report);
    assert_eq!(
        rule_severity_id(&found),
        [
            (INACTIVE, "low", "AKIA64DGNVZF544F7NTG"),
            (ACTIVE, "critical", "AKIAW43ZKGVRUVLGEBSS"),
            (ACTIVE, "critical", "d9b08939-e4fe-5bc0-aee1-34aadb526475"),
        ]
    );
    assert_eq!(found[1].3, repo);
    assert!(unmatched(&report).is_empty());
}

#[test]
fn nosey_parker_names_a_key_and_one_that_is_not_here() {
    let report = scan(&["noseyparker/report.json"]);
    let found = leak_findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].2.as_str()),
        (ACTIVE, "AKIAJNZFA4SSYOUBSMDT")
    );
    assert_eq!(
        unmatched(&report),
        [(
            "aws_access_key".to_string(),
            "AKIAQXUNKNOWNKEY0001".to_string()
        )]
    );
}

#[test]
fn github_alerts_name_an_active_aws_key_and_a_revoked_gcp_key() {
    let report = scan(&["github/alerts.json"]);
    let found = leak_findings(&report);
    assert_eq!(
        rule_severity_id(&found),
        [
            (INACTIVE, "low", "projects/acme-data-prod/serviceAccounts/old-etl@acme-data-prod.iam.gserviceaccount.com/keys/41a4317b16c1a1e6d26c8ceaee1bda46a808567e"),
            (ACTIVE, "critical", "AKIAEXHJQ23ZZNIXAFAM"),
        ]
    );
    assert_eq!(found[1].3, "acme-corp/deploy-scripts");
    let revoked = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == INACTIVE)
        .unwrap();
    assert_eq!(
        revoked["evidence"]["credential.leaks"][0]["state"],
        "resolved: revoked"
    );
    assert!(revoked["message"]
        .as_str()
        .unwrap()
        .contains("no longer works"));
}

#[test]
fn the_simple_csv_names_keys_by_id() {
    let report = scan(&["simple.csv"]);
    let ids: Vec<String> = leak_findings(&report).into_iter().map(|f| f.2).collect();
    assert_eq!(
        ids,
        [
            "AKIAYVH3DLT4LYO7FQ5Y",
            "projects/acme-data-prod/serviceAccounts/bq-exporter@acme-data-prod.iam.gserviceaccount.com/keys/a10ab9d1f2fbd6c1d275dbe072956312e55a3c5c",
        ]
    );
}

#[test]
fn a_leak_finding_folds_the_keys_age_findings_and_says_where() {
    let report = scan(&["gitleaks/report.json"]);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == ACTIVE && f["entity"]["id"] == "AKIANI3KFTQ642OVWO6T")
        .unwrap();
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("gitleaks"), "{message}");
    assert!(
        message.contains("ci/jenkins/docker-compose.override.yml:"),
        "{message}"
    );
    assert!(finding["remediation"]
        .as_str()
        .unwrap()
        .contains("update-access-key --status Inactive"));
    // The same key's other findings are folded into this one.
    let others: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["entity"]["id"] == "AKIANI3KFTQ642OVWO6T" && f["rule_id"] != ACTIVE)
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

/// Every fake secret of the fixtures, and each of its 16-character pieces.
fn secret_pieces() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("fake-secrets.txt")).unwrap();
    let mut pieces = Vec::new();
    for secret in text.lines().map(str::trim).filter(|s| !s.is_empty()) {
        pieces.push(secret.to_string());
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(16) {
            pieces.push(window.iter().collect());
        }
    }
    assert!(pieces.len() > 20);
    pieces
}

fn assert_no_secret(label: &str, bytes: &[u8], pieces: &[String]) {
    let text = String::from_utf8_lossy(bytes);
    for piece in pieces {
        assert!(
            !text.contains(piece.as_str()),
            "{label} holds secret material {piece:?}"
        );
    }
}

#[test]
fn no_secret_reaches_any_output_log_or_error() {
    let pieces = secret_pieces();
    let dir = tempfile::tempdir().unwrap();
    let all = [
        "gitleaks/report.json",
        "trufflehog/report.jsonl",
        "noseyparker/report.json",
        "github/alerts.json",
        "simple.csv",
    ];
    let formats = [
        "json", "jsonl", "csv", "sarif", "markdown", "ocsf", "html", "table",
    ];
    let mut cmd = nhiscan();
    cmd.args(["-v", "scan", "-i", ESTATE, "--now", NOW]);
    for leak in all {
        cmd.args(["--leaks", &fixture(leak)]);
    }
    for format in formats {
        let path = dir.path().join(format!("report.{format}"));
        cmd.args(["-f", &format!("{format}:{}", path.display())]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches no credential here"));
    assert_no_secret("stdout", &out.stdout, &pieces);
    assert_no_secret("stderr", &out.stderr, &pieces);
    for format in formats {
        let path = dir.path().join(format!("report.{format}"));
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.is_empty(), "{format}");
        assert_no_secret(format, &bytes, &pieces);
    }
    // The HTML report embeds its data compressed: look inside too.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let start = html.find("id=\"nhiscan-data\">").unwrap() + "id=\"nhiscan-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let gzip = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(html[start..end].trim())
            .unwrap()
    };
    let mut data = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gzip.as_slice()),
        &mut data,
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&data).contains("AKIANI3KFTQ642OVWO6T"));
    assert_no_secret("html data", &data, &pieces);
    let json = std::fs::read(dir.path().join("report.json")).unwrap();
    assert!(String::from_utf8_lossy(&json).contains("AKIANI3KFTQ642OVWO6T"));

    // The inventory and owners views, and the evidence pack.
    for args in [
        vec!["inventory", "--credentials", "-f", "json"],
        vec!["owners", "-f", "csv"],
    ] {
        let mut cmd = nhiscan();
        cmd.args(&args).args(["-i", ESTATE, "--now", NOW]);
        for leak in all {
            cmd.args(["--leaks", &fixture(leak)]);
        }
        let out = cmd.output().unwrap();
        assert_no_secret(args[0], &out.stdout, &pieces);
        assert_no_secret(args[0], &out.stderr, &pieces);
    }

    // A broken report: the error names the file and position, never the value.
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"[{"RuleID": "aws-access-token", "StartLine": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY001", "File": "x"}]"#,
    )
    .unwrap();
    let out = nhiscan()
        .args(["scan", "-i", ESTATE, "--now", NOW, "--leaks"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.json:1:"), "{stderr}");
    assert!(stderr.contains("StartLine"), "{stderr}");
    assert_no_secret("error", &out.stderr, &pieces);
}

#[test]
fn a_file_no_scanner_wrote_is_refused_with_the_formats_named() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"[{"name": "x"}]"#).unwrap();
    let out = nhiscan()
        .args(["scan", "-i", ESTATE, "--now", NOW, "--leaks"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("other.json") && stderr.contains("gitleaks"),
        "{stderr}"
    );
    assert!(Path::new(FIXTURES).join("README.md").is_file());
}
