//! From the listed objects to inventory: one identity per service account (what its
//! project roles grant, who may act as it, the VMs that run as it, when it last
//! authenticated) and one `service_account_key` credential per user-managed key.
//!
//! Service accounts carry no labels: an identity's tags are its project's labels,
//! overlaid by `key=value` words of its description (`owner=ana@acme.example team=data`),
//! the convention docs/providers/gcp.md documents for naming an owner.

use super::api::{Activity, Binding, Key, Policy, Project, ServiceAccount};
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind, Location,
    PrincipalType, Provider, Scope, ScopeKind, Tags, Trust,
};
use chrono::{DateTime, Datelike, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// Roles that let their holder act as a service account (mint its tokens, attach it to
/// resources, federate into it).
pub const IMPERSONATION_ROLES: &[&str] = &[
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountOpenIdTokenCreator",
];

/// The basic roles: Owner and Editor (Viewer is not privileged).
pub const PRIMITIVE_ROLES: &[&str] = &["roles/owner", "roles/editor"];

/// Whether CIS GCP 1.5 counts `role` as an admin privilege: "roles containing *Admin or
/// *admin or role matching Editor or role matching Owner". The role's id (after `roles/`,
/// so that a custom role of a project named `admin-tools` is judged by its own name)
/// is what must contain `admin` or `Admin`: `roles/storage.admin`,
/// `roles/iam.securityAdmin`, `roles/compute.instanceAdmin.v1`,
/// `organizations/1/roles/dbAdmin`.
pub fn is_cis_admin_role(role: &str) -> bool {
    if PRIMITIVE_ROLES.contains(&role) {
        return true;
    }
    let id = role.rsplit_once("roles/").map_or(role, |(_, id)| id);
    id.contains("admin") || id.contains("Admin")
}

/// Sensitive permissions some predefined roles hold, reported in `privileged_actions`.
const PRIVILEGED: &[(&str, &[&str])] = &[
    (
        "roles/owner",
        &[
            "resourcemanager.projects.setIamPolicy",
            "iam.serviceAccountKeys.create",
            "iam.serviceAccounts.getAccessToken",
        ],
    ),
    (
        "roles/editor",
        &["iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create"],
    ),
    (
        "roles/resourcemanager.projectIamAdmin",
        &["resourcemanager.projects.setIamPolicy"],
    ),
    (
        "roles/iam.securityAdmin",
        &[
            "resourcemanager.projects.setIamPolicy",
            "iam.serviceAccounts.setIamPolicy",
        ],
    ),
    (
        "roles/iam.serviceAccountAdmin",
        &["iam.serviceAccounts.setIamPolicy"],
    ),
    (
        "roles/iam.serviceAccountKeyAdmin",
        &["iam.serviceAccountKeys.create"],
    ),
    (
        "roles/iam.serviceAccountTokenCreator",
        &["iam.serviceAccounts.getAccessToken"],
    ),
    (
        "roles/iam.serviceAccountUser",
        &["iam.serviceAccounts.actAs"],
    ),
    (
        "roles/iam.workloadIdentityUser",
        &["iam.serviceAccounts.getAccessToken"],
    ),
    ("roles/iam.roleAdmin", &["iam.roles.update"]),
    (
        "roles/secretmanager.secretAccessor",
        &["secretmanager.versions.access"],
    ),
    (
        "roles/secretmanager.admin",
        &["secretmanager.versions.access"],
    ),
    (
        "roles/cloudkms.cryptoKeyDecrypter",
        &["cloudkms.cryptoKeyVersions.useToDecrypt"],
    ),
];

/// The scope that lets a VM's token call every API its service account may.
pub const FULL_API_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Something that runs as a service account: a VM, a GKE node pool, a Cloud Run service,
/// a Cloud Function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// `instance us-central1-a/web-1`, `cloud-run-service us-central1/api`...
    pub label: String,
    /// Its service account's email (defaults resolved).
    pub service_account: String,
    /// Whether its token may call every API (the `cloud-platform` scope of a VM).
    pub full_api_scope: bool,
}

/// One service account and what was read about it (`None`: could not be read).
#[derive(Debug)]
pub struct AccountData {
    pub account: ServiceAccount,
    pub keys: Option<Vec<Key>>,
    pub policy: Option<Policy>,
}

/// Everything read from one project. `None` marks what could not be read.
#[derive(Debug)]
pub struct ProjectData {
    pub project: Project,
    pub policy: Option<Policy>,
    /// The policies of the project's folders and organisation (`folders/1`,
    /// `organizations/2`), nearest first: what they grant is inherited. Empty when they
    /// could not be read.
    pub inherited: Vec<(String, Policy)>,
    pub accounts: Vec<AccountData>,
    /// `None` when some kind of workload could not be listed.
    pub workloads: Option<Vec<Workload>>,
    pub account_activity: Option<Vec<Activity>>,
    pub key_activity: Option<Vec<Activity>>,
    /// The project's policy insights (`--usage`); `None` when not asked or not read.
    pub insights: Option<Vec<super::usage::PolicyInsight>>,
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(crate::inventory::time::parse)
}

/// `projects/P/serviceAccounts/EMAIL[/keys/ID]` of an activity's full resource name,
/// as (email, key id).
fn activity_subject(activity: &Activity) -> Option<(String, Option<String>)> {
    let name = activity.full_resource_name.as_str();
    let (_, rest) = name.split_once("/serviceAccounts/")?;
    Some(match rest.split_once("/keys/") {
        Some((email, key)) => (email.to_lowercase(), Some(key.to_string())),
        None => (rest.to_lowercase(), None),
    })
}

/// A policy member as a trust entry.
fn member_trust(member: &str, conditions: Vec<String>) -> Trust {
    let (principal, principal_type) = match member.split_once(':') {
        Some(("serviceAccount", email)) => (email.to_lowercase(), PrincipalType::Identity),
        _ if member == "allUsers" || member == "allAuthenticatedUsers" => {
            (member.to_string(), PrincipalType::Any)
        }
        _ if member.starts_with("principal://") || member.starts_with("principalSet://") => {
            (member.to_string(), PrincipalType::Federated)
        }
        _ => (member.to_string(), PrincipalType::Other),
    };
    Trust {
        principal,
        principal_type,
        conditions,
    }
}

/// `role = R`, where it was granted, and its IAM condition.
fn grant_conditions(binding: &Binding, granted_on: Option<&str>) -> Vec<String> {
    let mut conditions = vec![format!("role = {}", binding.role)];
    if let Some(resource) = granted_on {
        conditions.push(format!("granted on = {resource}"));
    }
    if let Some(condition) = &binding.condition {
        conditions.push(format!("condition = {}", condition.describe()));
    }
    conditions
}

/// `key=value` words of a description.
fn description_tags(description: &str) -> Tags {
    description
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter_map(|word| {
            let (key, value) = word.split_once('=')?;
            let key = key.trim().to_lowercase();
            let value = value.trim().trim_end_matches('.');
            let valid = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            (valid && !value.is_empty()).then(|| (key, value.to_string()))
        })
        .collect()
}

/// Which default service account `email` is, if any.
fn default_account(email: &str, project: &Project) -> Option<&'static str> {
    if email == format!("{}-compute@developer.gserviceaccount.com", project.number()) {
        Some("compute")
    } else if email == format!("{}@appspot.gserviceaccount.com", project.project_id) {
        Some("app_engine")
    } else {
        None
    }
}

/// A key's expiry: `None` for keys valid until 9999 (Google's "never").
fn key_expiry(key: &Key) -> Option<DateTime<Utc>> {
    time(key.valid_before_time.as_deref()).filter(|t| t.year() < 9999)
}

/// The inventory of one project.
pub fn build(data: &ProjectData) -> (Vec<Identity>, Vec<Credential>) {
    let project = &data.project;
    let scope = Scope {
        kind: ScopeKind::Project,
        id: project.project_id.clone().into(),
        name: project
            .display_name
            .clone()
            .filter(|n| n != &project.project_id)
            .map(Into::into),
    };
    // Every binding that applies to the project's accounts, with where it is granted:
    // `None` on the project, else the folder or organisation it is inherited from.
    let project_bindings = data
        .policy
        .iter()
        .flat_map(|p| &p.bindings)
        .map(|b| (b, None));
    let inherited = data
        .inherited
        .iter()
        .flat_map(|(on, p)| p.bindings.iter().map(move |b| (b, Some(on.as_str()))));
    let placed: Vec<(&Binding, Option<&str>)> = project_bindings.chain(inherited).collect();
    // Each member's bindings, so that an account's roles are one lookup (a project can hold
    // thousands of accounts and bindings).
    let mut grants_by_member: HashMap<String, Vec<(&Binding, Option<&str>)>> = HashMap::new();
    for (binding, on) in &placed {
        for member in &binding.members {
            grants_by_member
                .entry(member.to_lowercase())
                .or_default()
                .push((binding, *on));
        }
    }
    // Impersonation grants on the project or above: their holders may act as every account.
    let wide_impersonation: Vec<(&Binding, Option<&str>)> = placed
        .iter()
        .copied()
        .filter(|(b, _)| IMPERSONATION_ROLES.contains(&b.role.as_str()))
        .collect();
    // Service accounts holding a basic role on the project may act as every account too
    // (iam.serviceAccounts.actAs): an edge in the delegation graph, not an "impersonator".
    let wide_act_as: Vec<(&Binding, Option<&str>)> = placed
        .iter()
        .copied()
        .filter(|(b, _)| PRIMITIVE_ROLES.contains(&b.role.as_str()))
        .collect();
    // Where a grant on the project or above is made, for trust conditions.
    let granted_on = |on: Option<&str>| match on {
        None => format!("project {}", project.project_id),
        Some(ancestor) => ancestor.to_string(),
    };

    let mut account_seen: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
    for activity in data.account_activity.iter().flatten() {
        if let Some((email, None)) = activity_subject(activity) {
            account_seen.insert(email, time(activity.last_authenticated()));
        }
    }
    let mut key_seen: HashMap<(String, String), Option<DateTime<Utc>>> = HashMap::new();
    for activity in data.key_activity.iter().flatten() {
        if let Some((email, Some(key))) = activity_subject(activity) {
            key_seen.insert((email, key), time(activity.last_authenticated()));
        }
    }
    let mut workloads: HashMap<String, Vec<String>> = HashMap::new();
    let mut full_scope: HashMap<String, Vec<String>> = HashMap::new();
    for workload in data.workloads.iter().flatten() {
        let email = workload.service_account.to_lowercase();
        workloads
            .entry(email.clone())
            .or_default()
            .push(workload.label.clone());
        if workload.full_api_scope {
            full_scope
                .entry(email)
                .or_default()
                .push(workload.label.clone());
        }
    }

    let mut usage = data
        .insights
        .as_deref()
        .map(super::usage::usage_by_account)
        .unwrap_or_default();

    let mut identities = Vec::new();
    let mut credentials = Vec::new();
    for AccountData {
        account,
        keys,
        policy,
    } in &data.accounts
    {
        let email = account.email.to_lowercase();
        let name = email.split('@').next().unwrap_or(&email).to_string();
        let mut identity = Identity::new(
            Provider::Gcp,
            scope.clone(),
            email.clone(),
            name,
            IdentityKind::ServiceAccount,
        );
        identity.description = account
            .description
            .clone()
            .or_else(|| account.display_name.clone())
            .filter(|d| !d.trim().is_empty());
        identity.enabled = !account.disabled;
        if data.account_activity.is_some() {
            identity.activity_tracked = true;
            identity.last_activity = account_seen.get(&email).copied().flatten();
        }
        identity.usage = usage.remove(&email).map(Box::new);
        identity.tags = project.labels.clone().into();
        if let Some(description) = &account.description {
            identity.tags.extend(description_tags(description));
        }

        // What its project roles grant.
        let member = format!("serviceaccount:{email}");
        let mut roles = BTreeSet::new();
        let mut role_texts = BTreeSet::new();
        for (binding, on) in grants_by_member.get(&member).into_iter().flatten() {
            roles.insert(binding.role.clone());
            let mut text = binding.role.clone();
            if let Some(ancestor) = on {
                text.push_str(&format!(" (on {ancestor})"));
            }
            if let Some(c) = &binding.condition {
                text.push_str(&format!(" (if {})", c.describe()));
            }
            role_texts.insert(text);
        }
        let permissions = &mut identity.permissions;
        permissions.admin = roles.contains("roles/owner");
        let mut wildcard = BTreeSet::new();
        let mut privileged = BTreeSet::new();
        for role in &roles {
            if role == "roles/owner" || role == "roles/editor" {
                wildcard.insert("*".to_string());
            } else if let Some(service) = role
                .strip_prefix("roles/")
                .and_then(|r| r.strip_suffix(".admin"))
            {
                wildcard.insert(format!("{service}.*"));
            }
            if let Some((_, actions)) = PRIVILEGED.iter().find(|(r, _)| r == role) {
                privileged.extend(actions.iter().map(|a| a.to_string()));
            }
        }
        permissions.wildcard_actions = wildcard.into_iter().collect();
        permissions.privileged_actions = privileged.into_iter().collect();
        permissions.policies = roles.iter().cloned().collect();

        // Who may act as it.
        let mut impersonators = Vec::new();
        let own_bindings = policy
            .as_ref()
            .map(|p| p.bindings.as_slice())
            .unwrap_or_default();
        for binding in own_bindings {
            let impersonation = IMPERSONATION_ROLES.contains(&binding.role.as_str());
            let takeover = matches!(
                binding.role.as_str(),
                "roles/owner" | "roles/editor" | "roles/iam.serviceAccountAdmin"
            );
            if !(impersonation || takeover) {
                continue;
            }
            for m in &binding.members {
                identity
                    .trust
                    .push(member_trust(m, grant_conditions(binding, None)));
                if impersonation {
                    impersonators.push(impersonator(m, binding, "service_account"));
                }
            }
        }
        for (binding, on) in &wide_impersonation {
            for m in binding
                .members
                .iter()
                .filter(|m| m.to_lowercase() != member)
            {
                identity.trust.push(member_trust(
                    m,
                    grant_conditions(binding, Some(&granted_on(*on))),
                ));
                let level = match on {
                    None => "project",
                    Some(a) if a.starts_with("folders/") => "folder",
                    Some(_) => "organization",
                };
                impersonators.push(impersonator(m, binding, level));
            }
        }
        for (binding, on) in &wide_act_as {
            for m in binding.members.iter().filter(|m| {
                m.to_lowercase().starts_with("serviceaccount:") && m.to_lowercase() != member
            }) {
                identity.trust.push(member_trust(
                    m,
                    grant_conditions(binding, Some(&granted_on(*on))),
                ));
            }
        }
        let distinct: BTreeSet<&str> = impersonators
            .iter()
            .filter_map(|i| i["member"].as_str())
            .collect();
        let impersonator_count = distinct.len();

        let attributes = &mut identity.attributes;
        if let Some(id) = &account.unique_id {
            attributes.insert("uniqueId", json!(id));
        }
        if let Some(name) = &account.display_name {
            attributes.insert("displayName", json!(name));
        }
        attributes.insert("projectNumber", json!(project.number()));
        if data.policy.is_some() {
            attributes.insert("project_roles", json!(role_texts));
            let primitive: Vec<&String> = roles
                .iter()
                .filter(|r| PRIMITIVE_ROLES.contains(&r.as_str()))
                .collect();
            attributes.insert("primitive_roles", json!(primitive));
            let admin: Vec<&String> = roles.iter().filter(|r| is_cis_admin_role(r)).collect();
            attributes.insert("admin_roles", json!(admin));
        }
        if policy.is_some() || data.policy.is_some() {
            attributes.insert("impersonators", Value::Array(impersonators));
            attributes.insert("impersonator_count", json!(impersonator_count));
        }
        if data.workloads.is_some() {
            let mut used_by = workloads.get(&email).cloned().unwrap_or_default();
            used_by.sort();
            attributes.insert("workloads", json!(used_by));
            let mut full = full_scope.get(&email).cloned().unwrap_or_default();
            full.sort();
            attributes.insert("full_api_scope_instances", json!(full));
        }
        if let Some(which) = default_account(&email, project) {
            attributes.insert("default_service_account", json!(which));
        }
        if keys.is_none() {
            attributes.insert("keys_listed", json!(false));
        }

        for key in keys.iter().flatten() {
            let key_id = key.name.rsplit('/').next().unwrap_or(&key.name).to_string();
            let last_used = key_seen
                .get(&(email.clone(), key_id.clone()))
                .copied()
                .flatten();
            let mut attributes = Attributes::new();
            for (field, value) in [
                ("keyType", &key.key_type),
                ("keyOrigin", &key.key_origin),
                ("keyAlgorithm", &key.key_algorithm),
            ] {
                if let Some(value) = value {
                    attributes.insert(field.to_string(), json!(value));
                }
            }
            credentials.push(Credential {
                provider: Provider::Gcp,
                scope: scope.clone(),
                id: key.name.clone(),
                name: Some(key_id),
                kind: CredentialKind::ServiceAccountKey,
                identity_id: Some(email.clone()),
                created: time(key.valid_after_time.as_deref()),
                expires: key_expiry(key),
                last_used,
                usage_tracked: data.key_activity.is_some(),
                last_rotated: None,
                rotation_enabled: None,
                rotation_interval_days: None,
                status: if key.disabled {
                    CredentialStatus::Inactive
                } else {
                    CredentialStatus::Active
                },
                location: Location::default(),
                tags: Tags::new(),
                attributes,
            });
        }
        identities.push(identity);
    }
    (identities, credentials)
}

fn impersonator(member: &str, binding: &Binding, granted_on: &str) -> Value {
    let mut value = json!({"member": member, "role": binding.role, "granted_on": granted_on});
    if let Some(condition) = &binding.condition {
        value["condition"] = json!(condition.describe());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn project() -> Project {
        from(json!({"name": "projects/123", "projectId": "acme-prod",
                    "displayName": "Acme production", "labels": {"env": "prod", "team": "platform"}}))
    }

    fn data() -> ProjectData {
        ProjectData {
            project: project(),
            policy: Some(from(json!({"bindings": [
                {"role": "roles/editor", "members": ["serviceAccount:123-compute@developer.gserviceaccount.com"]},
                {"role": "roles/owner", "members": ["user:ana@acme.example", "serviceAccount:terraform@acme-prod.iam.gserviceaccount.com"]},
                {"role": "roles/iam.serviceAccountTokenCreator", "members": ["group:sre@acme.example"]},
                {"role": "roles/bigquery.admin", "members": ["serviceAccount:etl@acme-prod.iam.gserviceaccount.com"],
                 "condition": {"title": "until 2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}}
            ]}))),
            inherited: vec![(
                "organizations/42".to_string(),
                from(json!({"bindings": [
                    {"role": "roles/iam.securityReviewer", "members": ["serviceAccount:etl@acme-prod.iam.gserviceaccount.com"]},
                    {"role": "roles/iam.serviceAccountUser", "members": ["group:org-admins@acme.example"]}
                ]})),
            )],
            accounts: vec![
                AccountData {
                    account: from(
                        json!({"email": "etl@acme-prod.iam.gserviceaccount.com", "uniqueId": "1",
                        "description": "Nightly ETL. owner=ana@acme.example team=data"}),
                    ),
                    keys: Some(vec![
                        from(
                            json!({"name": "projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com/keys/k1",
                            "validAfterTime": "2024-01-01T00:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z",
                            "keyType": "USER_MANAGED", "keyOrigin": "GOOGLE_PROVIDED"}),
                        ),
                        from(
                            json!({"name": "projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com/keys/k2",
                            "validAfterTime": "2026-01-01T00:00:00Z", "validBeforeTime": "2026-12-31T00:00:00Z",
                            "keyType": "USER_MANAGED", "disabled": true}),
                        ),
                    ]),
                    policy: Some(from(json!({"bindings": [
                        {"role": "roles/iam.serviceAccountUser", "members": ["serviceAccount:ci@acme-prod.iam.gserviceaccount.com", "user:bob@acme.example"]},
                        {"role": "roles/iam.serviceAccountTokenCreator", "members": ["allAuthenticatedUsers"]}
                    ]}))),
                },
                AccountData {
                    account: from(
                        json!({"email": "123-compute@developer.gserviceaccount.com", "disabled": false}),
                    ),
                    keys: None,
                    policy: None,
                },
            ],
            workloads: Some(vec![Workload {
                label: "instance us-central1-a/web-1".into(),
                service_account: "123-compute@developer.gserviceaccount.com".into(),
                full_api_scope: true,
            }]),
            account_activity: Some(vec![from(json!({
                "fullResourceName": "//iam.googleapis.com/projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com",
                "activity": {"lastAuthenticatedTime": "2026-11-20T07:00:00Z"}}))]),
            key_activity: Some(vec![from(json!({
                "fullResourceName": "//iam.googleapis.com/projects/acme-prod/serviceAccounts/etl@acme-prod.iam.gserviceaccount.com/keys/k1",
                "activity": {"lastAuthenticatedTime": "2026-11-19T07:00:00Z"}}))]),
            insights: Some(vec![from(json!({
                "content": {"role": "roles/bigquery.admin",
                            "member": "serviceAccount:etl@acme-prod.iam.gserviceaccount.com",
                            "exercisedPermissions": [{"permission": "bigquery.jobs.create"}]},
                "lastRefreshTime": "2026-11-30T07:00:00Z", "observationPeriod": "7776000s",
                "targetResources": ["//cloudresourcemanager.googleapis.com/projects/123"],
                "insightSubtype": "PERMISSIONS_USAGE"}))]),
        }
    }

    #[test]
    fn policy_insights_become_the_usage_of_their_account_only() {
        let (identities, _) = build(&data());
        let etl = identities
            .iter()
            .find(|i| i.name == "etl")
            .unwrap_or_else(|| panic!("etl"));
        let usage = etl.usage.as_deref().unwrap_or_else(|| panic!("etl usage"));
        assert_eq!(usage.tracking_days, Some(90));
        assert_eq!(usage.services[0].service, "roles/bigquery.admin");
        assert_eq!(usage.services[0].used_within_days, Some(90));
        assert!(identities
            .iter()
            .filter(|i| i.name != "etl")
            .all(|i| i.usage.is_none()));
        let mut unread = data();
        unread.insights = None;
        assert!(build(&unread).0.iter().all(|i| i.usage.is_none()));
    }

    #[test]
    fn accounts_get_roles_impersonators_and_tags() {
        let (identities, _) = build(&data());
        let etl = &identities[0];
        assert_eq!(etl.id, "etl@acme-prod.iam.gserviceaccount.com");
        assert_eq!(etl.name, "etl");
        assert_eq!(etl.scope.id, "acme-prod");
        assert_eq!(etl.scope.name.as_deref(), Some("Acme production"));
        assert_eq!(etl.tags["owner"], "ana@acme.example");
        assert_eq!(
            etl.tags["team"], "data",
            "the description wins over the project label"
        );
        assert_eq!(etl.tags["env"], "prod");
        assert!(etl.activity_tracked);
        assert_eq!(etl.last_activity, time(Some("2026-11-20T07:00:00Z")));
        assert_eq!(
            etl.permissions.policies,
            ["roles/bigquery.admin", "roles/iam.securityReviewer"]
        );
        assert_eq!(etl.permissions.wildcard_actions, ["bigquery.*"]);
        assert!(!etl.permissions.admin);
        // CIS GCP 1.5 counts BigQuery Admin (conditional or not), not Security Reviewer.
        assert_eq!(
            etl.attributes["admin_roles"],
            json!(["roles/bigquery.admin"])
        );
        assert_eq!(etl.attributes["primitive_roles"], json!([]));
        assert_eq!(
            etl.attributes["project_roles"],
            json!([
                "roles/bigquery.admin (if until 2027: request.time < timestamp('2027-01-01T00:00:00Z'))",
                "roles/iam.securityReviewer (on organizations/42)"
            ])
        );
        // ci and bob on the account, allAuthenticatedUsers on it, the SRE group on the
        // project, the organisation's admins from above.
        assert_eq!(etl.attributes["impersonator_count"], json!(5));
        let levels: BTreeSet<&str> = etl.attributes["impersonators"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["granted_on"].as_str())
            .collect();
        assert_eq!(
            levels,
            BTreeSet::from(["organization", "project", "service_account"])
        );
        assert!(etl
            .trust
            .iter()
            .any(|t| t.principal == "group:org-admins@acme.example"
                && t.conditions
                    .contains(&"granted on = organizations/42".to_string())));
        let principals: Vec<(&str, PrincipalType)> = etl
            .trust
            .iter()
            .map(|t| (t.principal.as_str(), t.principal_type))
            .collect();
        assert!(principals.contains(&(
            "ci@acme-prod.iam.gserviceaccount.com",
            PrincipalType::Identity
        )));
        assert!(principals.contains(&("allAuthenticatedUsers", PrincipalType::Any)));
        assert!(principals.contains(&("group:sre@acme.example", PrincipalType::Other)));
        // Service accounts with a basic role on the project can act as it.
        assert!(principals.contains(&(
            "123-compute@developer.gserviceaccount.com",
            PrincipalType::Identity
        )));
        assert!(principals.contains(&(
            "terraform@acme-prod.iam.gserviceaccount.com",
            PrincipalType::Identity
        )));
        assert!(!principals.contains(&("user:ana@acme.example", PrincipalType::Other)));
    }

    #[test]
    fn the_default_compute_account_in_use() {
        let (identities, _) = build(&data());
        let compute = &identities[1];
        assert_eq!(compute.attributes["default_service_account"], "compute");
        assert_eq!(
            compute.attributes["workloads"],
            json!(["instance us-central1-a/web-1"])
        );
        assert_eq!(
            compute.attributes["full_api_scope_instances"],
            json!(["instance us-central1-a/web-1"])
        );
        assert_eq!(
            compute.attributes["primitive_roles"],
            json!(["roles/editor"])
        );
        assert_eq!(compute.attributes["admin_roles"], json!(["roles/editor"]));
        assert_eq!(compute.permissions.wildcard_actions, ["*"]);
        assert_eq!(compute.attributes["keys_listed"], json!(false));
        assert!(compute.activity_tracked && compute.last_activity.is_none());
    }

    #[test]
    fn keys_with_expiry_use_and_status() {
        let (_, credentials) = build(&data());
        assert_eq!(credentials.len(), 2);
        let k1 = &credentials[0];
        assert_eq!(k1.kind, CredentialKind::ServiceAccountKey);
        assert_eq!(k1.name.as_deref(), Some("k1"));
        assert_eq!(
            k1.identity_id.as_deref(),
            Some("etl@acme-prod.iam.gserviceaccount.com")
        );
        assert_eq!(k1.expires, None, "valid until 9999 is no expiry");
        assert_eq!(k1.last_used, time(Some("2026-11-19T07:00:00Z")));
        assert!(k1.usage_tracked);
        assert_eq!(k1.attributes["keyOrigin"], "GOOGLE_PROVIDED");
        let k2 = &credentials[1];
        assert_eq!(k2.status, CredentialStatus::Inactive);
        assert_eq!(k2.expires, time(Some("2026-12-31T00:00:00Z")));
        assert_eq!(k2.last_used, None);
    }

    #[test]
    fn without_activity_or_workloads_nothing_is_claimed() {
        let mut data = data();
        data.account_activity = None;
        data.key_activity = None;
        data.workloads = None;
        data.policy = None;
        data.inherited.clear();
        let (identities, credentials) = build(&data);
        assert!(!identities[0].activity_tracked);
        assert!(!credentials[0].usage_tracked);
        assert!(!identities[1].attributes.contains_key("workloads"));
        assert!(!identities[1].attributes.contains_key("primitive_roles"));
        assert!(!identities[1].attributes.contains_key("admin_roles"));
        assert!(identities[1].permissions.policies.is_empty());
    }

    #[test]
    fn admin_roles_are_the_ones_cis_gcp_1_5_names() {
        for role in [
            "roles/owner",
            "roles/editor",
            "roles/storage.admin",
            "roles/storage.objectAdmin",
            "roles/iam.securityAdmin",
            "roles/iam.serviceAccountAdmin",
            "roles/compute.instanceAdmin.v1",
            "roles/resourcemanager.projectIamAdmin",
            // Named like one, so counted, although it only reads.
            "roles/securitycenter.adminViewer",
            "projects/acme-prod/roles/dbAdmin",
            "organizations/42/roles/platform.admin",
        ] {
            assert!(is_cis_admin_role(role), "{role}");
        }
        for role in [
            "roles/viewer",
            "roles/iam.securityReviewer",
            "roles/iam.serviceAccountUser",
            "roles/bigquery.dataEditor",
            "roles/storage.objectViewer",
            // The project's name does not make its custom role an admin one.
            "projects/admin-tools/roles/viewer",
            "roles/ADMIN",
        ] {
            assert!(!is_cis_admin_role(role), "{role}");
        }
    }

    #[test]
    fn description_tags_are_key_value_words() {
        let tags =
            description_tags("Exports to partners; owner=ana@acme.example, team=data. a=b=c =x y=");
        assert_eq!(tags["owner"], "ana@acme.example");
        assert_eq!(tags["team"], "data");
        assert_eq!(tags["a"], "b=c");
        assert_eq!(tags.len(), 3);
    }
}
