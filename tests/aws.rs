//! The live AWS collector against a real AWS emulator: moto's server, seeded through the
//! AWS API by scripts/moto/server.py (see scripts/moto/seed.py for the estate).
//!
//! Needs the virtualenv made by `bash scripts/moto/setup.sh` (target/moto-venv). Without
//! it the tests print why and pass, unless NHISCAN_REQUIRE_MOTO is set (as in CI): then
//! they fail.

use nhiscan::collect::aws::{collect, AwsOptions, Credentials, SharedCredentialsProvider};
use nhiscan::inventory::{
    CoverageStatus, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind,
    Inventory, PrincipalType,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

const ACCOUNT: &str = "123456789012";
const DISABLED_REGION: &str = "ap-southeast-2";
const POLICY: &str = "examples/aws/nhiscan-readonly-policy.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's Python, or None (test skipped) when it is missing and
/// NHISCAN_REQUIRE_MOTO is unset.
fn moto_python() -> Option<PathBuf> {
    let python = root().join("target/moto-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let why = format!(
        "moto is not installed ({} is missing): run `bash scripts/moto/setup.sh`",
        python.display()
    );
    if std::env::var_os("NHISCAN_REQUIRE_MOTO").is_some() {
        panic!("{why} (NHISCAN_REQUIRE_MOTO is set, so this is a failure)");
    }
    // Once, and past the test harness's output capture, so that it is seen.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "tests/aws.rs SKIPPED: {why}");
    });
    None
}

/// One seeded moto server: a child process that exits when we kill it or when our end
/// of its stdin closes (so it never outlives the test binary).
struct Moto {
    child: Child,
    endpoint: String,
    ready: Value,
    dir: tempfile::TempDir,
}

impl Moto {
    fn start(extra: &[&str]) -> Option<Moto> {
        let python = moto_python()?;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let log = dir.path().join("requests.log");
        let stderr = std::fs::File::create(dir.path().join("stderr.txt"))
            .unwrap_or_else(|e| panic!("stderr file: {e}"));
        let mut child = Command::new(&python)
            .arg(root().join("scripts/moto/server.py"))
            .arg("--request-log")
            .arg(&log)
            .args(["--disabled-region", DISABLED_REGION])
            .args(extra)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(240);
        let ready = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match receive.recv_timeout(left) {
                Ok(line) => {
                    if let Ok(value) = serde_json::from_str::<Value>(&line) {
                        if value["ready"] == true {
                            break value;
                        }
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let err =
                        std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
                    panic!("moto did not become ready ({e}); its stderr:\n{err}");
                }
            }
        };
        let endpoint = ready["endpoint"]
            .as_str()
            .unwrap_or_else(|| panic!("no endpoint in {ready}"))
            .to_string();
        Some(Moto {
            child,
            endpoint,
            ready,
            dir,
        })
    }

    /// Requests the server saw: (service, region, operation, status, access key).
    fn requests(&self) -> Vec<[String; 5]> {
        let text = std::fs::read_to_string(self.dir.path().join("requests.log"))
            .unwrap_or_else(|e| panic!("request log: {e}"));
        text.lines()
            .filter_map(|line| {
                let parts: Vec<String> = line.split(' ').map(str::to_string).collect();
                parts.try_into().ok()
            })
            .collect()
    }

    fn options(&self, regions: &[&str], key: (&str, &str)) -> AwsOptions {
        AwsOptions {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            endpoint_url: Some(self.endpoint.clone()),
            credentials: Some(SharedCredentialsProvider::new(Credentials::new(
                key.0, key.1, None, None, "test",
            ))),
            max_attempts: 2,
            ..AwsOptions::default()
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(options: &AwsOptions) -> anyhow::Result<Inventory> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
        .block_on(collect(options))
}

/// The standard seeded server, shared by the tests that only read it.
fn standard() -> Option<&'static Moto> {
    static SERVER: OnceLock<Option<Moto>> = OnceLock::new();
    SERVER.get_or_init(|| Moto::start(&[])).as_ref()
}

/// The standard estate collected once in us-east-1 and eu-west-1 with dummy keys.
fn standard_inventory() -> Option<&'static Inventory> {
    static INVENTORY: OnceLock<Option<Inventory>> = OnceLock::new();
    INVENTORY
        .get_or_init(|| {
            let moto = standard()?;
            let options = moto.options(&["us-east-1", "eu-west-1"], ("testing", "testing"));
            Some(run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}")))
        })
        .as_ref()
}

fn identity<'a>(inventory: &'a Inventory, name: &str) -> &'a Identity {
    inventory
        .identities
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("identity {name} not collected"))
}

fn credentials_of<'a>(inventory: &'a Inventory, user: &str) -> Vec<&'a Credential> {
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/{user}");
    inventory
        .credentials
        .iter()
        .filter(|c| c.identity_id.as_deref() == Some(arn.as_str()))
        .collect()
}

fn secret<'a>(inventory: &'a Inventory, name: &str) -> &'a Credential {
    inventory
        .credentials
        .iter()
        .find(|c| c.kind == CredentialKind::VaultSecret && c.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("secret {name} not collected"))
}

fn time(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse()
        .unwrap_or_else(|e| panic!("bad time {text}: {e}"))
}

fn coverage(inventory: &Inventory) -> BTreeMap<String, (CoverageStatus, String)> {
    inventory
        .coverage
        .iter()
        .map(|c| {
            (
                c.target.clone(),
                (c.status, c.detail.clone().unwrap_or_default()),
            )
        })
        .collect()
}

#[test]
fn users_keys_passwords_mfa_and_group_policies_land_in_the_inventory() {
    let Some(inv) = standard_inventory() else {
        return;
    };
    assert_eq!(inv.schema_version, 1);
    assert!(inv.sources[0].starts_with(&format!("aws:{ACCOUNT}")));

    let ci = identity(inv, "ci-deployer");
    assert_eq!(ci.kind, IdentityKind::ServiceUser);
    assert_eq!(ci.id, format!("arn:aws:iam::{ACCOUNT}:user/ci-deployer"));
    assert_eq!(
        (ci.scope.id.as_str(), ci.scope.kind.as_str()),
        (ACCOUNT, "account")
    );
    assert_eq!(ci.created, Some(time("2022-03-04T05:06:07Z")));
    assert_eq!(ci.last_activity, Some(time("2023-05-06T07:08:09Z")));
    assert!(ci.interactive_login, "login profile → interactive login");
    assert_eq!(ci.attributes["password_enabled"], true);
    assert_eq!(ci.attributes["mfa_active"], true);
    assert_eq!(ci.attributes["groups"], serde_json::json!(["deployers"]));
    assert_eq!(ci.tags["owner"], "alice@example.com");
    assert!(
        ci.permissions.admin,
        "AdministratorAccess through group deployers"
    );
    assert_eq!(
        ci.permissions.policies,
        vec!["AdministratorAccess (group deployers)"]
    );

    let mut keys = credentials_of(inv, "ci-deployer");
    keys.sort_by_key(|c| c.created);
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.kind == CredentialKind::AccessKey
        && k.id.starts_with("AKIA")
        && k.status == CredentialStatus::Active
        && k.usage_tracked));
    assert_eq!(keys[0].created, Some(time("2022-03-04T05:06:07Z")));
    assert_eq!(keys[0].last_used, Some(time("2023-05-06T07:08:09Z")));
    assert_eq!(keys[1].created, Some(time("2025-01-15T10:00:00Z")));
    assert_eq!(keys[1].last_used, None, "second key never used");

    // Two keys created in the same second: usage asked key by key, with service and region.
    let twins = credentials_of(inv, "twin-keys-svc");
    assert_eq!(twins.len(), 2);
    let used: Vec<_> = twins.iter().filter(|k| k.last_used.is_some()).collect();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].last_used, Some(time("2023-03-03T03:03:03Z")));
    assert_eq!(used[0].attributes["last_used_region"], "us-west-2");
    assert_eq!(used[0].attributes["last_used_service"], "sts");

    let inactive = credentials_of(inv, "key-inactive-svc");
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0].status, CredentialStatus::Inactive);

    let backup = identity(inv, "backup-svc");
    assert!(backup.interactive_login);
    assert_eq!(backup.attributes["mfa_active"], false);
    assert_eq!(backup.permissions.wildcard_actions, vec!["s3:*"]);
    assert!(!backup.permissions.admin);
    assert_eq!(backup.last_activity, Some(time("2023-02-01T00:00:00Z")));

    let reporting = identity(inv, "reporting-export");
    assert!(!reporting.interactive_login);
    assert!(!reporting.attributes.contains_key("password_last_changed"));
    assert_eq!(
        reporting.permissions.privileged_actions,
        vec![
            "iam:AttachUserPolicy",
            "iam:CreateAccessKey",
            "iam:PassRole"
        ],
        "inline policy of group ops"
    );
    assert!(reporting
        .permissions
        .policies
        .contains(&"ops-escalation (inline, group ops)".to_string()));
    let reporting_creds = credentials_of(inv, "reporting-export");
    let ssh: Vec<_> = reporting_creds
        .iter()
        .filter(|c| c.kind == CredentialKind::SshKey)
        .collect();
    assert_eq!(ssh.len(), 1);
    assert!(!ssh[0].usage_tracked);
    assert_eq!(ssh[0].created, Some(time("2024-06-01T12:00:00Z")));
    let recent = reporting_creds
        .iter()
        .find(|c| c.kind == CredentialKind::AccessKey)
        .and_then(|c| c.last_used)
        .unwrap_or_else(|| panic!("reporting-export key has no last use"));
    assert!(chrono::Utc::now() - recent < chrono::Duration::hours(2));
}

#[test]
fn roles_trust_and_policies_land_in_the_inventory() {
    let Some(inv) = standard_inventory() else {
        return;
    };
    let app = identity(inv, "app-ec2");
    assert_eq!(app.kind, IdentityKind::Role);
    assert_eq!(app.description.as_deref(), Some("EC2 application role"));
    assert_eq!(app.attributes["max_session_duration"], 7200);
    assert_eq!(app.created, Some(time("2023-09-09T09:09:09Z")));
    assert_eq!(
        app.last_activity,
        Some(time("2024-01-02T03:04:05Z")),
        "RoleLastUsed"
    );
    assert_eq!(app.tags["owner"], "carol@example.com");
    assert_eq!(app.trust.len(), 1);
    assert_eq!(app.trust[0].principal, "ec2.amazonaws.com");
    assert_eq!(app.trust[0].principal_type, PrincipalType::Service);

    let open = identity(inv, "github-deploy-open");
    assert_eq!(open.trust[0].principal_type, PrincipalType::Federated);
    assert!(open.trust[0]
        .principal
        .ends_with(":oidc-provider/token.actions.githubusercontent.com"));
    assert_eq!(
        open.trust[0].conditions,
        vec!["token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com"]
    );
    let scoped = identity(inv, "github-deploy-scoped");
    assert!(scoped.trust[0].conditions.contains(
        &"token.actions.githubusercontent.com:sub StringLike repo:acme/app:ref:refs/heads/main"
            .to_string()
    ));

    let public = identity(inv, "public-role");
    assert_eq!(
        (
            public.trust[0].principal.as_str(),
            public.trust[0].principal_type
        ),
        ("*", PrincipalType::Any)
    );
    assert!(public.trust[0].conditions.is_empty());
    let org = identity(inv, "public-role-org");
    assert_eq!(
        org.trust[0].conditions,
        vec!["aws:PrincipalOrgID StringEquals o-a1b2c3d4e5"]
    );
    let vendor = identity(inv, "vendor-access");
    assert_eq!(
        (
            vendor.trust[0].principal.as_str(),
            vendor.trust[0].principal_type
        ),
        ("999988887777", PrincipalType::Account)
    );
    assert_eq!(
        vendor.trust[0].conditions,
        vec!["sts:ExternalId StringEquals acme-7f3a"]
    );
    let vendor_user = identity(inv, "vendor-user-access");
    assert_eq!(vendor_user.trust[0].principal_type, PrincipalType::Identity);

    let admin = identity(inv, "same-account-admin");
    assert!(admin.permissions.admin);
    assert_eq!(admin.trust[0].principal, ACCOUNT);

    let escalator = identity(inv, "escalator-role");
    assert_eq!(
        escalator.permissions.privileged_actions,
        vec!["iam:CreatePolicyVersion", "iam:PassRole"]
    );
    let power = identity(inv, "poweruser-role");
    assert!(!power.permissions.admin);
    assert!(power.permissions.privileged_actions.is_empty());
    assert_eq!(
        power.permissions.wildcard_actions,
        vec!["* except account:*, iam:*, organizations:*"]
    );

    let linked = identity(inv, "AWSServiceRoleForAutoScaling");
    assert_eq!(linked.attributes["service_linked"], true);
    assert!(!app.attributes.contains_key("service_linked"));
}

#[test]
fn secrets_in_two_regions_with_rotation_and_tags() {
    let Some(inv) = standard_inventory() else {
        return;
    };
    let rotated = secret(inv, "prod/db/password");
    assert_eq!(rotated.location.region.as_deref(), Some("us-east-1"));
    assert_eq!(rotated.location.vault.as_deref(), Some("secretsmanager"));
    assert!(rotated.id.starts_with(&format!(
        "arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db/password"
    )));
    assert_eq!(rotated.created, Some(time("2021-06-01T00:00:00Z")));
    assert_eq!(rotated.rotation_enabled, Some(true));
    assert_eq!(rotated.rotation_interval_days, Some(30));
    assert_eq!(rotated.last_rotated, Some(time("2023-01-01T00:00:00Z")));
    assert_eq!(rotated.tags["owner"], "dba@example.com");
    assert_eq!(rotated.identity_id, None);

    let api_key = secret(inv, "prod/api/key");
    assert_eq!(api_key.rotation_enabled, Some(false));
    assert_eq!(api_key.last_rotated, None);
    assert_eq!(api_key.attributes["description"], "Partner API key");

    let stripe = secret(inv, "eu/payments/stripe");
    assert_eq!(stripe.location.region.as_deref(), Some("eu-west-1"));
    assert_eq!(stripe.tags["team"], "payments");
    assert_eq!(stripe.created, Some(time("2022-08-22T00:00:00Z")));
    let eu_rotated = secret(inv, "eu/db/rotated");
    assert_eq!(eu_rotated.rotation_interval_days, Some(7));

    let cov = coverage(inv);
    for target in [
        format!("aws:{ACCOUNT}:iam"),
        format!("aws:{ACCOUNT}:secretsmanager:us-east-1"),
        format!("aws:{ACCOUNT}:secretsmanager:eu-west-1"),
    ] {
        assert_eq!(cov[&target].0, CoverageStatus::Scanned, "{target}: {cov:?}");
    }
}

#[test]
fn more_than_one_page_of_users_roles_keys_and_secrets() {
    let (Some(moto), Some(inv)) = (standard(), standard_inventory()) else {
        return;
    };
    let seeded = &moto.ready;
    let count = |kind| inv.identities.iter().filter(|i| i.kind == kind).count();
    assert_eq!(
        count(IdentityKind::ServiceUser) as u64,
        seeded["users"].as_u64().unwrap_or(0)
    );
    assert_eq!(
        count(IdentityKind::Role) as u64,
        seeded["roles"].as_u64().unwrap_or(0)
    );
    assert!(count(IdentityKind::ServiceUser) > 100 && count(IdentityKind::Role) > 100);
    let keys = inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::AccessKey)
        .count();
    assert!(keys > 100, "{keys} access keys");
    for region in ["us-east-1", "eu-west-1"] {
        let n = inv
            .credentials
            .iter()
            .filter(|c| c.location.region.as_deref() == Some(region))
            .count() as u64;
        assert_eq!(
            n,
            seeded["secrets"][region].as_u64().unwrap_or(0),
            "{region}"
        );
    }
    // 107 secrets in us-east-1 at 100 a page: two ListSecrets calls there, one in eu-west-1.
    assert_eq!(inv.api_calls["aws:secretsmanager:ListSecrets"], 3);
}

#[test]
fn api_calls_are_counted_and_no_secret_value_is_ever_read() {
    let (Some(moto), Some(inv)) = (standard(), standard_inventory()) else {
        return;
    };
    for call in inv.api_calls.keys() {
        assert!(call.starts_with("aws:"), "{call}");
        assert!(!call.contains("SecretValue"), "{call}");
    }
    let users = inv
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::ServiceUser)
        .count() as u64;
    assert_eq!(inv.api_calls["aws:sts:GetCallerIdentity"], 1);
    assert_eq!(inv.api_calls["aws:iam:GetAccountAuthorizationDetails"], 1);
    assert_eq!(inv.api_calls["aws:iam:GetCredentialReport"], 1);
    assert_eq!(inv.api_calls["aws:iam:ListSSHPublicKeys"], users);
    assert_eq!(
        inv.api_calls["aws:iam:GetAccessKeyLastUsed"], 2,
        "only the two keys the report cannot tell apart"
    );
    let requests = moto.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| !r[2].contains("SecretValue")),
        "a secret-value API reached the server"
    );
}

#[test]
fn a_failing_region_is_reported_and_the_others_are_kept() {
    let Some(moto) = standard() else {
        return;
    };
    let options = moto.options(
        &["us-east-1", DISABLED_REGION, "eu-west-1"],
        ("testing", "testing"),
    );
    let inv = run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    let cov = coverage(&inv);
    let (status, detail) = &cov[&format!("aws:{ACCOUNT}:secretsmanager:{DISABLED_REGION}")];
    assert_eq!(*status, CoverageStatus::Failed);
    assert!(detail.contains(DISABLED_REGION), "{detail}");
    assert!(detail.contains("UnrecognizedClientException"), "{detail}");
    assert!(detail.contains("opt-in region"), "{detail}");
    assert_eq!(
        cov[&format!("aws:{ACCOUNT}:secretsmanager:eu-west-1")].0,
        CoverageStatus::Scanned
    );
    assert_eq!(
        secret(&inv, "eu/payments/stripe")
            .location
            .region
            .as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        secret(&inv, "prod/api/key").location.region.as_deref(),
        Some("us-east-1")
    );
    assert!(inv.identities.len() > 200, "IAM kept");
}

#[test]
fn the_rules_fire_on_the_seeded_estate() {
    let Some(inv) = standard_inventory() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inventory.json");
    let json = serde_json::to_string(inv).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, json).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_nhiscan"))
        .arg("scan")
        .arg("-i")
        .arg(&path)
        .args(["-f", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let mut fired: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for finding in report["findings"].as_array().cloned().unwrap_or_default() {
        let rule = finding["rule_id"].as_str().unwrap_or_default().to_string();
        let name = finding["entity"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        fired.entry(rule).or_default().push(name);
    }
    let on = |rule: &str| {
        let mut names = fired.get(rule).cloned().unwrap_or_default();
        names.sort();
        names
    };
    assert_eq!(on("role-trusts-anyone"), vec!["public-role"]);
    assert_eq!(
        on("github-oidc-trust-without-sub"),
        vec!["github-deploy-open"]
    );
    assert_eq!(
        on("trust-to-foreign-account"),
        vec!["vendor-access", "vendor-user-access"]
    );
    assert_eq!(
        on("privilege-escalation-actions"),
        vec!["escalator-role", "reporting-export"]
    );
    assert_eq!(
        on("admin-privileges"),
        vec!["ci-deployer", "same-account-admin"]
    );
    assert!(on("interactive-login-on-service-identity").contains(&"backup-svc".to_string()));
    assert!(on("secret-rotation-disabled").contains(&"prod/api/key".to_string()));
}

/// Restricted by the shipped policy, with IAM enforcement on: the scan must see
/// everything, and each call the collector counted must be one the server answered.
#[test]
fn the_shipped_read_only_policy_is_sufficient_under_iam_enforcement() {
    let Some((moto, keys)) = enforcing() else {
        return;
    };
    let key = &keys["full"];
    let access_key = key["access_key_id"].as_str().unwrap_or_default();
    let options = moto.options(
        &["us-east-1", "eu-west-1"],
        (
            access_key,
            key["secret_access_key"].as_str().unwrap_or_default(),
        ),
    );
    let inv = run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    for (target, (status, detail)) in coverage(&inv) {
        assert_eq!(status, CoverageStatus::Scanned, "{target}: {detail}");
    }
    assert!(
        inv.sources[0].contains("user/nhiscan-auditor"),
        "{:?}",
        inv.sources
    );
    let seeded_users = moto.ready["users"].as_u64().unwrap_or(0) + 2; // + the two auditors
    let users = inv
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::ServiceUser)
        .count() as u64;
    assert_eq!(users, seeded_users);
    assert_eq!(
        secret(&inv, "eu/payments/stripe").tags["owner"],
        "elena@example.com"
    );

    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for [service, _, operation, status, key] in moto.requests() {
        if key == access_key {
            assert_eq!(status, "200", "{service}:{operation} was refused");
            *seen
                .entry(format!("aws:{service}:{operation}"))
                .or_default() += 1;
        }
    }
    assert_eq!(
        seen, inv.api_calls,
        "the server's log and the collector's count agree"
    );

    // The policy is minimal: it grants exactly what the collector called (STS's
    // GetCallerIdentity needs no permission).
    let called: std::collections::BTreeSet<String> = inv
        .api_calls
        .keys()
        .filter(|k| k.as_str() != "aws:sts:GetCallerIdentity")
        .map(|k| k.trim_start_matches("aws:").to_string())
        .collect();
    assert_eq!(called, policy_actions(), "{POLICY} vs the calls made");
}

/// Every action the shipped policy allows.
fn policy_actions() -> std::collections::BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(POLICY)).unwrap_or_else(|e| panic!("{e}"));
    let policy: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{POLICY}: {e}"));
    let mut actions = std::collections::BTreeSet::new();
    for statement in policy["Statement"].as_array().cloned().unwrap_or_default() {
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(statement["Resource"], "*");
        for action in statement["Action"].as_array().cloned().unwrap_or_default() {
            let action = action.as_str().unwrap_or_default().to_string();
            assert!(!action.contains('*'), "no wildcards in {POLICY}: {action}");
            actions.insert(action);
        }
    }
    actions
}

/// The CloudFormation audit role grants the same actions as the JSON policy.
#[test]
fn the_audit_role_template_grants_the_shipped_policy() {
    let text = std::fs::read_to_string(root().join("examples/aws/audit-role.cfn.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let template: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let role = &template["Resources"]["NhiscanAuditRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    let mut actions = std::collections::BTreeSet::new();
    for policy in role["Properties"]["Policies"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        for statement in policy["PolicyDocument"]["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            for action in statement["Action"].as_array().cloned().unwrap_or_default() {
                actions.insert(action.as_str().unwrap_or_default().to_string());
            }
        }
    }
    assert_eq!(actions, policy_actions());

    // cfn-lint comes with moto; validate the template with it when it is installed.
    let Some(python) = moto_python() else {
        return;
    };
    let lint = python.with_file_name("cfn-lint");
    let out = Command::new(&lint)
        .arg(root().join("examples/aws/audit-role.cfn.yaml"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", lint.display()));
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scanning identity without the credential report or Secrets Manager permissions:
/// the rest is collected, and coverage names the missing permissions and the policy.
#[test]
fn missing_permissions_are_named_and_the_rest_is_kept() {
    let Some((moto, keys)) = enforcing() else {
        return;
    };
    let key = &keys["limited"];
    let options = moto.options(
        &["us-east-1"],
        (
            key["access_key_id"].as_str().unwrap_or_default(),
            key["secret_access_key"].as_str().unwrap_or_default(),
        ),
    );
    let inv = run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    let cov = coverage(&inv);
    let (status, detail) = &cov[&format!("aws:{ACCOUNT}:iam")];
    assert_eq!(*status, CoverageStatus::Partial);
    assert!(detail.contains("iam:GenerateCredentialReport"), "{detail}");
    assert!(detail.contains(POLICY), "{detail}");
    let (status, detail) = &cov[&format!("aws:{ACCOUNT}:secretsmanager:us-east-1")];
    assert_eq!(*status, CoverageStatus::Failed);
    assert!(detail.contains("secretsmanager:ListSecrets"), "{detail}");
    assert!(detail.contains(POLICY), "{detail}");

    // Without the report, every key's usage was asked for directly.
    let keys = credentials_of(&inv, "ci-deployer");
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .any(|k| k.last_used == Some(time("2023-05-06T07:08:09Z"))));
    let access_keys = inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::AccessKey)
        .count() as u64;
    assert_eq!(inv.api_calls["aws:iam:GetAccessKeyLastUsed"], access_keys);
    assert!(!identity(&inv, "ci-deployer").activity_tracked);
}

/// The enforcing server, shared by the two tests above, and the auditors' keys.
fn enforcing() -> Option<(&'static Moto, Value)> {
    static SERVER: OnceLock<Option<Moto>> = OnceLock::new();
    let moto = SERVER
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let creds = dir.path().join("auditors.json");
            let creds_arg = creds.to_string_lossy().into_owned();
            let moto = Moto::start(&[
                "--enforce-auth",
                "--auditor-policy",
                POLICY,
                "--auditor-credentials",
                &creds_arg,
            ])?;
            // Keep the credentials beside the server's own files.
            let kept = moto.dir.path().join("auditors.json");
            std::fs::copy(&creds, &kept).unwrap_or_else(|e| panic!("{e}"));
            Some(moto)
        })
        .as_ref()?;
    let text = std::fs::read_to_string(moto.dir.path().join("auditors.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    Some((
        moto,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
    ))
}

/// The default credential chain, from the environment, in a child process (so that no
/// test changes this process's environment): the configured region is used when none
/// is given.
#[test]
fn the_default_chain_reads_credentials_and_region_from_the_environment() {
    let Some(moto) = standard() else {
        return;
    };
    let out = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
        .args([
            "default_chain_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("NHISCAN_TEST_ENDPOINT", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/nhiscan-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/nhiscan-test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("CHILD-OK regions=[\"eu-west-1\"]"),
        "{stdout}"
    );
}

#[test]
fn default_chain_child() {
    let Some(endpoint) = std::env::var_os("NHISCAN_TEST_ENDPOINT") else {
        return; // only meaningful when started by the test above
    };
    let options = AwsOptions {
        endpoint_url: Some(endpoint.to_string_lossy().into_owned()),
        ..AwsOptions::default()
    };
    let inv = run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    let regions: Vec<&str> = inv
        .credentials
        .iter()
        .filter_map(|c| c.location.region.as_deref())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(inv.identities.len() > 200);
    println!("CHILD-OK regions={regions:?}");
}

/// No emulator needed: an endpoint that refuses connections fails the whole collection
/// with a message that names the call and what to check.
#[test]
fn an_unreachable_endpoint_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    drop(listener); // nothing listens there now
    let options = AwsOptions {
        regions: vec!["us-east-1".into()],
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "test",
        ))),
        max_attempts: 1,
        ..AwsOptions::default()
    };
    let err = match run(&options) {
        Ok(_) => panic!("collecting from a closed port succeeded"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("cannot identify the AWS account"), "{err}");
    assert!(
        err.contains("sts:GetCallerIdentity could not reach"),
        "{err}"
    );
}

#[test]
fn a_bad_region_name_is_refused_before_any_call() {
    let options = AwsOptions {
        regions: vec!["eu-west-1".into(), "evil.example.com/".into()],
        ..AwsOptions::default()
    };
    let err = match run(&options) {
        Ok(_) => panic!("accepted a bad region"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("is not an AWS region name"), "{err}");
}

/// The real binary with a clean environment and moto's dummy keys.
fn nhiscan_cli() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nhiscan"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .current_dir(root());
    cmd
}

fn json_stdout(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn one_command_scans_a_live_account_and_collect_writes_the_same_inventory() {
    let Some(moto) = standard() else {
        return;
    };
    let scan = |extra: &[&str]| {
        nhiscan_cli()
            .args([
                "scan",
                "--provider",
                "aws",
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
            ])
            .args(["--endpoint-url", &moto.endpoint])
            .args(["--now", "2026-11-01", "-f", "json"])
            .args(extra)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let out = scan(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = json_stdout(&out);
    assert!(live["inventory"]["identities"].as_u64().unwrap_or(0) >= 246);
    assert!(live["scan"]["api_calls"]["aws:iam:GetAccountAuthorizationDetails"] == 1);
    assert!(live["scan"]["api_calls"]
        .as_object()
        .is_some_and(|calls| calls.keys().all(|k| !k.contains("GetSecretValue"))));
    let rules: Vec<&str> = live["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["rule_id"].as_str()).collect())
        .unwrap_or_default();
    assert!(rules.contains(&"role-trusts-anyone"));
    assert!(rules.contains(&"static-key-not-rotated"));

    // `collect aws` writes an inventory that scans to the same findings offline.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("aws.jsonl");
    let out = nhiscan_cli()
        .args([
            "collect",
            "aws",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "-f",
            "jsonl",
        ])
        .args(["--endpoint-url", &moto.endpoint, "-o"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = nhiscan_cli()
        .args(["scan", "--now", "2026-11-01", "-f", "json", "-i"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let offline = json_stdout(&out);
    assert_eq!(live["findings"], offline["findings"]);
    assert_eq!(live["scan"]["api_calls"], offline["scan"]["api_calls"]);
}

#[test]
fn a_provider_that_cannot_be_scanned_keeps_the_other_sources() {
    let Some(moto) = standard() else {
        return;
    };
    // A region the account has not enabled: that region fails, the rest is kept.
    let out = nhiscan_cli()
        .args([
            "scan",
            "--provider",
            "aws",
            "--region",
            "us-east-1",
            "--region",
            DISABLED_REGION,
        ])
        .args(["--endpoint-url", &moto.endpoint])
        .args(["-f", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_stdout(&out);
    assert!(report["scan"]["incomplete"] == true);
    assert!(report["inventory"]["identities"].as_u64().unwrap_or(0) >= 246);

    // No AWS at all: the file inventory is still scanned, the report says AWS failed.
    let out = nhiscan_cli()
        .args(["scan", "--provider", "aws", "--region", "us-east-1"])
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .args([
            "-i",
            "tests/fixtures/small/inventory.json",
            "-f",
            "json",
            "--fail-on",
            "high",
        ])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_stdout(&out);
    assert_eq!(report["inventory"]["identities"], 5);
    let coverage = report["coverage"].as_array().cloned().unwrap_or_default();
    assert!(coverage
        .iter()
        .any(|c| c["provider"] == "aws" && c["status"] == "failed"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be scanned"));
}
