//! The live GCP collector, run as the real binary, against a local fake of the Google
//! Cloud APIs over real HTTPS (tests/integration/support/gcp_server.rs): the binary reaches
//! `*.googleapis.com` through `HTTPS_PROXY` and trusts the test CA through
//! `SSL_CERT_FILE`; the login is a real Application Default Credentials file handled by
//! google-cloud-auth (its refresh-token grant answered by the fake's token endpoint).
//! Nothing in the production client is changed for the tests. Responses are the fixtures
//! in tests/fixtures/gcp/, shaped as Google's REST documentation shows.

#![allow(clippy::unwrap_used)]

use crate::support::gcp_server::{
    write_adc_file, GcpServer, Route, CLIENT_SECRET, REFRESH_TOKEN, TOKEN, TOKEN_HOST,
};
use crate::support::output::{coverage, find, json, run, stderr, strings, write_script};
use nhiscan::collect::gcp::permissions;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A home, an empty PATH folder and an ADC file for one run.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Sandbox { dir }
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn adc(&self) -> PathBuf {
        write_adc_file(self.dir.path())
    }

    /// A `gcloud` on PATH that prints `token` (or fails with gcloud's message when `None`).
    fn gcloud(&self, token: Option<&str>) {
        let script = match token {
            Some(token) => format!("#!/bin/sh\n[ \"$1 $2\" = \"auth print-access-token\" ] || exit 2\necho {token}\n"),
            None => "#!/bin/sh\necho 'ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected.' >&2\nexit 1\n".to_string(),
        };
        write_script(&self.bin().join("gcloud"), &script);
    }
}

/// The real binary with a clean environment pointed at `server`: no ADC file unless the
/// test adds one, and a PATH holding only the sandbox's `bin` (so that a real gcloud
/// installed on the machine is never run).
fn nhiscan(server: &GcpServer, sandbox: &Sandbox) -> Command {
    let mut cmd = crate::support::nhiscan();
    cmd.env("PATH", sandbox.bin())
        .env("HOME", sandbox.dir.path().join("home"))
        .envs(server.proxy_env());
    cmd
}

/// No token, refresh token or client secret in anything the binary printed.
fn assert_no_secret(out: &Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [TOKEN, REFRESH_TOKEN, CLIENT_SECRET] {
        assert!(!text.contains(secret), "a secret was printed");
    }
}

/// Only reads: GETs, POSTs to `:getIamPolicy`, and the token grant; every counted call is
/// in the permissions table and every API request is counted.
fn assert_read_only_and_known(server: &GcpServer, inventory: &Value, adc_quota_project: bool) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    let mut api_requests = 0;
    for request in &requests {
        if request.host == TOKEN_HOST {
            assert_eq!(
                (request.method.as_str(), request.path().as_str()),
                ("POST", "/token")
            );
            continue;
        }
        api_requests += 1;
        assert!(
            request.method == "GET"
                || (request.method == "POST" && request.path().ends_with(":getIamPolicy")),
            "{request:?}"
        );
        // Policy version 3: Resource Manager takes it in the body, IAM in the query (its
        // getIamPolicy requires an empty body).
        if request.method == "POST" && request.host == "iam.googleapis.com" {
            assert_eq!(request.body_len, 0, "{request:?}");
            assert!(
                request.query().contains("options.requestedPolicyVersion=3"),
                "{request:?}"
            );
        } else if request.method == "POST" {
            assert!(request.body_len > 0, "{request:?}");
        }
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        // The ADC file's quota project bills the calls (a user login needs one).
        if adc_quota_project {
            assert_eq!(
                request
                    .headers
                    .get("x-goog-user-project")
                    .map(String::as_str),
                Some("acme-prod"),
                "{request:?}"
            );
        }
    }
    let calls = inventory["api_calls"].as_object().unwrap();
    for call in calls.keys() {
        assert!(
            permissions::needed_for(call).is_some(),
            "{call} is not in src/collect/gcp/permissions.rs"
        );
    }
    let counted: u64 = calls.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(counted, api_requests, "every API request is counted");
}

#[test]
fn collect_gcp_reads_every_project_with_application_default_credentials() {
    let server = GcpServer::start(Vec::new());
    let sandbox = Sandbox::new();
    let out = run(nhiscan(&server, &sandbox)
        .env("GOOGLE_APPLICATION_CREDENTIALS", sandbox.adc())
        .args(["collect", "gcp"]));
    // Exit 3: acme-data is partial and acme-sandbox failed.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(server.unmatched().is_empty(), "{:?}", server.unmatched());
    assert_no_secret(&out);
    let inventory = json(&out);
    assert_read_only_and_known(&server, &inventory, true);
    let sources = strings(&inventory["sources"]);
    assert!(
        sources.iter().any(|s| s.starts_with("gcp: 3 projects")
            && s.contains("authorized_user, from GOOGLE_APPLICATION_CREDENTIALS")),
        "{sources:?}"
    );

    // Both pages of projects and of acme-prod's accounts; the throttled listing retried.
    let ids: Vec<String> = inventory["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "terraform@acme-prod.iam.gserviceaccount.com",
            "etl@acme-prod.iam.gserviceaccount.com",
            "111111111111-compute@developer.gserviceaccount.com",
            "support-llm@acme-prod.iam.gserviceaccount.com",
            "old-sa@acme-prod.iam.gserviceaccount.com",
            "dbt-runner@acme-data.iam.gserviceaccount.com",
        ]
    );
    let listings: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/v1/projects/acme-prod/serviceAccounts")
        .map(|r| r.status)
        .collect();
    assert_eq!(listings, [429, 200, 200], "throttled once, then both pages");
    // The organisation above acme-prod's folder and acme-sandbox: its policy read once.
    let organization_reads = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/v3/organizations/123456789:getIamPolicy")
        .count();
    assert_eq!(organization_reads, 1);
    // The whole run: 1 token, 2 project pages, 5 calls for the folders and organisation,
    // 21 + 10 + 8 for the projects (docs/performance.md counts them).
    assert_eq!(server.requests().len(), 47);

    let terraform = find(
        &inventory,
        "identities",
        "id",
        "terraform@acme-prod.iam.gserviceaccount.com",
    );
    assert_eq!(terraform["provider"], "gcp");
    assert_eq!(terraform["kind"], "service_account");
    assert_eq!(terraform["name"], "terraform");
    assert_eq!(terraform["scope"]["kind"], "project");
    assert_eq!(terraform["scope"]["id"], "acme-prod");
    assert_eq!(terraform["scope"]["name"], "Acme production");
    assert_eq!(terraform["permissions"]["admin"], true);
    assert_eq!(
        strings(&terraform["permissions"]["policies"]),
        ["roles/owner"]
    );
    assert_eq!(terraform["tags"]["owner"], "lukas@acme.example");
    assert_eq!(terraform["tags"]["env"], "prod", "the project's labels");
    assert_eq!(terraform["last_activity"], "2026-11-25T07:00:00Z");
    assert_ne!(
        terraform["activity_tracked"], false,
        "tracked (the default, not written)"
    );
    // support-llm on the account, the SRE group on the project, the on-call group on the
    // folder above it.
    assert_eq!(terraform["attributes"]["impersonator_count"], 3);
    let trust: Vec<(String, String)> = terraform["trust"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["principal"].as_str().unwrap().to_string(),
                t["principal_type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        ("support-llm@acme-prod.iam.gserviceaccount.com", "identity"),
        ("group:sre@acme.example", "other"),
        ("group:platform-oncall@acme.example", "other"),
        // Editor on the organisation: it may act as every account beneath.
        ("etl@acme-prod.iam.gserviceaccount.com", "identity"),
        (
            "111111111111-compute@developer.gserviceaccount.com",
            "identity",
        ),
    ] {
        assert!(
            trust.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{trust:?}"
        );
    }

    let etl = find(
        &inventory,
        "identities",
        "id",
        "etl@acme-prod.iam.gserviceaccount.com",
    );
    // Its own conditional role, and Editor inherited from the organisation.
    assert_eq!(
        strings(&etl["attributes"]["project_roles"]),
        [
            "roles/bigquery.admin (if until 2027: request.time < timestamp(\"2027-01-01T00:00:00Z\"))",
            "roles/editor (on organizations/123456789)"
        ]
    );
    assert_eq!(
        strings(&etl["attributes"]["primitive_roles"]),
        ["roles/editor"]
    );
    // What CIS GCP 1.5 counts: the conditional BigQuery Admin and the inherited Editor.
    assert_eq!(
        strings(&etl["attributes"]["admin_roles"]),
        ["roles/bigquery.admin", "roles/editor"]
    );
    assert_eq!(
        strings(&etl["permissions"]["wildcard_actions"]),
        ["*", "bigquery.*"]
    );
    assert_eq!(etl["attributes"]["impersonator_count"], 4);
    // A VM, a Cloud Run service and a GKE node pool run as it.
    assert_eq!(
        strings(&etl["attributes"]["workloads"]),
        [
            "cloud-run-service europe-west1/reports",
            "gke-node-pool us-central1/prod/batch",
            "instance us-central1-a/batch-1"
        ]
    );
    assert!(strings(&etl["attributes"]["full_api_scope_instances"]).is_empty());
    assert_eq!(etl["tags"]["team"], "data");

    let compute = find(
        &inventory,
        "identities",
        "id",
        "111111111111-compute@developer.gserviceaccount.com",
    );
    assert_eq!(compute["attributes"]["default_service_account"], "compute");
    assert_eq!(
        strings(&compute["attributes"]["primitive_roles"]),
        ["roles/editor"]
    );
    // Whatever names no account runs as this one: a Cloud Run service, the default GKE
    // node pool (`default`), a VM; the VM and the nodes with the cloud-platform scope.
    // The pool's own VM (gke-…, labelled goog-gke-node) is left to its node pool.
    assert_eq!(
        strings(&compute["attributes"]["workloads"]),
        [
            "cloud-run-service us-central1/api",
            "gke-node-pool us-central1/prod/default-pool",
            "instance us-central1-a/web-1"
        ]
    );
    assert_eq!(
        strings(&compute["attributes"]["full_api_scope_instances"]),
        [
            "gke-node-pool us-central1/prod/default-pool",
            "instance us-central1-a/web-1"
        ]
    );
    let llm = find(
        &inventory,
        "identities",
        "id",
        "support-llm@acme-prod.iam.gserviceaccount.com",
    );
    assert_ne!(llm["activity_tracked"], false);
    assert!(llm["last_activity"].is_null(), "never authenticated");
    assert_eq!(
        strings(&llm["attributes"]["workloads"]),
        ["cloud-function us-central1/resize-images"]
    );
    let old = find(
        &inventory,
        "identities",
        "id",
        "old-sa@acme-prod.iam.gserviceaccount.com",
    );
    assert_eq!(old["enabled"], false);
    assert_eq!(
        strings(&old["attributes"]["admin_roles"]),
        ["roles/storage.admin"]
    );
    // acme-data: keys denied, no policy, no Compute, Cloud Run or GKE API, a Cloud
    // Functions region unreachable, no activity.
    let dbt = find(
        &inventory,
        "identities",
        "id",
        "dbt-runner@acme-data.iam.gserviceaccount.com",
    );
    assert_eq!(dbt["attributes"]["keys_listed"], false);
    assert_eq!(dbt["activity_tracked"], false);
    assert!(
        dbt["attributes"].get("workloads").is_none(),
        "a Cloud Functions region did not answer: unknown, not none"
    );
    assert!(dbt["attributes"].get("primitive_roles").is_none());
    assert_eq!(dbt["tags"]["team"], "data");

    // Keys: metadata only, with expiry, use and status.
    assert_eq!(inventory["credentials"].as_array().unwrap().len(), 4);
    let key = find(
        &inventory,
        "credentials",
        "id",
        "projects/acme-prod/serviceAccounts/terraform@acme-prod.iam.gserviceaccount.com/keys/1f2e3d4c5b6a79881f2e3d4c5b6a798812345678",
    );
    assert_eq!(key["kind"], "service_account_key");
    assert_eq!(
        key["identity_id"],
        "terraform@acme-prod.iam.gserviceaccount.com"
    );
    assert_eq!(key["created"], "2024-02-01T09:00:00Z");
    assert!(key["expires"].is_null(), "valid until 9999: no expiry");
    assert_eq!(key["last_used"], "2026-11-25T07:00:00Z");
    assert_eq!(key["attributes"]["keyType"], "USER_MANAGED");
    let retired = find(
        &inventory,
        "credentials",
        "id",
        "projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com/keys/0918273645abcdef0918273645abcdef09182736",
    );
    assert_eq!(retired["status"], "inactive");
    assert_eq!(retired["attributes"]["keyOrigin"], "USER_PROVIDED");
    let llm_key = find(
        &inventory,
        "credentials",
        "id",
        "projects/acme-prod/serviceAccounts/support-llm@acme-prod.iam.gserviceaccount.com/keys/5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    );
    assert_ne!(llm_key["usage_tracked"], false);
    assert!(llm_key["last_used"].is_null());

    // What could not be read, and what to do about it.
    let prod = coverage(&inventory, "gcp:project:acme-prod");
    assert_eq!(prod["status"], "scanned", "{prod}");
    let data = coverage(&inventory, "gcp:project:acme-data");
    assert_eq!(data["status"], "partial");
    let detail = data["detail"].as_str().unwrap();
    for needle in [
        "resourcemanager.projects.getIamPolicy",
        "roles inherited from folders/777000000002 not read",
        "resourcemanager.folders.getIamPolicy",
        "dbt-runner@acme-data.iam.gserviceaccount.com: keys:",
        "iam.serviceAccountKeys.list",
        "gcloud services enable policyanalyzer.googleapis.com",
        "Cloud Functions in projects/acme-data/locations/asia-east1 could not be reached",
    ] {
        assert!(detail.contains(needle), "{needle} not in {detail}");
    }
    let sandbox_cov = coverage(&inventory, "gcp:project:acme-sandbox");
    assert_eq!(sandbox_cov["status"], "failed");
    assert!(sandbox_cov["detail"]
        .as_str()
        .unwrap()
        .contains("needs iam.serviceAccounts.list"));
    assert!(
        stderr(&out).contains("gcp:project:acme-sandbox"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn scan_gcp_reports_keys_basic_roles_impersonation_and_the_ai_agent() {
    let server = GcpServer::start(Vec::new());
    let sandbox = Sandbox::new();
    let out = run(nhiscan(&server, &sandbox)
        .env("GOOGLE_APPLICATION_CREDENTIALS", sandbox.adc())
        .args([
            "scan",
            "--provider",
            "gcp",
            "--now",
            "2026-11-29",
            "-f",
            "json",
        ]));
    // An incomplete scan (no --fail-on).
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_no_secret(&out);
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    // Matched: reported, or folded into another rule's finding (`also_fails`).
    let fired = |rule: &str, entity: &str| {
        findings.iter().any(|f| {
            (f["rule_id"] == rule
                || f["also_fails"]
                    .as_array()
                    .is_some_and(|folded| folded.iter().any(|r| r == rule)))
                && f["entity"]["id"]
                    .as_str()
                    .is_some_and(|id| id.contains(entity))
        })
    };
    for (rule, entity) in [
        ("gcp-user-managed-key", "terraform@acme-prod"),
        ("static-key-not-rotated", "terraform@acme-prod"),
        ("credential-unused", "etl@acme-prod"),
        // CIS GCP 1.5 on the user-created accounts; the default account's Editor is
        // outside it.
        ("gcp-sa-admin-role", "terraform@acme-prod"),
        ("gcp-sa-admin-role", "etl@acme-prod"),
        // Disabled, but its Storage Admin grant stays in the policy.
        ("gcp-sa-admin-role", "old-sa@acme-prod"),
        ("gcp-sa-primitive-role", "111111111111-compute"),
        // web-1 runs as the default account with the cloud-platform scope (CIS GCP 4.2).
        ("gcp-default-sa-full-api-scope", "111111111111-compute"),
        // Token Creator granted to the SRE group on acme-prod (CIS GCP 1.6).
        ("gcp-sa-user-role-on-project", "etl@acme-prod"),
        ("gcp-sa-user-role-on-project", "terraform@acme-prod"),
        ("ai-agent-static-credential", "support-llm@acme-prod"),
        ("ai-agent-can-delegate", "support-llm@acme-prod"),
    ] {
        assert!(
            fired(rule, entity),
            "{rule} did not fire on {entity}: {:?}",
            findings
                .iter()
                .map(|f| (
                    f["rule_id"].as_str().unwrap_or_default(),
                    f["entity"]["id"].as_str().unwrap_or_default()
                ))
                .collect::<Vec<_>>()
        );
    }
    assert!(
        !fired("gcp-user-managed-key", "keys/0918273645"),
        "an inactive key"
    );
    let reported = |rule: &str, entity: &str| {
        findings.iter().any(|f| {
            f["rule_id"] == rule
                && f["entity"]["id"]
                    .as_str()
                    .is_some_and(|id| id.contains(entity))
        })
    };
    // One finding per root cause: the rules these replace do not report on their own.
    for (rule, entity) in [
        ("gcp-sa-admin-role", "111111111111-compute"),
        ("gcp-sa-primitive-role", "terraform@acme-prod"),
        ("gcp-sa-primitive-role", "etl@acme-prod"),
        ("wildcard-privileges", "etl@acme-prod"),
        ("gcp-default-sa-in-use", "111111111111-compute"),
        ("gcp-default-sa-on-instances", "111111111111-compute"),
        ("gcp-sa-impersonable-by-many", "etl@acme-prod"),
    ] {
        assert!(!reported(rule, entity), "{rule} reported on {entity}");
    }
    let finding = |rule: &str, entity: &str| {
        findings
            .iter()
            .find(|f| {
                f["rule_id"] == rule
                    && f["entity"]["id"]
                        .as_str()
                        .is_some_and(|id| id.contains(entity))
            })
            .unwrap_or_else(|| panic!("no {rule} on {entity}"))
    };
    let default_sa = finding("gcp-default-sa-full-api-scope", "111111111111-compute");
    assert_eq!(
        strings(&default_sa["also_fails"]),
        ["gcp-default-sa-in-use", "gcp-default-sa-on-instances"]
    );
    assert_eq!(
        strings(&default_sa["references"]["cis"]),
        ["CIS GCP Foundations 4.1", "CIS GCP Foundations 4.2"]
    );
    assert_eq!(
        strings(&finding("gcp-sa-admin-role", "etl@acme-prod")["also_fails"]),
        ["gcp-sa-primitive-role"]
    );
    assert_eq!(
        strings(&finding("gcp-sa-user-role-on-project", "etl@acme-prod")["also_fails"]),
        ["gcp-sa-impersonable-by-many"]
    );
    let agents: Vec<&Value> = report["inventory"]["identities"]
        .as_array()
        .map(|all| all.iter().filter(|i| i["ai_agent"] == true).collect())
        .unwrap_or_default();
    assert!(
        agents.is_empty()
            || agents
                .iter()
                .all(|a| a["id"] == "support-llm@acme-prod.iam.gserviceaccount.com"),
        "{agents:?}"
    );
    let coverage = report["coverage"].as_array().unwrap();
    assert!(coverage
        .iter()
        .any(|c| c["target"] == "gcp:project:acme-sandbox" && c["status"] == "failed"));
}

/// `--usage`: the IAM Recommender's policy insights (both pages) become each account's
/// usage, one "service" per role binding; permissions-unused fires on exporter (Pub/Sub
/// Editor unused in 90 days, Storage Object Viewer used) and not on its twin support-llm
/// (both of its bindings used), nor on etl (its one binding used). A project whose
/// insights cannot be read is partial, and says why.
#[test]
fn usage_reads_policy_insights_and_flags_the_unused_bindings() {
    // acme-prod with one more account, exporter, and a second binding for support-llm.
    let server = GcpServer::start(vec![
        Route::file(
            "POST",
            "cloudresourcemanager.googleapis.com",
            "/v3/projects/acme-prod:getIamPolicy",
            200,
            "policy-acme-prod-usage.json",
        ),
        Route::file(
            "GET",
            "iam.googleapis.com",
            "/v1/projects/acme-prod/serviceAccounts",
            200,
            "accounts-acme-prod-page2-usage.json",
        )
        .query("pageToken=c2EtcGFnZS0y"),
        Route::json(
            "GET",
            "iam.googleapis.com",
            "/v1/projects/acme-prod/serviceAccounts/exporter@acme-prod.iam.gserviceaccount.com/keys",
            200,
            "{}",
        ),
        Route::json(
            "POST",
            "iam.googleapis.com",
            "/v1/projects/acme-prod/serviceAccounts/exporter@acme-prod.iam.gserviceaccount.com:getIamPolicy",
            200,
            r#"{"version": 1, "etag": "ACAB"}"#,
        ),
    ]);
    let sandbox = Sandbox::new();
    let out = run(nhiscan(&server, &sandbox)
        .env("GOOGLE_APPLICATION_CREDENTIALS", sandbox.adc())
        .args(["collect", "gcp", "--usage"]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(server.unmatched().is_empty(), "{:?}", server.unmatched());
    let inventory = json(&out);
    assert_read_only_and_known(&server, &inventory, true);
    assert_eq!(inventory["api_calls"]["gcp:recommender:insights.list"], 4);
    let insight_requests: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.host == "recommender.googleapis.com")
        .map(|r| r.query())
        .collect();
    assert!(
        insight_requests
            .iter()
            .all(|q| q.starts_with("filter=insightSubtype") && q.contains("PERMISSIONS_USAGE")),
        "{insight_requests:?}"
    );

    let etl = find(
        &inventory,
        "identities",
        "id",
        "etl@acme-prod.iam.gserviceaccount.com",
    );
    assert_eq!(etl["usage"]["as_of"], "2026-11-28T07:00:00Z");
    assert_eq!(etl["usage"]["tracking_days"], 90);
    let services = etl["usage"]["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{services:?}");
    assert_eq!(services[0]["service"], "roles/bigquery.admin");
    assert_eq!(
        services[0]["name"],
        "roles/bigquery.admin on projects/111111111111 (if until 2027)"
    );
    assert_eq!(services[0]["used_within_days"], 90);
    assert_eq!(
        services[0]["statements"][0]["exercisedPermissions"],
        serde_json::json!(["bigquery.jobs.create", "bigquery.tables.getData"])
    );
    assert_eq!(
        services[0]["statements"][0]["inferredPermissions"],
        serde_json::json!(["bigquery.tables.list"])
    );
    let exporter = find(
        &inventory,
        "identities",
        "id",
        "exporter@acme-prod.iam.gserviceaccount.com",
    );
    let services = exporter["usage"]["services"].as_array().unwrap();
    assert_eq!(services[0]["service"], "roles/pubsub.editor");
    assert!(services[0].get("used_within_days").is_none());
    assert_eq!(services[1]["service"], "roles/storage.objectViewer");
    assert_eq!(services[1]["used_within_days"], 90);
    // A user's insight belongs to no service account; the disabled account's is kept.
    let old = find(
        &inventory,
        "identities",
        "id",
        "old-sa@acme-prod.iam.gserviceaccount.com",
    );
    assert_eq!(
        old["usage"]["services"][0]["service"],
        "roles/storage.admin"
    );
    // acme-data: the Recommender API is off; the project is partial and says what to do.
    let data = coverage(&inventory, "gcp:project:acme-data");
    let detail = data["detail"].as_str().unwrap();
    assert!(detail.contains("IAM policy insights, --usage"), "{detail}");
    assert!(detail.contains("recommender.googleapis.com"), "{detail}");
    assert!(find(
        &inventory,
        "identities",
        "id",
        "dbt-runner@acme-data.iam.gserviceaccount.com"
    )
    .get("usage")
    .is_none());

    // The same estate scanned: one finding on exporter, none on its twin or on etl.
    let report = crate::support::output::scan_collected(&out.stdout, "2026-11-29");
    let unused: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "permissions-unused")
        .collect();
    assert_eq!(unused.len(), 1, "{unused:?}");
    let finding = unused[0];
    assert_eq!(
        finding["entity"]["id"],
        "exporter@acme-prod.iam.gserviceaccount.com"
    );
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("holds rights to roles/pubsub.editor on projects/111111111111 but has not used them in 90 days"),
        "{message}"
    );
    assert!(
        message.contains("it used only roles/storage.objectViewer on projects/111111111111"),
        "{message}"
    );
    let narrowed = &finding["evidence"]["values.narrowed_policy"];
    assert_eq!(narrowed["bindings"].as_array().unwrap().len(), 1);
    assert_eq!(
        narrowed["bindings"][0]["role"],
        "roles/storage.objectViewer"
    );
    assert_eq!(
        narrowed["bindings"][0]["exercisedPermissions"],
        serde_json::json!(["storage.objects.get", "storage.objects.list"])
    );
    assert!(finding["remediation"]
        .as_str()
        .unwrap()
        .contains("gcloud projects remove-iam-policy-binding"));
}

#[test]
fn the_gcloud_login_is_used_when_there_is_no_adc_file() {
    let server = GcpServer::start(Vec::new());
    let sandbox = Sandbox::new();
    sandbox.gcloud(Some(TOKEN));
    // Named twice: read once.
    let out = run(nhiscan(&server, &sandbox)
        .env("GOOGLE_CLOUD_QUOTA_PROJECT", "acme-prod")
        .args(["collect", "gcp", "--gcp-project", "acme-prod,acme-prod"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_no_secret(&out);
    let inventory = json(&out);
    assert!(strings(&inventory["sources"])
        .iter()
        .any(|s| s == "gcp: 1 project (signed in with the gcloud CLI's login)"));
    // A named project is read, not searched for.
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.host != TOKEN_HOST));
    assert!(requests
        .iter()
        .all(|r| !r.path().contains("projects:search")));
    assert!(requests
        .iter()
        .any(|r| r.path() == "/v3/projects/acme-prod"));
    assert_eq!(inventory["identities"].as_array().unwrap().len(), 5);
    assert_read_only_and_known(&server, &inventory, true);
}

#[test]
fn without_a_login_gcp_fails_with_what_to_do_and_other_inputs_survive() {
    let server = GcpServer::start(Vec::new());
    let sandbox = Sandbox::new();
    sandbox.gcloud(None);
    let out = run(nhiscan(&server, &sandbox).args(["collect", "gcp"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot sign in to Google Cloud"), "{err}");
    assert!(
        err.contains("You do not currently have an active account"),
        "{err}"
    );
    assert!(
        err.contains("gcloud auth application-default login"),
        "{err}"
    );
    assert!(server.requests().is_empty());

    // Next to an inventory file, the report is kept and says GCP was not scanned.
    let out = run(nhiscan(&server, &sandbox).args([
        "scan",
        "-i",
        "tests/fixtures/small/inventory.json",
        "--provider",
        "gcp",
        "-f",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    assert!(report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["target"] == "gcp" && c["status"] == "failed"));
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn a_revoked_adc_login_fails_without_printing_its_secrets() {
    let server = GcpServer::start(Vec::new());
    let sandbox = Sandbox::new();
    let adc = sandbox.adc();
    let text = std::fs::read_to_string(&adc)
        .unwrap()
        .replace(REFRESH_TOKEN, "1//0gRevokedRefreshTokenDoNotPrint");
    std::fs::write(&adc, text).unwrap();
    let out = run(nhiscan(&server, &sandbox)
        .env("GOOGLE_APPLICATION_CREDENTIALS", &adc)
        .args(["collect", "gcp", "--gcp-auth", "adc"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_no_secret(&out);
    let err = stderr(&out);
    assert!(!err.contains("1//0gRevokedRefreshTokenDoNotPrint"), "{err}");
    assert!(err.contains("cannot sign in to Google Cloud"), "{err}");
    assert!(err.contains("application-default login"), "{err}");
    let requests = server.requests();
    assert!(
        requests.iter().all(|r| r.host == TOKEN_HOST),
        "no API call without a token"
    );
}

#[test]
fn a_token_refused_by_the_apis_is_reported_per_project() {
    // The token grant works, but every API answers 401 (a token revoked mid-scan).
    const REFUSED: &str = r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#;
    let server = GcpServer::start(vec![
        Route::json("GET", "*.googleapis.com", "*", 401, REFUSED).before_auth(),
        Route::json("POST", "iam.googleapis.com", "*", 401, REFUSED).before_auth(),
        Route::json(
            "POST",
            "cloudresourcemanager.googleapis.com",
            "*",
            401,
            REFUSED,
        )
        .before_auth(),
    ]);
    let sandbox = Sandbox::new();
    let out = run(nhiscan(&server, &sandbox)
        .env("GOOGLE_APPLICATION_CREDENTIALS", sandbox.adc())
        .args(["collect", "gcp", "--gcp-project", "acme-prod"]));
    assert_no_secret(&out);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let inventory = json(&out);
    let prod = coverage(&inventory, "gcp:project:acme-prod");
    assert_eq!(prod["status"], "failed");
    assert!(
        prod["detail"].as_str().unwrap().contains("sign in again"),
        "{prod}"
    );
}

/// 20% and 40% of requests throttled (429, Retry-After), failing (500), dropped or
/// answered past the timeout: retried, the
/// same inventory and exit code as without faults, or a call that failed every attempt
/// named as a gap with exit 3.
#[test]
fn faults_cost_retries_not_findings() {
    let server = GcpServer::start(Vec::new());
    let sandbox = Sandbox::new();
    let collect = || {
        let out = run(nhiscan(&server, &sandbox)
            .env("GOOGLE_APPLICATION_CREDENTIALS", sandbox.adc())
            // Attempts time out before a held-back answer comes.
            .args(["collect", "gcp", "--gcp-timeout", "1"]));
        let inventory = json(&out);
        (out, inventory)
    };
    server.assert_faults_cost_retries(collect);
}

/// An API that accepts the connection and never answers: every attempt times out
/// (`--gcp-timeout 1`), and the call is named as failed within the documented bound.
#[test]
fn an_api_that_never_answers_times_out_naming_the_call() {
    let server = GcpServer::start(Vec::new());
    server.hang();
    let sandbox = Sandbox::new();
    crate::support::output::assert_timed_out_naming_the_call(
        nhiscan(&server, &sandbox)
            .env("GOOGLE_APPLICATION_CREDENTIALS", sandbox.adc())
            .args(["collect", "gcp", "--gcp-timeout", "1"]),
        "gcp:",
    );
}
