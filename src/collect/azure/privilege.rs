//! What a role assignment or a Graph application permission lets an identity do.
//!
//! Azure RBAC roles are judged by their permissions, not their names, so custom roles
//! count too: `*` without Microsoft.Authorization writes excluded is owner-like (admin),
//! `*` with them excluded is contributor-like (wildcard), and a right to write role
//! assignments is access-admin (it can grant itself anything). Graph permissions are
//! judged by name against Microsoft's documented high-impact permissions.

use super::arm::RoleDefinition;

/// How much an Azure role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleClass {
    /// Neither wildcard nor access administration.
    Limited,
    /// Every action except access administration (Contributor).
    Wildcard,
    /// May write role assignments (User Access Administrator, RBAC Administrator).
    AccessAdmin,
    /// Everything, access included (Owner).
    Owner,
}

impl RoleClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleClass::Limited => "limited",
            RoleClass::Wildcard => "wildcard",
            RoleClass::AccessAdmin => "access_admin",
            RoleClass::Owner => "owner",
        }
    }
}

/// Where an assignment applies, from the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeLevel {
    Resource,
    ResourceGroup,
    Subscription,
    ManagementGroup,
    Root,
}

impl ScopeLevel {
    pub fn of(scope: &str) -> ScopeLevel {
        let parts: Vec<&str> = scope
            .trim_end_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
            .collect();
        let lower: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
        match lower.as_slice() {
            [] => ScopeLevel::Root,
            [p, m, ..] if p == "providers" && m == "microsoft.management" => {
                ScopeLevel::ManagementGroup
            }
            [s, _] if s == "subscriptions" => ScopeLevel::Subscription,
            [s, _, g, _] if s == "subscriptions" && g == "resourcegroups" => {
                ScopeLevel::ResourceGroup
            }
            _ => ScopeLevel::Resource,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScopeLevel::Resource => "resource",
            ScopeLevel::ResourceGroup => "resource_group",
            ScopeLevel::Subscription => "subscription",
            ScopeLevel::ManagementGroup => "management_group",
            ScopeLevel::Root => "root",
        }
    }

    /// Subscription, management group or the root: the levels that govern whole
    /// subscriptions.
    pub fn is_subscription_or_above(self) -> bool {
        self >= ScopeLevel::Subscription
    }
}

/// Built-in roles by definition GUID, for when a definition could not be listed.
const BUILT_IN: &[(&str, &str, RoleClass)] = &[
    (
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Owner",
        RoleClass::Owner,
    ),
    (
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Contributor",
        RoleClass::Wildcard,
    ),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
        RoleClass::AccessAdmin,
    ),
    (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Role Based Access Control Administrator",
        RoleClass::AccessAdmin,
    ),
];

/// The GUID at the end of a `roleDefinitionId`.
pub fn role_guid(role_definition_id: &str) -> String {
    role_definition_id
        .rsplit('/')
        .next()
        .unwrap_or(role_definition_id)
        .to_ascii_lowercase()
}

/// Name and class of the role `role_definition_id`, from its definition when listed.
pub fn classify(role_definition_id: &str, definitions: &[RoleDefinition]) -> (String, RoleClass) {
    let guid = role_guid(role_definition_id);
    if let Some(definition) = definitions
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(&guid))
    {
        return (
            definition.properties.role_name.clone(),
            class_of(definition),
        );
    }
    match BUILT_IN.iter().find(|(id, _, _)| *id == guid) {
        Some((_, name, class)) => ((*name).to_string(), *class),
        None => (format!("role {guid}"), RoleClass::Limited),
    }
}

fn class_of(definition: &RoleDefinition) -> RoleClass {
    let mut class = RoleClass::Limited;
    for permission in &definition.properties.permissions {
        let allows = |action: &str| {
            permission.actions.iter().any(|a| matches(a, action))
                && !permission.not_actions.iter().any(|n| matches(n, action))
        };
        let everything = permission.actions.iter().any(|a| a == "*");
        let grants_access = allows("Microsoft.Authorization/roleAssignments/write");
        let this = match (everything, grants_access) {
            (true, true) => RoleClass::Owner,
            (_, true) => RoleClass::AccessAdmin,
            (true, false) => RoleClass::Wildcard,
            (false, false) => RoleClass::Limited,
        };
        class = class.max(this);
    }
    class
}

/// Azure action pattern match: case-insensitive, `*` anywhere.
fn matches(pattern: &str, action: &str) -> bool {
    crate::glob::matches_ignore_case(pattern, action)
}

/// Graph application permissions that amount to control of the tenant: each is a
/// documented path to Global Administrator.
const GRAPH_TENANT_ADMIN: &[&str] = &[
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
];

/// Graph application permissions with high impact: directory-wide writes, credential
/// and policy control, and reading or sending every user's mail, files and chats.
const GRAPH_PRIVILEGED: &[&str] = &[
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All",
    "Directory.ReadWrite.All",
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.ReadWrite.ConditionalAccess",
    "Policy.ReadWrite.AuthenticationMethod",
    "PrivilegedAccess.ReadWrite.AzureAD",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
    "Domain.ReadWrite.All",
    "Device.ReadWrite.All",
    "ServicePrincipalEndpoint.ReadWrite.All",
    "Mail.Read",
    "Mail.ReadWrite",
    "Mail.Send",
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
    "Sites.FullControl.All",
    "Chat.Read.All",
    "Chat.ReadWrite.All",
];

pub fn graph_is_tenant_admin(permission: &str) -> bool {
    GRAPH_TENANT_ADMIN.contains(&permission)
}

pub fn graph_is_privileged(permission: &str) -> bool {
    GRAPH_PRIVILEGED.contains(&permission)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::azure::arm::{RoleDefinitionProperties, RolePermission};

    fn role(name: &str, actions: &[&str], not_actions: &[&str]) -> RoleDefinition {
        RoleDefinition {
            id: format!("/providers/Microsoft.Authorization/roleDefinitions/{name}"),
            name: name.into(),
            properties: RoleDefinitionProperties {
                role_name: name.into(),
                role_type: None,
                permissions: vec![RolePermission {
                    actions: actions.iter().map(|s| s.to_string()).collect(),
                    not_actions: not_actions.iter().map(|s| s.to_string()).collect(),
                }],
            },
        }
    }

    #[test]
    fn roles_are_judged_by_their_permissions() {
        let defs = vec![
            role("owner-like", &["*"], &[]),
            role(
                "contributor-like",
                &["*"],
                &[
                    "Microsoft.Authorization/*/Write",
                    "Microsoft.Authorization/*/Delete",
                ],
            ),
            role(
                "uaa-like",
                &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
                &[],
            ),
            role("reader", &["*/read"], &[]),
        ];
        let class = |name: &str| classify(&format!("/x/roleDefinitions/{name}"), &defs).1;
        assert_eq!(class("owner-like"), RoleClass::Owner);
        assert_eq!(class("contributor-like"), RoleClass::Wildcard);
        assert_eq!(class("uaa-like"), RoleClass::AccessAdmin);
        assert_eq!(class("reader"), RoleClass::Limited);
        // Not listed: the built-in table by GUID.
        let (name, class) = classify(
            "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/8E3AF657-A8FF-443C-A75C-2FE8C4BCB635",
            &[],
        );
        assert_eq!((name.as_str(), class), ("Owner", RoleClass::Owner));
        assert_eq!(classify("/x/unknown-guid", &[]).1, RoleClass::Limited);
    }

    #[test]
    fn scope_levels() {
        assert_eq!(ScopeLevel::of("/"), ScopeLevel::Root);
        assert_eq!(
            ScopeLevel::of("/providers/Microsoft.Management/managementGroups/root"),
            ScopeLevel::ManagementGroup
        );
        assert_eq!(ScopeLevel::of("/subscriptions/1"), ScopeLevel::Subscription);
        assert_eq!(
            ScopeLevel::of("/subscriptions/1/resourceGroups/rg"),
            ScopeLevel::ResourceGroup
        );
        assert_eq!(
            ScopeLevel::of(
                "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v"
            ),
            ScopeLevel::Resource
        );
        assert!(ScopeLevel::ManagementGroup.is_subscription_or_above());
        assert!(!ScopeLevel::ResourceGroup.is_subscription_or_above());
    }

    #[test]
    fn action_patterns() {
        assert!(matches(
            "Microsoft.Authorization/*",
            "Microsoft.Authorization/roleAssignments/write"
        ));
        assert!(matches(
            "Microsoft.Authorization/*/Write",
            "microsoft.authorization/roleassignments/write"
        ));
        assert!(!matches(
            "*/read",
            "Microsoft.Authorization/roleAssignments/write"
        ));
        assert!(matches("*", "anything"));
    }
}
