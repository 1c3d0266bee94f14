//! What each call of the collector needs, as the operation keys counted in
//! `Inventory::api_calls`. The shipped role (`examples/azure/nhiscan-reader.role.json`)
//! and Graph permission list (`examples/azure/graph-permissions.json`) are tested
//! against this table in both directions, and the Azure integration tests check that a
//! scan makes no call missing from it.

/// `(operation key, permission)`: Graph application permissions as `graph:<name>`,
/// Azure RBAC actions and data actions as they appear in a role definition.
pub const NEEDED: &[(&str, &str)] = &[
    ("azure:graph:organization", "graph:Organization.Read.All"),
    ("azure:graph:applications", "graph:Application.Read.All"),
    (
        "azure:graph:servicePrincipals",
        "graph:Application.Read.All",
    ),
    ("azure:graph:graphAppRoles", "graph:Application.Read.All"),
    (
        "azure:graph:appRoleAssignedTo",
        "graph:Application.Read.All",
    ),
    (
        "azure:graph:servicePrincipalSignInActivities",
        "graph:AuditLog.Read.All",
    ),
    (
        "azure:arm:subscriptions",
        "Microsoft.Resources/subscriptions/read",
    ),
    (
        "azure:arm:userAssignedIdentities",
        "Microsoft.ManagedIdentity/userAssignedIdentities/read",
    ),
    ("azure:arm:vaults", "Microsoft.KeyVault/vaults/read"),
    (
        "azure:arm:roleAssignments",
        "Microsoft.Authorization/roleAssignments/read",
    ),
    (
        "azure:arm:roleDefinitions",
        "Microsoft.Authorization/roleDefinitions/read",
    ),
    (
        "azure:keyvault:secrets",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ),
    ("azure:keyvault:keys", "Microsoft.KeyVault/vaults/keys/read"),
    (
        "azure:keyvault:certificates",
        "Microsoft.KeyVault/vaults/certificates/read",
    ),
];

/// The permission a counted call needs, if the call is one the collector makes.
pub fn needed_for(operation_key: &str) -> Option<&'static str> {
    NEEDED
        .iter()
        .find(|(key, _)| *key == operation_key)
        .map(|(_, permission)| *permission)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn strings(value: &Value, field: &str) -> Vec<String> {
        value[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn the_shipped_role_grants_exactly_what_the_collector_calls() {
        let role: Value = serde_json::from_str(include_str!(
            "../../../examples/azure/nhiscan-reader.role.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let mut granted: BTreeSet<String> = strings(&role, "Actions").into_iter().collect();
        granted.extend(strings(&role, "DataActions"));
        let needed: BTreeSet<String> = NEEDED
            .iter()
            .map(|(_, p)| p.to_string())
            .filter(|p| !p.starts_with("graph:"))
            .collect();
        assert_eq!(granted, needed);
        for permission in &granted {
            let lower = permission.to_ascii_lowercase();
            assert!(
                !lower.contains("write")
                    && !lower.contains("delete")
                    && !lower.contains('*')
                    && !lower.contains("getsecret")
                    && !lower.contains("decrypt")
                    && !lower.contains("unwrap")
                    && !lower.contains("sign/"),
                "{permission} is more than a read"
            );
        }
        assert!(strings(&role, "NotActions").is_empty());
    }

    #[test]
    fn the_shipped_graph_permissions_are_the_ones_called() {
        let list: Value = serde_json::from_str(include_str!(
            "../../../examples/azure/graph-permissions.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let listed: BTreeSet<String> = ["required", "optional"]
            .iter()
            .flat_map(|k| list[*k].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p["value"].as_str().map(|v| format!("graph:{v}")))
            .collect();
        let needed: BTreeSet<String> = NEEDED
            .iter()
            .map(|(_, p)| p.to_string())
            .filter(|p| p.starts_with("graph:"))
            .collect();
        assert_eq!(listed, needed);
        for permission in &listed {
            assert!(
                permission.ends_with(".Read.All"),
                "{permission} is not read-only"
            );
        }
    }
}
