//! Azure: rights that let one identity take another over.
//!
//! * An Owner, access administrator or Contributor-like (wildcard) role assignment at
//!   subscription scope (`attributes.privileged_role_assignments`, or `permissions.admin`
//!   of an identity scoped to a subscription) takes over every managed identity of that
//!   subscription (`attributes.subscriptionId` or the one in `attributes.resourceId`):
//!   attach it to a resource it controls, or run code as it, and get its tokens. At
//!   management-group or root scope: every managed identity of the tenant (management
//!   group membership is not collected, so this over-reports rather than misses).
//! * The Graph application permissions `Application.ReadWrite.All`,
//!   `AppRoleAssignment.ReadWrite.All` (grants itself the former) and
//!   `RoleManagement.ReadWrite.Directory` (makes itself an administrator) take over every
//!   app registration and service principal of the tenant: add a credential, sign in
//!   as it.

use super::EdgeSet;
use crate::enrich::graph::{subscription_in, subscription_of};
use crate::hash::FastMap;
use crate::inventory::{Identity, IdentityKind, Provider, ScopeKind};
use serde_json::Value;

/// Graph application permissions that take over the tenant's applications.
pub const TAKEOVER_GRAPH_PERMISSIONS: &[&str] = &[
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
];

/// Role classes (see the collector's `privilege` module) that can attach a managed
/// identity.
const TAKEOVER_CLASSES: &[&str] = &["owner", "access_admin", "wildcard"];

/// Managed identities and applications, by where they live.
#[derive(Default)]
struct Targets<'a> {
    managed_by_subscription: FastMap<String, Vec<u32>>,
    managed_by_tenant: FastMap<&'a str, Vec<u32>>,
    apps_by_tenant: FastMap<&'a str, Vec<u32>>,
}

impl<'a> Targets<'a> {
    fn new(identities: &'a [Identity]) -> Self {
        let mut targets = Targets::default();
        for (i, identity) in identities.iter().enumerate() {
            if identity.provider != Provider::Azure {
                continue;
            }
            let tenant = identity.scope.id.as_str();
            match identity.kind {
                IdentityKind::ManagedIdentity => {
                    if let Some(subscription) = subscription_of(identity) {
                        targets
                            .managed_by_subscription
                            .entry(subscription)
                            .or_default()
                            .push(i as u32);
                    }
                    targets
                        .managed_by_tenant
                        .entry(tenant)
                        .or_default()
                        .push(i as u32);
                }
                IdentityKind::AppRegistration | IdentityKind::ServicePrincipal => targets
                    .apps_by_tenant
                    .entry(tenant)
                    .or_default()
                    .push(i as u32),
                _ => {}
            }
        }
        targets
    }

    fn managed_in(&self, subscription: &str) -> &[u32] {
        self.managed_by_subscription
            .get(&subscription.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }
}

/// Adds every Azure takeover edge.
pub fn takeovers(identities: &[Identity], edges: &mut EdgeSet) {
    if !identities.iter().any(|i| i.provider == Provider::Azure) {
        return;
    }
    let targets = Targets::new(identities);
    let mut add_all = |from: usize, to: &[u32], reason: &str| {
        if to.is_empty() {
            return;
        }
        let reason = edges.reason(reason);
        for &to in to {
            edges.add_with(from, to as usize, reason);
        }
    };
    for (from, identity) in identities.iter().enumerate() {
        if identity.provider != Provider::Azure {
            continue;
        }
        let tenant = identity.scope.id.as_str();
        for assignment in list(identity, "privileged_role_assignments") {
            let text = |key: &str| assignment.get(key).and_then(Value::as_str).unwrap_or("");
            if !TAKEOVER_CLASSES.contains(&text("class")) {
                continue;
            }
            let reason = format!(
                "{} on {}: can attach its managed identities",
                text("role"),
                text("scope")
            );
            match text("scope_level") {
                "subscription" => {
                    let subscription = match text("subscription") {
                        "" => subscription_in(text("scope")).unwrap_or(""),
                        s => s,
                    };
                    add_all(from, targets.managed_in(subscription), &reason);
                }
                "management_group" | "root" => {
                    let all = targets.managed_by_tenant.get(tenant);
                    add_all(from, all.map_or(&[], Vec::as_slice), &reason);
                }
                _ => {}
            }
        }
        if identity.permissions.admin && identity.scope.kind == ScopeKind::Subscription {
            let reason = format!(
                "administrator of subscription {}: can attach its managed identities",
                identity.scope.id
            );
            add_all(from, targets.managed_in(&identity.scope.id), &reason);
        }
        for permission in list(identity, "graph_app_permissions").filter_map(Value::as_str) {
            if TAKEOVER_GRAPH_PERMISSIONS.contains(&permission) {
                let reason = format!(
                    "Graph {permission} (application): can add credentials to the tenant's applications"
                );
                let apps = targets.apps_by_tenant.get(tenant);
                add_all(from, apps.map_or(&[], Vec::as_slice), &reason);
            }
        }
    }
}

fn list<'i>(identity: &'i Identity, key: &str) -> impl Iterator<Item = &'i Value> {
    identity
        .attributes
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::tests::{edges_of, identity};
    use serde_json::{json, Value};

    const TENANT: &str = "00000000-0000-0000-0000-00000000000t";

    fn azure(kind: &str, id: &str, attributes: Value) -> crate::inventory::Identity {
        identity(json!({
            "provider": "azure", "scope": {"kind": "tenant", "id": TENANT},
            "kind": kind, "id": id, "attributes": attributes,
        }))
    }

    fn assignment(class: &str, level: &str, scope: &str, subscription: &str) -> Value {
        json!({"role": "Owner", "class": class, "scope": scope, "scope_level": level,
               "subscription": subscription})
    }

    fn pairs(identities: &[crate::inventory::Identity]) -> Vec<(String, String)> {
        edges_of(identities)
            .into_iter()
            .map(|(a, b, _)| (a, b))
            .collect()
    }

    #[test]
    fn subscription_owner_takes_over_the_managed_identities_of_that_subscription() {
        let identities = vec![
            azure(
                "service_principal",
                "deployer",
                json!({"privileged_role_assignments": [
                    assignment("owner", "subscription", "/subscriptions/S1", "s1")]}),
            ),
            azure(
                "service_principal",
                "reader",
                json!({"privileged_role_assignments": [
                    assignment("limited", "subscription", "/subscriptions/S1", "s1")]}),
            ),
            azure("managed_identity", "mi-s1", json!({"subscriptionId": "S1"})),
            azure(
                "managed_identity",
                "mi-s1-by-resource",
                json!({"resourceId": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"}),
            ),
            azure("managed_identity", "mi-s2", json!({"subscriptionId": "s2"})),
            azure("app_registration", "app", json!({})),
        ];
        assert_eq!(
            pairs(&identities),
            vec![
                ("deployer".into(), "mi-s1".into()),
                ("deployer".into(), "mi-s1-by-resource".into())
            ]
        );
        assert_eq!(
            edges_of(&identities)[0].2,
            "Owner on /subscriptions/S1: can attach its managed identities"
        );
    }

    #[test]
    fn root_scope_reaches_every_managed_identity_of_the_tenant() {
        let identities = vec![
            azure(
                "service_principal",
                "root-admin",
                json!({"privileged_role_assignments": [
                    assignment("access_admin", "root", "/", "s9")]}),
            ),
            azure("managed_identity", "mi-s1", json!({"subscriptionId": "s1"})),
            azure("managed_identity", "mi-unknown", json!({})),
        ];
        assert_eq!(pairs(&identities).len(), 2);
    }

    #[test]
    fn subscription_scoped_admin_counts_as_owner_of_it() {
        let identities = vec![
            identity(
                json!({"provider": "azure", "scope": {"kind": "subscription", "id": "S1"},
                "kind": "service_principal", "id": "terraform", "permissions": {"admin": true}}),
            ),
            azure("managed_identity", "mi", json!({"subscriptionId": "s1"})),
        ];
        assert_eq!(pairs(&identities), vec![("terraform".into(), "mi".into())]);
    }

    #[test]
    fn graph_application_write_takes_over_the_tenants_applications() {
        let identities = vec![
            azure(
                "app_registration",
                "automation",
                json!({"graph_app_permissions": ["Application.ReadWrite.All", "User.Read.All"]}),
            ),
            azure(
                "app_registration",
                "reader",
                json!({"graph_app_permissions": ["Application.Read.All"]}),
            ),
            azure("service_principal", "vendor", json!({})),
            azure("managed_identity", "mi", json!({})),
            identity(
                json!({"provider": "azure", "scope": {"kind": "tenant", "id": "other"},
                "kind": "app_registration", "id": "elsewhere"}),
            ),
        ];
        assert_eq!(
            pairs(&identities),
            vec![
                ("automation".into(), "reader".into()),
                ("automation".into(), "vendor".into())
            ]
        );
    }
}
