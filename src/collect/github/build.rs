//! From what the GitHub API returned to inventory identities and credentials.
//!
//! * A **deploy key** is an identity (kind `other`, `attributes.type = deploy_key`) with
//!   one `ssh_key` credential: the key is the machine's access to one repository. Its
//!   owner is the user who added it (`added_by`), its activity the key's last use.
//!   Read-only keys hold `contents:read on OWNER/REPO`, others `contents:write on …`
//!   (also in `permissions.privileged_actions`).
//! * A **GitHub App installation** is an identity of kind `app`: its permissions map in
//!   `attributes.permissions`, the names it may write or administer in
//!   `attributes.write_permissions` (and as `NAME:write` in `privileged_actions`).
//!   GitHub does not record an owner or a last use for it.
//! * A **fine-grained personal access token** granted to the organisation is an identity
//!   (kind `other`, `attributes.type = fine_grained_pat`) owned by the token's user, with
//!   one `token` credential (expiry, last use).
//! * An **Actions secret** (organisation or repository) is a `vault_secret` credential of
//!   no identity, in the vault `ORG` or `OWNER/REPO`: its last update is its last
//!   rotation. GitHub never returns values.
//!
//! Ids are the API paths of the objects (`repos/acme/api/keys/12`,
//! `orgs/acme/installations/3`, `orgs/acme/personal-access-tokens/4`,
//! `orgs/acme/actions/secrets/NAME`), so `gh api` takes them as they are.

use super::api::{DeployKey, Installation, Repository, Secret, TokenGrant};
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind, Location,
    Permissions, Provider, Scope, Tags,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What was read of one repository; `None` for a part that could not be read.
#[derive(Debug, Clone)]
pub struct RepoData {
    pub repo: Repository,
    pub keys: Option<Vec<DeployKey>>,
    pub secrets: Option<Vec<Secret>>,
}

/// What was read of the organisation.
#[derive(Debug, Clone, Default)]
pub struct OrgData {
    pub installations: Vec<Installation>,
    pub secrets: Vec<Secret>,
    pub grants: Vec<TokenGrant>,
    pub repos: Vec<RepoData>,
}

/// The result of [`build`].
#[derive(Debug, Default)]
pub struct Built {
    pub identities: Vec<Identity>,
    pub credentials: Vec<Credential>,
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(crate::inventory::time::parse)
}

/// Permission names granted `write` or `admin`, sorted.
pub fn write_permissions(permissions: &BTreeMap<String, String>) -> Vec<String> {
    permissions
        .iter()
        .filter(|(_, access)| matches!(access.as_str(), "write" | "admin"))
        .map(|(name, _)| name.clone())
        .collect()
}

pub fn build(scope: &Scope, data: &OrgData) -> Built {
    let mut built = Built::default();
    let org = scope.id.as_str();
    for installation in &data.installations {
        built.identities.push(app(scope, org, installation));
    }
    for grant in &data.grants {
        let (identity, credential) = token_grant(scope, org, grant);
        built.identities.push(identity);
        built.credentials.push(credential);
    }
    for secret in &data.secrets {
        built.credentials.push(actions_secret(
            scope,
            &format!("orgs/{org}/actions/secrets/{}", secret.name),
            org,
            "org",
            None,
            secret,
        ));
    }
    for repo in &data.repos {
        for key in repo.keys.iter().flatten() {
            let (identity, credential) = deploy_key(scope, &repo.repo, key);
            built.identities.push(identity);
            built.credentials.push(credential);
        }
        for secret in repo.secrets.iter().flatten() {
            built.credentials.push(actions_secret(
                scope,
                &format!(
                    "repos/{}/actions/secrets/{}",
                    repo.repo.full_name, secret.name
                ),
                &repo.repo.full_name,
                "repo",
                Some(&repo.repo.full_name),
                secret,
            ));
        }
    }
    built
}

fn deploy_key(scope: &Scope, repo: &Repository, key: &DeployKey) -> (Identity, Credential) {
    let id = format!("repos/{}/keys/{}", repo.full_name, key.id);
    let mut identity = Identity::new(
        Provider::Github,
        scope.clone(),
        id.clone(),
        format!("{}:{}", repo.full_name, key.title),
        IdentityKind::Other,
    );
    identity.description = Some(format!(
        "deploy key of {} ({})",
        repo.full_name,
        if key.read_only {
            "read-only"
        } else {
            "read-write"
        }
    ));
    identity.created = time(key.created_at.as_deref());
    let last_used = key.last_used.as_ref().map(|used| time(used.as_deref()));
    identity.activity_tracked = last_used.is_some();
    identity.last_activity = last_used.flatten();
    identity.enabled = key.enabled.unwrap_or(true);
    identity.owners = key.added_by.iter().cloned().collect();
    let access = if key.read_only { "read" } else { "write" };
    let grant = format!("contents:{access} on {}", repo.full_name);
    identity.permissions = Permissions {
        privileged_actions: if key.read_only {
            Vec::new()
        } else {
            vec![grant.clone()]
        },
        policies: vec![grant],
        ..Permissions::default()
    };
    let attributes: Attributes = [
        ("type", json!("deploy_key")),
        ("repository", json!(repo.full_name)),
        ("repository_archived", json!(repo.archived)),
        ("read_only", json!(key.read_only)),
        ("key_id", json!(key.id)),
    ]
    .into_iter()
    .chain(key.verified.map(|v| ("verified", json!(v))))
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    identity.attributes = attributes.clone();
    let credential = Credential {
        provider: Provider::Github,
        scope: scope.clone(),
        id: id.clone(),
        name: Some(key.title.clone()),
        kind: CredentialKind::SshKey,
        identity_id: Some(id),
        created: identity.created,
        expires: None,
        last_used: identity.last_activity,
        usage_tracked: identity.activity_tracked,
        last_rotated: None,
        rotation_enabled: None,
        rotation_interval_days: None,
        status: if identity.enabled {
            CredentialStatus::Active
        } else {
            CredentialStatus::Inactive
        },
        location: Location::default(),
        tags: Tags::new(),
        attributes,
    };
    (identity, credential)
}

fn app(scope: &Scope, org: &str, installation: &Installation) -> Identity {
    let mut identity = Identity::new(
        Provider::Github,
        scope.clone(),
        format!("orgs/{org}/installations/{}", installation.id),
        installation.app_slug.clone(),
        IdentityKind::App,
    );
    identity.description = Some(format!(
        "GitHub App {} installed on {org}",
        installation.app_slug
    ));
    identity.created = time(installation.created_at.as_deref());
    identity.enabled = installation.suspended_at.is_none();
    let writes = write_permissions(&installation.permissions);
    identity.permissions = Permissions {
        privileged_actions: writes
            .iter()
            .map(|name| format!("{name}:{}", installation.permissions[name]))
            .collect(),
        policies: installation
            .permissions
            .iter()
            .map(|(name, access)| format!("{name}:{access}"))
            .collect(),
        ..Permissions::default()
    };
    let mut attributes = Attributes::new();
    let mut put = |k: &str, v: Value| {
        attributes.insert(k.to_string(), v);
    };
    put("type", json!("github_app_installation"));
    put("installation_id", json!(installation.id));
    put("app_slug", json!(installation.app_slug));
    put("permissions", json!(installation.permissions));
    put("write_permissions", json!(writes));
    put("events", json!(installation.events));
    if let Some(app_id) = installation.app_id {
        put("app_id", json!(app_id));
    }
    if let Some(selection) = &installation.repository_selection {
        put("repository_selection", json!(selection));
    }
    if let Some(url) = &installation.html_url {
        put("html_url", json!(url));
    }
    if let Some(updated) = &installation.updated_at {
        put("updated_at", json!(updated));
    }
    if let Some(suspended) = &installation.suspended_at {
        put("suspended_at", json!(suspended));
    }
    identity.attributes = attributes;
    identity
}

fn token_grant(scope: &Scope, org: &str, grant: &TokenGrant) -> (Identity, Credential) {
    let id = format!("orgs/{org}/personal-access-tokens/{}", grant.id);
    let token_name = grant
        .token_name
        .clone()
        .unwrap_or_else(|| format!("token {}", grant.token_id.unwrap_or(grant.id)));
    let mut identity = Identity::new(
        Provider::Github,
        scope.clone(),
        id.clone(),
        format!("{}/{token_name}", grant.owner.login),
        IdentityKind::Other,
    );
    identity.description = Some(format!(
        "fine-grained personal access token of {} granted access to {org}",
        grant.owner.login
    ));
    identity.created = time(grant.access_granted_at.as_deref());
    identity.activity_tracked = true;
    identity.last_activity = time(grant.token_last_used_at.as_deref());
    identity.owners = vec![grant.owner.login.clone()];
    let flat: BTreeMap<String, String> = grant
        .permissions
        .values()
        .flat_map(|perms| perms.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let writes = write_permissions(&flat);
    identity.permissions = Permissions {
        privileged_actions: writes
            .iter()
            .map(|name| format!("{name}:{}", flat[name]))
            .collect(),
        policies: flat
            .iter()
            .map(|(name, access)| format!("{name}:{access}"))
            .collect(),
        ..Permissions::default()
    };
    let mut attributes = Attributes::new();
    attributes.insert("type", json!("fine_grained_pat"));
    attributes.insert("owner", json!(grant.owner.login));
    attributes.insert("permissions", json!(grant.permissions));
    attributes.insert("write_permissions", json!(writes));
    attributes.insert("token_expired", json!(grant.token_expired));
    if let Some(token_id) = grant.token_id {
        attributes.insert("token_id", json!(token_id));
    }
    if let Some(selection) = &grant.repository_selection {
        attributes.insert("repository_selection", json!(selection));
    }
    identity.attributes = attributes.clone();
    let credential = Credential {
        provider: Provider::Github,
        scope: scope.clone(),
        id: id.clone(),
        name: Some(token_name),
        kind: CredentialKind::Token,
        identity_id: Some(id),
        created: identity.created,
        expires: time(grant.token_expires_at.as_deref()),
        last_used: identity.last_activity,
        usage_tracked: true,
        last_rotated: None,
        rotation_enabled: None,
        rotation_interval_days: None,
        status: CredentialStatus::Active,
        location: Location::default(),
        tags: Tags::new(),
        attributes,
    };
    (identity, credential)
}

fn actions_secret(
    scope: &Scope,
    id: &str,
    vault: &str,
    level: &str,
    repository: Option<&str>,
    secret: &Secret,
) -> Credential {
    let mut attributes = Attributes::new();
    attributes.insert("type", json!("actions_secret"));
    attributes.insert("level", json!(level));
    if let Some(repository) = repository {
        attributes.insert("repository", json!(repository));
    }
    if let Some(visibility) = &secret.visibility {
        attributes.insert("visibility", json!(visibility));
    }
    Credential {
        provider: Provider::Github,
        scope: scope.clone(),
        id: id.to_string(),
        name: Some(secret.name.clone()),
        kind: CredentialKind::VaultSecret,
        identity_id: None,
        created: time(secret.created_at.as_deref()),
        expires: None,
        last_used: None,
        usage_tracked: false,
        last_rotated: time(secret.updated_at.as_deref()),
        rotation_enabled: None,
        rotation_interval_days: None,
        status: CredentialStatus::Active,
        location: Location {
            region: None,
            vault: Some(vault.to_string().into()),
        },
        tags: Tags::new(),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ScopeKind;

    fn scope() -> Scope {
        Scope {
            kind: ScopeKind::Organization,
            id: "acme".into(),
            name: Some("Acme".into()),
        }
    }

    fn repo() -> Repository {
        serde_json::from_value(json!({"name": "api", "full_name": "acme/api"}))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_write_deploy_key_is_an_identity_with_an_ssh_key() {
        let key: DeployKey = serde_json::from_value(json!({
            "id": 7, "title": "ci", "created_at": "2024-01-02T03:04:05Z", "read_only": false,
            "added_by": "octocat", "last_used": null
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let data = OrgData {
            repos: vec![RepoData {
                repo: repo(),
                keys: Some(vec![key]),
                secrets: None,
            }],
            ..OrgData::default()
        };
        let built = build(&scope(), &data);
        let identity = &built.identities[0];
        assert_eq!(identity.id, "repos/acme/api/keys/7");
        assert_eq!(identity.owners, ["octocat"]);
        assert!(identity.activity_tracked && identity.last_activity.is_none());
        assert_eq!(
            identity.permissions.privileged_actions,
            ["contents:write on acme/api"]
        );
        let credential = &built.credentials[0];
        assert_eq!(credential.kind, CredentialKind::SshKey);
        assert_eq!(credential.attributes["read_only"], json!(false));
        assert!(credential.usage_tracked);
    }

    #[test]
    fn a_key_without_last_used_has_unknown_activity() {
        let key: DeployKey = serde_json::from_value(
            json!({"id": 8, "title": "r", "created_at": null, "read_only": true}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (identity, credential) = deploy_key(&scope(), &repo(), &key);
        assert!(!identity.activity_tracked && !credential.usage_tracked);
        assert!(identity.permissions.privileged_actions.is_empty());
    }

    #[test]
    fn apps_list_their_write_permissions() {
        let installation: Installation = serde_json::from_value(json!({
            "id": 3, "app_id": 9, "app_slug": "deploy-bot", "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-02-01T00:00:00Z", "suspended_at": null,
            "permissions": {"contents": "write", "metadata": "read", "administration": "admin"}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let identity = app(&scope(), "acme", &installation);
        assert_eq!(identity.kind, IdentityKind::App);
        assert_eq!(
            identity.attributes["write_permissions"],
            json!(["administration", "contents"])
        );
        assert_eq!(
            identity.permissions.privileged_actions,
            ["administration:admin", "contents:write"]
        );
        assert!(identity.enabled);
    }

    #[test]
    fn secrets_keep_dates_and_never_a_value() {
        let secret: Secret = serde_json::from_value(json!({
            "name": "NPM_TOKEN", "created_at": "2023-01-01T00:00:00Z",
            "updated_at": "2023-06-01T00:00:00Z", "visibility": "all"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let data = OrgData {
            secrets: vec![secret],
            ..OrgData::default()
        };
        let built = build(&scope(), &data);
        let credential = &built.credentials[0];
        assert_eq!(credential.id, "orgs/acme/actions/secrets/NPM_TOKEN");
        assert_eq!(credential.location.vault.as_deref(), Some("acme"));
        assert_eq!(
            credential.last_rotated.map(|t| t.to_rfc3339()),
            Some("2023-06-01T00:00:00+00:00".into())
        );
        assert!(!credential.usage_tracked);
    }
}
