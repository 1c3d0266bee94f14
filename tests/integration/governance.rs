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
    Command::from_std(crate::support::nhiscan())
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
    // One finding for the agent's static key: the unused and unrotated key rules fold in.
    let static_key = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule_id"] == "ai-agent-static-credential"
                && f["entity"]["id"] == "AKIAEXAMPLETICKET001"
        })
        .unwrap();
    assert_eq!(
        static_key["also_fails"],
        serde_json::json!([
            "ai-agent-credential-unused",
            "credential-unused",
            "static-key-not-rotated"
        ])
    );
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

// The bundled example estate and its clean twins (examples/estate/generate.py): entities
// that look like what a rule catches but must get no finding from any rule.
const ESTATE: &str = "examples/estate/inventory.json";
const ESTATE_ROSTER: &str = "examples/roster.csv";
const ESTATE_LEAKS: &str = "examples/estate/leaks.json";
const ESTATE_CONFIG: &str = "examples/nhiscan.toml";
/// The estate's fixed "now" (generate.py's NOW), as the other estate tests scan it.
const ESTATE_NOW: &str = "2026-11-01T00:00:00Z";
const TWINS: &str = "examples/estate/clean-twins.json";

fn read_json(path: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// (entity id, type, twin_of) of every clean twin.
fn clean_twins() -> Vec<(String, String, Vec<String>)> {
    read_json(TWINS)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let twin_of = t["twin_of"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            (
                t["entity"].as_str().unwrap().to_string(),
                t["type"].as_str().unwrap().to_string(),
                twin_of,
            )
        })
        .collect()
}

/// `nhiscan COMMAND` on the example estate as the README's first command reads it, at the
/// estate's fixed time, writing FORMAT to standard output.
fn on_estate(command: &str, format: &str) -> Command {
    let mut cmd = nhiscan();
    cmd.args([command, "--inventory", ESTATE, "--owners", ESTATE_ROSTER])
        .args(["--config", ESTATE_CONFIG, "--leaks", ESTATE_LEAKS])
        .args(["--now", ESTATE_NOW, "-f", format]);
    cmd
}

#[test]
fn the_estate_reports_nothing_on_its_clean_twins() {
    // The README's first command, at the estate's fixed time.
    let report = json(&mut on_estate("scan", "json"));
    let twins = clean_twins();
    assert!(twins.len() >= 30, "{} twins", twins.len());
    let is_twin = |id: &str, kind: &str| twins.iter().any(|(t, k, _)| t == id && k == kind);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    // A finding on a twin, or on a credential of a twin identity.
    let offending: Vec<String> = findings
        .iter()
        .filter(|f| {
            let entity = &f["entity"];
            is_twin(
                entity["id"].as_str().unwrap(),
                entity["type"].as_str().unwrap(),
            ) || entity["identity_id"]
                .as_str()
                .is_some_and(|id| is_twin(id, "identity"))
        })
        .map(|f| {
            let also: Vec<&str> = f["also_fails"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "{} on {} {} (also fails: {}): {}",
                f["rule_id"].as_str().unwrap(),
                f["entity"]["type"].as_str().unwrap(),
                f["entity"]["id"].as_str().unwrap(),
                also.join(", "),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        offending.is_empty(),
        "clean twins (examples/estate/clean-twins.json) got findings:\n{}",
        offending.join("\n")
    );
}

#[test]
fn every_rule_has_a_clean_twin_in_the_estate() {
    let rules = json(nhiscan().args(["rules", "list", "-f", "json", "--config", ESTATE_CONFIG]));
    let rules = rules.as_array().unwrap();
    let known: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let enabled_builtin: Vec<&str> = rules
        .iter()
        .filter(|r| {
            r["enabled"] == true
                && r["origin"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("builtin:"))
        })
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(enabled_builtin.len() >= 50, "{enabled_builtin:?}");

    let twins = clean_twins();
    let without: Vec<&&str> = enabled_builtin
        .iter()
        .filter(|id| !twins.iter().any(|(_, _, of)| of.iter().any(|r| r == *id)))
        .collect();
    assert!(
        without.is_empty(),
        "rules without a clean twin in examples/estate/generate.py: {without:?}"
    );
    for (entity, _, twin_of) in &twins {
        for rule in twin_of {
            assert!(known.contains(&rule.as_str()), "{entity}: no rule {rule}");
        }
    }

    // Every twin is in the inventory, as the type it says.
    let inventory = read_json(ESTATE);
    let ids = |key: &str| -> Vec<String> {
        inventory[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (identities, credentials) = (ids("identities"), ids("credentials"));
    for (entity, kind, _) in &twins {
        let present = match kind.as_str() {
            "identity" => identities.contains(entity),
            "credential" => credentials.contains(entity),
            other => panic!("{entity}: type {other}"),
        };
        assert!(present, "{kind} {entity} is not in {ESTATE}");
    }
}

#[test]
fn the_estates_people_are_human_and_its_narrow_agent_is_an_agent() {
    let csv = stdout(&mut on_estate("inventory", "csv"));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, enabled) = (column("id"), column("enabled"));
    let (ai, ai_signals) = (column("ai_agent"), column("ai_signals"));
    let (kind, signals) = (column("identity_type"), column("identity_type_signals"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let row = |wanted: &str| {
        rows.iter()
            .find(|r| &r[id] == wanted)
            .unwrap_or_else(|| panic!("{wanted} is not in the inventory"))
    };

    // An admin engineer, a read-only analyst and a departed employee (disabled user).
    for name in ["lukas.weber", "nina.petrova", "irene.kowalski"] {
        let r = row(&format!("arn:aws:iam::111122223333:user/{name}"));
        assert_eq!(&r[kind], "human", "{name}: {}", &r[signals]);
        assert!(
            r[signals].contains(&format!("roster: `{name}`")),
            "{name}: {}",
            &r[signals]
        );
        assert_eq!(&r[ai], "false", "{name}: {}", &r[ai_signals]);
    }
    assert_eq!(
        &row("arn:aws:iam::111122223333:user/irene.kowalski")[enabled],
        "false"
    );
    // The analyst's bedrock:List*/Get* grants are no AI signal at all (not merely
    // overruled because she is a person).
    let analyst = row("arn:aws:iam::111122223333:user/nina.petrova");
    assert!(
        !analyst[ai_signals].contains("permission:") && !analyst[ai_signals].contains("human"),
        "{}",
        &analyst[ai_signals]
    );

    // A Bedrock agent's role that may invoke one model.
    let agent = row("arn:aws:iam::111122223333:role/faq-agent-bedrock");
    assert_eq!(&agent[ai], "true", "{}", &agent[ai_signals]);
    assert_eq!(&agent[kind], "non_human");
    for signal in [
        "permission: bedrock:InvokeModel",
        "trust: assumable by bedrock.amazonaws.com",
    ] {
        assert!(agent[ai_signals].contains(signal), "{}", &agent[ai_signals]);
    }
}
