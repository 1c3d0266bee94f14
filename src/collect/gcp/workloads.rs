//! What runs as a project's service accounts: VMs, GKE node pools, Cloud Run services and
//! Cloud Functions, with unset accounts resolved to the default ones.

use super::api::{self, Cluster, Function, Instance, Listing, RunService};
use super::build::{Workload, FULL_API_SCOPE};
use super::errors::{ApiError, ErrorKind};
use super::rest::Rest;

/// The project's default service accounts, which a workload naming none runs as.
struct Defaults {
    compute: String,
    app_engine: String,
}

/// What runs as the project's service accounts, and the notes on what could not be
/// listed: `None` when some kind (or some zone or region of it) could not be, since then
/// "nothing runs as it" cannot be said. A kind whose API is not enabled has none.
pub async fn list_workloads(
    rest: &Rest,
    project: &api::Project,
) -> (Option<Vec<Workload>>, Vec<String>) {
    let id = &project.project_id;
    let defaults = Defaults {
        compute: format!("{}-compute@developer.gserviceaccount.com", project.number()),
        app_engine: format!("{id}@appspot.gserviceaccount.com"),
    };
    let (instances, clusters, services, functions) = tokio::join!(
        api::instances(rest, id),
        api::clusters(rest, id),
        api::run_services(rest, id),
        api::functions(rest, id),
    );
    let mut found = Found::default();
    found.add("VMs", instances, |vm: &Instance| vm_workloads(vm));
    found.add("GKE clusters", clusters, |c: &Cluster| {
        node_pool_workloads(c, &defaults)
    });
    found.add("Cloud Run services", services, |s: &RunService| {
        vec![run_workload(s, &defaults)]
    });
    found.add("Cloud Functions", functions, |f: &Function| {
        vec![function_workload(f, &defaults)]
    });
    (found.complete.then_some(found.workloads), found.notes)
}

/// The workloads listed so far.
struct Found {
    workloads: Vec<Workload>,
    notes: Vec<String>,
    complete: bool,
}

impl Default for Found {
    fn default() -> Self {
        Found {
            workloads: Vec::new(),
            notes: Vec::new(),
            complete: true,
        }
    }
}

impl Found {
    /// Adds one kind's listing, converting each item with `convert`.
    fn add<T>(
        &mut self,
        what: &str,
        listing: Result<Listing<T>, ApiError>,
        convert: impl Fn(&T) -> Vec<Workload>,
    ) {
        match listing {
            Ok(listing) => {
                if !listing.unreachable.is_empty() {
                    self.complete = false;
                    self.notes.push(format!(
                        "{what} in {} could not be reached (which workloads run as each \
                         account is unknown)",
                        listing.unreachable.join(", ")
                    ));
                }
                self.workloads
                    .extend(listing.items.iter().flat_map(&convert));
            }
            Err(e) if e.kind == ErrorKind::ServiceDisabled => {}
            Err(e) => {
                self.complete = false;
                self.notes.push(format!(
                    "{what} not listed (which workloads run as each account is unknown): {e}"
                ));
            }
        }
    }
}

/// A VM's account, unless GKE created the VM: its node pool stands for it (CIS GCP 4.1
/// and 4.2 leave GKE's VMs out, and `instance` workloads are what they judge).
fn vm_workloads(vm: &Instance) -> Vec<Workload> {
    if vm.created_by_gke() {
        return Vec::new();
    }
    vm.service_accounts
        .iter()
        .map(|sa| Workload {
            label: format!("instance {}", vm.label()),
            service_account: sa.email.clone(),
            full_api_scope: sa.scopes.iter().any(|s| s == FULL_API_SCOPE),
        })
        .collect()
}

/// Each node pool; `default` (or none) is the Compute Engine default account.
fn node_pool_workloads(cluster: &Cluster, defaults: &Defaults) -> Vec<Workload> {
    let location = cluster.location.as_deref().unwrap_or("?");
    cluster
        .node_pools
        .iter()
        .map(|pool| Workload {
            label: format!("gke-node-pool {location}/{}/{}", cluster.name, pool.name),
            service_account: match pool.config.service_account.as_deref() {
                None | Some("") | Some("default") => defaults.compute.clone(),
                Some(email) => email.to_string(),
            },
            full_api_scope: pool.config.oauth_scopes.iter().any(|s| s == FULL_API_SCOPE),
        })
        .collect()
}

/// A Cloud Run service naming no account runs as the Compute Engine default.
fn run_workload(service: &RunService, defaults: &Defaults) -> Workload {
    Workload {
        label: format!("cloud-run-service {}", service.label()),
        service_account: service
            .service_account()
            .unwrap_or(&defaults.compute)
            .to_string(),
        full_api_scope: false,
    }
}

/// A Cloud Function naming no account runs as the App Engine default (1st gen) or the
/// Compute Engine default (2nd gen).
fn function_workload(function: &Function, defaults: &Defaults) -> Workload {
    let default = if function.environment.as_deref() == Some("GEN_1") {
        &defaults.app_engine
    } else {
        &defaults.compute
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn instance(value: serde_json::Value) -> Instance {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn account(scope: &str) -> serde_json::Value {
        json!([{"email": "111-compute@developer.gserviceaccount.com",
                "scopes": [format!("https://www.googleapis.com/auth/{scope}")]}])
    }

    #[test]
    fn a_vm_runs_as_its_account_with_its_scope() {
        let vm = instance(json!({"name": "web-1", "zone": "zones/us-central1-a",
            "serviceAccounts": account("cloud-platform")}));
        let workloads = vm_workloads(&vm);
        assert_eq!(
            workloads,
            [Workload {
                label: "instance us-central1-a/web-1".into(),
                service_account: "111-compute@developer.gserviceaccount.com".into(),
                full_api_scope: true,
            }]
        );
        let narrow = instance(json!({"name": "web-2", "zone": "zones/us-central1-a",
            "serviceAccounts": account("devstorage.read_only")}));
        assert!(!vm_workloads(&narrow)[0].full_api_scope);
    }

    #[test]
    fn the_vms_gke_created_are_left_to_their_node_pool() {
        let node = instance(json!({"name": "gke-prod-default-pool-1a2b3c4d-x1y2",
            "zone": "zones/us-central1-a", "labels": {"goog-gke-node": ""},
            "serviceAccounts": account("cloud-platform")}));
        assert!(node.created_by_gke());
        assert!(vm_workloads(&node).is_empty());
        // Both signs are needed: a VM someone named gke-* is still a VM, and so is one
        // that only carries the label.
        let named = instance(
            json!({"name": "gke-dashboard", "zone": "zones/us-central1-a",
            "serviceAccounts": account("cloud-platform")}),
        );
        assert_eq!(vm_workloads(&named).len(), 1);
        let labelled = instance(json!({"name": "bastion", "zone": "zones/us-central1-a",
            "labels": {"goog-gke-node": ""}, "serviceAccounts": account("cloud-platform")}));
        assert_eq!(vm_workloads(&labelled).len(), 1);
    }
}
