//! Azure Resource Manager: the subscriptions the login can see and, per subscription,
//! user-assigned managed identities, Key Vaults and role assignments (with the role
//! definitions they refer to). Four listings per subscription, whatever its size.

use super::errors::ApiError;
use super::rest::{Api, Rest};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscription_id: String,
    pub display_name: Option<String>,
    pub state: Option<String>,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserAssignedIdentity {
    pub id: String,
    pub name: String,
    pub location: Option<String>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    pub properties: Option<IdentityProperties>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProperties {
    pub principal_id: Option<String>,
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Vault {
    pub id: String,
    pub name: String,
    pub location: Option<String>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    pub properties: Option<VaultProperties>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultProperties {
    pub vault_uri: Option<String>,
    pub enable_rbac_authorization: Option<bool>,
    pub public_network_access: Option<String>,
}

impl Vault {
    /// Whether the vault's data plane is authorised by Azure RBAC rather than by access
    /// policies: `enableRbacAuthorization`, which ARM documents as false when unset (API
    /// version 2023-07-01, the one read). CIS Azure 8.1–8.4 tell the two kinds apart.
    pub fn rbac_authorization(&self) -> bool {
        self.properties
            .as_ref()
            .and_then(|p| p.enable_rbac_authorization)
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleAssignment {
    pub id: String,
    pub properties: RoleAssignmentProperties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    pub role_definition_id: String,
    pub principal_id: String,
    /// `ServicePrincipal`, `User`, `Group`, `ForeignGroup` or `Device`.
    pub principal_type: Option<String>,
    pub scope: String,
    pub created_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleDefinition {
    pub id: String,
    pub name: String,
    pub properties: RoleDefinitionProperties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionProperties {
    pub role_name: String,
    #[serde(rename = "type")]
    pub role_type: Option<String>,
    #[serde(default)]
    pub permissions: Vec<RolePermission>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePermission {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
}

/// What one subscription holds.
#[derive(Debug, Default)]
pub struct SubscriptionContents {
    pub identities: Vec<UserAssignedIdentity>,
    pub vaults: Vec<Vault>,
    pub assignments: Vec<RoleAssignment>,
    pub roles: Vec<RoleDefinition>,
    /// The listings that failed; the others are kept.
    pub errors: Vec<ApiError>,
}

pub async fn subscriptions(rest: &Rest) -> Result<Vec<Subscription>, ApiError> {
    rest.list(
        Api::Arm,
        "subscriptions",
        "/subscriptions?api-version=2022-12-01",
    )
    .await
}

/// The four listings of one subscription, concurrently; a denied one does not stop the
/// others.
pub async fn subscription_contents(rest: &Rest, subscription: &str) -> SubscriptionContents {
    let base = format!("/subscriptions/{subscription}/providers");
    let identities_path =
        format!("{base}/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31");
    let vaults_path = format!("{base}/Microsoft.KeyVault/vaults?api-version=2023-07-01");
    let assignments_path =
        format!("{base}/Microsoft.Authorization/roleAssignments?api-version=2022-04-01");
    let roles_path =
        format!("{base}/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01");
    let (identities, vaults, assignments, roles) = tokio::join!(
        rest.list::<UserAssignedIdentity>(Api::Arm, "userAssignedIdentities", &identities_path),
        rest.list::<Vault>(Api::Arm, "vaults", &vaults_path),
        rest.list::<RoleAssignment>(Api::Arm, "roleAssignments", &assignments_path),
        rest.list::<RoleDefinition>(Api::Arm, "roleDefinitions", &roles_path),
    );
    let mut contents = SubscriptionContents::default();
    match identities {
        Ok(v) => contents.identities = v,
        Err(e) => contents.errors.push(e),
    }
    match vaults {
        Ok(v) => contents.vaults = v,
        Err(e) => contents.errors.push(e),
    }
    match assignments {
        Ok(v) => contents.assignments = v,
        Err(e) => contents.errors.push(e),
    }
    match roles {
        Ok(v) => contents.roles = v,
        Err(e) => contents.errors.push(e),
    }
    contents
}
