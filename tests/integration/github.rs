//! The live GitHub collector, run as the real binary, against a local fake of
//! api.github.com over real HTTPS (tests/integration/support/github_server.rs): the binary reaches
//! `api.github.com` through `HTTPS_PROXY` and trusts the test CA through `SSL_CERT_FILE`;
//! nothing in the production client is changed for the tests. Responses are the fixtures
//! in tests/fixtures/github/, shaped as GitHub's REST documentation shows.

#![allow(clippy::unwrap_used)]

use crate::support::github_server::{GithubServer, Route, TOKEN};
use crate::support::output::{
    coverage, find, flagged_entities, json, rule_ids, run, stderr, strings, write_script,
};
use nhiscan::collect::github::permissions;
use serde_json::Value;
use std::process::{Command, Output};

const HOST: &str = "api.github.com";

/// The real binary with a clean environment pointed at `server`.
fn nhiscan(server: &GithubServer) -> Command {
    let mut cmd = crate::support::nhiscan();
    cmd.env("PATH", "/usr/bin:/bin").envs(server.env());
    cmd
}

fn collect(server: &GithubServer) -> (Output, Value) {
    let out = run(&mut collect_command(server, &[]));
    let inventory = json(&out);
    (out, inventory)
}

/// `collect github --github-org acme`, then `extra`.
fn collect_command(server: &GithubServer, extra: &[&str]) -> Command {
    let mut command = nhiscan(server);
    command
        .args(["collect", "github", "--github-org", "acme"])
        .args(extra);
    command
}

/// Nothing but GETs, and every counted call is one the permissions table knows.
fn assert_read_only_and_known(server: &GithubServer, inventory: &Value) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.method, "GET", "{request:?}");
        assert_eq!(request.host, HOST, "{request:?}");
    }
    let calls = inventory["api_calls"].as_object().unwrap();
    for call in calls.keys() {
        assert!(
            permissions::needed_for(call).is_some(),
            "{call} is not in src/collect/github/permissions.rs"
        );
    }
    let counted: u64 = calls.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(counted, requests.len() as u64, "every request is counted");
}

#[test]
fn collect_github_reads_the_organisation() {
    let server = GithubServer::start(Vec::new());
    let (out, inventory) = collect(&server);
    // Exit 3: acme/web's secrets were denied.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(server.unmatched().is_empty(), "{:?}", server.unmatched());
    assert_read_only_and_known(&server, &inventory);
    assert!(
        strings(&inventory["sources"])
            .iter()
            .any(|s| s.starts_with("github:acme (") && s.contains("token from GH_TOKEN")),
        "{}",
        inventory["sources"]
    );

    // Both pages of repositories: a key of each page.
    let write_key = find(&inventory, "identities", "id", "repos/acme/api/keys/101");
    assert_eq!(write_key["kind"], "other");
    assert_eq!(write_key["scope"]["kind"], "organization");
    assert_eq!(write_key["scope"]["id"], "acme");
    assert_eq!(write_key["scope"]["name"], "Acme Corp");
    assert_eq!(strings(&write_key["owners"]), ["octocat"]);
    assert_eq!(write_key["last_activity"], "2026-11-20T08:00:00Z");
    assert_eq!(write_key["attributes"]["type"], "deploy_key");
    let key = find(&inventory, "credentials", "id", "repos/acme/api/keys/101");
    assert_eq!(key["kind"], "ssh_key");
    assert_eq!(key["attributes"]["read_only"], false);
    let read_key = find(&inventory, "credentials", "id", "repos/acme/api/keys/102");
    assert_eq!(read_key["attributes"]["read_only"], true);
    assert!(read_key.get("last_used").is_none() && read_key.get("usage_tracked").is_none());
    let infra = find(&inventory, "identities", "id", "repos/acme/infra/keys/201");
    assert!(infra.get("owners").is_none(), "{infra}");
    assert_eq!(
        infra["activity_tracked"], false,
        "no last_used field: unknown"
    );
    find(
        &inventory,
        "credentials",
        "id",
        "repos/acme/legacy-site/keys/301",
    );

    // Apps with their permissions.
    let release = find(&inventory, "identities", "name", "release-bot");
    assert_eq!(release["kind"], "app");
    assert_eq!(release["id"], "orgs/acme/installations/3001");
    assert_eq!(
        strings(&release["attributes"]["write_permissions"]),
        ["contents", "pull_requests", "workflows"]
    );
    assert_eq!(release["attributes"]["permissions"]["metadata"], "read");
    let suspended = find(&inventory, "identities", "name", "old-admin-sync");
    assert_eq!(suspended["enabled"], false);

    // Organisation and repository secrets: names and dates only.
    let npm = find(
        &inventory,
        "credentials",
        "id",
        "orgs/acme/actions/secrets/NPM_TOKEN",
    );
    assert_eq!(npm["kind"], "vault_secret");
    assert_eq!(npm["last_rotated"], "2024-01-10T12:00:00Z");
    assert_eq!(npm["location"]["vault"], "acme");
    assert_eq!(npm["attributes"]["visibility"], "all");
    let aws = find(
        &inventory,
        "credentials",
        "id",
        "repos/acme/api/actions/secrets/AWS_SECRET_ACCESS_KEY",
    );
    assert_eq!(aws["location"]["vault"], "acme/api");
    assert_eq!(aws["attributes"]["level"], "repo");
    find(
        &inventory,
        "credentials",
        "id",
        "repos/acme/infra/actions/secrets/TF_API_TOKEN",
    );

    // Token grants: an identity owned by the token's user and its token.
    let grant = find(
        &inventory,
        "credentials",
        "id",
        "orgs/acme/personal-access-tokens/25381",
    );
    assert_eq!(grant["kind"], "token");
    assert!(grant.get("expires").is_none());
    assert_eq!(grant["last_used"], "2026-11-28T10:00:00Z");
    let owner = find(
        &inventory,
        "identities",
        "id",
        "orgs/acme/personal-access-tokens/25381",
    );
    assert_eq!(strings(&owner["owners"]), ["octocat"]);

    // acme/web's secrets were denied: partial, naming the permission; the rest kept.
    let repos = coverage(&inventory, "github:acme:repositories");
    assert_eq!(repos["status"], "partial");
    let detail = repos["detail"].as_str().unwrap();
    assert!(detail.contains("acme/web"), "{detail}");
    assert!(detail.contains("Secrets: read (repository)"), "{detail}");
    assert!(detail.contains("`repo`"), "{detail}");
    assert_eq!(
        coverage(&inventory, "github:acme:organization")["status"],
        "scanned"
    );

    // Never a value or the token.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(TOKEN) && !stderr(&out).contains(TOKEN));
    assert!(
        !text.contains("plaintext-variable-value-7c1e"),
        "a variable's value leaked"
    );
    assert!(!text.contains("\"value\""), "{text}");
    assert!(
        strings(&inventory["sources"])
            .iter()
            .any(|s| s.contains("1 organisation, 2 repository")),
        "{}",
        inventory["sources"]
    );
}

/// The ids of the entities `rule` fired on.
fn findings_for(report: &Value, rule: &str) -> Vec<String> {
    flagged_entities(report, rule, "id")
}

#[test]
fn one_scan_gives_github_findings() {
    let server = GithubServer::start(Vec::new());
    let out = run(nhiscan(&server).args([
        "scan",
        "--provider",
        "github",
        "--github-org",
        "acme",
        "--now",
        "2026-12-01",
        "-f",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        findings_for(&report, "github-deploy-key-write"),
        ["repos/acme/api/keys/101", "repos/acme/infra/keys/201"]
    );
    let mut stale = findings_for(&report, "github-actions-secret-not-rotated");
    stale.sort();
    assert_eq!(
        stale,
        [
            "orgs/acme/actions/secrets/NPM_TOKEN",
            "repos/acme/api/actions/secrets/AWS_SECRET_ACCESS_KEY"
        ]
    );
    assert_eq!(
        findings_for(&report, "github-app-broad-write"),
        ["orgs/acme/installations/3001"],
        "the suspended app and the notifier are not reported"
    );
    assert_eq!(
        findings_for(&report, "github-pat-no-expiry"),
        ["orgs/acme/personal-access-tokens/25381"]
    );
    // GitHub secrets are judged by the GitHub rule only, tokens without expiry too.
    let ids = rule_ids(&report);
    assert!(!ids.iter().any(|r| r == "secret-not-rotated"), "{ids:?}");
    assert!(
        !ids.iter().any(|r| r == "credential-never-expires"),
        "{ids:?}"
    );
    // Generic rules: the key nobody is known to have added, the key unused since 2020.
    assert!(findings_for(&report, "identity-without-owner")
        .contains(&"repos/acme/infra/keys/201".to_string()));
    assert!(findings_for(&report, "credential-unused")
        .contains(&"repos/acme/legacy-site/keys/301".to_string()));
    // Remediation with the finding's own ids.
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github-deploy-key-write")
        .unwrap();
    let remediation = finding["remediation"].as_str().unwrap();
    assert!(
        remediation.contains("gh repo deploy-key delete 101 --repo acme/api"),
        "{remediation}"
    );
    let secret = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entity"]["id"] == "orgs/acme/actions/secrets/NPM_TOKEN")
        .unwrap();
    assert!(
        secret["remediation"]
            .as_str()
            .unwrap()
            .contains("gh secret set NPM_TOKEN --org acme"),
        "{}",
        secret["remediation"]
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN));
}

#[test]
fn rate_limits_are_waited_out() {
    let reset = (chrono::Utc::now().timestamp() + 1).to_string();
    let server = GithubServer::start(vec![
        // A secondary rate limit with Retry-After.
        // source: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
        Route::json(
            "GET",
            HOST,
            "/orgs/acme/installations",
            429,
            r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"429"}"#,
        )
        .header("retry-after", "1")
        .times(1),
        // The primary limit: 403 with x-ratelimit-remaining 0 until x-ratelimit-reset.
        Route::json(
            "GET",
            HOST,
            "/repos/acme/api/keys",
            403,
            r#"{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit","status":"403"}"#,
        )
        .header("x-ratelimit-limit", "5000")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-used", "5000")
        .header("x-ratelimit-reset", &reset)
        .header("x-ratelimit-resource", "core")
        .times(1),
    ]);
    let (out, inventory) = collect(&server);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(server.served(0), 1);
    assert_eq!(server.served(1), 1);
    assert_eq!(inventory["api_calls"]["github:orgs:installations"], 2);
    assert_eq!(inventory["api_calls"]["github:repos:keys"], 5);
    find(&inventory, "identities", "name", "release-bot");
    find(&inventory, "credentials", "id", "repos/acme/api/keys/101");
    assert_eq!(
        coverage(&inventory, "github:acme:organization")["status"],
        "scanned"
    );
    assert_read_only_and_known(&server, &inventory);
}

#[test]
fn token_grants_denied_to_a_personal_token_are_a_note() {
    let server = GithubServer::start(vec![Route::json(
        "GET",
        HOST,
        "/orgs/acme/personal-access-tokens",
        403,
        r#"{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/orgs/personal-access-tokens#list-fine-grained-personal-access-tokens-with-access-to-organization-resources","status":"403"}"#,
    )]);
    let (out, inventory) = collect(&server);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let org = coverage(&inventory, "github:acme:organization");
    assert_eq!(org["status"], "scanned", "a note, not a gap: {org}");
    let detail = org["detail"].as_str().unwrap();
    assert!(detail.contains("only a GitHub App"), "{detail}");
    assert!(!inventory["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "token"));
}

#[test]
fn a_refused_token_says_what_to_do_and_never_prints_it() {
    let server = GithubServer::start(Vec::new());
    let wrong = "ghp_wrongTokenValue00000000000000000000000";
    let out = run(nhiscan(&server).env("GH_TOKEN", wrong).args([
        "collect",
        "github",
        "--github-org",
        "acme",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("401") && err.contains("Bad credentials"),
        "{err}"
    );
    assert!(
        err.contains("sign in again") && err.contains("gh auth login"),
        "{err}"
    );
    assert!(!err.contains(wrong) && !err.contains(TOKEN), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_organisation_is_required() {
    let server = GithubServer::start(Vec::new());
    let out = run(nhiscan(&server).args(["scan", "--provider", "github"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--github-org"), "{}", stderr(&out));
    assert!(server.requests().is_empty());
}

#[test]
fn a_next_link_to_another_host_is_not_followed() {
    let server = GithubServer::start(vec![Route::file(
        "GET",
        HOST,
        "/orgs/acme/repos",
        200,
        "repos-page1.json",
    )
    .header(
        "link",
        "<https://evil.example/organizations/4101/repos?page=2>; rel=\"next\"",
    )]);
    let (out, inventory) = collect(&server);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let repos = coverage(&inventory, "github:acme:repositories");
    assert_eq!(repos["status"], "failed");
    assert!(
        repos["detail"].as_str().unwrap().contains("another host"),
        "{repos}"
    );
    assert!(server.requests().iter().all(|r| r.host == HOST));
    // The organisation's own parts are kept.
    find(&inventory, "identities", "name", "release-bot");
}

/// A stand-in for the GitHub CLI on PATH: answers `gh auth token --hostname H` with the
/// fake's token, and logs its arguments.
fn fake_gh(dir: &std::path::Path) -> std::path::PathBuf {
    let log = dir.join("gh.log");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {log}\nif [ \"$1 $2\" = \"auth token\" ]; then echo {TOKEN}; exit 0; fi\necho 'unknown command' >&2\nexit 1\n",
        log = log.display()
    );
    write_script(&dir.join("gh"), &script);
    log
}

#[test]
fn gh_auth_token_is_used_when_no_token_is_in_the_environment() {
    let server = GithubServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let log = fake_gh(dir.path());
    let out = run(nhiscan(&server)
        .env_remove("GH_TOKEN")
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .env("NHISCAN_GITHUB_ORG", "acme")
        .args(["collect", "github"]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let inventory = json(&out);
    assert!(
        strings(&inventory["sources"])
            .iter()
            .any(|s| s.contains("token from gh auth token")),
        "{}",
        inventory["sources"]
    );
    let calls = std::fs::read_to_string(log).unwrap();
    assert_eq!(calls.trim(), "auth token --hostname github.com");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN));
}

/// 20% and 40% of requests throttled (429, Retry-After), failing (500), dropped or
/// answered past the timeout: retried, the
/// same inventory and exit code as without faults, or a call that failed every attempt
/// named as a gap with exit 3.
#[test]
fn faults_cost_retries_not_findings() {
    let server = GithubServer::start(Vec::new());
    server.assert_faults_cost_retries(|| {
        // Attempts time out before a held-back answer comes.
        let out = run(&mut collect_command(&server, &["--github-timeout", "1"]));
        let inventory = json(&out);
        (out, inventory)
    });
}

/// An API that accepts the connection and never answers: every attempt times out
/// (`--github-timeout 1`), and the call is named as failed within the documented bound.
#[test]
fn an_api_that_never_answers_times_out_naming_the_call() {
    let server = GithubServer::start(Vec::new());
    server.hang();
    crate::support::output::assert_timed_out_naming_the_call(
        &mut collect_command(&server, &["--github-timeout", "1"]),
        "github:",
    );
}
