//! The live AWS collector against a real AWS emulator: moto's server, seeded through the
//! AWS API by scripts/moto/server.py (see scripts/moto/seed.py for the estate).
//!
//! Needs the virtualenv made by `bash scripts/moto/setup.sh` (target/moto-venv). Without
//! it the tests print why and pass, unless NHISCAN_REQUIRE_MOTO is set (as in CI): then
//! they fail.

use crate::support::moto::{moto_python, Moto, DISABLED_REGION};
use crate::support::output::{json, root};
use nhiscan::collect::aws::{
    collect, collect_any, AwsOptions, Credentials, OrgOptions, SharedCredentialsProvider,
};
use nhiscan::inventory::{
    CoverageStatus, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind,
    Inventory, PrincipalType,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const ACCOUNT: &str = "123456789012";
const POLICY: &str = "examples/aws/nhiscan-readonly-policy.json";
const ORG_POLICY: &str = "examples/aws/nhiscan-org-policy.json";

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
        vec!["iam:AttachUserPolicy", "iam:CreateAccessKey"],
        "inline policy of group ops; iam:PassRole without a compute launch right is no escalation"
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
    // sts:AssumeRole grants: what the delegation graph joins with the roles' trust.
    assert_eq!(
        escalator.attributes["assume_role_targets"],
        serde_json::json!([format!("arn:aws:iam::{ACCOUNT}:role/app-ec2")])
    );
    assert_eq!(
        identity(inv, "ci-deployer").attributes["assume_role_targets"],
        serde_json::json!(["*"]),
        "AdministratorAccess"
    );
    assert!(!app.attributes.contains_key("assume_role_targets"));
    let power = identity(inv, "poweruser-role");
    assert!(!power.permissions.admin);
    // No IAM escalation, but it may take over running workloads (Lambda code, SSM...).
    assert!(power
        .permissions
        .privileged_actions
        .iter()
        .all(|a| !a.starts_with("iam:")));
    assert!(power
        .permissions
        .privileged_actions
        .contains(&"lambda:UpdateFunctionCode".to_string()));
    assert_eq!(
        power.permissions.wildcard_actions,
        vec!["* except account:*, iam:*, organizations:*"]
    );

    let linked = identity(inv, "AWSServiceRoleForAutoScaling");
    assert_eq!(linked.attributes["service_linked"], true);
    assert!(!app.attributes.contains_key("service_linked"));
}

/// Policies read as AWS evaluates them (scripts/moto/seed.py `seed_policy_evaluation`):
/// a Deny in the same or another policy, a permissions boundary, resources only AWS can
/// write and NotAction with a Deny leave no privilege; a PassRole on a pattern of roles
/// is reported with that pattern.
#[test]
fn denies_boundaries_and_resource_scopes_are_evaluated_as_aws_does() {
    let Some(inv) = standard_inventory() else {
        return;
    };
    for safe in [
        "deny-same-policy",
        "deny-other-policy",
        "bounded-admin",
        "aws-managed-only",
        "never-true-condition",
    ] {
        let role = identity(inv, safe);
        assert!(!role.permissions.admin, "{safe}: {:?}", role.permissions);
        assert!(
            role.permissions.privileged_actions.is_empty(),
            "{safe}: {:?}",
            role.permissions
        );
    }
    assert!(identity(inv, "deny-same-policy")
        .permissions
        .wildcard_actions
        .is_empty());
    assert_eq!(
        identity(inv, "bounded-admin").attributes["permissions_boundary"],
        format!("arn:aws:iam::{ACCOUNT}:policy/data-only-boundary")
    );
    let not_iam = identity(inv, "notaction-deny");
    assert_eq!(
        not_iam.permissions.wildcard_actions,
        vec!["* except iam:*, organizations:*"]
    );
    // Its Deny of IAM leaves no IAM escalation; taking over a running function is left.
    assert!(!not_iam.permissions.admin);
    assert!(not_iam
        .permissions
        .privileged_actions
        .iter()
        .all(|a| !a.starts_with("iam:")));
    let takeover = not_iam.attributes["privileged_grants"].to_string();
    assert!(
        takeover
            .contains("lambda:UpdateFunctionCode on * (takes over the code of Lambda functions"),
        "{takeover}"
    );
    // Reading every secret is recorded (not as escalation); reading its own is not.
    let reader = identity(inv, "secrets-reader-agent");
    assert!(reader.permissions.privileged_actions.is_empty());
    assert_eq!(
        reader.attributes["sensitive_actions"],
        serde_json::json!(["secretsmanager:GetSecretValue on * (reads secrets)"])
    );
    assert!(!identity(inv, "own-secret-agent")
        .attributes
        .contains_key("sensitive_actions"));
    // Each way of taking over a running workload, alone on every resource, is
    // escalation; all of them on one named function are not.
    for (action, what) in nhiscan::collect::aws::iam_policy::TAKEOVER_ACTIONS {
        let role = inv
            .identities
            .iter()
            .filter(|i| i.name.starts_with("takes-over-") && i.name != "takes-over-nothing")
            .find(|i| i.permissions.privileged_actions == [action.to_string()])
            .unwrap_or_else(|| panic!("no seeded role takes over with {action}"));
        let grants = role.attributes["privileged_grants"].to_string();
        assert!(
            grants.contains(&format!("{action} on * (takes over {what})")),
            "{grants}"
        );
    }
    let nothing = identity(inv, "takes-over-nothing");
    assert!(
        nothing.permissions.privileged_actions.is_empty(),
        "{:?}",
        nothing.permissions
    );
    let scoped = identity(inv, "scoped-passrole");
    assert_eq!(scoped.permissions.privileged_actions, vec!["iam:PassRole"]);
    assert_eq!(
        scoped.attributes["privileged_grants"],
        serde_json::json!([format!("iam:PassRole on arn:aws:iam::{ACCOUNT}:role/app-*")])
    );
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
    let out = crate::support::nhiscan()
        .arg("scan")
        .arg("-i")
        .arg(&path)
        .args(["-f", "json"])
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
        // A rule folded into another's finding (`also_fails`) matched too.
        for folded in finding["also_fails"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let folded = folded.as_str().unwrap_or_default().to_string();
            fired.entry(folded).or_default().push(name.clone());
        }
        fired.entry(rule).or_default().push(name);
    }
    let on = |rule: &str| {
        let mut names = fired.get(rule).cloned().unwrap_or_default();
        names.sort();
        names
    };
    assert_eq!(on("aws-role-trusts-anyone"), vec!["public-role"]);
    assert_eq!(
        on("aws-github-oidc-trust-without-sub"),
        vec!["github-deploy-open"]
    );
    assert_eq!(
        on("aws-trust-to-foreign-account"),
        vec!["vendor-access", "vendor-user-access"]
    );
    assert_eq!(
        on("aws-privilege-escalation-actions"),
        // scoped-passrole: PassRole on the app-* roles, with a way to launch Lambda;
        // notaction-deny and poweruser-role: all but IAM, so they may take over
        // functions, instances and stacks that run as other roles.
        vec![
            "conditional-escalation",
            "escalator-role",
            "notaction-deny",
            "poweruser-role",
            "reporting-export",
            "scoped-passrole",
            "takes-over-00",
            "takes-over-01",
            "takes-over-02",
            "takes-over-03",
            "takes-over-04",
            "takes-over-05",
            "takes-over-06",
            "takes-over-07",
            "takes-over-08",
            "takes-over-09",
            "takes-over-10",
            "takes-over-11",
            "takes-over-12",
            "ticket-triage-bot"
        ]
    );
    // An escalation allowed only under a condition on the request (source IP): one
    // level lower than the rule's high, and the message says so.
    let severity_of = |name: &str| {
        report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| {
                f["rule_id"] == "aws-privilege-escalation-actions" && f["entity"]["name"] == name
            })
            .map(|f| (f["severity"].clone(), f["message"].clone()))
            .unwrap_or_else(|| panic!("no aws-privilege-escalation-actions on {name}"))
    };
    let (severity, message) = severity_of("conditional-escalation");
    assert_eq!(severity, "medium");
    assert!(
        message
            .to_string()
            .contains("iam:CreateAccessKey on * (only under conditions)"),
        "{message}"
    );
    assert_eq!(severity_of("escalator-role").0, "high");
    // AI agents: classified from the trust, the Bedrock actions and the tags.
    // secrets-reader-agent may read every secret; its twin own-secret-agent only its own.
    assert_eq!(
        on("ai-agent-excessive-privileges"),
        vec!["secrets-reader-agent", "ticket-triage-bot"]
    );
    assert_eq!(
        on("ai-agent-without-owner"),
        vec!["bedrock-agent", "ticket-triage-bot"]
    );
    // The bot's access key; bedrock-agent's Bedrock API key lives 30 days, which is short.
    assert_eq!(on("ai-agent-static-credential").len(), 1);
    let agent = identity(inv, "support-agent-llm");
    assert_eq!(
        agent.attributes["ai_actions"],
        serde_json::json!(["bedrock:InvokeAgent", "bedrock:InvokeModel"])
    );
    assert_eq!(
        on("admin-privileges"),
        vec!["ci-deployer", "same-account-admin"]
    );
    // poweruser-role may sts:AssumeRole on `*` (NotAction iam:*), and same-account-admin
    // trusts the account: the power user can become the administrator. So can
    // notaction-deny: its Deny of iam:* leaves sts:AssumeRole in.
    assert_eq!(
        on("reaches-admin-through-chain"),
        vec![
            "notaction-deny",
            "poweruser-role",
            "support-agent-llm",
            "ticket-escalation"
        ]
    );
    // The agent may assume its escalation role: it hands its authority on, and the
    // evidence carries the path to the administrator.
    assert_eq!(on("ai-agent-can-delegate"), vec!["support-agent-llm"]);
    let delegation = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule_id"] == "ai-agent-can-delegate"))
        .map(|f| f["evidence"].to_string())
        .unwrap_or_default();
    assert!(
        delegation.contains(
            "support-agent-llm → role/ticket-escalation → role/same-account-admin (admin)"
        ),
        "{delegation}"
    );
    assert!(on("interactive-login-on-service-identity").contains(&"backup-svc".to_string()));
    assert!(on("secret-rotation-disabled").contains(&"prod/api/key".to_string()));
}

/// `--usage`: one service last accessed job per user and role, polled until it completes
/// (moto_extras answers IN_PROGRESS first), every page read; each granted service with
/// its last use as the server recorded it; statements narrowed per service; and
/// permissions-unused on the user that left two of its three services unused, not on
/// its twin that used everything it may.
#[test]
fn usage_records_each_granted_service_and_flags_the_unused_ones() {
    let Some(moto) = standard() else {
        return;
    };
    let options = AwsOptions {
        usage: true,
        ..moto.options(&["eu-west-1"], ("testing", "testing"))
    };
    let inv = run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    let (status, detail) = &coverage(&inv)[&format!("aws:{ACCOUNT}:iam")];
    assert_eq!(*status, CoverageStatus::Scanned, "{detail}");
    let judged = inv
        .identities
        .iter()
        .filter(|i| matches!(i.kind, IdentityKind::ServiceUser | IdentityKind::Role))
        .count() as u64;
    assert_eq!(
        inv.api_calls["aws:iam:GenerateServiceLastAccessedDetails"],
        judged
    );
    // At least one IN_PROGRESS and one COMPLETED read per job.
    assert!(inv.api_calls["aws:iam:GetServiceLastAccessedDetails"] >= 2 * judged);
    assert!(inv
        .identities
        .iter()
        .filter(|i| matches!(i.kind, IdentityKind::ServiceUser | IdentityKind::Role))
        .all(|i| i.usage.is_some()));

    let today = chrono::Utc::now();
    let builder = identity(&inv, "report-builder");
    let usage = builder.usage.as_ref().unwrap_or_else(|| panic!("no usage"));
    assert_eq!(usage.tracking_days, Some(400));
    let services: Vec<(&str, Option<i64>)> = usage
        .services
        .iter()
        .map(|s| {
            (
                s.service.as_str(),
                s.last_used.map(|t| (today - t).num_days()),
            )
        })
        .collect();
    assert_eq!(
        services,
        vec![("dynamodb", None), ("s3", Some(10)), ("sqs", None)]
    );
    let s3 = &usage.services[1];
    assert_eq!(s3.name.as_deref(), Some("Amazon Simple Storage Service"));
    assert_eq!(s3.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        s3.statements,
        vec![serde_json::json!({"Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]})]
    );
    assert_eq!(
        usage.services[2].statements,
        vec![
            serde_json::json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["*"]})
        ]
    );
    // The role's use, through its assumed-role sessions.
    let etl = identity(&inv, "etl-runner");
    let used: Vec<(&str, Option<i64>)> = etl
        .usage
        .iter()
        .flat_map(|u| &u.services)
        .map(|s| {
            (
                s.service.as_str(),
                s.last_used.map(|t| (today - t).num_days()),
            )
        })
        .collect();
    assert_eq!(used, vec![("s3", Some(5)), ("secretsmanager", Some(5))]);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inventory.json");
    let json_text = serde_json::to_string(&inv).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, json_text).unwrap_or_else(|e| panic!("{e}"));
    let out = crate::support::nhiscan()
        .args(["scan", "-i"])
        .arg(&path)
        .args(["-f", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report = json(&out);
    let findings: BTreeMap<String, Value> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["rule_id"] == "permissions-unused"
                || f["also_fails"]
                    .as_array()
                    .is_some_and(|a| a.contains(&Value::from("permissions-unused")))
        })
        .map(|f| {
            (
                f["entity"]["name"].as_str().unwrap_or_default().to_string(),
                f.clone(),
            )
        })
        .collect();
    let finding = &findings["report-builder"];
    assert_eq!(
        finding["evidence"]["values.unused_services"],
        serde_json::json!(["dynamodb", "sqs"])
    );
    assert_eq!(
        finding["evidence"]["values.narrowed_policy"],
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}]})
    );
    assert!(!findings.contains_key("etl-runner"), "{findings:?}");
}

/// Restricted by the shipped policy, with IAM enforcement on: the scan must see
/// everything, and each call the collector counted must be one the server answered.
/// (With --all-regions, so that every call the collector can make is made.)
#[test]
fn the_shipped_read_only_policy_is_sufficient_under_iam_enforcement() {
    let Some((moto, keys)) = enforcing() else {
        return;
    };
    let key = &keys["full"];
    let access_key = key["access_key_id"].as_str().unwrap_or_default();
    let options = AwsOptions {
        all_regions: true,
        usage: true,
        ..moto.options(
            &["us-east-1", "eu-west-1"],
            (
                access_key,
                key["secret_access_key"].as_str().unwrap_or_default(),
            ),
        )
    };
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
    let options = AwsOptions {
        all_regions: true,
        usage: true,
        ..moto.options(
            &["us-east-1"],
            (
                key["access_key_id"].as_str().unwrap_or_default(),
                key["secret_access_key"].as_str().unwrap_or_default(),
            ),
        )
    };
    let inv = run(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    let cov = coverage(&inv);
    // --all-regions without ec2:DescribeRegions: the given region is scanned, and the
    // coverage says the others could not be listed.
    let (status, detail) = &cov[&format!("aws:{ACCOUNT}:regions")];
    assert_eq!(*status, CoverageStatus::Partial);
    assert!(detail.contains("ec2:DescribeRegions"), "{detail}");
    assert!(detail.contains("scanned only in us-east-1:"), "{detail}");
    assert!(detail.contains(POLICY), "{detail}");
    assert_eq!(
        cov.keys()
            .filter(|t| t.contains(":secretsmanager:"))
            .count(),
        1
    );
    let (status, detail) = &cov[&format!("aws:{ACCOUNT}:iam")];
    assert_eq!(*status, CoverageStatus::Partial);
    assert!(detail.contains("iam:GenerateCredentialReport"), "{detail}");
    assert!(detail.contains(POLICY), "{detail}");
    // --usage without iam:GenerateServiceLastAccessedDetails: said once, then no more
    // calls (the first denial stops the jobs not yet started).
    assert_eq!(
        detail
            .matches("service last accessed data was not read")
            .count(),
        1,
        "{detail}"
    );
    assert!(
        detail.contains("iam:GenerateServiceLastAccessedDetails was denied"),
        "{detail}"
    );
    assert!(inv.identities.iter().all(|i| i.usage.is_none()));
    assert!(!inv
        .api_calls
        .contains_key("aws:iam:GetServiceLastAccessedDetails"));
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
        .get_or_init(|| with_auditors(&["--enforce-auth", "--auditor-policy", POLICY]))
        .as_ref()?;
    let text = std::fs::read_to_string(moto.dir.path().join("auditors.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    Some((
        moto,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
    ))
}

/// A moto server started with `args` that writes the keys of the auditors it creates
/// (`--auditor-credentials`), kept beside the server's own files as `auditors.json`.
fn with_auditors(args: &[&str]) -> Option<Moto> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let creds = dir.path().join("auditors.json");
    let creds_arg = creds.to_string_lossy().into_owned();
    let mut all = args.to_vec();
    all.extend(["--auditor-credentials", &creds_arg]);
    let moto = Moto::start(&all)?;
    let kept = moto.dir.path().join("auditors.json");
    std::fs::copy(&creds, &kept).unwrap_or_else(|e| panic!("{e}"));
    Some(moto)
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
            "aws::default_chain_child",
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
    // The parent test reads this line from the child's stdout.
    #[allow(clippy::print_stdout)]
    {
        println!("CHILD-OK regions={regions:?}");
    }
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
    let mut cmd = crate::support::nhiscan();
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    cmd
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
    let live = json(&out);
    assert!(live["inventory"]["identities"].as_u64().unwrap_or(0) >= 246);
    assert!(live["scan"]["api_calls"]["aws:iam:GetAccountAuthorizationDetails"] == 1);
    assert!(live["scan"]["api_calls"]
        .as_object()
        .is_some_and(|calls| calls.keys().all(|k| !k.contains("GetSecretValue"))));
    let rules: Vec<&str> = live["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["rule_id"].as_str()).collect())
        .unwrap_or_default();
    assert!(rules.contains(&"aws-role-trusts-anyone"));
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
    let offline = json(&out);
    assert_eq!(live["findings"], offline["findings"]);
    // The same calls, but for GenerateCredentialReport: moto answers it STARTED (so it is
    // asked again) only to the first caller of an account, whichever test that is.
    let calls = |report: &Value| {
        let mut calls = report["scan"]["api_calls"].clone();
        if let Some(map) = calls.as_object_mut() {
            map.remove("aws:iam:GenerateCredentialReport");
        }
        calls
    };
    assert_eq!(calls(&live), calls(&offline));
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
    let report = json(&out);
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
    let report = json(&out);
    assert_eq!(report["inventory"]["identities"], 5);
    let coverage = report["coverage"].as_array().cloned().unwrap_or_default();
    assert!(coverage
        .iter()
        .any(|c| c["provider"] == "aws" && c["status"] == "failed"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be scanned"));
}

/// An identity provider, by name (OIDC: its URL without `https://`; SAML: its name).
fn identity_provider<'a>(inventory: &'a Inventory, name: &str) -> &'a Identity {
    let found = identity(inventory, name);
    assert_eq!(found.kind, IdentityKind::Other, "{name}");
    found
}

#[test]
fn oidc_and_saml_identity_providers_land_in_the_inventory() {
    let (Some(moto), Some(inv)) = (standard(), standard_inventory()) else {
        return;
    };
    let providers: Vec<&Identity> = inv
        .identities
        .iter()
        .filter(|i| {
            matches!(
                i.attributes.get("type").and_then(Value::as_str),
                Some("oidc_provider" | "saml_provider")
            )
        })
        .collect();
    assert_eq!(
        providers.len() as u64,
        moto.ready["identity_providers"].as_u64().unwrap_or(0)
    );
    assert!(providers
        .iter()
        .all(|p| p.kind == IdentityKind::Other && !p.activity_tracked && p.enabled));

    // GitHub Actions: the roles whose trust names it, joined on the provider's ARN.
    let github = identity_provider(inv, "token.actions.githubusercontent.com");
    assert_eq!(
        github.id,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")
    );
    assert_eq!(github.attributes["type"], "oidc_provider");
    assert_eq!(
        github.attributes["url"],
        "token.actions.githubusercontent.com"
    );
    assert_eq!(
        github.attributes["client_ids"],
        serde_json::json!(["sts.amazonaws.com"])
    );
    assert_eq!(
        github.attributes["thumbprints"],
        serde_json::json!(["6938fd4d98bab03faadb97b34396831e3780aea1"])
    );
    assert_eq!(
        github.attributes["trusted_by"],
        serde_json::json!([
            format!("arn:aws:iam::{ACCOUNT}:role/github-deploy-open"),
            format!("arn:aws:iam::{ACCOUNT}:role/github-deploy-scoped"),
        ])
    );
    let open = identity(inv, "github-deploy-open");
    assert_eq!(open.trust[0].principal, github.id);

    // A provider no role trusts, with an owner tag and a past creation date.
    let eks = identity_provider(
        inv,
        "oidc.eks.eu-west-1.amazonaws.com/id/5C4A1B2C3D4E5F60718293A4B5C6D7E8",
    );
    assert_eq!(eks.tags["owner"], "platform@example.com");
    assert_eq!(eks.created, Some(time("2024-02-02T02:02:02Z")));
    assert_eq!(eks.attributes["trusted_by"], serde_json::json!([]));

    // SAML: validity (moto fixes it), the IdP certificate's expiry from the metadata,
    // and the role that federates through it.
    let okta = identity_provider(inv, "corp-okta");
    assert_eq!(
        okta.id,
        format!("arn:aws:iam::{ACCOUNT}:saml-provider/corp-okta")
    );
    assert_eq!(okta.attributes["type"], "saml_provider");
    assert_eq!(okta.created, Some(time("2021-03-03T03:03:03Z")));
    assert!(okta.attributes.contains_key("valid_until"));
    assert_eq!(
        okta.attributes["signing_certificates_expire"],
        "2026-03-01T00:00:00Z"
    );
    assert_eq!(
        okta.attributes["trusted_by"],
        serde_json::json!([format!("arn:aws:iam::{ACCOUNT}:role/okta-readonly")])
    );
    let federated = identity(inv, "okta-readonly");
    assert_eq!(federated.trust[0].principal, okta.id);
    assert_eq!(federated.trust[0].principal_type, PrincipalType::Federated);
}

#[test]
fn signing_certificates_and_service_specific_credentials_land_in_the_inventory() {
    let Some(inv) = standard_inventory() else {
        return;
    };
    let mut certs: Vec<&Credential> = credentials_of(inv, "cert-signer-svc");
    certs.sort_by_key(|c| c.created);
    assert_eq!(certs.len(), 2);
    assert!(certs.iter().all(|c| c.kind == CredentialKind::Certificate
        && !c.usage_tracked
        && c.last_used.is_none()
        && c.attributes["user_name"] == "cert-signer-svc"));
    assert_eq!(certs[0].status, CredentialStatus::Inactive);
    assert_eq!(certs[0].created, Some(time("2020-01-02T00:00:00Z")));
    assert_eq!(
        certs[0].expires,
        Some(time("2024-06-30T00:00:00Z")),
        "notAfter of the certificate body"
    );
    assert_eq!(certs[1].status, CredentialStatus::Active);
    assert_eq!(certs[1].created, Some(time("2022-02-02T02:02:02Z")));
    assert_eq!(certs[1].expires, Some(time("2027-01-01T00:00:00Z")));
    let signer = identity(inv, "cert-signer-svc");
    assert_eq!(signer.attributes["active_signing_certificates"], 1);
    // Used through credentials AWS does not track: activity unknown, not "never used".
    for name in ["cert-signer-svc", "codecommit-bot", "bedrock-agent"] {
        assert!(!identity(inv, name).activity_tracked, "{name}");
    }
    assert!(identity(inv, "backup-svc").activity_tracked);

    let mut bot = credentials_of(inv, "codecommit-bot");
    bot.sort_by_key(|c| c.attributes["service_name"].as_str().map(str::to_string));
    assert_eq!(bot.len(), 2);
    let (keyspaces, git) = (bot[0], bot[1]);
    assert_eq!(
        keyspaces.attributes["service_name"],
        "cassandra.amazonaws.com"
    );
    assert_eq!(keyspaces.kind, CredentialKind::Password);
    assert_eq!(keyspaces.status, CredentialStatus::Inactive);
    assert_eq!(git.attributes["service_name"], "codecommit.amazonaws.com");
    assert_eq!(git.kind, CredentialKind::Password);
    assert_eq!(git.status, CredentialStatus::Active);
    assert!(git.id.starts_with("ACCA"), "{}", git.id);
    assert_eq!(git.created, Some(time("2021-05-05T05:05:05Z")));
    assert_eq!(
        git.attributes["service_user_name"],
        format!("codecommit-bot-at-{ACCOUNT}")
    );
    assert!(!git.usage_tracked && git.expires.is_none());

    let bedrock = credentials_of(inv, "bedrock-agent");
    assert_eq!(bedrock.len(), 1);
    assert_eq!(bedrock[0].kind, CredentialKind::Token);
    assert_eq!(
        bedrock[0].attributes["service_name"],
        "bedrock.amazonaws.com"
    );
    assert_eq!(bedrock[0].created, Some(time("2025-06-01T00:00:00Z")));
    assert_eq!(bedrock[0].expires, Some(time("2025-07-01T00:00:00Z")));

    // No secret material: the inventory holds ids, names and dates only.
    let text = serde_json::to_string(inv).unwrap_or_else(|e| panic!("{e}"));
    assert!(!text.contains("ServicePassword") && !text.contains("CredentialSecret"));
    assert!(
        !text.contains("BEGIN CERTIFICATE"),
        "certificate bodies are not kept"
    );
}

/// The extras cost a few calls per account, not one per user: signing certificates are
/// listed only for the users the credential report shows with one.
#[test]
fn iam_extras_cost_a_few_calls_per_account() {
    let (Some(moto), Some(inv)) = (standard(), standard_inventory()) else {
        return;
    };
    let calls = |op: &str| inv.api_calls.get(&format!("aws:iam:{op}")).copied();
    assert_eq!(
        calls("ListSigningCertificates"),
        Some(1),
        "cert-signer-svc only"
    );
    assert_eq!(calls("ListServiceSpecificCredentials"), Some(1), "AllUsers");
    assert_eq!(calls("ListOpenIDConnectProviders"), Some(1));
    assert_eq!(calls("GetOpenIDConnectProvider"), Some(2));
    assert_eq!(calls("ListSAMLProviders"), Some(1));
    assert_eq!(calls("GetSAMLProvider"), Some(1));
    // The server saw exactly these, all answered.
    let extras: Vec<_> = moto
        .requests()
        .into_iter()
        .filter(|[_, _, op, _, key]| {
            key == "testing" && (op.contains("Provider") || op.contains("ServiceSpecific"))
        })
        .collect();
    assert!(extras.iter().all(|r| r[3] == "200"), "{extras:?}");
}

/// Without the credential report nothing says who has signing certificates, so every
/// user is asked; the certificates are still found.
#[test]
fn without_the_report_every_user_is_asked_for_signing_certificates() {
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
    let users = inv
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::ServiceUser)
        .count() as u64;
    assert_eq!(inv.api_calls["aws:iam:ListSigningCertificates"], users);
    let certs = credentials_of(&inv, "cert-signer-svc");
    assert_eq!(
        certs
            .iter()
            .filter(|c| c.kind == CredentialKind::Certificate)
            .count(),
        2
    );
    assert_eq!(credentials_of(&inv, "codecommit-bot").len(), 2);
}

// --- Organizations (--org), accounts and shards, merge, --all-regions -----------------

/// The seeded organisation (scripts/moto/seed_org.py) with IAM enforcement on, and the
/// key of its scanner: a management-account user with only the shipped read-only and
/// organisation policies (the member accounts' audit roles have the read-only one).
fn organisation() -> Option<(&'static Moto, (String, String))> {
    static SERVER: OnceLock<Option<Moto>> = OnceLock::new();
    let moto = SERVER
        .get_or_init(|| {
            with_auditors(&[
                "--seed",
                "org",
                "--enforce-auth",
                "--auditor-policy",
                POLICY,
                "--org-policy",
                ORG_POLICY,
            ])
        })
        .as_ref()?;
    Some((moto, org_scanner_key(moto, "org")))
}

/// The key of one of the organisation's scanners: `org` (the shipped policies) or
/// `org_without_scp_reads` (the organisation policy without the SCP reads).
fn org_scanner_key(moto: &Moto, scanner: &str) -> (String, String) {
    let text = std::fs::read_to_string(moto.dir.path().join("auditors.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let keys: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let key = |field: &str| {
        keys[scanner][field]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    (key("access_key_id"), key("secret_access_key"))
}

/// The organisation's accounts, by seed name (`management`, `alpha`... `bulk-16`).
fn org_accounts(moto: &Moto) -> BTreeMap<String, String> {
    moto.ready["org"]["accounts"]
        .as_object()
        .unwrap_or_else(|| panic!("no org accounts in {}", moto.ready))
        .iter()
        .map(|(name, id)| (name.clone(), id.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The accounts an inventory has coverage for (every target is `aws:<account>[:...]`).
fn covered_accounts(inventory: &Inventory) -> std::collections::BTreeSet<String> {
    inventory
        .coverage
        .iter()
        .filter_map(|c| c.target.split(':').nth(1).map(str::to_string))
        .collect()
}

fn run_any(options: &AwsOptions) -> anyhow::Result<Inventory> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
        .block_on(collect_any(options))
}

/// The actions of the organisation policy, each with its resource.
fn org_policy_statements() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join(ORG_POLICY)).unwrap_or_else(|e| panic!("{e}"));
    let policy: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{ORG_POLICY}: {e}"));
    let mut actions = BTreeMap::new();
    for statement in policy["Statement"].as_array().cloned().unwrap_or_default() {
        assert_eq!(statement["Effect"], "Allow");
        for action in statement["Action"].as_array().cloned().unwrap_or_default() {
            let resource = statement["Resource"].as_str().unwrap_or_default();
            actions.insert(
                action.as_str().unwrap_or_default().to_string(),
                resource.to_string(),
            );
        }
    }
    actions
}

#[test]
fn an_organisation_is_collected_account_by_account_and_a_missing_role_fails_one_account() {
    let Some((moto, key)) = organisation() else {
        return;
    };
    let accounts = org_accounts(moto);
    let options = AwsOptions {
        org: Some(OrgOptions::default()),
        ..moto.options(&["us-east-1", "eu-west-1"], (&key.0, &key.1))
    };
    let inv = run_any(&options).unwrap_or_else(|e| panic!("collect failed: {e:#}"));
    let cov = coverage(&inv);

    // gamma has no audit role: one failed entry that names the role and the fixes.
    let gamma = &accounts["gamma"];
    let (status, detail) = &cov[&format!("aws:{gamma}")];
    assert_eq!(*status, CoverageStatus::Failed);
    for part in [
        format!("{gamma} (gamma)"),
        format!("arn:aws:iam::{gamma}:role/nhiscan-audit"),
        "AccessDenied".to_string(),
        "examples/aws/audit-role.cfn.yaml".to_string(),
        ORG_POLICY.to_string(),
    ] {
        assert!(detail.contains(&part), "{part} missing from: {detail}");
    }
    assert!(!inv
        .identities
        .iter()
        .any(|i| i.name == "gamma-never-collected"));
    // delta is suspended: skipped, which is not a gap.
    let (status, detail) = &cov[&format!("aws:{}", accounts["delta"])];
    assert_eq!(*status, CoverageStatus::Skipped);
    assert!(detail.contains("SUSPENDED"), "{detail}");

    // Every other account (the management one too): IAM and both regions.
    for (name, id) in &accounts {
        let parts = cov.keys().filter(|t| t.starts_with(&format!("aws:{id}:")));
        if name == "gamma" || name == "delta" {
            assert_eq!(parts.count(), 0, "{name}");
            continue;
        }
        for part in [
            "iam",
            "secretsmanager:us-east-1",
            "secretsmanager:eu-west-1",
        ] {
            let target = format!("aws:{id}:{part}");
            assert_eq!(
                cov.get(&target).map(|c| c.0),
                Some(CoverageStatus::Scanned),
                "{target}: {cov:?}"
            );
        }
    }

    // Each account's entities in its own scope.
    let alpha = &accounts["alpha"];
    let etl = identity(&inv, "alpha-etl");
    assert_eq!(etl.scope.id, *alpha);
    assert_eq!(etl.id, format!("arn:aws:iam::{alpha}:user/alpha-etl"));
    assert_eq!(etl.created, Some(time("2022-05-05T05:05:05Z")));
    assert_eq!(identity(&inv, "beta-ci").scope.id, accounts["beta"]);
    assert_eq!(identity(&inv, "mgmt-deployer").scope.id, ACCOUNT);
    let alpha_db = secret(&inv, "alpha/db");
    assert_eq!(
        (
            alpha_db.scope.id.as_str(),
            alpha_db.location.region.as_deref()
        ),
        (alpha.as_str(), Some("us-east-1"))
    );
    let beta_api = secret(&inv, "beta/api");
    assert_eq!(
        (
            beta_api.scope.id.as_str(),
            beta_api.location.region.as_deref()
        ),
        (accounts["beta"].as_str(), Some("eu-west-1"))
    );
    let with_audit_role: std::collections::BTreeSet<&str> = inv
        .identities
        .iter()
        .filter(|i| i.name == "nhiscan-audit")
        .map(|i| i.scope.id.as_str())
        .collect();
    let members: std::collections::BTreeSet<&str> = accounts
        .iter()
        .filter(|(name, _)| !["management", "gamma", "delta"].contains(&name.as_str()))
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(with_audit_role, members);

    // The management account has no audit role: it was read with the caller's own
    // credentials, and its source says so.
    assert!(
        inv.sources.iter().any(|s| s.starts_with(&format!(
            "aws:{ACCOUNT} (as arn:aws:iam::{ACCOUNT}:user/nhiscan-org-scanner)"
        )) && s.contains("own credentials")),
        "{:?}",
        inv.sources
    );

    // SCPs: the root's deny-function-code limits every member account, not the
    // management account; the OU `restricted` (alpha) denies IAM to all but break-glass.
    let privileged = |name: &str| identity(&inv, name).permissions.privileged_actions.clone();
    let levels = |name: &str| -> Vec<String> {
        identity(&inv, name)
            .attributes
            .get("service_control_policies")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    };
    assert!(privileged("mgmt-deployer").contains(&"lambda:UpdateFunctionCode".to_string()));
    assert!(levels("mgmt-deployer").is_empty(), "the management account");
    assert!(
        privileged("beta-deployer").is_empty(),
        "denied by the root's SCP"
    );
    let beta_levels = levels("beta-deployer");
    assert_eq!(beta_levels.len(), 2, "{beta_levels:?}");
    assert!(
        beta_levels[0].starts_with("root r-") && beta_levels[0].contains("deny-function-code"),
        "{beta_levels:?}"
    );
    assert_eq!(
        beta_levels[1],
        format!("account {}: FullAWSAccess", accounts["beta"])
    );
    assert!(
        privileged("alpha-iam-admin").is_empty(),
        "denied by the OU's SCP"
    );
    let alpha_levels = levels("alpha-iam-admin");
    assert_eq!(alpha_levels.len(), 3, "{alpha_levels:?}");
    assert!(
        alpha_levels[1].starts_with("OU ou-")
            && alpha_levels[1].contains("deny-iam-but-break-glass"),
        "{alpha_levels:?}"
    );
    for (name, why) in [
        (
            "break-glass",
            "exempt from the OU's Deny by aws:PrincipalArn",
        ),
        ("beta-iam-admin", "no such SCP over beta"),
    ] {
        assert!(
            privileged(name).contains(&"iam:CreateAccessKey".to_string()),
            "{name}: {why}: {:?}",
            privileged(name)
        );
    }
    assert!(
        inv.sources.iter().any(|s| s.contains("SCPs applied")),
        "{:?}",
        inv.sources
    );
    assert!(!cov.keys().any(|t| t.ends_with(":service-control-policies")));

    // 22 accounts: two ListAccounts pages of 20. AssumeRole for each of the 21 active
    // accounts (gamma's and the management account's refused); GetCallerIdentity for the
    // caller and each of the 20 collected accounts. SCPs, read once per level and
    // policy: the 19 member accounts' parents and policies, the OU's parent, the
    // policies of the OU and the root, the two customer SCPs (FullAWSAccess is known).
    assert_eq!(inv.api_calls["aws:organizations:ListAccounts"], 2);
    assert_eq!(inv.api_calls["aws:sts:AssumeRole"], 21);
    assert_eq!(inv.api_calls["aws:sts:GetCallerIdentity"], 21);
    assert_eq!(inv.api_calls["aws:organizations:ListRoots"], 1);
    assert_eq!(inv.api_calls["aws:organizations:ListParents"], 20);
    assert_eq!(inv.api_calls["aws:organizations:ListPoliciesForTarget"], 21);
    assert_eq!(inv.api_calls["aws:organizations:DescribePolicy"], 2);

    // The organisation policy grants exactly what only --org calls, AssumeRole only on
    // the audit role; everything else is in the read-only policy. (Under enforcement,
    // so the policies were sufficient: nothing but the two AssumeRole was refused.)
    let org_statements = org_policy_statements();
    assert_eq!(
        org_statements.get("sts:AssumeRole").map(String::as_str),
        Some("arn:aws:iam::*:role/nhiscan-audit")
    );
    let (org_calls, account_calls): (std::collections::BTreeSet<String>, _) = inv
        .api_calls
        .keys()
        .filter(|k| k.as_str() != "aws:sts:GetCallerIdentity")
        .map(|k| k.trim_start_matches("aws:").to_string())
        .partition(|k| org_statements.contains_key(k));
    assert_eq!(
        org_calls,
        org_statements.keys().cloned().collect(),
        "{ORG_POLICY} vs the calls made"
    );
    let readonly = policy_actions();
    assert!(
        account_calls.is_subset(&readonly),
        "{account_calls:?} not all in {POLICY}"
    );
    // (The scanner without SCP reads is refused ListRoots on purpose, below.)
    let refused_on_purpose = org_scanner_key(moto, "org_without_scp_reads").0;
    for [service, _, operation, status, key] in moto.requests() {
        if status != "200" && key != refused_on_purpose {
            assert_eq!(
                (service.as_str(), operation.as_str(), status.as_str()),
                ("sts", "AssumeRole", "403")
            );
        }
    }
}

/// A scanner whose organisation policy predates the SCP reads: the organisation is
/// still scanned, the report says the SCPs could not be read and that privilege
/// findings do not account for them, and the exit code says the scan is incomplete.
#[test]
fn unreadable_scps_are_a_coverage_gap_not_a_silent_assumption() {
    let Some((moto, _)) = organisation() else {
        return;
    };
    let accounts = org_accounts(moto);
    let key = org_scanner_key(moto, "org_without_scp_reads");
    let out = nhiscan_cli()
        .env("AWS_ACCESS_KEY_ID", &key.0)
        .env("AWS_SECRET_ACCESS_KEY", &key.1)
        .args([
            "scan",
            "--provider",
            "aws",
            "--org",
            "--accounts",
            &accounts["beta"],
        ])
        .args(["--region", "us-east-1", "--endpoint-url", &moto.endpoint])
        .args(["--now", "2026-11-01", "-f", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let coverage = report["coverage"].as_array().cloned().unwrap_or_default();
    let gap = coverage
        .iter()
        .find(|c| c["target"] == format!("aws:{ACCOUNT}:service-control-policies"))
        .unwrap_or_else(|| panic!("no SCP coverage entry in {coverage:?}"));
    assert_eq!(gap["status"], "failed");
    let detail = gap["detail"].as_str().unwrap_or_default();
    for part in [
        "organizations:ListRoots",
        ORG_POLICY,
        "do not account for them",
    ] {
        assert!(detail.contains(part), "{part} missing from: {detail}");
    }
    // beta itself was scanned, and its grants are reported as if no SCP limited them.
    let beta_deployer = report["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .find(|f| {
            f["rule_id"] == "aws-privilege-escalation-actions"
                && f["entity"]["name"] == "beta-deployer"
        });
    assert!(beta_deployer.is_some(), "{report}");
}

/// Inventory JSON without what changes from one collection to the next (last use: the
/// scanner's own key and the audit roles are used by every run) and in a fixed order.
fn comparable(inventory: &Inventory) -> Value {
    let mut value = serde_json::to_value(inventory).unwrap_or_else(|e| panic!("{e}"));
    for list in ["identities", "credentials", "coverage"] {
        let key = if list == "coverage" { "target" } else { "id" };
        let Some(items) = value[list].as_array_mut() else {
            continue;
        };
        for item in items.iter_mut() {
            if let Some(object) = item.as_object_mut() {
                object.remove("last_activity");
                object.remove("last_used");
            }
            if let Some(attributes) = item["attributes"].as_object_mut() {
                attributes.retain(|k, _| {
                    !k.starts_with("last_used") && !k.starts_with("password_last_used")
                });
            }
        }
        items.sort_by(|a, b| a[key].as_str().cmp(&b[key].as_str()));
    }
    let object = value
        .as_object_mut()
        .unwrap_or_else(|| panic!("not an object"));
    for volatile in ["generated_at", "sources", "api_calls", "shards"] {
        object.remove(volatile);
    }
    value
}

/// A JSON report's finding ids, sorted.
fn sorted_finding_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

fn read_inventory(path: &Path) -> Inventory {
    nhiscan::import::read_path(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn shards_split_the_organisation_and_merged_they_equal_the_whole() {
    let Some((moto, key)) = organisation() else {
        return;
    };
    let accounts = org_accounts(moto);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let collect = |extra: &[&str], file: &str| {
        let out = nhiscan_cli()
            .env("AWS_ACCESS_KEY_ID", &key.0)
            .env("AWS_SECRET_ACCESS_KEY", &key.1)
            .args(["collect", "aws", "--org", "--region", "us-east-1"])
            .args(["--region", "eu-west-1", "--endpoint-url", &moto.endpoint])
            .args(extra)
            .arg("-o")
            .arg(dir.path().join(file))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = collect(&[], "whole.json");
    assert_eq!(code, Some(3), "gamma failed: {stderr}");
    assert!(stderr.contains("(gamma) was not scanned"), "{stderr}");
    assert!(
        !stderr.contains("API calls in"),
        "per-account lines only with -v"
    );
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "no progress bars when stderr is not a terminal: {stderr:?}"
    );

    // Shard K of 2: the accounts at positions K-1, K+1, ... of the sorted list.
    let mut sorted: Vec<&String> = accounts.values().collect();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 22);
    let mut shard_files = Vec::new();
    for (k, file, format) in [(1, "shard1.json", "json"), (2, "shard2.jsonl", "jsonl")] {
        let (code, stderr) = collect(
            &["--shard", &format!("{k}/2"), "-f", format, "--verbose"],
            file,
        );
        let expected: std::collections::BTreeSet<String> = sorted
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == k - 1)
            .map(|(_, id)| id.to_string())
            .collect();
        // -v: one line per account of the shard, saying how it went.
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("nhiscan: aws:"))
            .collect();
        assert_eq!(lines.len(), expected.len(), "{stderr}");
        for id in &expected {
            let line = lines
                .iter()
                .find(|l| l.starts_with(&format!("nhiscan: aws:{id}")))
                .unwrap_or_else(|| panic!("no line for {id}: {stderr}"));
            let outcome = if *id == accounts["gamma"] {
                "): not scanned after "
            } else if *id == accounts["delta"] {
                "): skipped after "
            } else {
                "; complete"
            };
            assert!(line.contains(outcome), "{line}");
        }
        let holds_gamma = expected.contains(&accounts["gamma"]);
        assert_eq!(code, Some(if holds_gamma { 3 } else { 0 }), "{stderr}");
        let shard = read_inventory(&dir.path().join(file));
        assert_eq!(covered_accounts(&shard), expected, "shard {k}/2");
        assert!(shard.sources[0].contains(&format!("in shard {k}/2")));
        let [record] = shard.shards.as_slice() else {
            panic!("shard {k}/2 records {:?}", shard.shards);
        };
        assert_eq!((record.index, record.count, record.accounts), (k, 2, 22));
        assert!(record.organization.starts_with("aws:o-"), "{record:?}");
        shard_files.push(dir.path().join(file));
    }

    let merged_path = dir.path().join("merged.json");
    let out = nhiscan_cli()
        .arg("merge")
        .args(&shard_files)
        .arg("-o")
        .arg(&merged_path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 part(s) that could not be collected"),
        "{stderr}"
    );
    let whole = read_inventory(&dir.path().join("whole.json"));
    let merged = read_inventory(&merged_path);
    assert_eq!(comparable(&merged), comparable(&whole));
    assert_eq!(
        merged
            .sources
            .iter()
            .filter(|s| s.starts_with("aws organization"))
            .count(),
        2
    );
    // The same calls, plus a second job's own listing: GetCallerIdentity, the two
    // ListAccounts pages, and the SCPs both shards' accounts share (the root: its
    // listing, its policies, its customer SCP). (GenerateCredentialReport is left out:
    // moto answers it STARTED only the first time an account asks.)
    for (call, count) in &merged.api_calls {
        let extra = match call.as_str() {
            "aws:sts:GetCallerIdentity" => 1,
            "aws:organizations:ListAccounts" => 2,
            "aws:organizations:ListRoots" => 1,
            "aws:organizations:ListPoliciesForTarget" => 1,
            "aws:organizations:DescribePolicy" => 1,
            "aws:iam:GenerateCredentialReport" => continue,
            _ => 0,
        };
        assert_eq!(
            *count,
            whole.api_calls.get(call).copied().unwrap_or(0) + extra,
            "{call}"
        );
    }

    // Scanned, the merged inventory gives the whole organisation's findings.
    let findings = |path: &Path| {
        let out = nhiscan_cli()
            .args(["scan", "-f", "json", "-i"])
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(3), "incomplete: gamma");
        sorted_finding_ids(&json(&out))
    };
    let merged_findings = findings(&merged_path);
    assert!(!merged_findings.is_empty());
    assert_eq!(merged_findings, findings(&dir.path().join("whole.json")));

    assert_eq!(merged.shards.len(), 2);

    // A shard twice, or one missing, is refused, naming it; nothing is written.
    let refused = |files: &[&PathBuf], says: &str| {
        let out = nhiscan_cli()
            .arg("merge")
            .args(files)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("cannot merge") && stderr.contains(says),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    };
    refused(
        &[&shard_files[0], &shard_files[0]],
        "shard 1/2 appears twice",
    );
    refused(&[&shard_files[1]], "shard(s) 1/2 missing");
    // Merging the merged file with a shard it holds is the same shard twice.
    refused(&[&merged_path, &shard_files[1]], "shard 2/2 appears twice");
}

#[test]
fn accounts_picks_accounts_and_bad_selections_are_usage_errors() {
    let Some((moto, key)) = organisation() else {
        return;
    };
    let accounts = org_accounts(moto);
    let collect = |extra: &[&str]| {
        nhiscan_cli()
            .env("AWS_ACCESS_KEY_ID", &key.0)
            .env("AWS_SECRET_ACCESS_KEY", &key.1)
            .args(["collect", "aws", "--region", "us-east-1"])
            .args(["--endpoint-url", &moto.endpoint])
            .args(extra)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let picked = format!("{},{}", accounts["beta"], accounts["alpha"]);
    let out = collect(&["--org", "--accounts", &picked]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: Inventory = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        covered_accounts(&inv),
        [&accounts["alpha"], &accounts["beta"]]
            .into_iter()
            .cloned()
            .collect()
    );
    assert!(
        inv.sources[0].contains("2 of 22 accounts"),
        "{:?}",
        inv.sources
    );

    for (args, says) in [
        (
            vec!["--org", "--accounts", "999999999999"],
            "999999999999 that the organisation does not list",
        ),
        (vec!["--org", "--accounts", "12x"], "not an AWS account id"),
        (vec!["--org", "--shard", "3/2"], "is not a shard"),
        (vec!["--shard", "1/2"], "--org"),
        (vec!["--accounts", &accounts["alpha"]], "--org"),
    ] {
        let out = collect(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn all_regions_scans_the_regions_moto_reports_enabled() {
    let Some(moto) = standard() else {
        return;
    };
    // An explicit region that is not enabled is still tried (and fails).
    let out = nhiscan_cli()
        .args(["collect", "aws", "--all-regions", "--region", "us-east-1"])
        .args([
            "--region",
            DISABLED_REGION,
            "--endpoint-url",
            &moto.endpoint,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: Inventory = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let enabled: std::collections::BTreeSet<String> = moto.ready["enabled_regions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    assert!(
        enabled.len() > 10 && enabled.contains("eu-west-1"),
        "{enabled:?}"
    );
    assert!(!enabled.contains(DISABLED_REGION));
    let prefix = format!("aws:{ACCOUNT}:secretsmanager:");
    let regions = |status| -> std::collections::BTreeSet<String> {
        inv.coverage
            .iter()
            .filter(|c| c.status == status)
            .filter_map(|c| c.target.strip_prefix(&prefix).map(str::to_string))
            .collect()
    };
    assert_eq!(regions(CoverageStatus::Scanned), enabled);
    assert_eq!(
        regions(CoverageStatus::Failed),
        [DISABLED_REGION.to_string()].into_iter().collect()
    );
    assert_eq!(inv.api_calls["aws:ec2:DescribeRegions"], 1);
    // One call per region; us-east-1 has two pages.
    assert_eq!(
        inv.api_calls["aws:secretsmanager:ListSecrets"],
        enabled.len() as u64 + 2
    );
    let secrets = inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::VaultSecret)
        .count() as u64;
    let seeded = &moto.ready["secrets"];
    assert_eq!(
        secrets,
        seeded["us-east-1"].as_u64().unwrap_or(0) + seeded["eu-west-1"].as_u64().unwrap_or(0)
    );
}

/// The error and its sources, for matching on the interceptor's message.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

/// The clients --org and --all-regions add can call AssumeRole, ListAccounts and
/// DescribeRegions, and nothing that changes anything: such calls are refused before
/// they are sent, and not counted.
#[test]
fn the_interceptor_refuses_writes_on_the_organisation_sts_and_ec2_clients() {
    use nhiscan::collect::aws::calls::CallCounter;
    use nhiscan::collect::aws::config::Session;
    let Some(moto) = standard() else {
        return;
    };
    let options = moto.options(&["us-east-1"], ("testing", "testing"));
    let counter = CallCounter::default();
    let refusals = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
        .block_on(async {
            let session = Session::load(&options, &counter)
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            let create_account = session
                .organizations()
                .create_account()
                .account_name("nhiscan-must-not")
                .email("nhiscan-must-not@example.com")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error_chain(&e));
            let web_identity = session
                .sts
                .assume_role_with_web_identity()
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/app-ec2"))
                .role_session_name("nhiscan-must-not")
                .web_identity_token("token")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error_chain(&e));
            let vpc = nhiscan::collect::aws::query::send(
                &session,
                "us-east-1",
                nhiscan::collect::aws::query::QueryCall {
                    service: "ec2",
                    action: "CreateVpc",
                    operation: "ec2:CreateVpc",
                    version: "2016-11-15",
                    params: &[("CidrBlock", "10.0.0.0/16")],
                },
                &nhiscan::collect::http::RetryPolicy::default(),
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
            [
                ("organizations:CreateAccount", create_account),
                ("sts:AssumeRoleWithWebIdentity", web_identity),
                ("ec2:CreateVpc", vpc),
            ]
        });
    for (call, result) in refusals {
        match result {
            Ok(()) => panic!("{call} was sent"),
            Err(text) => assert!(
                text.contains(&format!("nhiscan refuses to call {call}")),
                "{call}: {text}"
            ),
        }
    }
    assert!(counter.snapshot().is_empty(), "{:?}", counter.snapshot());
    for [_, _, operation, _, _] in moto.requests() {
        assert!(
            !["CreateAccount", "AssumeRoleWithWebIdentity", "CreateVpc"]
                .contains(&operation.as_str()),
            "{operation} reached the server"
        );
    }
}

// --- Faults in live collection (issue 14) ----------------------------------------------

/// A scan of a moto server through `nhiscan scan --provider aws`: its exit code, the
/// (rule, entity) of each finding, and the coverage entries that are not `scanned`.
fn scan_live(
    endpoint: &str,
    extra: &[&str],
) -> (
    i32,
    std::collections::BTreeSet<(String, String)>,
    Vec<Value>,
) {
    let out = nhiscan_cli()
        .args(["scan", "--provider", "aws", "--endpoint-url", endpoint])
        .args(["--region", "us-east-1", "--region", "eu-west-1"])
        .args(["--now", "2026-11-01", "-f", "json"])
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report = json(&out);
    let findings = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["entity"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let gaps = report["coverage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] != "scanned")
        .cloned()
        .collect();
    (out.status.code().unwrap_or(-1), findings, gaps)
}

/// Throttling, HTTP 500, dropped connections and answers past the attempt timeout, in
/// 20% and 40% of the requests: the findings are those of the fault-free run, or what
/// is missing is a coverage gap and the exit code is 3. Never fewer findings silently.
#[test]
fn faults_cost_retries_not_findings() {
    let Some(moto) = Moto::start(&["--seed", "standard"]) else {
        return;
    };
    let (code, clean, gaps) = scan_live(&moto.endpoint, &[]);
    assert_eq!((code, gaps.len()), (0, 0), "{gaps:?}");
    assert!(clean.len() > 100, "{}", clean.len());
    let scenarios = [
        (
            serde_json::json!({"throttle": 0.2, "seed": 1}),
            "throttled 20%",
        ),
        (
            serde_json::json!({"throttle": 0.4, "seed": 2}),
            "throttled 40%",
        ),
        (
            serde_json::json!({"throttle": 0.05, "error": 0.05, "reset": 0.05, "slow": 0.05,
                               "slow_seconds": 3, "seed": 3}),
            "mixed 20%",
        ),
        (
            serde_json::json!({"throttle": 0.1, "error": 0.1, "reset": 0.1, "slow": 0.1,
                               "slow_seconds": 3, "seed": 4}),
            "mixed 40%",
        ),
    ];
    for (spec, name) in scenarios {
        moto.set_faults(&spec);
        let (code, findings, gaps) = scan_live(&moto.endpoint, &["--aws-timeout", "2"]);
        let injected = moto.set_faults(&serde_json::json!({}));
        assert!(
            injected["injected"]
                .as_object()
                .is_some_and(|i| !i.is_empty()),
            "{name}: nothing injected: {injected}"
        );
        if code == 0 {
            assert!(gaps.is_empty(), "{name}: {gaps:?}");
            assert_eq!(findings, clean, "{name}: same findings as without faults");
        } else {
            assert_eq!(code, 3, "{name}: {gaps:?}");
            assert!(!gaps.is_empty(), "{name}: exit 3 without a coverage gap");
            // What was seen is still judged: nothing is reported that was not there.
            let added: Vec<_> = findings.difference(&clean).collect();
            assert!(added.is_empty(), "{name}: added {added:?}; gaps {gaps:?}");
        }
    }
}

/// A user whose signing certificates could not be listed (throttled every time) is not
/// "never used": with a credential unread, its activity is unknown, and the gap says
/// which call failed for whom. (Seen under 20% throttling: `identity-unused` on
/// cert-signer-svc, whose only credential is a signing certificate.)
#[test]
fn unlisted_credentials_make_activity_unknown_not_never_used() {
    let Some(moto) = Moto::start(&["--seed", "standard"]) else {
        return;
    };
    moto.set_faults(
        &serde_json::json!({"throttle": 1.0, "operations": ["ListSigningCertificates"]}),
    );
    let (code, findings, gaps) = scan_live(&moto.endpoint, &[]);
    moto.set_faults(&serde_json::json!({}));
    let gaps = serde_json::to_string(&gaps).unwrap_or_default();
    assert_eq!(code, 3, "{gaps}");
    assert!(
        gaps.contains("signing certificates of cert-signer-svc unknown"),
        "{gaps}"
    );
    let user = format!("arn:aws:iam::{ACCOUNT}:user/cert-signer-svc");
    assert!(
        !findings.contains(&("identity-unused".to_string(), user)),
        "{findings:?}"
    );
}

/// A server that accepts the connection and never answers: the scan ends within the
/// attempt and operation timeouts, naming the call that timed out.
#[test]
fn an_endpoint_that_never_answers_times_out_naming_the_call() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let out = assert_cmd::Command::from_std({
        let mut cmd = nhiscan_cli();
        cmd.args(["scan", "--provider", "aws", "--region", "us-east-1"])
            .args(["--endpoint-url", &format!("http://{address}")])
            .args(["--aws-timeout", "2", "-f", "json"]);
        cmd
    })
    .timeout(std::time::Duration::from_secs(120))
    .output()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let detail = report["coverage"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        detail.contains("sts:GetCallerIdentity") && detail.contains("timed out"),
        "{detail}"
    );
}

/// The sharded examples, run as written against the seeded organisation (moto, with its
/// endpoint added to every `collect aws`): the Kubernetes Indexed Job's container
/// arguments (examples/kubernetes/nhiscan-org-sharded.yaml: each pod, then the scan Job)
/// and the GitHub Actions matrix's `run` scripts (examples/ci/github-actions-sharded.yml:
/// each matrix job, then the merge and the scan). Each finds what one job scanning the
/// whole organisation finds.
#[test]
fn the_sharded_examples_run_as_written_against_the_organisation() {
    let Some((moto, key)) = organisation() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env = |cmd: &mut Command| {
        cmd.env("AWS_ACCESS_KEY_ID", &key.0)
            .env("AWS_SECRET_ACCESS_KEY", &key.1)
            .env("AWS_REGION", "us-east-1");
    };
    let finding_ids = |report: &Path| {
        let text = std::fs::read_to_string(report).unwrap_or_else(|e| panic!("{e}"));
        sorted_finding_ids(&serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")))
    };
    // One job for the whole organisation.
    let mut whole = nhiscan_cli();
    env(&mut whole);
    let out = whole
        .args([
            "collect",
            "aws",
            "--org",
            "--endpoint-url",
            &moto.endpoint,
            "-o",
        ])
        .arg(dir.path().join("whole.json"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(3), "gamma fails");
    let out = nhiscan_cli()
        .args(["scan", "-f", "json", "-o"])
        .arg(dir.path().join("whole-report.json"))
        .arg("-i")
        .arg(dir.path().join("whole.json"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(3));
    let expected = finding_ids(&dir.path().join("whole-report.json"));
    assert!(!expected.is_empty());

    // Kubernetes: the Indexed Job's pods, then the scan Job, with /shards a folder here.
    let text = std::fs::read_to_string("examples/kubernetes/nhiscan-org-sharded.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let documents: Vec<Value> = serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let job = |name: &str| {
        documents
            .iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Job {name}"))
            .clone()
    };
    let shards_dir = dir.path().join("k8s");
    std::fs::create_dir(&shards_dir).unwrap_or_else(|e| panic!("{e}"));
    let args_of = |job: &Value, index: Option<u64>| -> Vec<String> {
        job["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|a| {
                let a = a
                    .as_str()
                    .unwrap_or_default()
                    .replace("/shards", &shards_dir.to_string_lossy());
                match index {
                    Some(i) => a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string()),
                    None => a,
                }
            })
            .collect()
    };
    let collect = job("nhiscan-collect");
    let completions = collect["spec"]["completions"].as_u64().unwrap_or(0);
    assert_eq!(collect["spec"]["parallelism"].as_u64(), Some(completions));
    assert!(completions >= 2);
    for index in 0..completions {
        let mut pod = nhiscan_cli();
        env(&mut pod);
        let args = args_of(&collect, Some(index));
        assert_eq!(&args[..3], ["collect", "aws", "--org"]);
        let out = pod
            .args(&args)
            .args(["--endpoint-url", &moto.endpoint])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "pod {index}: {stderr}");
    }
    let scan_args = args_of(&job("nhiscan-scan"), None);
    let inputs = scan_args.iter().filter(|a| *a == "-i").count() as u64;
    assert_eq!(inputs, completions, "the scan Job reads every pod's shard");
    let out = nhiscan_cli()
        .args(&scan_args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(4),
        "high findings, gamma not scanned: {stderr}"
    );
    assert_eq!(
        finding_ids(&shards_dir.join("nhiscan-report.json")),
        expected
    );
    // A pod's shard missing: the scan Job refuses the set.
    std::fs::remove_file(shards_dir.join("org-1.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        shards_dir.join("org-0.jsonl"),
        shards_dir.join("org-1.jsonl"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = nhiscan_cli()
        .args(&scan_args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("shard 1/{completions} appears twice")),
        "{stderr}"
    );

    // GitHub Actions: each matrix job's `run` in its own folder, its inventory carried
    // to the scan job's `shards/` (as the artifacts are), then the scan job's `run`s.
    let text = std::fs::read_to_string("examples/ci/github-actions-sharded.yml")
        .unwrap_or_else(|e| panic!("{e}"));
    let workflow: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let shards: u64 = workflow["env"]["SHARDS"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let matrix: Vec<u64> = workflow["jobs"]["collect"]["strategy"]["matrix"]["shard"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(
        matrix,
        (1..=shards).collect::<Vec<_>>(),
        "the matrix is 1..=SHARDS"
    );
    let step = |job: &str, name: &str| -> String {
        workflow["jobs"][job]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .and_then(|s| s["run"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no step {name} in {job}"))
    };
    // `nhiscan` on PATH: the binary under test, with moto's endpoint for `collect aws`.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap_or_else(|e| panic!("{e}"));
    crate::support::output::write_script(
        &bin.join("nhiscan"),
        &format!(
            "#!/bin/sh\nif [ \"$1 $2\" = \"collect aws\" ]; then shift 2; exec {real} collect aws --endpoint-url {endpoint} \"$@\"; fi\nexec {real} \"$@\"\n",
            real = env!("CARGO_BIN_EXE_nhiscan"),
            endpoint = moto.endpoint
        ),
    );
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let run = |script: &str, workdir: &Path, extra: &[(&str, String)]| {
        let mut bash = Command::new("bash");
        bash.args(["-e", "-c", script])
            .env_clear()
            .env("PATH", &path)
            .env("SHARDS", shards.to_string())
            .env("GITHUB_OUTPUT", workdir.join("github-output"))
            .env("GITHUB_STEP_SUMMARY", workdir.join("summary.md"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .current_dir(workdir);
        env(&mut bash);
        for (k, v) in extra {
            bash.env(k, v);
        }
        let out = bash.output().unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{script}\n{stderr}");
    };
    let scan_dir = dir.path().join("gha-scan");
    std::fs::create_dir_all(scan_dir.join("shards")).unwrap_or_else(|e| panic!("{e}"));
    for shard in &matrix {
        let job_dir = dir.path().join(format!("gha-collect-{shard}"));
        std::fs::create_dir(&job_dir).unwrap_or_else(|e| panic!("{e}"));
        run(
            &step("collect", "Collect shard"),
            &job_dir,
            &[("SHARD", shard.to_string())],
        );
        let file = format!("org-{shard}.jsonl");
        std::fs::copy(job_dir.join(&file), scan_dir.join("shards").join(&file))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    run(&step("scan", "Merge the shards"), &scan_dir, &[]);
    run(&step("scan", "Scan"), &scan_dir, &[]);
    let output = std::fs::read_to_string(scan_dir.join("github-output")).unwrap_or_default();
    assert_eq!(output.trim(), "code=4", "high findings, gamma not scanned");
    assert_eq!(finding_ids(&scan_dir.join("nhiscan-report.json")), expected);
    assert!(std::fs::read_to_string(scan_dir.join("summary.md")).is_ok_and(|s| !s.is_empty()));
}

/// `--no-ssh-keys` drops the one per-user call family the credential report cannot stand
/// in for (one `ListSSHPublicKeys` per user), and the coverage says what is missing;
/// `--concurrency` bounds the requests in flight and refuses nonsense.
#[test]
fn no_ssh_keys_skips_their_calls_and_the_coverage_says_so() {
    let Some(moto) = standard() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inventory.json");
    let out = nhiscan_cli()
        .args(["collect", "aws", "--region", "us-east-1"])
        .args([
            "--endpoint-url",
            &moto.endpoint,
            "--no-ssh-keys",
            "--concurrency",
            "2",
        ])
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{stderr}");
    let inv = read_inventory(&path);
    assert!(!inv.api_calls.contains_key("aws:iam:ListSSHPublicKeys"));
    assert!(
        inv.api_calls["aws:iam:ListAccessKeys"] > 0,
        "the other per-user calls stay"
    );
    assert!(inv
        .credentials
        .iter()
        .all(|c| c.kind != CredentialKind::SshKey));
    let gap = inv
        .coverage
        .iter()
        .find(|c| c.target.ends_with(":iam:ssh-keys"))
        .unwrap_or_else(|| panic!("no ssh-keys coverage in {:?}", inv.coverage));
    assert_eq!(gap.status, CoverageStatus::Skipped);
    assert!(gap
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("--no-ssh-keys")));

    for bad in [["--concurrency", "0"], ["--concurrency", "100"]] {
        let out = nhiscan_cli()
            .args(["collect", "aws"])
            .args(bad)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

/// moto as published answers an IAM call it does not implement
/// (`ListServiceSpecificCredentials`) with the same HTTP 500 page every time: the
/// collector stops at the second identical answer instead of waiting through five
/// attempts, and the coverage names what is missing.
#[test]
fn a_call_the_endpoint_cannot_answer_stops_at_the_second_identical_failure() {
    let Some(moto) = Moto::start(&["--stock", "--scale", "20"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inventory.json");
    let out = nhiscan_cli()
        .args([
            "collect",
            "aws",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &moto.endpoint,
        ])
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let inv = read_inventory(&path);
    assert_eq!(inv.api_calls["aws:iam:ListServiceSpecificCredentials"], 2);
    let iam = inv
        .coverage
        .iter()
        .find(|c| c.target.ends_with(":iam"))
        .unwrap_or_else(|| panic!("{:?}", inv.coverage));
    assert_eq!(iam.status, CoverageStatus::Partial);
    assert!(
        iam.detail
            .as_deref()
            .is_some_and(|d| d.contains("ervice-specific")),
        "{:?}",
        iam.detail
    );
    assert_eq!(inv.identities.len(), 20, "everything else is collected");
}

/// A user whose calls stay throttled after the SDK's five attempts is read again in up
/// to two more passes (what makes a scan under a sustained rate limit complete:
/// docs/performance-aws.md), and no more: here every ListSSHPublicKeys is throttled, so
/// each user's is attempted 5 times in each of 3 passes, then named in the coverage.
#[test]
fn throttled_users_are_read_again_in_two_more_passes_and_no_more() {
    let Some(moto) = Moto::start(&["--scale", "20"]) else {
        return;
    };
    moto.set_faults(&serde_json::json!({"throttle": 1.0, "operations": ["ListSSHPublicKeys"]}));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("inventory.json");
    let out = nhiscan_cli()
        .args(["collect", "aws", "--region", "us-east-1", "--endpoint-url"])
        .arg(&moto.endpoint)
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let inv = read_inventory(&path);
    let users = inv
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::ServiceUser)
        .count() as u64;
    assert_eq!(users, 10);
    assert_eq!(inv.api_calls["aws:iam:ListSSHPublicKeys"], users * 5 * 3);
    let detail = inv
        .coverage
        .iter()
        .find(|c| c.target.ends_with(":iam"))
        .and_then(|c| c.detail.clone())
        .unwrap_or_default();
    assert!(detail.contains("SSH keys of scale-user-"), "{detail}");
    assert!(detail.contains("throttled even after retries"), "{detail}");
}

/// The benchmark organisation (scripts/bench-aws-org.sh) at 50 accounts: collected in
/// one job (8 accounts at a time) and in three shard jobs, the shards merge into the
/// single job's inventory, and their reports are the same report (issue 17).
#[test]
fn fifty_accounts_in_three_shards_merge_into_the_single_job_report() {
    let Some(moto) = Moto::start(&["--scale", "4", "--org-accounts", "50"]) else {
        return;
    };
    let accounts = org_accounts(&moto);
    assert_eq!(accounts.len(), 50);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let collect = |extra: &[&str], file: &str| {
        let out = nhiscan_cli()
            .args(["collect", "aws", "--org", "--org-concurrency", "8"])
            .args(["--region", "us-east-1", "--endpoint-url", &moto.endpoint])
            .args(extra)
            .arg("-o")
            .arg(dir.path().join(file))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{file}: {stderr}");
        dir.path().join(file)
    };
    let whole_path = collect(&[], "whole.json");
    let whole = read_inventory(&whole_path);
    let expected: std::collections::BTreeSet<String> = accounts.values().cloned().collect();
    let covered: std::collections::BTreeSet<String> = covered_accounts(&whole)
        .into_iter()
        .filter(|a| expected.contains(a))
        .collect();
    assert_eq!(covered, expected);
    // Per account: 2 users and 2 roles, plus the audit role the account was made with.
    let seeded = whole
        .identities
        .iter()
        .filter(|i| i.name.starts_with("scale-"))
        .count();
    assert_eq!(seeded, 50 * 4);

    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| collect(&["--shard", &format!("{k}/3")], &format!("shard{k}.json")))
        .collect();
    let merged_path = dir.path().join("merged.json");
    let out = nhiscan_cli()
        .arg("merge")
        .args(&shards)
        .arg("-o")
        .arg(&merged_path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        comparable(&read_inventory(&merged_path)),
        comparable(&whole)
    );

    // The reports: every finding the same, field for field, and the same summary.
    let report = |path: &Path| {
        let out = nhiscan_cli()
            .args(["scan", "--now", "2026-11-01", "-f", "json", "-i"])
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut report = json(&out);
        // Each job assumes the audit role, so its last use moves from one job to the
        // next: as `comparable` does for the inventories, leave it out.
        for finding in report["findings"].as_array_mut().into_iter().flatten() {
            if let Some(evidence) = finding["evidence"].as_object_mut() {
                evidence.retain(|k, _| !k.ends_with("last_activity") && !k.ends_with("last_used"));
            }
        }
        // All but the run's own facts (`scan`: when, how long, which inputs).
        ["findings", "summary", "coverage", "inventory"].map(|part| report[part].clone())
    };
    let merged = report(&merged_path);
    let whole = report(&whole_path);
    assert!(merged[0].as_array().is_some_and(|f| f.len() > 50));
    for (part, (merged, whole)) in ["findings", "summary", "coverage", "inventory"]
        .iter()
        .zip(merged.iter().zip(&whole))
    {
        let (Some(merged), Some(whole)) = (merged.as_array(), whole.as_array()) else {
            assert_eq!(merged, whole, "{part}");
            continue;
        };
        assert_eq!(merged.len(), whole.len(), "{part}");
        if let Some((m, w)) = merged.iter().zip(whole).find(|(m, w)| m != w) {
            panic!("{part} differ first at\n merged: {m}\n  whole: {w}");
        }
    }
}
