//! What runs as a project's service accounts: VMs, GKE node pools, Cloud Run services and
//! Cloud Functions, with unset accounts resolved to the default ones.

use super::api;
use super::build::{self, Workload};
use super::errors::{ApiError, ErrorKind};
use super::rest::Rest;

/// What runs as the project's service accounts — VMs, GKE node pools, Cloud Run services,
/// Cloud Functions — with defaults resolved to the default accounts; `None` (and a note)
/// when some kind could not be listed. A kind whose API is not enabled has none.
pub async fn list_workloads(
    rest: &Rest,
    project: &api::Project,
) -> (Option<Vec<Workload>>, Vec<String>) {
    let id = &project.project_id;
    let compute_default = format!("{}-compute@developer.gserviceaccount.com", project.number());
    let app_engine_default = format!("{id}@appspot.gserviceaccount.com");
    let (instances, services, functions, clusters) = tokio::join!(
        api::instances(rest, id),
        api::run_services(rest, id),
        api::functions(rest, id),
        api::clusters(rest, id),
    );
    let mut notes = Vec::new();
    let mut complete = true;
    let mut known =
        |result: Result<(Vec<Workload>, Vec<String>), ApiError>, what: &str| match result {
            Ok((list, unreachable)) => {
                if !unreachable.is_empty() {
                    complete = false;
                    notes.push(format!(
                        "{what} in {} could not be reached (which workloads run as each account \
                     is unknown)",
                        unreachable.join(", ")
                    ));
                }
                list
            }
            Err(e) if e.kind == ErrorKind::ServiceDisabled => Vec::new(),
            Err(e) => {
                complete = false;
                notes.push(format!(
                    "{what} not listed (which workloads run as each account is unknown): {e}"
                ));
                Vec::new()
            }
        };
    let mut all = known(
        instances.map(|listing| {
            let workloads: Vec<Workload> = listing
                .items
                .iter()
                .flat_map(|vm| {
                    vm.service_accounts.iter().map(|sa| Workload {
                        label: format!("instance {}", vm.label()),
                        service_account: sa.email.clone(),
                        full_api_scope: sa.scopes.iter().any(|s| s == build::FULL_API_SCOPE),
                    })
                })
                .collect();
            (workloads, listing.unreachable)
        }),
        "VMs",
    );
    all.extend(known(
        clusters.map(|listing| {
            let workloads: Vec<Workload> = listing
                .items
                .iter()
                .flat_map(|cluster| {
                    let location = cluster.location.clone().unwrap_or_default();
                    cluster
                        .node_pools
                        .iter()
                        .map(move |pool| (location.clone(), cluster, pool))
                })
                .map(|(location, cluster, pool)| Workload {
                    label: format!("gke-node-pool {location}/{}/{}", cluster.name, pool.name),
                    service_account: match pool.config.service_account.as_deref() {
                        None | Some("") | Some("default") => compute_default.clone(),
                        Some(email) => email.to_string(),
                    },
                    full_api_scope: pool
                        .config
                        .oauth_scopes
                        .iter()
                        .any(|s| s == build::FULL_API_SCOPE),
                })
                .collect();
            (workloads, listing.unreachable)
        }),
        "GKE clusters",
    ));
    all.extend(known(
        services.map(|listing| {
            let workloads: Vec<Workload> = listing
                .items
                .iter()
                .map(|service| Workload {
                    label: format!("cloud-run-service {}", service.label()),
                    service_account: service
                        .service_account()
                        .unwrap_or(&compute_default)
                        .to_string(),
                    full_api_scope: false,
                })
                .collect();
            (workloads, listing.unreachable)
        }),
        "Cloud Run services",
    ));
    all.extend(known(
        functions.map(|listing| {
            let workloads: Vec<Workload> = listing
                .items
                .iter()
                .map(|function| {
                    let default = if function.environment.as_deref() == Some("GEN_1") {
                        &app_engine_default
                    } else {
                        &compute_default
                    };
                    Workload {
                        label: format!("cloud-function {}", api::located_name(&function.name)),
                        service_account: function
                            .service_config
                            .service_account_email
                            .clone()
                            .filter(|e| !e.is_empty())
                            .unwrap_or_else(|| default.clone()),
                        full_api_scope: false,
                    }
                })
                .collect();
            (workloads, listing.unreachable)
        }),
        "Cloud Functions",
    ));
    (complete.then_some(all), notes)
}
