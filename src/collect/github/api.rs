//! The GitHub REST endpoints the collector reads, and the parts of their responses it
//! keeps. Secret values are never returned by GitHub's metadata endpoints; variables'
//! values are returned but not kept (their type has no field for them).
//!
//! Shapes: <https://docs.github.com/en/rest> (API version 2022-11-28).

use super::errors::ApiError;
use super::rest::Rest;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `GET /orgs/{org}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Organization {
    pub login: String,
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
}

/// An item of `GET /orgs/{org}/repos`.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub name: String,
    pub full_name: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub visibility: Option<String>,
}

/// An item of `GET /repos/{owner}/{repo}/keys`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeployKey {
    pub id: u64,
    pub title: String,
    pub created_at: Option<String>,
    pub read_only: bool,
    #[serde(default)]
    pub verified: Option<bool>,
    /// Who added it (newer API responses).
    #[serde(default)]
    pub added_by: Option<String>,
    /// Last use: `None` when the response has no such field (older API versions and
    /// GitHub Enterprise Server: unknown), `Some(None)` when it is null (never used).
    #[serde(default, deserialize_with = "present")]
    pub last_used: Option<Option<String>>,
    /// False when an organisation policy disabled deploy keys.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An item of `GET /orgs/{org}/installations` (`installations`).
#[derive(Debug, Clone, Deserialize)]
pub struct Installation {
    pub id: u64,
    pub app_id: Option<u64>,
    pub app_slug: String,
    #[serde(default)]
    pub html_url: Option<String>,
    /// `all` or `selected`.
    #[serde(default)]
    pub repository_selection: Option<String>,
    /// Permission name → `read`, `write` or `admin`.
    #[serde(default)]
    pub permissions: BTreeMap<String, String>,
    #[serde(default)]
    pub events: Vec<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(default)]
    pub suspended_at: Option<String>,
}

/// An item of `GET /orgs/{org}/actions/secrets` or `/repos/{o}/{r}/actions/secrets`
/// (`secrets`): names and dates only, GitHub never returns a value.
#[derive(Debug, Clone, Deserialize)]
pub struct Secret {
    pub name: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// Organisation secrets: `all`, `private` or `selected`.
    #[serde(default)]
    pub visibility: Option<String>,
}

/// An item of `GET …/actions/variables` (`variables`). The value GitHub sends is not
/// kept: variables are plain configuration, only their names are counted.
#[derive(Debug, Clone, Deserialize)]
pub struct Variable {
    pub name: String,
}

/// An item of `GET /orgs/{org}/personal-access-tokens`: a fine-grained personal access
/// token granted access to the organisation.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenGrant {
    pub id: u64,
    pub owner: Account,
    #[serde(default)]
    pub repository_selection: Option<String>,
    /// `organization` / `repository` / `other` → permission → access.
    #[serde(default)]
    pub permissions: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub access_granted_at: Option<String>,
    #[serde(default)]
    pub token_id: Option<u64>,
    #[serde(default)]
    pub token_name: Option<String>,
    #[serde(default)]
    pub token_expired: bool,
    #[serde(default)]
    pub token_expires_at: Option<String>,
    #[serde(default)]
    pub token_last_used_at: Option<String>,
}

/// A field that is present (possibly null) becomes `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub login: String,
}

/// A path segment, percent-encoded (organisation and repository names are plain, but a
/// hostile one must not change the path).
pub fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
}

pub async fn organization(rest: &Rest, org: &str) -> Result<Organization, ApiError> {
    rest.get("orgs:get", &format!("/orgs/{}", segment(org)))
        .await
}

pub async fn repositories(rest: &Rest, org: &str) -> Result<Vec<Repository>, ApiError> {
    rest.list(
        "orgs:repos",
        &format!("/orgs/{}/repos?type=all&per_page=100", segment(org)),
    )
    .await
}

pub async fn deploy_keys(rest: &Rest, repo: &Repository) -> Result<Vec<DeployKey>, ApiError> {
    rest.list(
        "repos:keys",
        &format!("/repos/{}/keys?per_page=100", repo_path(repo)),
    )
    .await
}

pub async fn installations(rest: &Rest, org: &str) -> Result<Vec<Installation>, ApiError> {
    // Pages are `{"total_count": N, "installations": [...]}`.
    rest.list_in(
        "orgs:installations",
        &format!("/orgs/{}/installations?per_page=100", segment(org)),
        "installations",
    )
    .await
}

pub async fn org_secrets(rest: &Rest, org: &str) -> Result<Vec<Secret>, ApiError> {
    rest.list_in(
        "actions:orgSecrets",
        &format!("/orgs/{}/actions/secrets?per_page=100", segment(org)),
        "secrets",
    )
    .await
}

pub async fn org_variables(rest: &Rest, org: &str) -> Result<Vec<Variable>, ApiError> {
    rest.list_in(
        "actions:orgVariables",
        &format!("/orgs/{}/actions/variables?per_page=30", segment(org)),
        "variables",
    )
    .await
}

pub async fn repo_secrets(rest: &Rest, repo: &Repository) -> Result<Vec<Secret>, ApiError> {
    rest.list_in(
        "actions:repoSecrets",
        &format!("/repos/{}/actions/secrets?per_page=100", repo_path(repo)),
        "secrets",
    )
    .await
}

pub async fn repo_variables(rest: &Rest, repo: &Repository) -> Result<Vec<Variable>, ApiError> {
    rest.list_in(
        "actions:repoVariables",
        &format!("/repos/{}/actions/variables?per_page=30", repo_path(repo)),
        "variables",
    )
    .await
}

pub async fn token_grants(rest: &Rest, org: &str) -> Result<Vec<TokenGrant>, ApiError> {
    rest.list(
        "orgs:personalAccessTokens",
        &format!("/orgs/{}/personal-access-tokens?per_page=100", segment(org)),
    )
    .await
}

/// `owner/repo`, each part encoded.
fn repo_path(repo: &Repository) -> String {
    match repo.full_name.split_once('/') {
        Some((owner, name)) => format!("{}/{}", segment(owner), segment(name)),
        None => segment(&repo.full_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("acme-corp.io_x"), "acme-corp.io_x");
        assert_eq!(segment("../x"), "..%2Fx");
        assert_eq!(segment("a b?"), "a%20b%3F");
    }
}
