//! From what Graph and ARM returned to inventory identities and credentials.
//!
//! One identity per application of the tenant: its app registration and its service
//! principal are one thing to govern (credentials and owners on either, permissions and
//! sign-ins on the service principal), so they are joined under the app registration's
//! object id (`attributes.servicePrincipalId` keeps the other). Service principals of
//! applications registered elsewhere (third-party, multi-tenant) are `service_principal`
//! identities; managed identities (system- and user-assigned) are `managed_identity`,
//! keyed by their principal id, with the ARM resource's tags. Microsoft's own service
//! principals are left out unless they hold a role assignment or a credential.

use super::arm::{RoleAssignment, RoleDefinition, Subscription, UserAssignedIdentity};
use super::msgraph::{
    Application, GraphGrants, KeyCredential, Owner, PasswordCredential, ServicePrincipal,
    SignInActivity,
};
use super::privilege::{self, RoleClass, ScopeLevel};
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind, Location,
    Permissions, Provider, Scope, Tags,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// Tenants that own Microsoft's first-party applications.
const MICROSOFT_TENANTS: &[&str] = &[
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "33e01921-4d64-4f8c-a055-5bdaffd5e33d",
    "cdc5aeea-15c5-4db6-b079-fcadd2505dc2",
];

/// What the directory (Graph) returned; `None` for a part that could not be read.
#[derive(Debug, Default)]
pub struct Directory {
    pub applications: Vec<Application>,
    pub service_principals: Vec<ServicePrincipal>,
    pub grants: Option<GraphGrants>,
    pub sign_ins: Option<Vec<SignInActivity>>,
    /// Whether applications and service principals were listed at all.
    pub listed: bool,
}

/// What ARM returned for one subscription.
#[derive(Debug)]
pub struct SubscriptionData {
    pub subscription: Subscription,
    pub identities: Vec<UserAssignedIdentity>,
    pub assignments: Vec<RoleAssignment>,
    pub roles: Vec<RoleDefinition>,
}

/// The result of [`build`].
#[derive(Debug, Default)]
pub struct Built {
    pub identities: Vec<Identity>,
    pub credentials: Vec<Credential>,
    /// Microsoft first-party service principals left out.
    pub first_party_skipped: usize,
}

/// Builds the inventory; with `usage_as_of` (`--usage`), also each application's usage
/// from the sign-in activity read ([`super::usage`]).
pub fn build(
    scope: &Scope,
    directory: &Directory,
    subscriptions: &[SubscriptionData],
    usage_as_of: Option<DateTime<Utc>>,
) -> Built {
    let mut built = Built::default();
    let sign_ins: HashMap<&str, DateTime<Utc>> = directory
        .sign_ins
        .iter()
        .flatten()
        .filter_map(|s| {
            let at = s
                .last_sign_in_activity
                .as_ref()?
                .last_sign_in_date_time
                .as_deref()?;
            Some((s.app_id.as_deref()?, parse_time(at)?))
        })
        .collect();
    let activity_tracked = directory.sign_ins.is_some();
    let mut grants: HashMap<&str, Vec<&str>> = HashMap::new();
    for (principal, permission) in directory.grants.iter().flat_map(|g| &g.grants) {
        grants
            .entry(principal.as_str())
            .or_default()
            .push(permission);
    }
    let assigned: BTreeSet<&str> = subscriptions
        .iter()
        .flat_map(|s| &s.assignments)
        .map(|a| a.properties.principal_id.as_str())
        .collect();

    let sp_by_app: HashMap<&str, &ServicePrincipal> = directory
        .service_principals
        .iter()
        .filter_map(|sp| Some((sp.app_id.as_deref()?, sp)))
        .collect();
    // Principal id -> identity index, for role assignments.
    let mut by_principal: HashMap<String, usize> = HashMap::new();

    for app in &directory.applications {
        let sp = sp_by_app.get(app.app_id.as_str()).copied();
        let mut attributes = Attributes::new();
        attributes.insert("appId", json!(app.app_id));
        if let Some(sp) = sp {
            attributes.insert("servicePrincipalId", json!(sp.id));
        }
        if let Some(audience) = &app.sign_in_audience {
            attributes.insert("signInAudience", json!(audience));
        }
        let mut owners = owner_labels(&app.owners);
        if let Some(sp) = sp {
            for owner in owner_labels(&sp.owners) {
                if !owners.contains(&owner) {
                    owners.push(owner);
                }
            }
        }
        let mut tags = entra_tags(&app.tags);
        if let Some(sp) = sp {
            for (k, v) in entra_tags(&sp.tags) {
                tags.entry(k).or_insert(v);
            }
        }
        let identity = Identity {
            provider: Provider::Azure,
            scope: scope.clone(),
            id: app.id.clone(),
            name: app
                .display_name
                .clone()
                .unwrap_or_else(|| app.app_id.clone()),
            kind: IdentityKind::AppRegistration,
            description: app.description.clone().or_else(|| app.notes.clone()),
            created: app.created_date_time.as_deref().and_then(parse_time),
            last_activity: sign_ins.get(app.app_id.as_str()).copied(),
            activity_tracked: activity_tracked && sp.is_some(),
            enabled: sp.and_then(|sp| sp.account_enabled).unwrap_or(true),
            tags,
            owners,
            interactive_login: false,
            permissions: Permissions::default(),
            trust: Vec::new(),
            attributes,
            usage: None,
        };
        let index = built.identities.len();
        add_credentials(
            &mut built,
            &identity,
            &app.password_credentials,
            &app.key_credentials,
            "application",
        );
        if let Some(sp) = sp {
            add_credentials(
                &mut built,
                &identity,
                &sp.password_credentials,
                &sp.key_credentials,
                "service_principal",
            );
            by_principal.insert(sp.id.clone(), index);
        }
        built.identities.push(identity);
    }

    let arm_identities: HashMap<&str, (&UserAssignedIdentity, &Subscription)> = subscriptions
        .iter()
        .flat_map(|s| s.identities.iter().map(move |i| (i, &s.subscription)))
        .filter_map(|(i, s)| Some((i.properties.as_ref()?.principal_id.as_deref()?, (i, s))))
        .collect();
    let registered: BTreeSet<&str> = directory
        .applications
        .iter()
        .map(|a| a.app_id.as_str())
        .collect();
    for sp in &directory.service_principals {
        if sp
            .app_id
            .as_deref()
            .is_some_and(|id| registered.contains(id))
        {
            continue;
        }
        let managed = sp.service_principal_type.as_deref() == Some("ManagedIdentity");
        let owner_org = sp.app_owner_organization_id.as_deref();
        let first_party =
            owner_org.is_some_and(|o| MICROSOFT_TENANTS.contains(&o.to_ascii_lowercase().as_str()));
        let has_credentials = !sp.password_credentials.is_empty() || !sp.key_credentials.is_empty();
        if first_party
            && !has_credentials
            && !assigned.contains(sp.id.as_str())
            && !grants.contains_key(sp.id.as_str())
        {
            built.first_party_skipped += 1;
            continue;
        }
        let mut attributes = Attributes::new();
        if let Some(app_id) = &sp.app_id {
            attributes.insert(if managed { "clientId" } else { "appId" }, json!(app_id));
        }
        if let Some(t) = &sp.service_principal_type {
            attributes.insert("servicePrincipalType", json!(t));
        }
        let mut tags = entra_tags(&sp.tags);
        let kind = if managed {
            let explicit = sp
                .alternative_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case("isExplicit=True"));
            attributes.insert(
                "assignment",
                json!(if explicit { "user" } else { "system" }),
            );
            if let Some(resource) = sp.alternative_names.iter().find(|n| n.starts_with('/')) {
                attributes.insert("resourceId", json!(resource));
            }
            if let Some((arm, subscription)) = arm_identities.get(sp.id.as_str()) {
                merge_arm_identity(&mut attributes, &mut tags, arm, subscription);
            }
            IdentityKind::ManagedIdentity
        } else {
            if let Some(org) = owner_org {
                attributes.insert("appOwnerOrganizationId", json!(org));
                attributes.insert(
                    "third_party",
                    json!(!org.eq_ignore_ascii_case(&scope.id) && !first_party),
                );
                attributes.insert("microsoft_first_party", json!(first_party));
            }
            IdentityKind::ServicePrincipal
        };
        let identity = Identity {
            provider: Provider::Azure,
            scope: scope.clone(),
            id: sp.id.clone(),
            name: sp.display_name.clone().unwrap_or_else(|| sp.id.clone()),
            kind,
            description: sp.description.clone().or_else(|| sp.notes.clone()),
            created: None,
            last_activity: sp
                .app_id
                .as_deref()
                .and_then(|id| sign_ins.get(id).copied()),
            activity_tracked,
            enabled: sp.account_enabled.unwrap_or(true),
            tags,
            owners: owner_labels(&sp.owners),
            interactive_login: false,
            permissions: Permissions::default(),
            trust: Vec::new(),
            attributes,
            usage: None,
        };
        add_credentials(
            &mut built,
            &identity,
            &sp.password_credentials,
            &sp.key_credentials,
            "service_principal",
        );
        by_principal.insert(sp.id.clone(), built.identities.len());
        built.identities.push(identity);
    }

    // User-assigned identities the directory did not list (e.g. no Graph access).
    for (principal, (arm, subscription)) in &arm_identities {
        if by_principal.contains_key(*principal) {
            continue;
        }
        let mut attributes = Attributes::new();
        let mut tags = Tags::new();
        attributes.insert("assignment", json!("user"));
        attributes.insert("resourceId", json!(arm.id));
        if let Some(client) = arm.properties.as_ref().and_then(|p| p.client_id.as_ref()) {
            attributes.insert("clientId", json!(client));
        }
        merge_arm_identity(&mut attributes, &mut tags, arm, subscription);
        by_principal.insert((*principal).to_string(), built.identities.len());
        built.identities.push(Identity {
            tags,
            attributes,
            ..Identity::new(
                Provider::Azure,
                scope.clone(),
                *principal,
                arm.name.clone(),
                IdentityKind::ManagedIdentity,
            )
        });
    }

    // Service principals known only from role assignments (the directory was not read).
    if !directory.listed {
        for data in subscriptions {
            for assignment in &data.assignments {
                let p = &assignment.properties;
                if p.principal_type.as_deref() != Some("ServicePrincipal")
                    || by_principal.contains_key(&p.principal_id)
                {
                    continue;
                }
                by_principal.insert(p.principal_id.clone(), built.identities.len());
                let mut attributes = Attributes::new();
                attributes.insert(
                    "known_from",
                    json!("role assignment (the directory could not be read)"),
                );
                built.identities.push(Identity {
                    attributes,
                    ..Identity::new(
                        Provider::Azure,
                        scope.clone(),
                        p.principal_id.clone(),
                        p.principal_id.clone(),
                        IdentityKind::ServicePrincipal,
                    )
                });
            }
        }
    }

    for (principal, index) in &by_principal {
        let identity = &mut built.identities[*index];
        if let Some(permissions) = grants.get(principal.as_str()) {
            apply_graph_permissions(identity, permissions);
        }
    }
    for data in subscriptions {
        for assignment in &data.assignments {
            if let Some(index) = by_principal.get(&assignment.properties.principal_id) {
                apply_role(
                    &mut built.identities[*index],
                    assignment,
                    &data.roles,
                    &data.subscription,
                );
            }
        }
    }
    if let (Some(as_of), Some(activities)) = (usage_as_of, &directory.sign_ins) {
        let by_app: HashMap<&str, &SignInActivity> = activities
            .iter()
            .filter_map(|a| Some((a.app_id.as_deref()?, a)))
            .collect();
        for identity in &mut built.identities {
            let app_id = identity.attributes.get("appId").and_then(|v| v.as_str());
            let activity = app_id.and_then(|id| by_app.get(id).copied());
            identity.usage =
                super::usage::application_usage(identity, activity, as_of).map(Box::new);
        }
    }
    built
}

fn merge_arm_identity(
    attributes: &mut Attributes,
    tags: &mut Tags,
    arm: &UserAssignedIdentity,
    subscription: &Subscription,
) {
    attributes.insert("resourceId", json!(arm.id));
    attributes.insert("subscriptionId", json!(subscription.subscription_id));
    if let Some(location) = &arm.location {
        attributes.insert("location", json!(location));
    }
    for (k, v) in arm.tags.iter().flatten() {
        tags.insert(k.as_str(), v.as_str());
    }
}

fn apply_graph_permissions(identity: &mut Identity, permissions: &[&str]) {
    let mut names: Vec<&str> = permissions.to_vec();
    names.sort_unstable();
    names.dedup();
    let mut privileged = Vec::new();
    for name in &names {
        identity
            .permissions
            .policies
            .push(format!("Microsoft Graph: {name} (Application)"));
        if privilege::graph_is_privileged(name) {
            privileged.push(*name);
            identity
                .permissions
                .privileged_actions
                .push((*name).to_string());
        }
        if privilege::graph_is_tenant_admin(name) {
            identity.permissions.admin = true;
        }
    }
    identity
        .attributes
        .insert("graph_app_permissions", json!(names));
    identity
        .attributes
        .insert("privileged_graph_permissions", json!(privileged));
}

fn apply_role(
    identity: &mut Identity,
    assignment: &RoleAssignment,
    roles: &[RoleDefinition],
    subscription: &Subscription,
) {
    let scope = &assignment.properties.scope;
    let (role, class) = privilege::classify(&assignment.properties.role_definition_id, roles);
    let level = ScopeLevel::of(scope);
    let described = format!("{role} on {scope}");
    let permissions = &mut identity.permissions;
    if !permissions.policies.contains(&described) {
        permissions.policies.push(described);
    } else {
        return; // The same assignment seen from another subscription.
    }
    match class {
        RoleClass::Owner if level.is_subscription_or_above() => permissions.admin = true,
        RoleClass::Owner | RoleClass::Wildcard => {
            permissions.wildcard_actions.push(format!("* on {scope}"))
        }
        RoleClass::AccessAdmin => permissions.privileged_actions.push(format!(
            "Microsoft.Authorization/roleAssignments/write on {scope}"
        )),
        RoleClass::Limited => {}
    }
    if class != RoleClass::Limited && level.is_subscription_or_above() {
        let entry = json!({
            "role": role,
            "class": class.as_str(),
            "scope": scope,
            "scope_level": level.as_str(),
            "subscription": subscription.subscription_id,
        });
        match identity.attributes.get_mut("privileged_role_assignments") {
            Some(Value::Array(list)) => list.push(entry),
            _ => {
                identity
                    .attributes
                    .insert("privileged_role_assignments", Value::Array(vec![entry]));
            }
        }
    }
}

fn add_credentials(
    built: &mut Built,
    identity: &Identity,
    secrets: &[PasswordCredential],
    certificates: &[KeyCredential],
    on: &str,
) {
    let secrets = secrets.iter().map(|s| {
        let dates = (s.start_date_time.as_deref(), s.end_date_time.as_deref());
        let named = (s.key_id.as_deref(), s.display_name.as_deref());
        (
            CredentialKind::ClientSecret,
            named,
            dates,
            Attributes::new(),
        )
    });
    let certificates = certificates.iter().map(|c| {
        let mut attributes = Attributes::new();
        if let Some(t) = &c.key_type {
            attributes.insert("type", json!(t));
        }
        if let Some(u) = &c.usage {
            attributes.insert("usage", json!(u));
        }
        let dates = (c.start_date_time.as_deref(), c.end_date_time.as_deref());
        let named = (c.key_id.as_deref(), c.display_name.as_deref());
        (CredentialKind::Certificate, named, dates, attributes)
    });
    for (index, (kind, (key_id, name), dates, attributes)) in
        secrets.chain(certificates).enumerate()
    {
        built.credentials.push(credential(
            identity, kind, key_id, name, dates, on, index, attributes,
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn credential(
    identity: &Identity,
    kind: CredentialKind,
    key_id: Option<&str>,
    name: Option<&str>,
    (start, end): (Option<&str>, Option<&str>),
    on: &str,
    index: usize,
    mut attributes: Attributes,
) -> Credential {
    attributes.insert("on", json!(on));
    Credential {
        provider: Provider::Azure,
        scope: identity.scope.clone(),
        id: match key_id {
            Some(id) => id.to_string(),
            None => format!("{}/{}/{kind}/{index}", identity.id, on),
        },
        name: name.map(str::to_string),
        kind,
        identity_id: Some(identity.id.clone()),
        created: start.and_then(parse_time),
        expires: end.and_then(parse_time),
        last_used: None,
        usage_tracked: false,
        last_rotated: None,
        rotation_enabled: None,
        rotation_interval_days: None,
        status: CredentialStatus::Active,
        location: Location::default(),
        tags: Tags::new(),
        attributes,
    }
}

fn owner_labels(owners: &[Owner]) -> Vec<String> {
    let mut labels: Vec<String> = owners.iter().map(Owner::label).collect();
    labels.dedup();
    labels
}

/// Entra tags are plain strings; `key:value` and `key=value` become key and value.
fn entra_tags(tags: &[String]) -> Tags {
    tags.iter()
        .map(|tag| match tag.split_once([':', '=']) {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => (k.to_string(), v.to_string()),
            _ => (tag.clone(), String::new()),
        })
        .collect()
}

pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_tags_split_key_values() {
        let tags = entra_tags(&[
            "HideApp".into(),
            "owner:alice@contoso.com".into(),
            "env=prod".into(),
        ]);
        assert_eq!(tags["owner"], "alice@contoso.com");
        assert_eq!(tags["env"], "prod");
        assert_eq!(tags["HideApp"], "");
    }
}
