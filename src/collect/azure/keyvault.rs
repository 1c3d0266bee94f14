//! Key Vault data plane through the official SDK crates
//! (`azure_security_keyvault_{secrets,keys,certificates}` 1.x): the properties of every
//! secret, key and certificate — enabled, created, updated, expiry, not-before, tags,
//! managed — and never a value: only the `list_*_properties` operations are called, and
//! a pipeline policy on every client refuses anything but a GET of a listing before it
//! is sent, and counts each attempt as `azure:keyvault:<secrets|keys|certificates>`.
//!
//! Secrets with `managed: true` back a certificate and are reported as that
//! certificate, not twice. Only the current version of each item is read, so `created`
//! is when its current value was set (also recorded as `last_rotated`). Each item
//! records its vault's permission model, `vault_rbac` (Azure RBAC, or access policies),
//! which CIS Azure 8.1–8.4 judge separately.

use super::arm::Vault;
use super::errors::{ApiError, ErrorKind};
use crate::collect::counter::CallCounter;
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Location, Provider, Scope,
};
use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{ClientOptions, Context, Method, Request};
use azure_core::time::OffsetDateTime;
use azure_security_keyvault_certificates::{CertificateClient, CertificateClientOptions};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// Refuses every request but a GET of a listing (`/secrets`, `/keys`, `/certificates`,
/// and their next pages), and counts the rest.
#[derive(Debug)]
struct ReadOnlyListings {
    counter: CallCounter,
}

/// Whether a Key Vault request is a listing of item properties.
pub fn is_listing(method: Method, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    method == Method::Get && matches!(path, "/secrets" | "/keys" | "/certificates")
}

#[async_trait]
impl Policy for ReadOnlyListings {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let path = request.url().path().to_string();
        if !is_listing(request.method(), &path) {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Other,
                format!(
                    "nhiscan refused to send {} {path}: the Key Vault collector only lists properties",
                    request.method()
                ),
            ));
        }
        self.counter
            .add(format!("azure:keyvault:{}", path.trim_matches('/')));
        match next.split_first() {
            Some((policy, rest)) => policy.send(ctx, request, rest).await,
            None => Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Other,
                "no transport after the read-only policy",
            )),
        }
    }
}

fn client_options(counter: &CallCounter) -> ClientOptions {
    ClientOptions {
        per_try_policies: vec![Arc::new(ReadOnlyListings {
            counter: counter.clone(),
        })],
        ..ClientOptions::default()
    }
}

/// One item before it becomes a credential.
struct Item {
    kind: CredentialKind,
    id: String,
    enabled: Option<bool>,
    created: Option<OffsetDateTime>,
    updated: Option<OffsetDateTime>,
    expires: Option<OffsetDateTime>,
    not_before: Option<OffsetDateTime>,
    tags: Option<HashMap<String, String>>,
    content_type: Option<String>,
}

/// What one vault gave: its credentials, and the listings that failed.
#[derive(Debug, Default)]
pub struct VaultResult {
    pub credentials: Vec<Credential>,
    pub errors: Vec<ApiError>,
    /// Secrets skipped because they back a certificate.
    pub managed_secrets: usize,
}

/// Lists the three kinds of item of `vault`; a denied listing does not stop the others.
pub async fn collect_vault(
    vault: &Vault,
    vault_uri: &str,
    subscription: &str,
    scope: &Scope,
    credential: Arc<dyn TokenCredential>,
    counter: &CallCounter,
) -> VaultResult {
    let (secrets, keys, certificates) = tokio::join!(
        secrets(vault_uri, credential.clone(), counter),
        keys(vault_uri, credential.clone(), counter),
        certificates(vault_uri, credential.clone(), counter),
    );
    let mut result = VaultResult::default();
    let mut items = Vec::new();
    match secrets {
        Ok((listed, managed)) => {
            items.extend(listed);
            result.managed_secrets = managed;
        }
        Err(e) => result.errors.push(e),
    }
    for listing in [keys, certificates] {
        match listing {
            Ok(listed) => items.extend(listed),
            Err(e) => result.errors.push(e),
        }
    }
    result.credentials = items
        .into_iter()
        .map(|item| to_credential(item, vault, vault_uri, subscription, scope))
        .collect();
    result
}

fn sdk_error(what: &'static str, error: azure_core::Error) -> ApiError {
    let operation = format!("azure:keyvault:{what}");
    if let azure_core::error::ErrorKind::HttpResponse {
        status,
        error_code,
        raw_response,
    } = error.kind()
    {
        let mut e = match raw_response {
            Some(raw) => super::errors::from_response(operation, u16::from(*status), raw.body()),
            None => super::errors::from_response(operation, u16::from(*status), b""),
        };
        if e.code.is_none() {
            e.code = error_code.clone();
        }
        return e;
    }
    let kind = match error.kind() {
        azure_core::error::ErrorKind::Credential => ErrorKind::Token,
        azure_core::error::ErrorKind::Io => ErrorKind::Network,
        _ => ErrorKind::Other,
    };
    ApiError::new(operation, kind, error.to_string())
}

/// Every item of a listing, through its next-page links, each turned into an [`Item`]
/// (or skipped) by `item`.
async fn drain<S, T>(
    what: &'static str,
    mut pager: S,
    mut item: impl FnMut(T) -> Option<Item>,
) -> Result<Vec<Item>, ApiError>
where
    S: futures::TryStream<Ok = T, Error = azure_core::Error> + Unpin,
{
    let mut items = Vec::new();
    while let Some(listed) = pager.try_next().await.map_err(|e| sdk_error(what, e))? {
        items.extend(item(listed));
    }
    Ok(items)
}

/// The dates and state every kind of item has.
type Dates = (
    Option<bool>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

impl Item {
    fn new(
        kind: CredentialKind,
        id: String,
        (enabled, created, updated, expires, not_before): Dates,
        tags: Option<HashMap<String, String>>,
    ) -> Item {
        Item {
            kind,
            id,
            enabled,
            created,
            updated,
            expires,
            not_before,
            tags,
            content_type: None,
        }
    }
}

async fn secrets(
    uri: &str,
    credential: Arc<dyn TokenCredential>,
    counter: &CallCounter,
) -> Result<(Vec<Item>, usize), ApiError> {
    let options = SecretClientOptions {
        client_options: client_options(counter),
        ..SecretClientOptions::default()
    };
    let client =
        SecretClient::new(uri, credential, Some(options)).map_err(|e| sdk_error("secrets", e))?;
    let pager = client
        .list_secret_properties(None)
        .map_err(|e| sdk_error("secrets", e))?;
    let mut managed = 0;
    let items = drain("secrets", pager, |secret| {
        if secret.managed == Some(true) {
            managed += 1;
            return None;
        }
        let a = secret.attributes.unwrap_or_default();
        let dates = (a.enabled, a.created, a.updated, a.expires, a.not_before);
        let mut item = Item::new(CredentialKind::VaultSecret, secret.id?, dates, secret.tags);
        item.content_type = secret.content_type;
        Some(item)
    })
    .await?;
    Ok((items, managed))
}

async fn keys(
    uri: &str,
    credential: Arc<dyn TokenCredential>,
    counter: &CallCounter,
) -> Result<Vec<Item>, ApiError> {
    let options = KeyClientOptions {
        client_options: client_options(counter),
        ..KeyClientOptions::default()
    };
    let client =
        KeyClient::new(uri, credential, Some(options)).map_err(|e| sdk_error("keys", e))?;
    let pager = client
        .list_key_properties(None)
        .map_err(|e| sdk_error("keys", e))?;
    drain("keys", pager, |key| {
        if key.managed == Some(true) {
            return None; // The key of a certificate, reported as the certificate.
        }
        let a = key.attributes.unwrap_or_default();
        let dates = (a.enabled, a.created, a.updated, a.expires, a.not_before);
        Some(Item::new(
            CredentialKind::VaultKey,
            key.kid?,
            dates,
            key.tags,
        ))
    })
    .await
}

async fn certificates(
    uri: &str,
    credential: Arc<dyn TokenCredential>,
    counter: &CallCounter,
) -> Result<Vec<Item>, ApiError> {
    let options = CertificateClientOptions {
        client_options: client_options(counter),
        ..CertificateClientOptions::default()
    };
    let client = CertificateClient::new(uri, credential, Some(options))
        .map_err(|e| sdk_error("certificates", e))?;
    let pager = client
        .list_certificate_properties(None)
        .map_err(|e| sdk_error("certificates", e))?;
    drain("certificates", pager, |certificate| {
        let a = certificate.attributes.unwrap_or_default();
        let dates = (a.enabled, a.created, a.updated, a.expires, a.not_before);
        let id = certificate.id?;
        Some(Item::new(
            CredentialKind::Certificate,
            id,
            dates,
            certificate.tags,
        ))
    })
    .await
}

fn chrono_time(t: Option<OffsetDateTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond())
}

fn to_credential(
    item: Item,
    vault: &Vault,
    vault_uri: &str,
    subscription: &str,
    scope: &Scope,
) -> Credential {
    let name = item
        .id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .map(str::to_string);
    let mut attributes = Attributes::new();
    attributes.insert("vault_uri", json!(vault_uri));
    attributes.insert("vault_id", json!(vault.id));
    attributes.insert("subscriptionId", json!(subscription));
    attributes.insert("vault_rbac", json!(vault.rbac_authorization()));
    if let Some(updated) = chrono_time(item.updated) {
        attributes.insert("updated", json!(updated));
    }
    if let Some(not_before) = chrono_time(item.not_before) {
        attributes.insert("not_before", json!(not_before));
    }
    if let Some(content_type) = item.content_type {
        attributes.insert("content_type", json!(content_type));
    }
    let created = chrono_time(item.created);
    Credential {
        provider: Provider::Azure,
        scope: scope.clone(),
        id: item.id,
        name,
        kind: item.kind,
        identity_id: None,
        created,
        expires: chrono_time(item.expires),
        last_used: None,
        usage_tracked: false,
        last_rotated: if item.kind == CredentialKind::VaultSecret {
            created
        } else {
            None
        },
        rotation_enabled: None,
        rotation_interval_days: None,
        status: if item.enabled == Some(false) {
            CredentialStatus::Inactive
        } else {
            CredentialStatus::Active
        },
        location: Location {
            region: vault.location.clone().map(Into::into),
            vault: Some(vault.name.clone().into()),
        },
        tags: item.tags.into_iter().flatten().collect(),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ScopeKind;

    fn vault(rbac: Option<bool>) -> Vault {
        let mut properties = json!({"vaultUri": "https://kv-app.vault.azure.net/"});
        if let Some(rbac) = rbac {
            properties["enableRbacAuthorization"] = json!(rbac);
        }
        serde_json::from_value(json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-app",
            "name": "kv-app", "location": "westeurope", "properties": properties
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn item(kind: CredentialKind, id: &str) -> Item {
        Item::new(
            kind,
            id.to_string(),
            (Some(true), None, None, None, None),
            None,
        )
    }

    fn built(vault: &Vault, kind: CredentialKind, id: &str) -> Credential {
        let scope = Scope {
            kind: ScopeKind::Tenant,
            id: "t".into(),
            name: None,
        };
        to_credential(
            item(kind, id),
            vault,
            "https://kv-app.vault.azure.net/",
            "s",
            &scope,
        )
    }

    #[test]
    fn every_item_says_whether_its_vault_uses_rbac() {
        for (rbac, expected) in [(Some(true), true), (Some(false), false), (None, false)] {
            let vault = vault(rbac);
            for (kind, id) in [
                (
                    CredentialKind::VaultKey,
                    "https://kv-app.vault.azure.net/keys/signing",
                ),
                (
                    CredentialKind::VaultSecret,
                    "https://kv-app.vault.azure.net/secrets/db-password",
                ),
                (
                    CredentialKind::Certificate,
                    "https://kv-app.vault.azure.net/certificates/tls",
                ),
            ] {
                let credential = built(&vault, kind, id);
                assert_eq!(
                    credential.attributes["vault_rbac"],
                    json!(expected),
                    "{kind:?} with enableRbacAuthorization {rbac:?}"
                );
                assert_eq!(credential.location.vault.as_deref(), Some("kv-app"));
            }
        }
    }

    #[test]
    fn only_listings_pass() {
        assert!(is_listing(Method::Get, "/secrets"));
        assert!(is_listing(Method::Get, "/keys/"));
        assert!(is_listing(Method::Get, "/certificates"));
        assert!(!is_listing(Method::Get, "/secrets/db-password"));
        assert!(!is_listing(Method::Get, "/secrets/db-password/0123"));
        assert!(!is_listing(Method::Post, "/keys"));
        assert!(!is_listing(Method::Delete, "/secrets"));
    }
}
