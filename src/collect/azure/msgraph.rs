//! Microsoft Graph (v1.0, and the beta sign-in activity report): the tenant, app
//! registrations and service principals with their credentials' metadata and owners,
//! and the application permissions granted on Microsoft Graph itself.
//!
//! Calls: `organization`, `applications` and `servicePrincipals` (owners expanded in the
//! same request: no call per object), the Microsoft Graph service principal's app roles,
//! its `appRoleAssignedTo` (every application permission on Graph in the tenant, in one
//! paged listing), and `reports/servicePrincipalSignInActivities` (needs
//! AuditLog.Read.All and Entra ID P1/P2; without it activity is unknown, not a failure).
//! Credential `hint`s (the first characters of a secret) are never requested.

use super::errors::ApiError;
use super::rest::{Api, Rest};
use serde::{Deserialize, Deserializer};

/// The appId of Microsoft Graph, the same in every tenant.
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

const OWNERS: &str = "$expand=owners($select=id,displayName,userPrincipalName,mail)";

/// `null` as the type's default (Graph sends `null` for empty collections now and then).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub verified_domains: Vec<VerifiedDomain>,
}

impl Organization {
    /// The tenant's initial `*.onmicrosoft.com` domain, else its display name.
    pub fn label(&self) -> Option<String> {
        self.verified_domains
            .iter()
            .find(|d| d.is_initial == Some(true))
            .map(|d| d.name.clone())
            .or_else(|| self.display_name.clone())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    pub name: String,
    pub is_initial: Option<bool>,
}

/// A user, group or service principal named as an owner.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
}

impl Owner {
    /// How the owner is written in the inventory: mail, else UPN, else name, else id.
    pub fn label(&self) -> String {
        self.mail
            .clone()
            .or_else(|| self.user_principal_name.clone())
            .or_else(|| self.display_name.clone())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// A client secret's metadata (`passwordCredential`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    pub key_id: Option<String>,
    pub display_name: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
}

/// A certificate's metadata (`keyCredential`); the key itself is not requested.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    pub key_id: Option<String>,
    pub display_name: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    #[serde(rename = "type")]
    pub key_type: Option<String>,
    pub usage: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: String,
    pub app_id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub created_date_time: Option<String>,
    pub sign_in_audience: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default, deserialize_with = "nullable")]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(default, deserialize_with = "nullable")]
    pub owners: Vec<Owner>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    /// `Application`, `ManagedIdentity`, `Legacy` or `SocialIdp`.
    pub service_principal_type: Option<String>,
    pub app_owner_organization_id: Option<String>,
    pub account_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub alternative_names: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default, deserialize_with = "nullable")]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(default, deserialize_with = "nullable")]
    pub owners: Vec<Owner>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    pub id: String,
    pub value: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceServicePrincipal {
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    app_roles: Vec<AppRole>,
}

/// An application permission granted to a service principal.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    pub app_role_id: String,
    pub principal_id: String,
    pub principal_type: Option<String>,
    pub resource_display_name: Option<String>,
    pub created_date_time: Option<String>,
}

/// The latest sign-in of a service principal (beta report): any, and as a client in
/// each flow (app-only: its application permissions; delegated: on behalf of a user).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    pub app_id: Option<String>,
    pub last_sign_in_activity: Option<LastSignIn>,
    #[serde(default)]
    pub application_authentication_client_sign_in_activity: Option<LastSignIn>,
    #[serde(default)]
    pub delegated_client_sign_in_activity: Option<LastSignIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastSignIn {
    pub last_sign_in_date_time: Option<String>,
}

/// Permissions granted on Microsoft Graph, by permission name.
#[derive(Debug, Clone, Default)]
pub struct GraphGrants {
    /// (service principal object id, permission value such as `Directory.ReadWrite.All`).
    pub grants: Vec<(String, String)>,
}

pub async fn organization(rest: &Rest) -> Result<Organization, ApiError> {
    let orgs: Vec<Organization> = rest
        .list(
            Api::Graph,
            "organization",
            "/v1.0/organization?$select=id,displayName,verifiedDomains",
        )
        .await?;
    orgs.into_iter().next().ok_or_else(|| {
        ApiError::new(
            "azure:graph:organization",
            super::errors::ErrorKind::Invalid,
            "Graph returned no organization for the tenant",
        )
    })
}

pub async fn applications(rest: &Rest) -> Result<Vec<Application>, ApiError> {
    let query = format!(
        "/v1.0/applications?$select=id,appId,displayName,description,notes,createdDateTime,\
         signInAudience,tags,passwordCredentials,keyCredentials&{OWNERS}&$top=999"
    );
    rest.list(Api::Graph, "applications", &query).await
}

pub async fn service_principals(rest: &Rest) -> Result<Vec<ServicePrincipal>, ApiError> {
    let query = format!(
        "/v1.0/servicePrincipals?$select=id,appId,displayName,description,notes,\
         servicePrincipalType,appOwnerOrganizationId,accountEnabled,tags,alternativeNames,\
         passwordCredentials,keyCredentials&{OWNERS}&$top=999"
    );
    rest.list(Api::Graph, "servicePrincipals", &query).await
}

/// Every application permission granted on Microsoft Graph in the tenant, by name.
pub async fn graph_grants(rest: &Rest) -> Result<GraphGrants, ApiError> {
    let graph: ResourceServicePrincipal = rest
        .get(
            Api::Graph,
            "graphAppRoles",
            &format!(
                "/v1.0/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')?$select=id,appId,displayName,appRoles"
            ),
        )
        .await?;
    let assignments: Vec<AppRoleAssignment> = rest
        .list(
            Api::Graph,
            "appRoleAssignedTo",
            &format!(
                "/v1.0/servicePrincipals/{}/appRoleAssignedTo?$top=999",
                graph.id
            ),
        )
        .await?;
    let grants = assignments
        .into_iter()
        .filter_map(|a| {
            let role = graph.app_roles.iter().find(|r| r.id == a.app_role_id)?;
            Some((a.principal_id, role.value.clone()?))
        })
        .collect();
    Ok(GraphGrants { grants })
}

pub async fn sign_in_activities(rest: &Rest) -> Result<Vec<SignInActivity>, ApiError> {
    rest.list(
        Api::Graph,
        "servicePrincipalSignInActivities",
        "/beta/reports/servicePrincipalSignInActivities?$top=999",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_documented_shapes_with_nulls() {
        let app: Application = serde_json::from_str(
            r##"{"id":"o","appId":"a","displayName":"x","tags":null,"passwordCredentials":[
                {"customKeyIdentifier":null,"displayName":"s","endDateTime":"2026-01-01T00:00:00Z",
                 "hint":"abc","keyId":"k","secretText":null,"startDateTime":"2025-01-01T00:00:00Z"}],
                "owners":[{"@odata.type":"#microsoft.graph.user","id":"u","userPrincipalName":"u@x"}]}"##,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(app.tags.is_empty());
        assert_eq!(app.password_credentials[0].key_id.as_deref(), Some("k"));
        assert_eq!(app.owners[0].label(), "u@x");
    }
}
