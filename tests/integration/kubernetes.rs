//! The live Kubernetes collector, run as the real binary, against a fake API server over
//! real HTTPS on 127.0.0.1 (tests/integration/support/kube_server.rs) reached through a kubeconfig
//! with the test CA and a bearer token — the same path a real cluster takes. Responses
//! are the fixtures in tests/fixtures/kubernetes/ (sources in its README).

#![allow(clippy::unwrap_used)]

use crate::support::kube_server::{KubeServer, CONTINUE};
use crate::support::output::{find, json, run, stderr};
use nhiscan::collect::kubernetes::permissions;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const TOKEN_VALUE: &str = "fake-token-value-must-not-leak";
const TOKEN_BASE64: &str = "ZmFrZS10b2tlbi12YWx1ZS1tdXN0LW5vdC1sZWFr";

fn nhiscan(kubeconfig: &Path) -> Command {
    let mut cmd = crate::support::nhiscan();
    cmd.env("PATH", "/usr/bin:/bin")
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", kubeconfig.parent().unwrap());
    cmd
}

fn identity<'a>(inventory: &'a Value, id: &str) -> &'a Value {
    find(inventory, "identities", "id", id)
}

fn collect(server: &KubeServer) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let out = run(nhiscan(&kubeconfig).args(["collect", "kubernetes", "--context", "fake-prod"]));
    let inventory = json(&out);
    (out, inventory)
}

#[test]
fn collects_service_accounts_rbac_workloads_and_token_secrets() {
    let server = KubeServer::start();
    let (out, inventory) = collect(&server);
    // One namespace's RoleBindings were refused: partial, exit 3, the rest kept.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let coverage = &inventory["coverage"][0];
    assert_eq!(coverage["target"], "kubernetes:prod-cluster");
    assert_eq!(coverage["status"], "partial");
    let detail = coverage["detail"].as_str().unwrap();
    assert!(
        detail.contains("rolebindings in namespace payments not listed: 403 Forbidden"),
        "{detail}"
    );
    assert!(
        detail.contains("grant `list` on `rolebindings.rbac.authorization.k8s.io`"),
        "{detail}"
    );
    assert!(stderr(&out).contains("payments"), "{}", stderr(&out));

    // Both pages of ServiceAccounts.
    let ids: Vec<&str> = inventory["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 7, "{ids:?}");
    assert!(ids.contains(&"system:serviceaccount:payments:payments-api"));

    let dashboard = identity(
        &inventory,
        "system:serviceaccount:kube-system:legacy-dashboard",
    );
    assert_eq!(dashboard["name"], "kube-system/legacy-dashboard");
    assert_eq!(dashboard["kind"], "service_account");
    assert_eq!(dashboard["scope"]["kind"], "cluster");
    assert_eq!(dashboard["scope"]["id"], "prod-cluster");
    assert_eq!(dashboard["permissions"]["admin"], true);
    assert_eq!(
        dashboard["permissions"]["policies"],
        serde_json::json!(["ClusterRoleBinding/legacy-dashboard: cluster-admin"])
    );
    assert_eq!(
        dashboard["attributes"]["workloads"],
        serde_json::json!(["ReplicaSet/kube-system/dashboard-7d9f8c"])
    );

    let reader = identity(
        &inventory,
        "system:serviceaccount:monitoring:secret-reader-bot",
    );
    assert_eq!(reader["attributes"]["reads_all_secrets"], true);
    assert!(reader["permissions"].get("admin").is_none());
    assert_eq!(reader["tags"]["owner"], "sam@example.com");

    let deployer = identity(&inventory, "system:serviceaccount:ci:jenkins-deployer");
    assert_eq!(
        deployer["permissions"]["wildcard_actions"],
        serde_json::json!(["deployments.apps/* in ci"])
    );
    assert_eq!(deployer["tags"]["owner"], "alex@example.com");
    assert_eq!(
        deployer["attributes"]["workloads"],
        serde_json::json!(["Deployment/ci/jenkins"])
    );

    let orphan = identity(&inventory, "system:serviceaccount:ops:orphan-bot");
    assert_eq!(orphan["attributes"]["workloads"], serde_json::json!([]));
    assert_eq!(
        orphan["permissions"]["wildcard_actions"],
        serde_json::json!(["*/get in ops", "*/list in ops"])
    );

    let ci_default = identity(&inventory, "system:serviceaccount:ci:default");
    assert_eq!(
        ci_default["attributes"]["bindings"][0]["subject"],
        "ServiceAccount"
    );
    // Whoever may create Deployments in ci may run them as ci's default ServiceAccount:
    // an edge of the delegation graph.
    assert_eq!(
        ci_default["trust"],
        serde_json::json!([{
            "principal": "system:serviceaccount:ci:jenkins-deployer",
            "principal_type": "identity",
            "conditions": ["deployments.apps/create via RoleBinding/ci/jenkins-deployer"]
        }])
    );
    assert!(deployer["trust"].is_null(), "not the other way round");
    let payments = identity(&inventory, "system:serviceaccount:payments:payments-api");
    assert_eq!(payments["attributes"]["automount_token"], false);
    assert_eq!(payments["tags"]["owner"], "elena@example.com");
    assert_eq!(
        payments["attributes"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::111122223333:role/irsa-payments-api"
    );

    // Legacy token Secrets: metadata only.
    let credentials = inventory["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2);
    let token = &credentials[0];
    assert_eq!(token["id"], "ci/jenkins-deployer-token-x8k2d");
    assert_eq!(token["kind"], "token");
    assert_eq!(
        token["identity_id"],
        "system:serviceaccount:ci:jenkins-deployer"
    );
    assert_eq!(token["created"], "2022-02-01T09:05:00Z");
    assert!(token.get("expires").is_none());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(TOKEN_VALUE) && !text.contains(TOKEN_BASE64));
    assert!(!stderr(&out).contains(TOKEN_BASE64));
}

#[test]
fn sends_only_paginated_gets_and_every_call_is_in_the_permissions_table() {
    let server = KubeServer::start();
    let (_, inventory) = collect(&server);
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r.method, "GET", "{r:?}");
        assert!(r.query.contains("limit=500"), "{r:?}");
        assert_ne!(r.status, 401, "{r:?}");
        assert_ne!(r.status, 404, "unexpected request {r:?}");
    }
    // Two pages of ServiceAccounts, the second with the continue token.
    let pages: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/serviceaccounts")
        .collect();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].query.contains(&format!("continue={CONTINUE}")));
    // Token secrets by type only.
    let secrets: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/secrets"))
        .collect();
    assert_eq!(secrets.len(), 1);
    assert!(secrets[0]
        .query
        .contains("fieldSelector=type=kubernetes.io/service-account-token"));
    // Refused cluster-wide, RoleBindings were listed namespace by namespace.
    assert!(requests
        .iter()
        .any(|r| r.path == "/apis/rbac.authorization.k8s.io/v1/namespaces/ci/rolebindings"));

    let calls = inventory["api_calls"].as_object().unwrap();
    assert_eq!(calls["kubernetes:serviceaccounts:list"], 2);
    let total: u64 = calls.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total as usize, requests.len());
    for key in calls.keys() {
        assert!(
            permissions::needed_for(key).is_some(),
            "{key} is not in the table"
        );
    }
}

#[test]
fn rules_fire_on_the_fake_cluster() {
    let server = KubeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let out = run(nhiscan(&kubeconfig).args([
        "scan",
        "--provider",
        "kubernetes",
        "--context",
        "fake-prod",
        "-f",
        "json",
        "--now",
        "2026-01-01",
    ]));
    // An incomplete scan (findings alone do not fail without --fail-on).
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    let text = report.to_string();
    assert!(!text.contains(TOKEN_VALUE) && !text.contains(TOKEN_BASE64));
    // Every rule that matched: each finding's, and those folded into it (`also_fails`).
    let fired: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let id = f["entity"]["id"].as_str().unwrap_or_default().to_string();
            std::iter::once(&f["rule_id"])
                .chain(f["also_fails"].as_array().into_iter().flatten())
                .map(move |r| (r.as_str().unwrap_or_default().to_string(), id.clone()))
        })
        .collect();
    let has = |rule: &str, resource: &str| fired.iter().any(|(r, id)| r == rule && id == resource);
    assert!(
        has(
            "k8s-legacy-sa-token-secret",
            "ci/jenkins-deployer-token-x8k2d"
        ),
        "{fired:?}"
    );
    assert!(
        has(
            "admin-privileges",
            "system:serviceaccount:kube-system:legacy-dashboard"
        ),
        "{fired:?}"
    );
    assert!(
        has(
            "wildcard-privileges",
            "system:serviceaccount:ops:orphan-bot"
        ),
        "{fired:?}"
    );
    assert!(
        has(
            "k8s-sa-reads-all-secrets",
            "system:serviceaccount:monitoring:secret-reader-bot"
        ),
        "{fired:?}"
    );
    assert!(
        has("k8s-sa-unused", "system:serviceaccount:ops:orphan-bot"),
        "{fired:?}"
    );
    assert!(
        !has(
            "k8s-sa-unused",
            "system:serviceaccount:payments:payments-api"
        ),
        "{fired:?}"
    );
    assert!(
        has(
            "k8s-default-sa-with-bindings",
            "system:serviceaccount:ci:default"
        ),
        "{fired:?}"
    );
    assert!(
        !has(
            "k8s-default-sa-with-bindings",
            "system:serviceaccount:default:default"
        ),
        "{fired:?}"
    );
}

#[test]
fn the_current_context_is_used_without_context_and_an_unreachable_cluster_fails_alone() {
    let server = KubeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    // The current context `other` points at a closed port.
    let out = run(nhiscan(&kubeconfig).args(["collect", "kubernetes"]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let inventory = json(&out);
    assert_eq!(
        inventory["coverage"][0]["target"],
        "kubernetes:other-cluster"
    );
    assert_eq!(inventory["coverage"][0]["status"], "failed");
    assert!(server.requests().is_empty());

    // Beside an inventory file: the file's identities are kept, the cluster is failed.
    let out = run(nhiscan(&kubeconfig).args([
        "scan",
        "-i",
        "examples/estate/inventory.json",
        "--provider",
        "kubernetes",
        "-f",
        "json",
    ]));
    assert!(
        matches!(out.status.code(), Some(3) | Some(4)),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    let text = report.to_string();
    assert!(text.contains("kubernetes:other-cluster"), "{text:.2000}");
    assert!(!report["findings"].as_array().unwrap().is_empty());

    // An unknown context is an error that names the known ones.
    let out = run(nhiscan(&kubeconfig).args(["collect", "kubernetes", "--context", "nope"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("fake-prod"), "{}", stderr(&out));
}

#[test]
fn no_token_secrets_skips_the_secrets_call() {
    let server = KubeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let out = run(nhiscan(&kubeconfig).args([
        "collect",
        "kubernetes",
        "--context",
        "fake-prod",
        "--no-token-secrets",
        "--namespace",
        "ci,ops",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let inventory = json(&out);
    assert!(inventory["credentials"].as_array().unwrap().is_empty());
    assert!(server
        .requests()
        .iter()
        .all(|r| !r.path.ends_with("/secrets")));
    assert!(server
        .requests()
        .iter()
        .all(|r| r.path.contains("/namespaces/ci/")
            || r.path.contains("/namespaces/ops/")
            || r.path.ends_with("/clusterroles")
            || r.path.ends_with("/clusterrolebindings")));
}

/// An API server that accepts the connection and never answers: the cluster is a failed
/// coverage entry within `--k8s-timeout`, not a scan that hangs (kube waits without end
/// by default).
#[test]
fn an_api_server_that_never_answers_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: silent\nclusters:\n- name: silent\n  \
             cluster:\n    server: http://{address}\ncontexts:\n- name: silent\n  context:\n    \
             cluster: silent\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    let mut cmd = assert_cmd::Command::from_std(nhiscan(&kubeconfig));
    let out = cmd
        .args(["collect", "kubernetes", "--k8s-timeout", "2"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let inventory = json(&out);
    assert_eq!(inventory["coverage"][0]["status"], "failed");
    let detail = inventory["coverage"][0]["detail"].to_string();
    assert!(
        detail.to_lowercase().contains("timed out") || detail.contains("timeout"),
        "{detail}"
    );
}

/// 20% and 40% of requests throttled (429, Retry-After), failing (500), dropped or
/// answered past `--k8s-timeout`: retried, the same inventory and exit code as without
/// faults, or what failed every attempt named as a gap with exit 3.
#[test]
fn faults_cost_retries_not_findings() {
    let server = KubeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    crate::support::https_fake::assert_faults_cost_retries(
        |k| server.set_faults(k),
        || server.requests().iter().map(|r| r.fault).collect(),
        || {
            let out = run(nhiscan(&kubeconfig).args([
                "collect",
                "kubernetes",
                "--context",
                "fake-prod",
                // Attempts time out before a held-back answer comes.
                "--k8s-timeout",
                "1",
            ]));
            let inventory = json(&out);
            (out, inventory)
        },
    );
}
