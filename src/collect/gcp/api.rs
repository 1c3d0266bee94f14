//! The Google Cloud calls the collector makes and the parts of their responses it reads.
//! Google leaves empty lists out of responses: every list here defaults to empty.

use super::errors::ApiError;
use super::rest::{
    PolicyOptions, Rest, CLOUD_FUNCTIONS, CLOUD_RUN, COMPUTE, CONTAINER, IAM, POLICY_ANALYZER,
    RESOURCE_MANAGER,
};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Characters escaped in a path segment (`@` and `.` of an email stay as they are).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

pub(super) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A project (Resource Manager v3).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// `projects/123456789012`.
    pub name: String,
    pub project_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `folders/N` or `organizations/N`.
    #[serde(default)]
    pub parent: Option<String>,
}

impl Project {
    /// The project number (`name` without `projects/`).
    pub fn number(&self) -> &str {
        self.name.strip_prefix("projects/").unwrap_or(&self.name)
    }
}

#[derive(Debug, Deserialize)]
struct ProjectsPage {
    #[serde(default)]
    projects: Vec<Project>,
}

/// Every active project the login can see.
pub async fn projects(rest: &Rest) -> Result<Vec<Project>, ApiError> {
    let pages: Vec<ProjectsPage> = rest
        .pages(
            "cloudresourcemanager:projects.search",
            &format!("{RESOURCE_MANAGER}/v3/projects:search?query=state%3AACTIVE&pageSize=500"),
        )
        .await?;
    Ok(pages.into_iter().flat_map(|p| p.projects).collect())
}

/// One project by id or number.
pub async fn project(rest: &Rest, id: &str) -> Result<Project, ApiError> {
    rest.get(
        "cloudresourcemanager:projects.get",
        &format!("{RESOURCE_MANAGER}/v3/projects/{}", segment(id)),
    )
    .await
}

/// An IAM policy (version 3).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Policy {
    #[serde(default)]
    pub bindings: Vec<Binding>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Binding {
    pub role: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub condition: Option<Condition>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub expression: Option<String>,
}

impl Condition {
    /// `title: expression`, or whichever is given.
    pub fn describe(&self) -> String {
        match (self.title.as_deref(), self.expression.as_deref()) {
            (Some(t), Some(e)) => format!("{t}: {e}"),
            (Some(t), None) => t.to_string(),
            (None, Some(e)) => e.to_string(),
            (None, None) => "a condition".into(),
        }
    }
}

pub async fn project_policy(rest: &Rest, project_id: &str) -> Result<Policy, ApiError> {
    rest.get_iam_policy(
        "cloudresourcemanager:projects.getIamPolicy",
        &format!(
            "{RESOURCE_MANAGER}/v3/projects/{}:getIamPolicy",
            segment(project_id)
        ),
        PolicyOptions::InBody,
    )
    .await
}

/// A folder of the resource hierarchy.
#[derive(Debug, Clone, Deserialize)]
pub struct Folder {
    /// `folders/N`.
    pub name: String,
    /// `folders/N` or `organizations/N`.
    #[serde(default)]
    pub parent: Option<String>,
}

/// `folders/N` or `organizations/N` as a path, each part escaped.
fn resource_path(name: &str) -> String {
    name.split('/').map(segment).collect::<Vec<_>>().join("/")
}

pub async fn folder(rest: &Rest, name: &str) -> Result<Folder, ApiError> {
    rest.get(
        "cloudresourcemanager:folders.get",
        &format!("{RESOURCE_MANAGER}/v3/{}", resource_path(name)),
    )
    .await
}

/// The IAM policy of a folder or an organisation, which its projects inherit.
pub async fn ancestor_policy(rest: &Rest, name: &str) -> Result<Policy, ApiError> {
    let operation = if name.starts_with("folders/") {
        "cloudresourcemanager:folders.getIamPolicy"
    } else {
        "cloudresourcemanager:organizations.getIamPolicy"
    };
    rest.get_iam_policy(
        operation,
        &format!("{RESOURCE_MANAGER}/v3/{}:getIamPolicy", resource_path(name)),
        PolicyOptions::InBody,
    )
    .await
}

/// A service account.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub email: String,
    #[serde(default)]
    pub unique_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub oauth2_client_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AccountsPage {
    #[serde(default)]
    accounts: Vec<ServiceAccount>,
}

pub async fn service_accounts(
    rest: &Rest,
    project_id: &str,
) -> Result<Vec<ServiceAccount>, ApiError> {
    let pages: Vec<AccountsPage> = rest
        .pages(
            "iam:serviceAccounts.list",
            &format!(
                "{IAM}/v1/projects/{}/serviceAccounts?pageSize=100",
                segment(project_id)
            ),
        )
        .await?;
    Ok(pages.into_iter().flat_map(|p| p.accounts).collect())
}

/// A service account key's metadata (the list never returns private key material).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    /// `projects/P/serviceAccounts/EMAIL/keys/KEY_ID`.
    pub name: String,
    #[serde(default)]
    pub valid_after_time: Option<String>,
    #[serde(default)]
    pub valid_before_time: Option<String>,
    #[serde(default)]
    pub key_algorithm: Option<String>,
    /// `GOOGLE_PROVIDED` or `USER_PROVIDED` (uploaded).
    #[serde(default)]
    pub key_origin: Option<String>,
    /// `USER_MANAGED` or `SYSTEM_MANAGED`.
    #[serde(default)]
    pub key_type: Option<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Deserialize)]
struct KeysPage {
    #[serde(default)]
    keys: Vec<Key>,
}

/// The user-managed keys of a service account (Google-managed keys rotate themselves).
pub async fn keys(rest: &Rest, project_id: &str, email: &str) -> Result<Vec<Key>, ApiError> {
    let page: KeysPage = rest
        .get(
            "iam:serviceAccounts.keys.list",
            &format!(
                "{IAM}/v1/projects/{}/serviceAccounts/{}/keys?keyTypes=USER_MANAGED",
                segment(project_id),
                segment(email)
            ),
        )
        .await?;
    Ok(page.keys)
}

/// Who may act as the service account.
pub async fn service_account_policy(
    rest: &Rest,
    project_id: &str,
    email: &str,
) -> Result<Policy, ApiError> {
    rest.get_iam_policy(
        "iam:serviceAccounts.getIamPolicy",
        &format!(
            "{IAM}/v1/projects/{}/serviceAccounts/{}:getIamPolicy",
            segment(project_id),
            segment(email)
        ),
        PolicyOptions::InQuery,
    )
    .await
}

/// A listing and the locations it could not reach: what was listed is kept, but it is not
/// the whole project.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub unreachable: Vec<String>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            items: Vec::new(),
            unreachable: Vec::new(),
        }
    }
}

/// A VM and the service account it runs as.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub name: String,
    /// The zone's URL.
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub service_accounts: Vec<InstanceServiceAccount>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Instance {
    /// Whether GKE created it (a node of a node pool), as CIS GCP 4.1 and 4.2 tell them
    /// apart: a name starting `gke-` and the `goog-gke-node` label.
    pub fn created_by_gke(&self) -> bool {
        self.name.starts_with("gke-") && self.labels.contains_key("goog-gke-node")
    }

    /// `us-central1-a/web-1`.
    pub fn label(&self) -> String {
        let zone = self
            .zone
            .as_deref()
            .and_then(|z| z.rsplit('/').next())
            .unwrap_or("?");
        format!("{zone}/{}", self.name)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct InstanceServiceAccount {
    pub email: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct InstancesPage {
    #[serde(default)]
    items: BTreeMap<String, ScopedInstances>,
    /// Scopes that did not answer (with `returnPartialSuccess`).
    #[serde(default)]
    unreachables: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ScopedInstances {
    #[serde(default)]
    instances: Vec<Instance>,
    #[serde(default)]
    warning: Option<ScopeWarning>,
}

#[derive(Debug, Deserialize)]
struct ScopeWarning {
    #[serde(default)]
    code: Option<String>,
}

/// Every VM of the project, all zones.
pub async fn instances(rest: &Rest, project_id: &str) -> Result<Listing<Instance>, ApiError> {
    let pages: Vec<InstancesPage> = rest
        .pages(
            "compute:instances.aggregatedList",
            &format!(
                "{COMPUTE}/compute/v1/projects/{}/aggregated/instances?maxResults=500&returnPartialSuccess=true",
                segment(project_id)
            ),
        )
        .await?;
    let mut listing = Listing::default();
    for page in pages {
        listing.unreachable.extend(page.unreachables);
        for (scope, scoped) in page.items {
            if scoped.warning.and_then(|w| w.code).as_deref() == Some("UNREACHABLE") {
                listing.unreachable.push(scope);
            }
            listing.items.extend(scoped.instances);
        }
    }
    Ok(listing)
}

/// `REGION/NAME` of `projects/P/locations/REGION/KIND/NAME`.
pub fn located_name(name: &str) -> String {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        [.., "locations", location, _, name] => format!("{location}/{name}"),
        _ => name.to_string(),
    }
}

/// A Cloud Run service, as the v1 (Knative) API lists it: the only Cloud Run listing that
/// covers every region in one call (v2 takes one region at a time).
#[derive(Debug, Clone, Deserialize)]
pub struct RunService {
    pub metadata: RunMetadata,
    #[serde(default)]
    pub spec: RunServiceSpec,
}

impl RunService {
    /// `REGION/NAME`.
    pub fn label(&self) -> String {
        let region = self
            .metadata
            .labels
            .get("cloud.googleapis.com/location")
            .map_or("?", String::as_str);
        format!("{region}/{}", self.metadata.name)
    }

    /// Its service account; unset means the Compute Engine default.
    pub fn service_account(&self) -> Option<&str> {
        self.spec
            .template
            .spec
            .service_account_name
            .as_deref()
            .filter(|e| !e.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RunMetadata {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunServiceSpec {
    #[serde(default)]
    pub template: RunTemplate,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunTemplate {
    #[serde(default)]
    pub spec: RunRevisionSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRevisionSpec {
    #[serde(default)]
    pub service_account_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RunServicesPage {
    #[serde(default)]
    items: Vec<RunService>,
    #[serde(default)]
    metadata: RunListMetadata,
    #[serde(default)]
    unreachable: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RunListMetadata {
    #[serde(default)]
    r#continue: Option<String>,
}

/// Every Cloud Run service of the project, all regions (pages follow `metadata.continue`).
pub async fn run_services(rest: &Rest, project_id: &str) -> Result<Listing<RunService>, ApiError> {
    let base = format!(
        "{CLOUD_RUN}/apis/serving.knative.dev/v1/namespaces/{}/services?limit=500",
        segment(project_id)
    );
    let mut listing = Listing::default();
    let mut next: Option<String> = None;
    for _ in 0..10_000 {
        let url = match &next {
            None => base.clone(),
            Some(token) => format!(
                "{base}&continue={}",
                utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC)
            ),
        };
        let page: RunServicesPage = rest.get("run:services.list", &url).await?;
        listing.items.extend(page.items);
        listing.unreachable.extend(page.unreachable);
        match page.metadata.r#continue.filter(|t| !t.is_empty()) {
            Some(token) if next.as_deref() != Some(token.as_str()) => next = Some(token),
            _ => break,
        }
    }
    Ok(listing)
}

/// A Cloud Function (v2 API: both generations).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Function {
    /// `projects/P/locations/REGION/functions/NAME`.
    pub name: String,
    /// `GEN_1` or `GEN_2`.
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub service_config: FunctionServiceConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionServiceConfig {
    /// Unset: the App Engine (1st gen) or Compute Engine (2nd gen) default account.
    #[serde(default)]
    pub service_account_email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FunctionsPage {
    #[serde(default)]
    functions: Vec<Function>,
    #[serde(default)]
    unreachable: Vec<String>,
}

/// Every Cloud Function of the project, all regions.
pub async fn functions(rest: &Rest, project_id: &str) -> Result<Listing<Function>, ApiError> {
    let pages: Vec<FunctionsPage> = rest
        .pages(
            "cloudfunctions:functions.list",
            &format!(
                "{CLOUD_FUNCTIONS}/v2/projects/{}/locations/-/functions?pageSize=500",
                segment(project_id)
            ),
        )
        .await?;
    let mut listing = Listing::default();
    for page in pages {
        listing.items.extend(page.functions);
        listing.unreachable.extend(page.unreachable);
    }
    Ok(listing)
}

/// A GKE cluster and the service accounts its nodes run as.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub name: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NodePool {
    pub name: String,
    #[serde(default)]
    pub config: NodeConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeConfig {
    /// An email, or `default` (the Compute Engine default service account).
    #[serde(default)]
    pub service_account: Option<String>,
    #[serde(default)]
    pub oauth_scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClustersPage {
    #[serde(default)]
    clusters: Vec<Cluster>,
    #[serde(default)]
    missing_zones: Vec<String>,
}

/// Every GKE cluster of the project, all locations (one response, no pages).
pub async fn clusters(rest: &Rest, project_id: &str) -> Result<Listing<Cluster>, ApiError> {
    let page: ClustersPage = rest
        .get(
            "container:clusters.list",
            &format!(
                "{CONTAINER}/v1/projects/{}/locations/-/clusters",
                segment(project_id)
            ),
        )
        .await?;
    Ok(Listing {
        items: page.clusters,
        unreachable: page.missing_zones,
    })
}

/// One Activity Analyzer record: when a service account or key last authenticated.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL[/keys/KEY_ID]`.
    pub full_resource_name: String,
    #[serde(default)]
    pub activity: serde_json::Value,
}

impl Activity {
    pub fn last_authenticated(&self) -> Option<&str> {
        self.activity["lastAuthenticatedTime"].as_str()
    }
}

#[derive(Debug, Deserialize)]
struct ActivitiesPage {
    #[serde(default)]
    activities: Vec<Activity>,
}

/// The two activity types read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityType {
    ServiceAccount,
    Key,
}

/// Last authentication of every service account or key of the project.
pub async fn activities(
    rest: &Rest,
    project_id: &str,
    kind: ActivityType,
) -> Result<Vec<Activity>, ApiError> {
    let (operation, activity_type) = match kind {
        ActivityType::ServiceAccount => (
            "policyanalyzer:serviceAccountLastAuthentication.query",
            "serviceAccountLastAuthentication",
        ),
        ActivityType::Key => (
            "policyanalyzer:serviceAccountKeyLastAuthentication.query",
            "serviceAccountKeyLastAuthentication",
        ),
    };
    let pages: Vec<ActivitiesPage> = rest
        .pages(
            operation,
            &format!(
                "{POLICY_ANALYZER}/v1/projects/{}/locations/global/activityTypes/{activity_type}/activities:query?pageSize=1000",
                segment(project_id)
            ),
        )
        .await?;
    Ok(pages.into_iter().flat_map(|p| p.activities).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_stay_readable_in_paths_and_slashes_cannot_escape() {
        assert_eq!(
            segment("ci@acme-prod.iam.gserviceaccount.com"),
            "ci@acme-prod.iam.gserviceaccount.com"
        );
        assert_eq!(segment("a/../b?x"), "a%2F..%2Fb%3Fx");
    }

    #[test]
    fn responses_without_lists_are_empty_lists() {
        let page: AccountsPage = serde_json::from_str("{}").unwrap_or_else(|e| panic!("{e}"));
        assert!(page.accounts.is_empty());
        let policy: Policy = serde_json::from_str(r#"{"version":3,"etag":"BwX="}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(policy.bindings.is_empty());
    }
}
