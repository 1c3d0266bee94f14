//! The governance views, run as the real binary: AI-agent classification (with the
//! look-alikes that must not be classified), the stricter AI-agent rules, team owners,
//! and the `owners` report an auditor hands out.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;

const NOW: &str = "2025-12-01";
const AI: &str = "tests/fixtures/ai/inventory.json";
const AI_ROSTER: &str = "tests/fixtures/ai/roster.csv";

fn nhiscan() -> Command {
    let mut cmd = Command::cargo_bin("nhiscan").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout(cmd)).unwrap()
}

#[test]
fn agents_are_classified_and_look_alikes_are_not() {
    let csv = stdout(nhiscan().args(["inventory", "-i", AI, "--ai", "-f", "csv", "--now", NOW]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[4].to_string())
        .collect();
    assert_eq!(
        names,
        [
            "support-agent-llm",
            "ticket-router",
            "helpdesk-copilot",
            "rag-indexer",
            "agents/ordersMcpServer",
            "analytics-worker",
        ]
    );
    insta::assert_snapshot!("inventory_ai_csv", csv);

    // The full inventory says why each look-alike is not an agent.
    let all = stdout(nhiscan().args(["inventory", "-i", AI, "-f", "csv", "--now", NOW]));
    let mut reader = csv::Reader::from_reader(all.as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        let (name, ai, signals) = (&record[4], &record[17], &record[18]);
        match name {
            "robotics-team" | "mail-relay" | "gptzero-webhook" => {
                assert_eq!((ai, signals), ("false", ""), "{name}")
            }
            "vm-build-agent-01" | "datadog-agent" => {
                assert_eq!((ai, signals), ("false", ""), "{name}")
            }
            "slack-bot" | "maintenance-bot" => {
                assert_eq!(ai, "false", "{name}");
                assert!(
                    signals.starts_with("weak name: word `bot`"),
                    "{name}: {signals}"
                );
            }
            _ => assert_eq!(ai, "true", "{name}"),
        }
    }

    // -f json: an inventory of the agents and their credentials, re-importable.
    let agents = json(nhiscan().args(["inventory", "-i", AI, "--ai", "-f", "json", "--now", NOW]));
    assert_eq!(agents["identities"].as_array().unwrap().len(), 6);
    assert_eq!(agents["credentials"].as_array().unwrap().len(), 2);
}

#[test]
fn ai_agents_get_the_stricter_rules() {
    let report = json(nhiscan().args([
        "scan", "-i", AI, "--owners", AI_ROSTER, "--now", NOW, "-f", "json",
    ]));
    let findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let entity = &f["entity"];
            let name = entity["name"].as_str().or(entity["id"].as_str()).unwrap();
            format!(
                "{} {} {name}",
                f["severity"].as_str().unwrap(),
                f["rule_id"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!("ai_findings", findings.join("\n"));
    let has = |line: &str| findings.iter().any(|f| f == line);
    // Departed owner of an agent: critical, and not twice (owner-departed stays quiet).
    assert!(has("critical ai-agent-without-owner ticket-router"));
    assert!(!findings.iter().any(|f| f.contains("owner-departed")));
    assert!(has(
        "critical ai-agent-excessive-privileges support-agent-llm"
    ));
    assert!(has(
        "high ai-agent-shared-across-environments support-agent-llm"
    ));
    assert!(has("high ai-agent-static-credential AKIAEXAMPLETICKET001"));
    assert!(has(
        "medium ai-agent-credential-unused AKIAEXAMPLETICKET001"
    ));
    // The build agent's wildcard is judged by the general rule, not the agent one.
    assert!(has("medium wildcard-privileges vm-build-agent-01"));
    // Evidence carries the signals.
    let signals = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "ai-agent-without-owner")
        .map(|f| f["evidence"]["identity.ai_signals"].clone())
        .unwrap();
    assert!(
        signals.to_string().contains("workload-type=ai-agent"),
        "{signals}"
    );
}

#[test]
fn owners_report_per_owner_and_per_entity() {
    let table = stdout(nhiscan().args(["owners", "-i", AI, "--owners", AI_ROSTER, "--now", NOW]));
    insta::assert_snapshot!("owners_table", table);
    let csv = stdout(nhiscan().args([
        "owners", "-i", AI, "--owners", AI_ROSTER, "--now", NOW, "-f", "csv",
    ]));
    insta::assert_snapshot!("owners_csv", csv);
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("\"(unowned)\",\"missing\""), "{first}");
    assert!(csv
        .lines()
        .nth(2)
        .unwrap()
        .starts_with("\"kevin@acme.example\",\"departed\",\"62\""));

    let list = stdout(nhiscan().args([
        "owners", "-i", AI, "--owners", AI_ROSTER, "--now", NOW, "-f", "csv", "--list",
    ]));
    insta::assert_snapshot!("owners_list_csv", list);
    let kevin: Vec<&str> = list.lines().filter(|l| l.starts_with("\"kevin@")).collect();
    assert_eq!(kevin.len(), 2, "{list}"); // ticket-router and its key
}

#[test]
fn a_team_owner_is_judged_by_its_people() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nhiscan.toml");
    std::fs::write(
        &config,
        "[owners.teams]\n\"kevin@acme.example\" = [\"sofia@acme.example\"]\n",
    )
    .unwrap();
    // Kevin's address now names a team Sofia (active) belongs to: no longer departed.
    let report = json(
        nhiscan()
            .args([
                "scan", "-i", AI, "--owners", AI_ROSTER, "--now", NOW, "-f", "json",
            ])
            .arg("--config")
            .arg(&config),
    );
    let router_owner = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["entity"]["name"] == "ticket-router")
        .map(|f| f["owner_status"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(
        router_owner.iter().all(|s| s == "active"),
        "{router_owner:?}"
    );

    std::fs::write(&config, "[ai]\nextra_strong_words = [\"relay\"]\n").unwrap();
    let agents = json(
        nhiscan()
            .args(["inventory", "-i", AI, "--ai", "-f", "json", "--now", NOW])
            .arg("--config")
            .arg(&config),
    );
    assert!(agents["identities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == "mail-relay"));

    std::fs::write(&config, "[ai]\nkeywords = [\"x\"]\n").unwrap();
    let out = nhiscan()
        .args(["inventory", "-i", AI, "--ai"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nhiscan.toml") && err.contains("no list `keywords`"),
        "{err}"
    );
}
