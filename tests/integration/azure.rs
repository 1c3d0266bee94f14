//! The live Azure collector, run as the real binary, against a local fake of Azure over
//! real HTTPS (tests/integration/support/azure_server.rs): the binary reaches the real host names
//! (login.microsoftonline.com, graph.microsoft.com, management.azure.com,
//! <vault>.vault.azure.net) through `HTTPS_PROXY`, and trusts the test CA through
//! `SSL_CERT_FILE`, exactly as it would behind a corporate proxy; nothing in the
//! production client is changed for the tests. Responses are the fixtures in
//! tests/fixtures/azure/, shaped as Microsoft's documentation shows.

#![allow(clippy::unwrap_used)]

use crate::support::azure_server::{AzureServer, Route};
use crate::support::output::{
    coverage, find, flagged_entities, json, rule_ids, run, stderr, strings, write_script,
};
use nhiscan::collect::azure::permissions;
use serde_json::Value;
use std::process::{Command, Output};

const TENANT: &str = "7e1c5b9a-3d2f-4c8e-9a1b-2f4d6e8a0c11";
const PROD: &str = "11111111-1111-4111-8111-111111111111";
const DEV: &str = "22222222-2222-4222-8222-222222222222";
const CLIENT_SECRET: &str = "test-client-secret-value";

/// The real binary with a clean environment pointed at `server`.
fn nhiscan(server: &AzureServer) -> Command {
    let mut cmd = crate::support::nhiscan();
    cmd.env("PATH", "/usr/bin:/bin").envs(server.env());
    cmd
}

fn collect(server: &AzureServer, extra: &[&str]) -> (Output, Value) {
    let out = run(nhiscan(server).args(["collect", "azure"]).args(extra));
    let inventory = json(&out);
    (out, inventory)
}

/// The identity named `name`.
fn identity<'a>(inventory: &'a Value, name: &str) -> &'a Value {
    find(inventory, "identities", "name", name)
}

/// The credential named `name`.
fn credential<'a>(inventory: &'a Value, name: &str) -> &'a Value {
    find(inventory, "credentials", "name", name)
}

#[test]
fn collect_azure_reads_the_tenant_its_subscriptions_and_vaults() {
    let server = AzureServer::start(Vec::new());
    let (out, inventory) = collect(&server, &[]);
    // Exit 3: the dev subscription's role assignments and one vault were denied.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        strings(&inventory["sources"])
            .iter()
            .any(|s| s.contains(TENANT) && s.contains("signed in with env")),
        "{}",
        inventory["sources"]
    );

    // One identity per application (app registration + its service principal), both
    // pages of applications and of service principals.
    let payments = identity(&inventory, "payments-api");
    assert_eq!(payments["kind"], "app_registration");
    assert_eq!(payments["id"], "a0000000-0000-4000-8000-000000000001");
    assert_eq!(payments["scope"]["id"], TENANT);
    assert_eq!(payments["scope"]["name"], "contoso.onmicrosoft.com");
    assert_eq!(strings(&payments["owners"]), ["alice@contoso.com"]);
    assert_eq!(
        payments["attributes"]["servicePrincipalId"],
        "50000000-0000-4000-8000-000000000001"
    );
    assert_eq!(payments["last_activity"], "2026-11-20T08:00:00Z");
    assert!(strings(&payments["permissions"]["policies"])
        .iter()
        .any(|p| p.starts_with("Key Vault Secrets User on /subscriptions/")));
    let copilot = identity(&inventory, "copilot-helpdesk-agent");
    assert_eq!(copilot["kind"], "app_registration");
    assert_eq!(strings(&copilot["owners"]), ["bob@contoso.com"]);

    let legacy = identity(&inventory, "legacy-report-bot");
    assert!(legacy.get("owners").is_none(), "{legacy}");
    assert_eq!(
        strings(&legacy["attributes"]["privileged_graph_permissions"]),
        ["Directory.ReadWrite.All"]
    );
    assert_eq!(
        strings(&legacy["permissions"]["wildcard_actions"]),
        [format!("* on /subscriptions/{PROD}")]
    );
    assert!(legacy["permissions"].get("admin").is_none());

    let partner = identity(&inventory, "Contoso Partner Analytics");
    assert_eq!(partner["kind"], "service_principal");
    assert_eq!(partner["attributes"]["third_party"], true);
    assert_eq!(partner["permissions"]["admin"], true);
    assert_eq!(
        strings(&partner["attributes"]["privileged_graph_permissions"]),
        ["RoleManagement.ReadWrite.Directory"]
    );
    let uaa = &partner["attributes"]["privileged_role_assignments"][0];
    assert_eq!(uaa["class"], "access_admin");
    assert_eq!(uaa["scope_level"], "management_group");

    let deployer = identity(&inventory, "mi-deployer");
    assert_eq!(deployer["kind"], "managed_identity");
    assert_eq!(deployer["id"], "50000000-0000-4000-8000-000000000006");
    assert_eq!(deployer["attributes"]["assignment"], "user");
    // Tags from ARM, read after a 429 with Retry-After.
    assert_eq!(deployer["tags"]["owner"], "platform-team@contoso.com");
    assert_eq!(deployer["permissions"]["admin"], true);
    assert_eq!(
        deployer["attributes"]["privileged_role_assignments"][0]["role"],
        "Owner"
    );
    let vm = identity(&inventory, "vm-build-agent");
    assert_eq!(vm["attributes"]["assignment"], "system");
    assert_eq!(
        strings(&vm["permissions"]["wildcard_actions"]),
        [format!("* on /subscriptions/{PROD}/resourceGroups/rg-ci")]
    );
    assert_eq!(identity(&inventory, "old-sync-connector")["enabled"], false);

    // Microsoft Graph's own service principal and the human Owner are not NHIs here.
    let names: Vec<&str> = inventory["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert!(!names.contains(&"Microsoft Graph"), "{names:?}");
    assert_eq!(names.len(), 7, "{names:?}");

    // App credentials, dates and owners' links; never a hint or a value.
    let forever = credential(&inventory, "forever");
    assert_eq!(forever["kind"], "client_secret");
    assert_eq!(
        forever["identity_id"],
        "a0000000-0000-4000-8000-000000000002"
    );
    assert_eq!(forever["expires"], "2299-12-31T00:00:00Z");
    assert_eq!(credential(&inventory, "api-signing")["kind"], "certificate");
    assert_eq!(
        credential(&inventory, "bot-secret-2")["kind"],
        "client_secret"
    );

    // Key Vault: both pages of secrets, keys and certificates; the secret backing the
    // certificate is not listed twice.
    let db = credential(&inventory, "db-password");
    assert_eq!(db["kind"], "vault_secret");
    assert_eq!(db["location"]["vault"], "kv-payments-prod");
    assert_eq!(db["location"]["region"], "westeurope");
    assert_eq!(db["tags"]["owner"], "payments-team@contoso.com");
    assert!(db.get("expires").is_none());
    assert_eq!(
        credential(&inventory, "old-token")["expires"],
        "2025-06-30T00:00:00Z"
    );
    assert_eq!(credential(&inventory, "signing-key")["kind"], "vault_key");
    let tls: Vec<&Value> = inventory["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "api-tls")
        .collect();
    assert_eq!(tls.len(), 1);
    assert_eq!(tls[0]["kind"], "certificate");
    // Each item says whether its vault's data plane is authorised by Azure RBAC (CIS Azure
    // 8.1 and 8.3) or by access policies (8.2 and 8.4): kv-payments-prod uses RBAC,
    // kv-legacy-batch (in the dev subscription) access policies.
    assert_eq!(db["attributes"]["vault_rbac"], true);
    assert_eq!(
        credential(&inventory, "signing-key")["attributes"]["vault_rbac"],
        true
    );
    assert_eq!(tls[0]["attributes"]["vault_rbac"], true);
    let sftp = credential(&inventory, "batch-sftp-password");
    assert_eq!(sftp["kind"], "vault_secret");
    assert_eq!(sftp["location"]["vault"], "kv-legacy-batch");
    assert_eq!(sftp["attributes"]["vault_rbac"], false);
    assert!(sftp.get("expires").is_none());
    let legacy_key = credential(&inventory, "batch-encryption-key");
    assert_eq!(legacy_key["kind"], "vault_key");
    assert_eq!(legacy_key["attributes"]["vault_rbac"], false);
    assert_eq!(
        credential(&inventory, "batch-retired-key")["status"],
        "inactive"
    );
    assert_eq!(
        coverage(&inventory, "azure:keyvault:kv-legacy-batch")["status"],
        "scanned"
    );

    // Coverage: what was denied is named with the permission; the rest is kept.
    assert_eq!(
        coverage(&inventory, &format!("azure:{TENANT}:directory"))["status"],
        "scanned"
    );
    assert_eq!(
        coverage(&inventory, &format!("azure:subscription:{PROD}"))["status"],
        "scanned"
    );
    let dev = coverage(&inventory, &format!("azure:subscription:{DEV}"));
    assert_eq!(dev["status"], "partial");
    let detail = dev["detail"].as_str().unwrap();
    assert!(detail.contains("AuthorizationFailed"), "{detail}");
    assert!(
        detail.contains("Microsoft.Authorization/roleAssignments/read"),
        "{detail}"
    );
    assert_eq!(
        coverage(&inventory, "azure:keyvault:kv-payments-prod")["status"],
        "scanned"
    );
    let locked = coverage(&inventory, "azure:keyvault:kv-locked");
    assert_eq!(locked["status"], "failed");
    let detail = locked["detail"].as_str().unwrap();
    assert!(
        detail.contains("403") && detail.contains("Key Vault Reader"),
        "{detail}"
    );

    // Calls: counted, paged, retried, and each one is in the shipped permission table.
    let calls = inventory["api_calls"].as_object().unwrap();
    assert_eq!(calls["azure:graph:applications"], 2);
    assert_eq!(calls["azure:graph:servicePrincipals"], 2);
    assert_eq!(calls["azure:arm:roleAssignments"], 3); // two pages in prod, one denied in dev
    assert_eq!(calls["azure:arm:userAssignedIdentities"], 3); // 429 + retry in prod, dev
    for key in calls.keys() {
        assert!(
            permissions::needed_for(key).is_some(),
            "{key} is not in permissions::NEEDED"
        );
    }

    // Only reads went out, the token only to the hosts it is for, and nothing secret
    // came back out.
    let requests = server.requests();
    for request in &requests {
        let token_call = request.host == "login.microsoftonline.com";
        assert!(
            request.method == "GET" || (token_call && request.method == "POST"),
            "{request:?}"
        );
        if request.host.ends_with(".vault.azure.net") {
            let path = request.path_and_query.split('?').next().unwrap_or_default();
            assert!(
                ["/secrets", "/keys", "/certificates"].contains(&path),
                "{request:?}"
            );
        }
        assert_ne!(request.status, 404, "unexpected request {request:?}");
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!text.contains(CLIENT_SECRET));
    assert!(!text.contains("fake-token-for"));
    assert!(!text.contains("\"hint\""));
}

/// The names of the entities `rule` fired on.
fn findings_for(report: &Value, rule: &str) -> Vec<String> {
    flagged_entities(report, rule, "name")
}

#[test]
fn one_scan_gives_azure_findings() {
    let server = AzureServer::start(Vec::new());
    let out = run(nhiscan(&server).args([
        "scan",
        "--provider",
        "azure",
        "--now",
        "2026-12-01",
        "-f",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    let rules = rule_ids(&report);
    for expected in [
        "azure-third-party-privileged-graph",
        "azure-privileged-subscription-role",
        "azure-app-credential-long-lived",
        "identity-without-owner",
        "credential-expiring-soon",
        "expired-credential-enabled",
        "credential-never-expires",
        "admin-privileges",
        "wildcard-privileges",
    ] {
        assert!(
            rules.iter().any(|r| r == expected),
            "{expected} not in {rules:?}"
        );
    }
    assert_eq!(
        findings_for(&report, "azure-third-party-privileged-graph"),
        ["Contoso Partner Analytics"]
    );
    // Contributor on the subscription can attach its managed identities, among them
    // mi-deployer, its Owner: the reporting app can become the subscription's owner.
    assert_eq!(
        findings_for(&report, "reaches-admin-through-chain"),
        ["legacy-report-bot"]
    );
    let chain = report["findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|f| f["rule_id"] == "reaches-admin-through-chain")
        })
        .unwrap();
    assert_eq!(
        chain["evidence"]["identity.admin_paths"],
        serde_json::json!(["legacy-report-bot → mi-deployer (admin)"])
    );
    let mut privileged = findings_for(&report, "azure-privileged-subscription-role");
    privileged.sort();
    assert_eq!(privileged, ["Contoso Partner Analytics", "mi-deployer"]);
    // Owner of a subscription is reported once, by the Azure rule that names it.
    assert!(!findings_for(&report, "admin-privileges").contains(&"mi-deployer".to_string()));
    assert!(
        findings_for(&report, "azure-app-credential-long-lived").contains(&"forever".to_string())
    );
    let mut soon = findings_for(&report, "credential-expiring-soon");
    soon.sort();
    assert!(soon.contains(&"stripe-api-key".to_string()), "{soon:?}");
    assert!(soon.contains(&"ci-deploy".to_string()), "{soon:?}");
    assert!(
        findings_for(&report, "identity-without-owner").contains(&"legacy-report-bot".to_string())
    );
    // Key Vault items without an expiry, whatever the vault's permission model; not the
    // ones with an expiry, nor a disabled one.
    let mut never = findings_for(&report, "credential-never-expires");
    never.sort();
    for name in [
        "batch-encryption-key",
        "batch-sftp-password",
        "db-password",
        "signing-key",
    ] {
        assert!(never.contains(&name.to_string()), "{name}: {never:?}");
    }
    for name in ["batch-api-token", "batch-retired-key", "stripe-api-key"] {
        assert!(!never.contains(&name.to_string()), "{name}: {never:?}");
    }
}

/// One CIS control's counts in a `report --framework cis -f json`.
fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("{id} not in the report"))
}

#[test]
fn key_vault_items_are_judged_by_their_vaults_permission_model() {
    let server = AzureServer::start(Vec::new());
    let (_, inventory) = collect(&server, &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("azure.json");
    std::fs::write(&path, inventory.to_string()).unwrap();
    let out = run(nhiscan(&server)
        .args([
            "report",
            "--framework",
            "cis",
            "--now",
            "2026-12-01",
            "-f",
            "json",
        ])
        .arg("-i")
        .arg(&path));
    let report = json(&out);
    // Enabled items without an expiry fail; items with one (expired or not) and disabled
    // items pass; each item counts only under its vault's permission model.
    for (id, evaluated, fail) in [
        // signing-key (no expiry)
        ("CIS Azure Foundations 8.1", 1, 1),
        // batch-encryption-key (no expiry), batch-retired-key (disabled)
        ("CIS Azure Foundations 8.2", 2, 1),
        // db-password (no expiry), stripe-api-key, old-token (expired)
        ("CIS Azure Foundations 8.3", 3, 1),
        // batch-sftp-password (no expiry), batch-api-token
        ("CIS Azure Foundations 8.4", 2, 1),
    ] {
        let c = control(&report, id);
        assert_eq!(
            (c["evaluated"].as_u64(), c["fail"].as_u64()),
            (Some(evaluated), Some(fail)),
            "{c}"
        );
        assert_eq!(c["status"], "fail", "{c}");
    }
}

#[test]
fn an_expired_token_fails_the_directory_and_keeps_the_subscriptions() {
    let expired = Route::json(
        "GET",
        "graph.microsoft.com",
        "*",
        401,
        r#"{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired.","innerError":{"date":"2026-11-29T10:00:00","request-id":"3f1b0c7e-0000-4000-8000-000000000001"}}}"#,
    )
    .before_auth();
    let server = AzureServer::start(vec![expired]);
    let (out, inventory) = collect(&server, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let directory = coverage(&inventory, &format!("azure:{TENANT}:directory"));
    assert_eq!(directory["status"], "failed");
    let detail = directory["detail"].as_str().unwrap();
    assert!(
        detail.contains("token is expired") && detail.contains("az login"),
        "{detail}"
    );
    assert!(
        stderr(&out).contains("token is expired"),
        "{}",
        stderr(&out)
    );
    // ARM and Key Vault still give the user-assigned identity, the service principals
    // that hold roles, and the vault's items.
    let deployer = identity(&inventory, "mi-deployer");
    assert_eq!(deployer["permissions"]["admin"], true);
    let known = identity(&inventory, "50000000-0000-4000-8000-000000000002");
    assert_eq!(known["kind"], "service_principal");
    assert!(known["attributes"]["known_from"]
        .as_str()
        .unwrap()
        .contains("role assignment"));
    credential(&inventory, "db-password");
    // The tenant is named from the subscriptions when Graph cannot say.
    assert_eq!(deployer["scope"]["id"], TENANT);
}

#[test]
fn sign_in_activity_denied_is_a_note_not_a_gap() {
    let denied = Route::json(
        "GET",
        "graph.microsoft.com",
        "/beta/reports/servicePrincipalSignInActivities",
        403,
        r#"{"error":{"code":"Authentication_RequestFromNonPremiumTenantOrB2CTenant","message":"Neither tenant is B2C or tenant doesn't have premium license","innerError":{"date":"2026-11-29T10:00:00","request-id":"3f1b0c7e-0000-4000-8000-000000000002"}}}"#,
    );
    let server = AzureServer::start(vec![denied]);
    let (_, inventory) = collect(&server, &[]);
    let directory = coverage(&inventory, &format!("azure:{TENANT}:directory"));
    assert_eq!(directory["status"], "scanned");
    let detail = directory["detail"].as_str().unwrap();
    assert!(
        detail.contains("sign-in activity is not available"),
        "{detail}"
    );
    assert!(detail.contains("AuditLog.Read.All"), "{detail}");
    let payments = identity(&inventory, "payments-api");
    assert_eq!(payments["activity_tracked"], false);
    assert!(payments.get("last_activity").is_none());
}

/// `--usage`: the sign-in activity report already read (no other call) becomes each
/// application's usage: its application permissions with its last app-only sign-in, and
/// its delegated use once it had one. legacy-report-bot last signed in app-only in January
/// 2025 and on behalf of users last week: permissions-unused reports its application
/// permissions as the grants to remove. payments-api, app-only yesterday, is not matched. Without the report, --usage makes the directory
/// partial.
#[test]
fn usage_tells_application_permissions_from_delegated_use() {
    let mut activities: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/azure/graph/sp-sign-in-activities.json").unwrap(),
    )
    .unwrap();
    let bot = activities["value"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["appId"] == "a1000000-0000-4000-8000-000000000002")
        .unwrap();
    bot["delegatedClientSignInActivity"]["lastSignInDateTime"] = "2026-11-25T10:00:00Z".into();
    bot["lastSignInActivity"]["lastSignInDateTime"] = "2026-11-25T10:00:00Z".into();
    let route = |status: u16, body: &str| {
        Route::json(
            "GET",
            "graph.microsoft.com",
            "/beta/reports/servicePrincipalSignInActivities",
            status,
            body,
        )
    };
    let server = AzureServer::start(vec![route(200, &activities.to_string())]);
    let (out, inventory) = collect(&server, &["--usage"]);
    // Exit 3 as without --usage: a subscription and a vault of the fixture are denied.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let directory = coverage(&inventory, &format!("azure:{TENANT}:directory"));
    assert_eq!(directory["status"], "scanned");
    // A fresh server: the fixture throttles one listing once.
    let server = AzureServer::start(vec![route(200, &activities.to_string())]);
    let (_, without) = collect(&server, &[]);
    assert_eq!(
        inventory["api_calls"], without["api_calls"],
        "--usage costs no call on Azure"
    );
    assert!(identity(&without, "legacy-report-bot")
        .get("usage")
        .is_none());

    let legacy = identity(&inventory, "legacy-report-bot");
    let services = legacy["usage"]["services"].as_array().unwrap();
    assert_eq!(services.len(), 2, "{services:?}");
    assert_eq!(services[0]["service"], "application permissions");
    assert_eq!(services[0]["last_used"], "2025-01-10T09:30:00Z");
    assert!(services[0]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["grant"] == "Microsoft Graph: Directory.ReadWrite.All (Application)"));
    assert_eq!(services[1]["service"], "delegated permissions");
    assert_eq!(services[1]["last_used"], "2026-11-25T10:00:00Z");
    // Managed identities sign in app-only: nothing to tell apart.
    assert!(identity(&inventory, "mi-deployer").get("usage").is_none());

    let report = crate::support::output::scan_collected(&out.stdout, "2026-12-01");
    assert_eq!(
        findings_for(&report, "permissions-unused"),
        ["legacy-report-bot"]
    );
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "permissions-unused")
        .unwrap();
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("holds rights to application permissions but has not used them in 90 days; it used only delegated permissions"),
        "{message}"
    );
    assert!(finding["evidence"]["values.narrowed_policy"]["remove"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["grant"] == "Microsoft Graph: Directory.ReadWrite.All (Application)"));
    assert!(finding["remediation"]
        .as_str()
        .unwrap()
        .contains("az ad app permission delete --id a1000000-0000-4000-8000-000000000002"));

    // No sign-in activity: asked for with --usage, it is a gap.
    let server = AzureServer::start(vec![route(
        403,
        r#"{"error":{"code":"Authentication_RequestFromNonPremiumTenantOrB2CTenant","message":"Neither tenant is B2C or tenant doesn't have premium license","innerError":{"date":"2026-11-29T10:00:00","request-id":"3f1b0c7e-0000-4000-8000-000000000003"}}}"#,
    )]);
    let (out, inventory) = collect(&server, &["--usage"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let directory = coverage(&inventory, &format!("azure:{TENANT}:directory"));
    assert_eq!(directory["status"], "partial");
    assert!(directory["detail"].as_str().unwrap().contains("(--usage)"));
}

#[test]
fn a_next_link_to_another_host_is_not_followed() {
    let hostile = Route::json(
        "GET",
        "graph.microsoft.com",
        "/v1.0/applications",
        200,
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications","value":[],"@odata.nextLink":"https://collector.attacker.example/v1.0/applications?$skiptoken=x"}"#,
    );
    let server = AzureServer::start(vec![hostile]);
    let (_, inventory) = collect(&server, &["--subscription", PROD, "--no-key-vault"]);
    let directory = coverage(&inventory, &format!("azure:{TENANT}:directory"));
    assert_eq!(directory["status"], "partial");
    assert!(directory["detail"]
        .as_str()
        .unwrap()
        .contains("another host"));
    assert!(server
        .requests()
        .iter()
        .all(|r| !r.host.contains("attacker")));
    // --subscription and --no-key-vault: one subscription, no vault listed.
    let calls = inventory["api_calls"].as_object().unwrap();
    assert!(
        calls.keys().all(|k| !k.starts_with("azure:keyvault:")),
        "{calls:?}"
    );
    assert!(inventory["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["target"] != format!("azure:subscription:{DEV}")));
}

#[test]
fn a_refused_login_says_what_to_do_and_never_prints_the_secret() {
    let server = AzureServer::start(Vec::new());
    let out = run(nhiscan(&server)
        .env("AZURE_CLIENT_SECRET", "wrong-secret-value")
        .args(["collect", "azure", "--auth", "env"]));
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("no Azure login worked"), "{text}");
    assert!(text.contains("env:"), "{text}");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(text.contains("az login"), "{text}");
    assert!(!text.contains("wrong-secret-value"));
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unreachable_azure_keeps_the_other_sources() {
    let server = AzureServer::start(Vec::new());
    let out = run(nhiscan(&server)
        // A proxy that refuses connections: Azure cannot be reached at all.
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .args(["scan", "--provider", "azure", "--auth", "env", "-f", "json"])
        .args(["-i", "examples/estate/inventory.json"]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    assert!(report["inventory"]["identities"].as_u64().unwrap() >= 98);
    let coverage = report["coverage"].as_array().unwrap();
    assert!(coverage
        .iter()
        .any(|c| c["target"] == "azure" && c["status"] == "failed"));
    assert!(stderr(&out).contains("Azure could not be scanned"));
}

/// A stand-in for the Azure CLI on PATH: answers `az account get-access-token -o json
/// --scope S [--tenant T]` as Azure CLI 2.54+ does (the fields AzureCliCredential reads),
/// with the fake server's token for S, and logs its arguments.
fn fake_az(dir: &std::path::Path) -> std::path::PathBuf {
    let log = dir.join("az.log");
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> {log}
scope=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--scope" ]; then scope="$2"; fi
  shift
done
resource="${{scope%/.default}}"
expires=$(( $(date +%s) + 3600 ))
printf '{{"accessToken":"fake-token-for-%s","expiresOn":"2099-01-01 00:00:00.000000","expires_on":%s,"subscription":"{PROD}","tenant":"{TENANT}","tokenType":"Bearer"}}\n' "$resource" "$expires"
"#,
        log = log.display()
    );
    write_script(&dir.join("az"), &script);
    log
}

#[test]
fn az_login_is_used_when_no_service_principal_is_configured() {
    let server = AzureServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let log = fake_az(dir.path());
    let out = run(nhiscan(&server)
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_ID")
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .args([
            "scan",
            "--provider",
            "azure",
            "--now",
            "2026-12-01",
            "-f",
            "json",
        ]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    assert!(
        strings(&report["scan"]["sources"])
            .iter()
            .any(|s| s.contains("signed in with azure-cli")),
        "{}",
        report["scan"]["sources"]
    );
    assert!(rule_ids(&report)
        .iter()
        .any(|r| r == "azure-privileged-subscription-role"));
    // Tokens for ARM, Graph and Key Vault, each asked of `az` for the tenant given.
    let calls = std::fs::read_to_string(log).unwrap();
    for scope in [
        "https://management.azure.com/.default",
        "https://graph.microsoft.com/.default",
        "https://vault.azure.net/.default",
    ] {
        assert!(
            calls.contains(&format!("--scope {scope} --tenant {TENANT}")),
            "{calls}"
        );
    }
}

/// 20% and 40% of requests throttled (429, Retry-After), failing (500), dropped or
/// answered past the timeout: retried, the
/// same inventory and exit code as without faults, or the gap named with exit 3.
#[test]
fn faults_cost_retries_not_findings() {
    let server = AzureServer::start(Vec::new());
    // Attempts time out before a held-back answer comes.
    server.assert_faults_cost_retries(|| collect(&server, &["--azure-timeout", "1"]));
}

/// An API that accepts the connection and never answers: every attempt times out
/// (`--azure-timeout 1`), and the call is named as failed within the documented bound.
#[test]
fn an_api_that_never_answers_times_out_naming_the_call() {
    let server = AzureServer::start(Vec::new());
    server.hang();
    crate::support::output::assert_timed_out_naming_the_call(
        nhiscan(&server).args(["collect", "azure", "--azure-timeout", "1"]),
        "azure:",
    );
}
