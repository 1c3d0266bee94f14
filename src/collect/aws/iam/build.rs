//! Turns what IAM returned into inventory identities and credentials: permissions
//! (through groups too), trust, keys, attributes.

use super::{certificate, service_credentials, usage, IamOutcome, UserKeys, UserWork};
use crate::collect::aws::effective::{self, Caller, Statement};
use crate::collect::aws::iam_policy::{self, ADMINISTRATOR_ACCESS_ARN};
use crate::collect::aws::scp::ServiceControl;
use crate::collect::aws::{time, trust};
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind, Location,
    Permissions, Provider, Scope, Tags, Usage,
};
use aws_sdk_iam::types::{
    AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDetail, RoleDetail, StatusType, Tag,
    UserDetail,
};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// The ARN prefix of AWS managed policies.
const AWS_MANAGED_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// AWS managed policies that cover every service (read-only, audit, power user): their
/// grants in AI services are no evidence that the identity is an AI agent.
const SERVICE_WIDE_MANAGED_POLICIES: &[&str] = &[
    "ReadOnlyAccess",
    "ViewOnlyAccess",
    "job-function/ViewOnlyAccess",
    "SecurityAudit",
    "PowerUserAccess",
    "AdministratorAccess",
    "job-function/SupportUser",
    "AWSSupportAccess",
];

/// One policy's statements, and whether it covers every service (its AI grants are no
/// evidence of what the identity is for).
#[derive(Debug, Clone, Default)]
pub(super) struct Policy {
    statements: Arc<Vec<Statement>>,
    service_wide: bool,
}

/// Managed policies by ARN, each parsed at most once, and the SCPs over the account.
pub(super) struct PolicyBook<'a> {
    managed: &'a HashMap<String, ManagedPolicyDetail>,
    cache: HashMap<String, Policy>,
    service_control: Option<Arc<ServiceControl>>,
    pub(super) problems: Vec<String>,
    /// Service last accessed data by ARN (`--usage`), taken by each identity built.
    pub(super) usage: HashMap<String, Usage>,
}

impl<'a> PolicyBook<'a> {
    pub(super) fn new(
        managed: &'a HashMap<String, ManagedPolicyDetail>,
        service_control: Option<Arc<ServiceControl>>,
    ) -> Self {
        PolicyBook {
            managed,
            cache: HashMap::new(),
            service_control,
            problems: Vec::new(),
            usage: HashMap::new(),
        }
    }

    fn attached(&mut self, policy: &AttachedPolicy) -> Policy {
        match policy.policy_arn() {
            Some(arn) => self.managed_policy(arn),
            None => Policy::default(),
        }
    }

    /// A managed policy by ARN (attached, or a permissions boundary).
    fn managed_policy(&mut self, arn: &str) -> Policy {
        if let Some(policy) = self.cache.get(arn) {
            return policy.clone();
        }
        let statements = if arn == ADMINISTRATOR_ACCESS_ARN {
            vec![Statement::allow_all()]
        } else {
            let document = self.managed.get(arn).and_then(|p| {
                let default = p.default_version_id();
                p.policy_version_list()
                    .iter()
                    .find(|v| {
                        v.is_default_version() || (default.is_some() && v.version_id() == default)
                    })
                    .and_then(|v| v.document())
            });
            match document {
                Some(doc) => self.parse(doc, arn),
                None => {
                    self.problems.push(format!(
                        "the document of managed policy {arn} was not returned; its grants are unknown"
                    ));
                    Vec::new()
                }
            }
        };
        let policy = Policy {
            statements: Arc::new(statements),
            service_wide: SERVICE_WIDE_MANAGED_POLICIES
                .iter()
                .any(|name| arn.strip_prefix(AWS_MANAGED_POLICY_PREFIX) == Some(*name)),
        };
        self.cache.insert(arn.to_string(), policy.clone());
        policy
    }

    fn inline(&mut self, policy: &PolicyDetail, owner: &str) -> Policy {
        let statements = match policy.policy_document() {
            Some(doc) => self.parse(
                doc,
                &format!("{} of {owner}", policy.policy_name().unwrap_or("?")),
            ),
            None => Vec::new(),
        };
        Policy {
            statements: Arc::new(statements),
            service_wide: false,
        }
    }

    fn parse(&mut self, document: &str, what: &str) -> Vec<Statement> {
        match iam_policy::parse_document(document) {
            Ok(value) => effective::parse(&value),
            Err(e) => {
                self.problems
                    .push(format!("policy {what} is unreadable: {e:#}"));
                Vec::new()
            }
        }
    }
}

/// Accumulates an identity's policies and their names, its boundary and the SCPs over
/// it.
#[derive(Default)]
struct PermissionsBuilder {
    policies: Vec<Policy>,
    names: Vec<String>,
    boundary: Option<Policy>,
    service_control: Option<Arc<ServiceControl>>,
    /// Whose permissions these are: conditions on its ARN or name are decided.
    caller: Option<Caller>,
}

impl PermissionsBuilder {
    fn add(&mut self, name: String, policy: Policy) {
        self.policies.push(policy);
        if !self.names.contains(&name) {
            self.names.push(name);
        }
    }

    /// The effective permissions, and the `assume_role_targets`, `ai_actions`,
    /// `privileged_grants` and `conditional_actions` attributes when there are any; each
    /// service of `usage` gets its statements ([`usage::narrow`]).
    fn build(self, attributes: &mut Attributes, usage: Option<&mut Usage>) -> Permissions {
        // Each policy as it applies to this caller (conditions on who it is decided).
        let caller = self.caller.as_ref();
        let resolved: Vec<(Cow<'_, [Statement]>, bool)> = self
            .policies
            .iter()
            .map(|p| (for_caller(&p.statements, caller), p.service_wide))
            .collect();
        // The boundary, then each SCP level: all must allow what is allowed.
        let resolved_limits: Vec<Cow<'_, [Statement]>> = self
            .boundary
            .iter()
            .map(|b| b.statements.as_slice())
            .chain(
                self.service_control
                    .iter()
                    .flat_map(|c| c.levels.iter().map(|l| l.statements.as_slice())),
            )
            .map(|statements| for_caller(statements, caller))
            .collect();
        let limits: Vec<&[Statement]> = resolved_limits.iter().map(AsRef::as_ref).collect();
        let all: Vec<&[Statement]> = resolved.iter().map(|(s, _)| s.as_ref()).collect();
        if let Some(usage) = usage {
            usage::narrow(usage, &all);
        }
        let mut effective = effective::evaluate(&all, &limits);
        let specific: Vec<&[Statement]> = resolved
            .iter()
            .filter(|(_, service_wide)| !service_wide)
            .map(|(s, _)| s.as_ref())
            .collect();
        effective.grants.ai_actions = effective::ai_actions(&specific, &all, &limits);
        if let Some(control) = &self.service_control {
            attributes.insert("service_control_policies", json!(control.describe()));
        }
        let grants = effective.grants;
        if !grants.ai_actions.is_empty() {
            attributes.insert("ai_actions", json!(grants.ai_actions));
        }
        if !grants.assume_role_targets.is_empty() {
            attributes.insert("assume_role_targets", json!(grants.assume_role_targets));
        }
        // Each escalation with where it is allowed: `iam:PassRole on arn:...:role/app-*`.
        let privileged_grants: Vec<String> = effective
            .scopes
            .iter()
            .map(|(action, patterns)| {
                let conditional = if effective.conditional.contains(action) {
                    " (only under conditions)"
                } else {
                    ""
                };
                let takes_over = iam_policy::TAKEOVER_ACTIONS
                    .iter()
                    .find(|(a, _)| a == action)
                    .map(|(_, what)| format!(" (takes over {what})"))
                    .unwrap_or_default();
                format!(
                    "{action} on {}{conditional}{takes_over}",
                    patterns.join(", ")
                )
            })
            .collect();
        if !privileged_grants.is_empty() {
            attributes.insert("privileged_grants", json!(privileged_grants));
        }
        let sensitive: Vec<String> = effective
            .sensitive
            .iter()
            .map(|(action, patterns)| {
                let what = iam_policy::SENSITIVE_ACTIONS
                    .iter()
                    .find(|(a, _)| a == action)
                    .map(|(_, what)| format!(" ({what})"))
                    .unwrap_or_default();
                format!("{action} on {}{what}", patterns.join(", "))
            })
            .collect();
        if !sensitive.is_empty() {
            attributes.insert("sensitive_actions", json!(sensitive));
        }
        if !effective.conditional.is_empty() {
            attributes.insert("conditional_actions", json!(effective.conditional));
        }
        Permissions {
            admin: grants.admin,
            wildcard_actions: grants.wildcard_actions.into_iter().collect(),
            privileged_actions: grants.privileged_actions.into_iter().collect(),
            policies: self.names,
        }
    }
}

/// `statements` as they apply to `caller`, when it is known.
fn for_caller<'a>(statements: &'a [Statement], caller: Option<&Caller>) -> Cow<'a, [Statement]> {
    match caller {
        Some(caller) => effective::resolve(statements, caller),
        None => Cow::Borrowed(statements),
    }
}

fn policy_name(policy: &AttachedPolicy) -> String {
    policy
        .policy_name()
        .or(policy.policy_arn())
        .unwrap_or("?")
        .to_string()
}

fn iam_tags(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_user(
    scope: &Scope,
    user: &UserWork,
    detail: &UserDetail,
    groups: &HashMap<String, GroupDetail>,
    book: &mut PolicyBook<'_>,
    keys: Option<&UserKeys>,
    // The credential report was read, and so was every credential of the user: a
    // missing record of use then means "never used".
    activity_known: bool,
    outcome: &mut IamOutcome,
) {
    let boundary_arn = detail
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn());
    let mut permissions = PermissionsBuilder::default();
    for attached in detail.attached_managed_policies() {
        let grants = book.attached(attached);
        permissions.add(policy_name(attached), grants);
    }
    for inline in detail.user_policy_list() {
        let grants = book.inline(inline, &user.name);
        permissions.add(
            format!("{} (inline)", inline.policy_name().unwrap_or("?")),
            grants,
        );
    }
    for group_name in detail.group_list() {
        let Some(group) = groups.get(group_name) else {
            continue;
        };
        for attached in group.attached_managed_policies() {
            let grants = book.attached(attached);
            permissions.add(
                format!("{} (group {group_name})", policy_name(attached)),
                grants,
            );
        }
        for inline in group.group_policy_list() {
            let grants = book.inline(inline, &format!("group {group_name}"));
            permissions.add(
                format!(
                    "{} (inline, group {group_name})",
                    inline.policy_name().unwrap_or("?")
                ),
                grants,
            );
        }
    }

    let row = user.row.as_ref();
    let mut attributes = Attributes::new();
    attributes.insert("path", json!(detail.path().unwrap_or("/")));
    if let Some(id) = detail.user_id() {
        attributes.insert("user_id", json!(id));
    }
    if !detail.group_list().is_empty() {
        attributes.insert("groups", json!(detail.group_list()));
    }
    if let Some(boundary) = boundary_arn {
        attributes.insert("permissions_boundary", json!(boundary));
    }
    if let Some(row) = row {
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                attributes.insert(key.to_string(), value);
            }
        };
        put("password_enabled", row.password_enabled.map(Value::Bool));
        // Only with a console password: without one, these columns say nothing.
        if row.password_enabled == Some(true) {
            put(
                "password_last_used",
                row.password_last_used.map(|t| json!(t)),
            );
            put(
                "password_last_changed",
                row.password_last_changed.map(|t| json!(t)),
            );
            put(
                "password_next_rotation",
                row.password_next_rotation.map(|t| json!(t)),
            );
        }
        put("mfa_active", row.mfa_active.map(Value::Bool));
        let certs = row
            .certs_active
            .iter()
            .filter(|c| **c == Some(true))
            .count();
        if certs > 0 {
            attributes.insert("active_signing_certificates", json!(certs));
        }
    }

    let mut last_activity = row.and_then(|r| r.password_last_used);
    if let Some(keys) = keys {
        for key in &keys.access_keys {
            let Some(id) = key.meta.access_key_id() else {
                continue;
            };
            last_activity = last_activity.max(key.last_used);
            let mut attributes = Attributes::new();
            attributes.insert("user_name", json!(user.name));
            if let Some(service) = &key.service {
                attributes.insert("last_used_service", json!(service));
            }
            if let Some(region) = &key.region {
                attributes.insert("last_used_region", json!(region));
            }
            outcome.credentials.push(Credential {
                provider: Provider::Aws,
                scope: scope.clone(),
                id: id.to_string(),
                name: None,
                kind: CredentialKind::AccessKey,
                identity_id: Some(user.arn.clone()),
                created: key.meta.create_date().and_then(time::from_aws),
                expires: None,
                last_used: key.last_used,
                usage_tracked: key.usage_known,
                last_rotated: None,
                rotation_enabled: None,
                rotation_interval_days: None,
                status: status(key.meta.status()),
                location: Location::default(),
                tags: Tags::new(),
                attributes,
            });
        }
        for ssh in &keys.ssh_keys {
            outcome.credentials.push(Credential {
                provider: Provider::Aws,
                scope: scope.clone(),
                id: ssh.ssh_public_key_id().to_string(),
                name: None,
                kind: CredentialKind::SshKey,
                identity_id: Some(user.arn.clone()),
                created: time::from_aws(ssh.upload_date()),
                expires: None,
                last_used: None,
                usage_tracked: false,
                last_rotated: None,
                rotation_enabled: None,
                rotation_interval_days: None,
                status: status(Some(ssh.status())),
                location: Location::default(),
                tags: Tags::new(),
                attributes: Attributes::from_iter([("user_name".to_string(), json!(user.name))]),
            });
        }
        for cert in &keys.signing_certificates {
            outcome.credentials.push(Credential {
                provider: Provider::Aws,
                scope: scope.clone(),
                id: cert.certificate_id().to_string(),
                name: None,
                kind: CredentialKind::Certificate,
                identity_id: Some(user.arn.clone()),
                created: cert.upload_date().and_then(time::from_aws),
                expires: certificate::not_after(cert.certificate_body()),
                last_used: None,
                usage_tracked: false,
                last_rotated: None,
                rotation_enabled: None,
                rotation_interval_days: None,
                status: status(Some(cert.status())),
                location: Location::default(),
                tags: Tags::new(),
                attributes: Attributes::from_iter([
                    ("user_name".to_string(), json!(user.name)),
                    ("certificate_type".to_string(), json!("signing")),
                ]),
            });
        }
        for meta in &keys.service_credentials {
            outcome
                .credentials
                .push(service_credentials::credential(scope, &user.arn, meta));
        }
    }

    // An active credential whose use AWS does not record (SSH key, signing certificate,
    // service-specific credential) may be what the user is used through: then no
    // recorded activity means "unknown", not "never used".
    permissions.boundary = boundary_arn.map(|arn| book.managed_policy(arn));
    permissions.service_control = book.service_control.clone();
    permissions.caller = Some(Caller {
        arn: user.arn.clone(),
        name: user.name.clone(),
        user: true,
    });
    let mut usage = book.usage.remove(&user.arn);
    let permissions = permissions.build(&mut attributes, usage.as_mut());
    let untracked_in_use = keys.is_some_and(|k| {
        k.ssh_keys.iter().any(|s| s.status() == &StatusType::Active)
            || k.signing_certificates
                .iter()
                .any(|c| c.status() == &StatusType::Active)
            || k.service_credentials
                .iter()
                .any(|c| c.status() == &StatusType::Active)
    });
    outcome.identities.push(Identity {
        provider: Provider::Aws,
        scope: scope.clone(),
        id: user.arn.clone(),
        name: user.name.clone(),
        kind: IdentityKind::ServiceUser,
        description: None,
        created: detail.create_date().and_then(time::from_aws),
        last_activity,
        activity_tracked: activity_known && row.is_some() && !untracked_in_use,
        enabled: true,
        tags: iam_tags(detail.tags()),
        owners: Vec::new(),
        interactive_login: row.and_then(|r| r.password_enabled) == Some(true),
        permissions,
        trust: Vec::new(),
        attributes,
        usage: usage.map(Box::new),
    });
}

fn status(status: Option<&StatusType>) -> CredentialStatus {
    match status {
        Some(StatusType::Active) | None => CredentialStatus::Active,
        Some(_) => CredentialStatus::Inactive,
    }
}

pub(super) fn build_role(
    scope: &Scope,
    role: &RoleDetail,
    extras: &HashMap<String, (Option<String>, Option<i32>)>,
    book: &mut PolicyBook<'_>,
) -> Option<Identity> {
    let arn = role.arn()?;
    let name = role.role_name()?;
    let path = role.path().unwrap_or("/");
    let boundary_arn = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn());
    let mut permissions = PermissionsBuilder::default();
    for attached in role.attached_managed_policies() {
        let grants = book.attached(attached);
        permissions.add(policy_name(attached), grants);
    }
    for inline in role.role_policy_list() {
        let grants = book.inline(inline, name);
        permissions.add(
            format!("{} (inline)", inline.policy_name().unwrap_or("?")),
            grants,
        );
    }
    let trust = match role.assume_role_policy_document() {
        Some(doc) => match iam_policy::parse_document(doc) {
            Ok(value) => trust::analyze(&value),
            Err(e) => {
                book.problems
                    .push(format!("trust policy of role {name} is unreadable: {e:#}"));
                Vec::new()
            }
        },
        None => Vec::new(),
    };

    let mut attributes = Attributes::new();
    attributes.insert("path", json!(path));
    if let Some(id) = role.role_id() {
        attributes.insert("role_id", json!(id));
    }
    if path.starts_with("/aws-service-role/") {
        attributes.insert("service_linked", json!(true));
    }
    let (description, max_session) = extras.get(arn).cloned().unwrap_or_default();
    if let Some(seconds) = max_session {
        attributes.insert("max_session_duration", json!(seconds));
    }
    permissions.boundary = boundary_arn.map(|arn| book.managed_policy(arn));
    // SCPs do not limit service-linked roles.
    if !path.starts_with("/aws-service-role/") {
        permissions.service_control = book.service_control.clone();
    }
    permissions.caller = Some(Caller {
        arn: arn.to_string(),
        name: name.to_string(),
        user: false,
    });
    let mut usage = book.usage.remove(arn);
    let permissions = permissions.build(&mut attributes, usage.as_mut());
    let last_used = role.role_last_used();
    if let Some(region) = last_used.and_then(|u| u.region()) {
        attributes.insert("last_used_region", json!(region));
    }
    let profiles: Vec<&str> = role
        .instance_profile_list()
        .iter()
        .map(|p| p.instance_profile_name())
        .collect();
    if !profiles.is_empty() {
        attributes.insert("instance_profiles", json!(profiles));
    }
    if let Some(boundary) = boundary_arn {
        attributes.insert("permissions_boundary", json!(boundary));
    }

    Some(Identity {
        provider: Provider::Aws,
        scope: scope.clone(),
        id: arn.to_string(),
        name: name.to_string(),
        kind: IdentityKind::Role,
        description,
        created: role.create_date().and_then(time::from_aws),
        last_activity: last_used
            .and_then(|u| u.last_used_date())
            .and_then(time::from_aws),
        activity_tracked: true,
        enabled: true,
        tags: iam_tags(role.tags()),
        owners: Vec::new(),
        interactive_login: false,
        permissions,
        trust,
        attributes,
        usage: usage.map(Box::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::types::PolicyVersion;

    fn managed(arn: &str, document: &str) -> (String, ManagedPolicyDetail) {
        let version = PolicyVersion::builder()
            .document(document)
            .is_default_version(true)
            .version_id("v1")
            .build();
        let detail = ManagedPolicyDetail::builder()
            .arn(arn)
            .default_version_id("v1")
            .policy_version_list(version)
            .build();
        (arn.to_string(), detail)
    }

    fn attached(arn: &str) -> AttachedPolicy {
        AttachedPolicy::builder().policy_arn(arn).build()
    }

    #[test]
    fn service_wide_managed_policies_record_no_ai_actions() {
        let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":["bedrock:Get*","bedrock:List*","bedrock:InvokeModel","s3:Get*"],
            "Resource":"*"}]}"#;
        let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        let custom = "arn:aws:iam::111111111111:policy/support-agent-invoke";
        let policies: HashMap<String, ManagedPolicyDetail> =
            [managed(read_only, document), managed(custom, document)]
                .into_iter()
                .collect();
        let mut book = PolicyBook::new(&policies, None);
        let ai_actions = |book: &mut PolicyBook<'_>, arn: &str| {
            let mut builder = PermissionsBuilder::default();
            builder.add(arn.to_string(), book.attached(&attached(arn)));
            let mut attributes = Attributes::new();
            builder.build(&mut attributes, None);
            attributes.get("ai_actions").cloned()
        };
        assert_eq!(ai_actions(&mut book, read_only), None);
        let own = ai_actions(&mut book, custom).unwrap_or_default();
        assert!(own.to_string().contains("bedrock:InvokeModel"), "{own}");
        assert!(book.problems.is_empty(), "{:?}", book.problems);
    }
}
