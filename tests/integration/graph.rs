//! `nhiscan graph` and the delegation rules, through the real binary, on
//! tests/fixtures/graph/chain.json: ci-deployer (IAM user) → role/staging-deploy →
//! role/staging-admin → role/org-admin (admin), a cross-account hop to
//! role/prod-deploy, and an Azure chain from a dev subscription into production.

use assert_cmd::Command;
use serde_json::Value;

const CHAIN: &str = "tests/fixtures/graph/chain.json";
const NOW: &str = "2026-01-01T00:00:00Z";

/// The binary, run from the repository root with nothing inherited but PATH.
fn nhiscan() -> Command {
    Command::from_std(crate::support::nhiscan())
}

fn graph(args: &[&str]) -> (Option<i32>, String, String) {
    let out = nhiscan()
        .args(["graph", "-i", CHAIN, "--now", NOW])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stdout_ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = graph(args);
    assert_eq!(code, Some(0), "{stderr}");
    stdout
}

fn scan_json() -> Value {
    let out = nhiscan()
        .args(["scan", "-i", CHAIN, "--now", NOW, "-f", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// The findings of one rule, by entity name.
/// The findings `rule` matched: its own, and those it is folded into (`also_fails`).
fn findings<'a>(report: &'a Value, rule: &str) -> Vec<(&'a str, &'a Value)> {
    let mut found: Vec<(&str, &Value)> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["rule_id"] == rule
                || f["also_fails"]
                    .as_array()
                    .is_some_and(|folded| folded.iter().any(|r| r == rule))
        })
        .map(|f| (f["entity"]["name"].as_str().unwrap_or_default(), f))
        .collect();
    found.sort_by_key(|(name, _)| *name);
    found
}

#[test]
fn text_shows_the_tree_of_shortest_paths() {
    insta::assert_snapshot!("graph_ci_deployer_text", stdout_ok(&["ci-deployer"]));
}

#[test]
fn dot_marks_admins_and_labels_edges() {
    let dot = stdout_ok(&["ci-deployer", "--format", "dot"]);
    insta::assert_snapshot!("graph_ci_deployer_dot", dot);
}

#[test]
fn svg_draws_every_identity_reached_and_every_edge_between_them() {
    let svg = stdout_ok(&["ci-deployer", "--format", "svg"]);
    let doc: Value = serde_json::from_str(&stdout_ok(&["ci-deployer", "-f", "json"]))
        .unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    let reached = doc["count"].as_u64().unwrap_or_default() as usize;
    assert_eq!(svg.matches("<a href=").count(), reached + 1, "{svg}");
    let edges = doc["edges"].as_array().map_or(0, Vec::len);
    assert_eq!(svg.matches(r#"class="edge""#).count(), edges);
    assert!(svg.contains(r#"class="node admin""#), "the admin is marked");
    assert!(
        svg.contains(r#"class="node start""#),
        "so is the identity asked about"
    );
}

#[test]
fn reverse_lists_who_can_act_as_an_identity() {
    insta::assert_snapshot!(
        "graph_org_admin_reverse_text",
        stdout_ok(&["role/org-admin", "--reverse"])
    );
}

#[test]
fn json_gives_each_identity_reached_with_its_path_and_steps() {
    let doc: Value = serde_json::from_str(&stdout_ok(&[
        "arn:aws:iam::111122223333:user/ci-deployer",
        "-f",
        "json",
    ]))
    .unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(doc["graph_version"], 1);
    assert_eq!(doc["direction"], "forward");
    assert_eq!(doc["count"], 4);
    let admin = doc["reached"]
        .as_array()
        .and_then(|r| r.iter().find(|n| n["name"] == "org-admin"))
        .unwrap_or_else(|| panic!("org-admin not reached: {doc}"));
    assert_eq!(admin["admin"], true);
    assert_eq!(admin["hops"], 3);
    assert_eq!(
        admin["path"],
        "ci-deployer → role/staging-deploy → role/staging-admin → role/org-admin (admin)"
    );
    assert_eq!(admin["steps"][0]["reason"], "named in the trust policy");
    let prod = doc["reached"]
        .as_array()
        .and_then(|r| r.iter().find(|n| n["name"] == "prod-deploy"))
        .unwrap_or_else(|| panic!("prod-deploy not reached: {doc}"));
    assert_eq!(
        prod["steps"][0]["reason"],
        "its trust policy trusts account 111122223333; sts:AssumeRole allowed on \
         arn:aws:iam::444455556666:role/prod-deploy (if sts:ExternalId StringEquals ci-7f3a)"
    );
    // Every edge among the identities reached, none to prod-admin (no grant for it).
    assert_eq!(doc["edges"].as_array().map(Vec::len), Some(4));
}

#[test]
fn scan_reports_the_chain_to_admin_with_its_path() {
    let report = scan_json();
    let chain = findings(&report, "reaches-admin-through-chain");
    let names: Vec<&str> = chain.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        vec![
            "app-automation",
            "ci-deployer",
            "gh-actions",
            "mi-dev-runner",
            "staging-admin",
            "staging-deploy"
        ]
    );
    let (_, ci) = chain[1];
    assert_eq!(ci["severity"], "high");
    assert_eq!(
        ci["evidence"]["identity.admin_paths"],
        serde_json::json!([
            "ci-deployer → role/staging-deploy → role/staging-admin → role/org-admin (admin)"
        ])
    );
    assert_eq!(ci["evidence"]["identity.reachable_count"], 4);
    assert_eq!(
        ci["evidence"]["identity.delegates_to"],
        serde_json::json!([
            "role/staging-deploy",
            "role/prod-deploy [account:444455556666]"
        ])
    );
    assert!(ci["message"]
        .as_str()
        .is_some_and(|m| m.contains("role/org-admin (admin)")));
}

#[test]
fn scan_reports_chains_across_accounts_and_subscriptions() {
    let report = scan_json();
    let crossing = findings(&report, "delegation-crosses-boundary");
    let paths: Vec<(&str, &Value)> = crossing
        .iter()
        .map(|(n, f)| (*n, &f["evidence"]["identity.cross_boundary_paths"]))
        .collect();
    assert_eq!(
        paths,
        vec![
            (
                "app-automation",
                &serde_json::json!(["app-automation → gh-actions → mi-dev-runner → mi-prod-payments [subscription:5ub0prd0-0000-4000-8000-000000000002] (admin)"])
            ),
            (
                "ci-deployer",
                &serde_json::json!(["ci-deployer → role/prod-deploy [account:444455556666]"])
            ),
            (
                "directory-admin",
                &serde_json::json!(["directory-admin → gh-actions → mi-dev-runner → mi-prod-payments [subscription:5ub0prd0-0000-4000-8000-000000000002] (admin)"])
            ),
            (
                "gh-actions",
                &serde_json::json!(["gh-actions → mi-dev-runner → mi-prod-payments [subscription:5ub0prd0-0000-4000-8000-000000000002] (admin)"])
            ),
            (
                "mi-dev-runner",
                &serde_json::json!(["mi-dev-runner → mi-prod-payments [subscription:5ub0prd0-0000-4000-8000-000000000002] (admin)"])
            ),
        ]
    );
}

#[test]
fn unknown_or_ambiguous_ids_exit_two_with_close_matches() {
    let (code, stdout, stderr) = graph(&["ci-deploy"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("no identity has the id or name `ci-deploy`; close matches: ci-deployer"),
        "{stderr}"
    );
    let (code, _, stderr) = graph(&["nothing-like-it-at-all"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no identity has the id or name"),
        "{stderr}"
    );
}

#[test]
fn an_identity_that_reaches_nothing_says_so() {
    let text = stdout_ok(&["prod-admin"]);
    assert!(
        text.contains("It cannot act as any other identity."),
        "{text}"
    );
    let text = stdout_ok(&["ci-deployer", "--reverse"]);
    assert!(text.contains("No other identity can act as it."), "{text}");
}
