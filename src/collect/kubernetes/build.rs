//! From the listed objects to inventory: one identity per ServiceAccount with what RBAC
//! grants it, its owner tags and the workloads that run as it; one `token` credential per
//! legacy service-account token Secret (metadata only).

use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind, Location,
    PrincipalType, Provider, Scope, Tags, Trust,
};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The Secret type of a legacy, long-lived service-account token.
pub const TOKEN_SECRET_TYPE: &str = "kubernetes.io/service-account-token";
/// The annotation naming a token Secret's ServiceAccount.
pub const TOKEN_SA_ANNOTATION: &str = "kubernetes.io/service-account.name";

/// A workload that runs as a ServiceAccount: `Deployment/payments/payments-api`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Workload {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub service_account: String,
}

/// Everything listed from one cluster. `workloads` is `None` when some workload kind
/// could not be listed (then "no workload uses it" cannot be said).
#[derive(Debug, Default)]
pub struct ClusterData {
    pub service_accounts: Vec<ServiceAccount>,
    /// Metadata only: the collector never keeps a token Secret's `data`.
    pub token_secrets: Vec<Secret>,
    pub workloads: Option<Vec<Workload>>,
    pub roles: Vec<Role>,
    pub cluster_roles: Vec<ClusterRole>,
    pub role_bindings: Vec<RoleBinding>,
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
}

/// Privileged (group, resource, verb) pairs reported in `privileged_actions`.
const PRIVILEGED: &[(&str, &str, &str)] = &[
    ("", "secrets", "get"),
    ("", "secrets", "list"),
    ("", "secrets", "watch"),
    ("", "pods/exec", "create"),
    ("", "pods/attach", "create"),
    ("", "pods", "create"),
    ("", "serviceaccounts/token", "create"),
    ("", "serviceaccounts", "impersonate"),
    ("", "users", "impersonate"),
    ("", "groups", "impersonate"),
    ("", "nodes/proxy", "get"),
    ("rbac.authorization.k8s.io", "roles", "bind"),
    ("rbac.authorization.k8s.io", "roles", "escalate"),
    ("rbac.authorization.k8s.io", "clusterroles", "bind"),
    ("rbac.authorization.k8s.io", "clusterroles", "escalate"),
    ("rbac.authorization.k8s.io", "rolebindings", "create"),
    ("rbac.authorization.k8s.io", "clusterrolebindings", "create"),
];

/// Grants that let their holder act as another ServiceAccount: impersonate it, mint its
/// tokens, or run a Pod as it — directly, or by creating or changing the Pod template of
/// a workload controller — (any ServiceAccount of the namespace); or take over a
/// workload that already runs as it — a command in its Pods (`exec`), their terminal
/// (`attach`), or a container added to them (`ephemeralcontainers`), where its token is
/// mounted — (the ServiceAccounts that workloads run as). The reason names the verb in
/// the delegation graph.
const ACTS_AS: &[(&str, &str, &str, Reach)] = &[
    ("", "serviceaccounts", "impersonate", Reach::Named),
    ("", "serviceaccounts/token", "create", Reach::Named),
    ("", "pods", "create", Reach::Namespace),
    ("apps", "deployments", "create", Reach::Namespace),
    ("apps", "statefulsets", "create", Reach::Namespace),
    ("apps", "daemonsets", "create", Reach::Namespace),
    ("apps", "replicasets", "create", Reach::Namespace),
    ("batch", "jobs", "create", Reach::Namespace),
    ("batch", "cronjobs", "create", Reach::Namespace),
    ("apps", "deployments", "patch", Reach::Namespace),
    ("apps", "deployments", "update", Reach::Namespace),
    ("apps", "statefulsets", "patch", Reach::Namespace),
    ("apps", "statefulsets", "update", Reach::Namespace),
    ("apps", "daemonsets", "patch", Reach::Namespace),
    ("apps", "daemonsets", "update", Reach::Namespace),
    ("batch", "cronjobs", "patch", Reach::Namespace),
    ("batch", "cronjobs", "update", Reach::Namespace),
    ("", "pods/exec", "create", Reach::Running),
    ("", "pods/attach", "create", Reach::Running),
    ("", "pods/ephemeralcontainers", "patch", Reach::Running),
    ("", "pods/ephemeralcontainers", "update", Reach::Running),
];

/// Which ServiceAccounts of the namespace a grant in [`ACTS_AS`] reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Every one, or those its `resourceNames` name.
    Named,
    /// Every one (`resourceNames` name workloads, whose Pods may run as any).
    Namespace,
    /// Those a listed workload runs as (its Pods are there to take over); with
    /// `resourceNames`, only workloads whose Pods they name (`api-7d9f…` of `api`).
    Running,
}

/// Whom one ServiceAccount may act as: ServiceAccounts of `namespace` (`None`: every
/// namespace), only those named when `names` is set; with `running`, only those a
/// workload runs as (and, with `pods`, whose Pods are named there).
struct ActsAs {
    namespace: Option<String>,
    names: Option<Vec<String>>,
    running: bool,
    pods: Option<Vec<String>>,
    /// The binding that grants it: one edge per binding, the first grant's reason.
    binding: String,
    reason: String,
}

/// Parses a Kubernetes timestamp.
pub fn time(t: &Time) -> Option<DateTime<Utc>> {
    crate::inventory::time::parse(&t.0.to_string())
}

fn created(meta: &ObjectMeta) -> Option<DateTime<Utc>> {
    meta.creation_timestamp.as_ref().and_then(time)
}

/// One binding of a role to a subject set, with the rules it grants.
struct Grant<'a> {
    /// `None`: cluster-wide (a ClusterRoleBinding).
    namespace: Option<&'a str>,
    binding: String,
    role: String,
    role_ref_kind: &'a str,
    role_name: &'a str,
    rules: &'a [PolicyRule],
    subjects: Vec<(&'a str, &'a str, Option<&'a str>)>,
}

fn has(values: &[String], wanted: &str) -> bool {
    values.iter().any(|v| v == "*" || v == wanted)
}

fn grants(rule: &PolicyRule, group: &str, resource: &str, verb: &str) -> bool {
    has(&rule.verbs, verb)
        && rule.api_groups.as_deref().is_some_and(|g| has(g, group))
        && rule.resources.as_deref().is_some_and(|r| has(r, resource))
}

fn resource_label(group: &str, resource: &str) -> String {
    match group {
        "" => resource.to_string(),
        "*" if resource == "*" => "*".into(),
        _ => format!("{resource}.{group}"),
    }
}

/// The inventory of one cluster.
pub fn build(scope: &Scope, data: &ClusterData) -> (Vec<Identity>, Vec<Credential>) {
    let cluster_roles: HashMap<&str, &[PolicyRule]> = data
        .cluster_roles
        .iter()
        .filter_map(|r| {
            Some((
                r.metadata.name.as_deref()?,
                r.rules.as_deref().unwrap_or(&[]),
            ))
        })
        .collect();
    let roles: HashMap<(&str, &str), &[PolicyRule]> = data
        .roles
        .iter()
        .filter_map(|r| {
            Some((
                (
                    r.metadata.namespace.as_deref()?,
                    r.metadata.name.as_deref()?,
                ),
                r.rules.as_deref().unwrap_or(&[]),
            ))
        })
        .collect();
    let mut all_grants = Vec::new();
    for b in &data.cluster_role_bindings {
        let name = b.metadata.name.as_deref().unwrap_or_default();
        all_grants.push(Grant {
            namespace: None,
            binding: format!("ClusterRoleBinding/{name}"),
            role: b.role_ref.name.clone(),
            role_ref_kind: &b.role_ref.kind,
            role_name: &b.role_ref.name,
            rules: cluster_roles
                .get(b.role_ref.name.as_str())
                .copied()
                .unwrap_or(&[]),
            subjects: subjects(b.subjects.as_deref()),
        });
    }
    for b in &data.role_bindings {
        let name = b.metadata.name.as_deref().unwrap_or_default();
        let Some(namespace) = b.metadata.namespace.as_deref() else {
            continue;
        };
        let rules = if b.role_ref.kind == "ClusterRole" {
            cluster_roles.get(b.role_ref.name.as_str()).copied()
        } else {
            roles.get(&(namespace, b.role_ref.name.as_str())).copied()
        };
        all_grants.push(Grant {
            namespace: Some(namespace),
            binding: format!("RoleBinding/{namespace}/{name}"),
            role: b.role_ref.name.clone(),
            role_ref_kind: &b.role_ref.kind,
            role_name: &b.role_ref.name,
            rules: rules.unwrap_or(&[]),
            subjects: subjects(b.subjects.as_deref()),
        });
    }

    let mut workloads: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    if let Some(list) = &data.workloads {
        for w in list {
            workloads
                .entry((w.namespace.clone(), w.service_account.clone()))
                .or_default()
                .insert(format!("{}/{}/{}", w.kind, w.namespace, w.name));
        }
    }

    let mut identities = Vec::new();
    let mut all_acts_as: Vec<Vec<ActsAs>> = Vec::new();
    for sa in &data.service_accounts {
        let (Some(namespace), Some(name)) = (
            sa.metadata.namespace.as_deref(),
            sa.metadata.name.as_deref(),
        ) else {
            continue;
        };
        let id = format!("system:serviceaccount:{namespace}:{name}");
        let mut identity = Identity::new(
            Provider::Kubernetes,
            scope.clone(),
            &id,
            format!("{namespace}/{name}"),
            IdentityKind::ServiceAccount,
        );
        identity.created = created(&sa.metadata);
        identity.tags = tags(&sa.metadata);
        if let Some(description) = annotation(&sa.metadata, "description") {
            identity.description = Some(description.to_string());
        }
        let attributes = &mut identity.attributes;
        attributes.insert("namespace", json!(namespace));
        attributes.insert("service_account", json!(name));
        attributes.insert(
            "automount_token",
            json!(sa.automount_service_account_token.unwrap_or(true)),
        );
        for key in [
            "eks.amazonaws.com/role-arn",
            "iam.gke.io/gcp-service-account",
            "azure.workload.identity/client-id",
        ] {
            if let Some(value) = annotation(&sa.metadata, key) {
                attributes.insert(key, json!(value));
            }
        }
        if data.workloads.is_some() {
            let used: Vec<String> = workloads
                .get(&(namespace.to_string(), name.to_string()))
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default();
            attributes.insert("workloads", json!(used));
        }

        let mut bindings = Vec::new();
        let mut acts_as = Vec::new();
        let mut reads_all_secrets = false;
        let mut wildcard = BTreeSet::new();
        let mut privileged = BTreeSet::new();
        let permissions = &mut identity.permissions;
        for grant in &all_grants {
            let Some(via) = grant
                .subjects
                .iter()
                .find_map(|s| subject_matches(*s, grant.namespace, namespace, name))
            else {
                continue;
            };
            permissions
                .policies
                .push(format!("{}: {}", grant.binding, grant.role));
            bindings.push(json!({
                "binding": grant.binding,
                "role": format!("{}/{}", grant.role_ref_kind, grant.role_name),
                "subject": via,
            }));
            let suffix = grant
                .namespace
                .map(|ns| format!(" in {ns}"))
                .unwrap_or_default();
            let cluster_wide = grant.namespace.is_none();
            if cluster_wide
                && grant.role_ref_kind == "ClusterRole"
                && grant.role_name == "cluster-admin"
            {
                permissions.admin = true;
            }
            for rule in grant.rules {
                let all = |v: Option<&[String]>| v.is_some_and(|v| v.iter().any(|x| x == "*"));
                if cluster_wide
                    && all(rule.api_groups.as_deref())
                    && all(rule.resources.as_deref())
                    && all(Some(&rule.verbs))
                {
                    permissions.admin = true;
                }
                for group in rule.api_groups.iter().flatten() {
                    for resource in rule.resources.iter().flatten() {
                        let label = resource_label(group, resource);
                        if rule.verbs.iter().any(|v| v == "*") {
                            wildcard.insert(if label == "*" {
                                format!("*{suffix}")
                            } else {
                                format!("{label}/*{suffix}")
                            });
                        } else if resource == "*" || group == "*" {
                            for verb in &rule.verbs {
                                wildcard.insert(format!("{label}/{verb}{suffix}"));
                            }
                        }
                    }
                }
                for (group, resource, verb, reach) in ACTS_AS {
                    if grants(rule, group, resource, verb) {
                        let named = rule.resource_names.clone().filter(|n| !n.is_empty());
                        acts_as.push(ActsAs {
                            namespace: grant.namespace.map(str::to_string),
                            names: named.clone().filter(|_| *reach == Reach::Named),
                            running: *reach == Reach::Running,
                            pods: named.filter(|_| *reach == Reach::Running),
                            binding: grant.binding.clone(),
                            reason: format!(
                                "{}/{verb} via {}",
                                resource_label(group, resource),
                                grant.binding
                            ),
                        });
                    }
                }
                for (group, resource, verb) in PRIVILEGED {
                    if grants(rule, group, resource, verb) {
                        privileged.insert(format!(
                            "{}/{verb}{suffix}",
                            resource_label(group, resource)
                        ));
                        if cluster_wide
                            && *resource == "secrets"
                            && rule.resource_names.as_deref().is_none_or(<[_]>::is_empty)
                        {
                            reads_all_secrets = true;
                        }
                    }
                }
            }
        }
        if permissions.admin {
            reads_all_secrets = true;
        }
        permissions.wildcard_actions = wildcard.into_iter().collect();
        permissions.privileged_actions = privileged.into_iter().collect();
        let attributes = &mut identity.attributes;
        attributes.insert("bindings", Value::Array(bindings));
        attributes.insert("reads_all_secrets", json!(reads_all_secrets));
        // An administrator already holds everything: its edges would say nothing.
        if identity.permissions.admin {
            acts_as.clear();
        }
        all_acts_as.push(acts_as);
        identities.push(identity);
    }
    add_acts_as_trust(&mut identities, &all_acts_as);

    let credentials = data
        .token_secrets
        .iter()
        .filter_map(|secret| token_credential(scope, &secret.metadata))
        .collect();
    (identities, credentials)
}

/// Records on each ServiceAccount who may act as it (a trust entry naming the other
/// ServiceAccount, which the delegation graph turns into an edge).
fn add_acts_as_trust(identities: &mut [Identity], all_acts_as: &[Vec<ActsAs>]) {
    let targets: Vec<(String, String, Vec<String>)> = identities
        .iter()
        .map(|i| {
            let attribute = |key: &str| {
                i.attributes
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let workloads = i
                .attributes
                .get("workloads")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            (
                attribute("namespace"),
                attribute("service_account"),
                workloads,
            )
        })
        .collect();
    let mut trust: Vec<Vec<Trust>> = vec![Vec::new(); identities.len()];
    let mut granted: HashSet<(usize, usize, &str)> = HashSet::new();
    for (from, acts_as) in all_acts_as.iter().enumerate() {
        for grant in acts_as {
            for (to, (namespace, name, workloads)) in targets.iter().enumerate() {
                let in_scope = grant.namespace.as_deref().is_none_or(|ns| ns == namespace)
                    && grant
                        .names
                        .as_ref()
                        .is_none_or(|names| names.iter().any(|n| n == name));
                if to == from || !in_scope {
                    continue;
                }
                let reason = if grant.running {
                    let taken: Vec<&str> = workloads
                        .iter()
                        .map(String::as_str)
                        .filter(|w| runs_named_pod(w, grant.pods.as_deref()))
                        .collect();
                    if taken.is_empty() {
                        continue;
                    }
                    format!(
                        "{} into the Pods of {}, which run as it",
                        grant.reason,
                        taken.join(", ")
                    )
                } else {
                    grant.reason.clone()
                };
                if !granted.insert((from, to, grant.binding.as_str())) {
                    continue;
                }
                trust[to].push(Trust {
                    principal: identities[from].id.clone(),
                    principal_type: PrincipalType::Identity,
                    conditions: vec![reason],
                });
            }
        }
    }
    for (identity, entries) in identities.iter_mut().zip(trust) {
        identity.trust.extend(entries);
    }
}

/// Whether `workload` (`Deployment/ns/api`) has a Pod among `pods` (`api-7d9f-x2x`,
/// `api-0`), or any Pod when no names restrict the grant.
fn runs_named_pod(workload: &str, pods: Option<&[String]>) -> bool {
    let name = workload.rsplit('/').next().unwrap_or(workload);
    pods.is_none_or(|pods| {
        pods.iter().any(|pod| {
            pod.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('-'))
        })
    })
}

/// `(kind, name, namespace)` of each subject.
fn subjects(
    list: Option<&[k8s_openapi::api::rbac::v1::Subject]>,
) -> Vec<(&str, &str, Option<&str>)> {
    list.unwrap_or_default()
        .iter()
        .map(|s| (s.kind.as_str(), s.name.as_str(), s.namespace.as_deref()))
        .collect()
}

/// How a subject names the ServiceAccount `namespace/name`, if it does: directly, or
/// through the `system:serviceaccounts[:<namespace>]` groups or its user name.
fn subject_matches(
    (kind, subject, subject_namespace): (&str, &str, Option<&str>),
    binding_namespace: Option<&str>,
    namespace: &str,
    name: &str,
) -> Option<String> {
    match kind {
        "ServiceAccount" => (subject == name
            && subject_namespace.or(binding_namespace) == Some(namespace))
        .then(|| "ServiceAccount".to_string()),
        "Group" => (subject == "system:serviceaccounts"
            || subject == format!("system:serviceaccounts:{namespace}"))
        .then(|| format!("Group {subject}")),
        "User" => (subject == format!("system:serviceaccount:{namespace}:{name}"))
            .then(|| "User".to_string()),
        _ => None,
    }
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

/// Labels as they are, plus owner-like labels and annotations (`owner`, `team`,
/// `contact`, `example.com/owner`...) also under their last path segment, so that the
/// owner resolver finds them.
fn tags(meta: &ObjectMeta) -> Tags {
    let mut tags: Tags = meta.labels.clone().unwrap_or_default().into();
    let owner_like = |key: &str| {
        matches!(
            key,
            "owner"
                | "Owner"
                | "owner-email"
                | "owner_email"
                | "team"
                | "Team"
                | "contact"
                | "created-by"
        )
    };
    let mut short = Vec::new();
    for (key, value) in meta
        .labels
        .iter()
        .flatten()
        .chain(meta.annotations.iter().flatten())
    {
        let last = key.rsplit('/').next().unwrap_or(key);
        if owner_like(last) {
            if last != key {
                short.push((last.to_string(), value.clone()));
            }
            tags.insert(key.as_str(), value.as_str());
        }
    }
    for (key, value) in short {
        tags.entry(key.into()).or_insert(value.into());
    }
    tags
}

/// Label the API server (1.29+, LegacyServiceAccountTokenCleanUp) sets on a legacy token
/// it no longer accepts: the token is invalid and due for deletion.
pub const TOKEN_INVALID_SINCE_LABEL: &str = "kubernetes.io/legacy-token-invalid-since";
/// Label the API server (1.28+) sets to the day a legacy token was last used.
pub const TOKEN_LAST_USED_LABEL: &str = "kubernetes.io/legacy-token-last-used";

/// A date label (`2024-05-01`) as midnight UTC.
fn label_date(meta: &ObjectMeta, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    meta.labels
        .as_ref()
        .and_then(|labels| labels.get(key))
        .and_then(|value| crate::inventory::time::parse(value))
}

/// A legacy token Secret as a credential: its metadata only. One the API server has
/// invalidated is inactive; the day it was last used comes from the server's label
/// (tracking began with Kubernetes 1.28, so no label still means "unknown").
fn token_credential(scope: &Scope, meta: &ObjectMeta) -> Option<Credential> {
    let namespace = meta.namespace.as_deref()?;
    let name = meta.name.as_deref()?;
    let identity_id = annotation(meta, TOKEN_SA_ANNOTATION)
        .map(|sa| format!("system:serviceaccount:{namespace}:{sa}"));
    let mut attributes = Attributes::new();
    attributes.insert("secretType", json!(TOKEN_SECRET_TYPE));
    attributes.insert("namespace", json!(namespace));
    let invalid_since = label_date(meta, TOKEN_INVALID_SINCE_LABEL);
    if let Some(since) = invalid_since {
        attributes.insert("invalid_since", json!(since));
    }
    Some(Credential {
        provider: Provider::Kubernetes,
        scope: scope.clone(),
        id: format!("{namespace}/{name}"),
        name: Some(name.to_string()),
        kind: CredentialKind::Token,
        identity_id,
        created: created(meta),
        expires: None,
        last_used: label_date(meta, TOKEN_LAST_USED_LABEL),
        usage_tracked: false,
        last_rotated: None,
        rotation_enabled: None,
        rotation_interval_days: None,
        status: if invalid_since.is_some() {
            CredentialStatus::Inactive
        } else {
            CredentialStatus::Active
        },
        location: Location::default(),
        tags: meta.labels.clone().unwrap_or_default().into(),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ScopeKind;

    fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn invalidated_legacy_tokens_are_inactive_and_last_use_comes_from_the_label() {
        let scope = Scope {
            kind: ScopeKind::Cluster,
            id: "c".into(),
            name: None,
        };
        let meta = |labels: Value| -> ObjectMeta {
            from(json!({"name": "t", "namespace": "ci", "labels": labels,
                "annotations": {TOKEN_SA_ANNOTATION: "deployer"}}))
        };
        let live = token_credential(&scope, &meta(json!({TOKEN_LAST_USED_LABEL: "2025-11-02"})))
            .unwrap_or_else(|| panic!("no credential"));
        assert_eq!(live.status, CredentialStatus::Active);
        assert_eq!(
            live.last_used.map(|t| t.to_rfc3339()),
            Some("2025-11-02T00:00:00+00:00".to_string())
        );
        assert!(!live.usage_tracked, "no label still means unknown use");
        let dead = token_credential(
            &scope,
            &meta(json!({TOKEN_INVALID_SINCE_LABEL: "2025-12-01"})),
        )
        .unwrap_or_else(|| panic!("no credential"));
        assert_eq!(dead.status, CredentialStatus::Inactive);
        assert!(dead.attributes.contains_key("invalid_since"));
    }

    #[test]
    fn rbac_grants_become_admin_wildcards_privileges_and_secret_reads() {
        let scope = Scope {
            kind: ScopeKind::Cluster,
            id: "c".into(),
            name: None,
        };
        let data = ClusterData {
            service_accounts: vec![
                from(json!({"metadata": {"name": "admin", "namespace": "a",
                    "labels": {"example.com/owner": "ann@example.com"}}})),
                from(json!({"metadata": {"name": "deployer", "namespace": "ci"},
                    "automountServiceAccountToken": false})),
                from(json!({"metadata": {"name": "default", "namespace": "ci"}})),
            ],
            workloads: Some(vec![Workload {
                kind: "Deployment".into(),
                namespace: "ci".into(),
                name: "runner".into(),
                service_account: "deployer".into(),
            }]),
            cluster_roles: vec![
                from(json!({"metadata": {"name": "cluster-admin"},
                    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]})),
                from(json!({"metadata": {"name": "secret-reader"},
                    "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]})),
            ],
            roles: vec![from(
                json!({"metadata": {"name": "deployer", "namespace": "ci"},
                "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]},
                          {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}),
            )],
            cluster_role_bindings: vec![from(json!({"metadata": {"name": "admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "ServiceAccount", "name": "admin", "namespace": "a"}]}))],
            role_bindings: vec![
                from(json!({"metadata": {"name": "deployer", "namespace": "ci"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"},
                    "subjects": [{"kind": "ServiceAccount", "name": "deployer"}]})),
                from(json!({"metadata": {"name": "readers", "namespace": "ci"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"},
                    "subjects": [{"kind": "Group", "name": "system:serviceaccounts:ci"}]})),
            ],
            ..ClusterData::default()
        };
        let (identities, _) = build(&scope, &data);
        let admin = &identities[0];
        assert_eq!(admin.id, "system:serviceaccount:a:admin");
        assert!(admin.permissions.admin);
        assert_eq!(admin.permissions.wildcard_actions, ["*"]);
        assert_eq!(admin.attributes["reads_all_secrets"], true);
        assert_eq!(admin.attributes["workloads"], json!([]));
        assert_eq!(admin.tags["owner"], "ann@example.com");
        let deployer = &identities[1];
        assert!(!deployer.permissions.admin);
        assert_eq!(
            deployer.permissions.wildcard_actions,
            ["deployments.apps/* in ci"]
        );
        assert!(deployer
            .permissions
            .privileged_actions
            .contains(&"pods/exec/create in ci".to_string()));
        assert!(deployer
            .permissions
            .privileged_actions
            .contains(&"secrets/list in ci".to_string()));
        assert_eq!(deployer.attributes["reads_all_secrets"], false);
        assert_eq!(deployer.attributes["automount_token"], false);
        assert_eq!(
            deployer.attributes["workloads"],
            json!(["Deployment/ci/runner"])
        );
        let default = &identities[2];
        assert_eq!(
            default.permissions.policies,
            ["RoleBinding/ci/readers: secret-reader"]
        );
        // `deployments/*` in ci: the deployer can run Pods as any ServiceAccount of ci. The
        // administrator could act as anyone, but its edges would say nothing.
        assert_eq!(default.trust.len(), 1);
        assert_eq!(
            default.trust[0].principal,
            "system:serviceaccount:ci:deployer"
        );
        assert_eq!(
            default.trust[0].conditions,
            ["deployments.apps/create via RoleBinding/ci/deployer"]
        );
        assert!(admin.trust.is_empty() && deployer.trust.is_empty());
        assert_eq!(
            default.attributes["bindings"][0]["subject"],
            "Group system:serviceaccounts:ci"
        );
    }

    #[test]
    fn impersonation_token_minting_and_pod_creation_are_trust_edges() {
        let scope = Scope {
            kind: ScopeKind::Cluster,
            id: "c".into(),
            name: None,
        };
        let sa = |ns: &str, name: &str| from(json!({"metadata": {"name": name, "namespace": ns}}));
        let data = ClusterData {
            service_accounts: vec![
                sa("ops", "impersonator"),
                sa("ci", "minter"),
                sa("ci", "deployer"),
                sa("payments", "api"),
                sa("payments", "batch"),
            ],
            cluster_roles: vec![from(json!({"metadata": {"name": "impersonate-api"},
                "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"],
                           "resourceNames": ["api"]}]}))],
            roles: vec![
                from(
                    json!({"metadata": {"name": "mint", "namespace": "payments"},
                    "rules": [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]}),
                ),
                from(json!({"metadata": {"name": "run-pods", "namespace": "ci"},
                    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get"]}]})),
            ],
            cluster_role_bindings: vec![from(json!({"metadata": {"name": "impersonate-api"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "impersonate-api"},
                "subjects": [{"kind": "ServiceAccount", "name": "impersonator", "namespace": "ops"}]}))],
            role_bindings: vec![
                from(
                    json!({"metadata": {"name": "mint", "namespace": "payments"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "mint"},
                    "subjects": [{"kind": "ServiceAccount", "name": "minter", "namespace": "ci"}]}),
                ),
                from(json!({"metadata": {"name": "run-pods", "namespace": "ci"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "run-pods"},
                    "subjects": [{"kind": "ServiceAccount", "name": "deployer"}]})),
            ],
            ..ClusterData::default()
        };
        let (identities, _) = build(&scope, &data);
        let trusted_by = |id: &str| -> Vec<(String, String)> {
            identities
                .iter()
                .find(|i| i.id == id)
                .map(|i| {
                    i.trust
                        .iter()
                        .map(|t| (t.principal.clone(), t.conditions.join("; ")))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(
            trusted_by("system:serviceaccount:payments:api"),
            [
                (
                    "system:serviceaccount:ops:impersonator".to_string(),
                    "serviceaccounts/impersonate via ClusterRoleBinding/impersonate-api"
                        .to_string()
                ),
                (
                    "system:serviceaccount:ci:minter".to_string(),
                    "serviceaccounts/token/create via RoleBinding/payments/mint".to_string()
                ),
            ]
        );
        assert_eq!(
            trusted_by("system:serviceaccount:payments:batch"),
            [(
                "system:serviceaccount:ci:minter".to_string(),
                "serviceaccounts/token/create via RoleBinding/payments/mint".to_string()
            )]
        );
        // Creating Pods in ci runs them as any ServiceAccount of ci, but not as itself.
        assert_eq!(
            trusted_by("system:serviceaccount:ci:minter"),
            [(
                "system:serviceaccount:ci:deployer".to_string(),
                "pods/create via RoleBinding/ci/run-pods".to_string()
            )]
        );
        assert!(trusted_by("system:serviceaccount:ci:deployer").is_empty());
        assert!(trusted_by("system:serviceaccount:ops:impersonator").is_empty());
    }

    /// `exec`, `attach` and ephemeral containers take over the Pods that run: edges to
    /// the ServiceAccounts workloads run as, none to one nothing runs as; `resourceNames`
    /// (Pod names) narrow them to the workloads of those Pods.
    #[test]
    fn exec_into_running_pods_takes_over_their_service_accounts() {
        let scope = Scope {
            kind: ScopeKind::Cluster,
            id: "c".into(),
            name: None,
        };
        let sa = |ns: &str, name: &str| from(json!({"metadata": {"name": name, "namespace": ns}}));
        let workload = |kind: &str, name: &str, sa: &str| Workload {
            kind: kind.into(),
            namespace: "payments".into(),
            name: name.into(),
            service_account: sa.into(),
        };
        let role = |name: &str, rule: Value| {
            from(json!({"metadata": {"name": name, "namespace": "payments"}, "rules": [rule]}))
        };
        let binding = |name: &str, subject: &str| {
            from(json!({"metadata": {"name": name, "namespace": "payments"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": subject, "namespace": "ops"}]}))
        };
        let data = ClusterData {
            service_accounts: vec![
                sa("ops", "debugger"),
                sa("ops", "one-pod"),
                sa("payments", "api"),
                sa("payments", "ledger"),
                sa("payments", "idle"),
            ],
            workloads: Some(vec![
                workload("Deployment", "api", "api"),
                workload("StatefulSet", "ledger", "ledger"),
            ]),
            roles: vec![
                role(
                    "debug",
                    json!({"apiGroups": [""], "resources": ["pods/exec", "pods/attach"],
                    "verbs": ["create"]}),
                ),
                role(
                    "one-pod",
                    json!({"apiGroups": [""], "resources": ["pods/exec"],
                    "verbs": ["create"], "resourceNames": ["ledger-0"]}),
                ),
            ],
            role_bindings: vec![binding("debug", "debugger"), binding("one-pod", "one-pod")],
            ..ClusterData::default()
        };
        let (identities, _) = build(&scope, &data);
        let trusted_by = |id: &str| -> Vec<String> {
            identities
                .iter()
                .find(|i| i.id == format!("system:serviceaccount:payments:{id}"))
                .map(|i| {
                    i.trust
                        .iter()
                        .map(|t| format!("{} {}", t.principal, t.conditions.join("; ")))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(
            trusted_by("api"),
            ["system:serviceaccount:ops:debugger pods/exec/create via RoleBinding/payments/debug \
              into the Pods of Deployment/payments/api, which run as it"]
        );
        assert_eq!(
            trusted_by("ledger"),
            [
                "system:serviceaccount:ops:debugger pods/exec/create via RoleBinding/payments/debug \
                 into the Pods of StatefulSet/payments/ledger, which run as it",
                "system:serviceaccount:ops:one-pod pods/exec/create via RoleBinding/payments/one-pod \
                 into the Pods of StatefulSet/payments/ledger, which run as it"
            ]
        );
        // Nothing runs as idle: there is no Pod to take over.
        assert!(trusted_by("idle").is_empty());
    }
}
