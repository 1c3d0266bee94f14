//! The top of the Kubernetes collection: its options and the run that fills an inventory.

use super::{build, permissions, proxy, retry};
use retry::Failed;

use crate::collect::counter::CallCounter;
use crate::collect::http::RetryPolicy;
use crate::collect::progress::Progress;
use crate::inventory::{Coverage, CoverageStatus, Inventory, Provider, Scope, ScopeKind};
use anyhow::{anyhow, Context, Result};
use build::{ClusterData, Workload, TOKEN_SECRET_TYPE};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{Pod, PodSpec, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, Resource};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::path::PathBuf;

/// Objects per list page.
pub const PAGE_SIZE: u32 = 500;

/// Which cluster and what to scan.
#[derive(Debug, Clone)]
pub struct KubernetesOptions {
    /// Kubeconfig file; default `$KUBECONFIG` (several files merged) or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// Context to use; default the kubeconfig's current context.
    pub context: Option<String>,
    /// Only these namespaces; empty: all (cluster-wide lists).
    pub namespaces: Vec<String>,
    /// List legacy token Secrets (metadata only). Default true.
    pub token_secrets: bool,
    pub page_size: u32,
    pub progress: Progress,
    /// How long a request may wait for its answer (kube's default is without end, so a
    /// server that accepts the connection and never answers would hang the scan);
    /// connecting takes at most 20 s of it. Default 60 s.
    pub request_timeout: std::time::Duration,
}

impl Default for KubernetesOptions {
    fn default() -> Self {
        KubernetesOptions {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            token_secrets: true,
            page_size: PAGE_SIZE,
            progress: Progress::hidden(),
            request_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// What could not be listed, with what fixes it.
struct Gaps(Vec<String>);

impl Gaps {
    fn add(&mut self, resource: &str, namespace: Option<&str>, failed: &Failed) {
        let place = match namespace {
            Some(ns) => format!("{resource} in namespace {ns}"),
            None => format!("{resource} (all namespaces)"),
        };
        let attempts = match failed.attempts {
            1 => String::new(),
            n => format!(" (still failing after {n} attempts)"),
        };
        self.0.push(format!(
            "{place} not listed: {}{attempts}",
            describe(resource, &failed.error)
        ));
    }
}

/// An error in words, with the RBAC rule to grant when it was a refusal.
fn describe(resource: &str, error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let mut text = format!("{} {}: {}", status.code, status.reason, status.message);
            if status.code == 403 {
                if let Some(rule) = permissions::needed_for(&format!("kubernetes:{resource}:list"))
                {
                    text.push_str(&format!(
                        " — grant {} (see examples/kubernetes/nhiscan-reader.yaml)",
                        permissions::describe(rule)
                    ));
                }
            } else if status.code == 401 {
                text.push_str(
                    " — the credentials of the kubeconfig user were refused: log in again \
                     or renew the token",
                );
            }
            text
        }
        // With its causes: "client error (SendRequest): ... timed out", not the top alone.
        other => crate::collect::http::error_chain(other),
    }
}

/// Lists every page of `api` (`limit` + `continue`), retrying what may recover
/// ([`retry`]), counting each attempt.
async fn list_pages<K, T, F, Fut>(
    api: &Api<K>,
    fetch: F,
    resource: &str,
    field_selector: Option<&str>,
    page_size: u32,
    counter: &CallCounter,
) -> Result<Vec<T>, Failed>
where
    K: Resource + Clone + DeserializeOwned + Debug,
    T: Clone,
    F: Fn(Api<K>, ListParams) -> Fut,
    Fut: std::future::Future<Output = Result<ObjectList<T>, kube::Error>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(page_size);
        if let Some(selector) = field_selector {
            params = params.fields(selector);
        }
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let page = retry::with_retries(
            &RetryPolicy::default(),
            || counter.add(format!("kubernetes:{resource}:list")),
            || fetch(api.clone(), params.clone()),
        )
        .await?;
        items.extend(page.items);
        match page.metadata.continue_ {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    Ok(items)
}

/// Full objects of a namespaced kind.
async fn full<K>(api: Api<K>, params: ListParams) -> Result<ObjectList<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    api.list(&params).await
}

/// Metadata only (the `data` of a Secret never arrives), as objects with only metadata.
async fn metadata_only<K>(api: Api<K>, params: ListParams) -> Result<ObjectList<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug + Default,
{
    let list = api.list_metadata(&params).await?;
    Ok(ObjectList {
        types: list.types,
        metadata: list.metadata,
        items: list
            .items
            .into_iter()
            .map(|partial| {
                let mut object = K::default();
                *object.meta_mut() = partial.metadata;
                object
            })
            .collect(),
    })
}

/// Where and how to list a namespaced kind.
struct Lister<'a> {
    client: &'a Client,
    namespaces: &'a [String],
    page_size: u32,
    counter: &'a CallCounter,
}

impl Lister<'_> {
    /// Lists a namespaced kind in the chosen namespaces, or cluster-wide; when refused
    /// cluster-wide, in each of `fallback` instead. Returns what was listed and whether
    /// that is all of it.
    async fn namespaced<K>(
        &self,
        resource: &str,
        fallback: &[String],
        metadata: bool,
        field_selector: Option<&str>,
        gaps: &mut Gaps,
    ) -> (Vec<K>, bool)
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Default,
    {
        let one = |api: Api<K>| async move {
            if metadata {
                list_pages(
                    &api,
                    metadata_only,
                    resource,
                    field_selector,
                    self.page_size,
                    self.counter,
                )
                .await
            } else {
                list_pages(
                    &api,
                    full,
                    resource,
                    field_selector,
                    self.page_size,
                    self.counter,
                )
                .await
            }
        };
        let namespaces: Vec<String> = if self.namespaces.is_empty() {
            match one(Api::all(self.client.clone())).await {
                Ok(items) => return (items, true),
                Err(e) if is_forbidden(&e) && !fallback.is_empty() => fallback.to_vec(),
                Err(e) => {
                    gaps.add(resource, None, &e);
                    return (Vec::new(), false);
                }
            }
        } else {
            self.namespaces.to_vec()
        };
        let fell_back = self.namespaces.is_empty();
        let mut items = Vec::new();
        let mut complete = true;
        for namespace in &namespaces {
            match one(Api::namespaced(self.client.clone(), namespace)).await {
                Ok(found) => items.extend(found),
                Err(e) => {
                    gaps.add(resource, Some(namespace), &e);
                    complete = false;
                }
            }
        }
        if fell_back {
            // Refused cluster-wide, listed namespace by namespace: namespaces without
            // ServiceAccounts were not looked at, which does not change what is built.
            gaps.0.push(format!(
                "{resource} was refused cluster-wide, so it was listed in each of the {} \
                 namespaces that have ServiceAccounts",
                namespaces.len()
            ));
        }
        (items, complete)
    }

    /// Lists a cluster-scoped kind.
    async fn cluster<K>(&self, resource: &str, gaps: &mut Gaps) -> (Vec<K>, bool)
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    {
        let api: Api<K> = Api::all(self.client.clone());
        match list_pages(&api, full, resource, None, self.page_size, self.counter).await {
            Ok(items) => (items, true),
            Err(e) => {
                gaps.add(resource, None, &e);
                (Vec::new(), false)
            }
        }
    }
}

fn is_forbidden(failed: &Failed) -> bool {
    matches!(&failed.error, kube::Error::Api(status) if status.code == 403)
}

/// The ServiceAccount a pod spec runs as (`default` when it names none).
fn service_account(spec: Option<&PodSpec>) -> String {
    spec.and_then(|s| {
        s.service_account_name
            .clone()
            .or_else(|| s.service_account.clone())
    })
    .filter(|s| !s.is_empty())
    .unwrap_or_else(|| "default".into())
}

fn workload(kind: &str, meta: &kube::api::ObjectMeta, spec: Option<&PodSpec>) -> Option<Workload> {
    Some(Workload {
        kind: kind.into(),
        namespace: meta.namespace.clone()?,
        name: meta.name.clone()?,
        service_account: service_account(spec),
    })
}

/// Reads the kubeconfig and picks the context: `(config, cluster name, context name)`.
async fn load_config(options: &KubernetesOptions) -> Result<(Config, String, String)> {
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Kubeconfig::read_from(path)
            .with_context(|| format!("cannot read the kubeconfig {}", path.display()))?,
        None => Kubeconfig::read().context(
            "cannot read a kubeconfig from $KUBECONFIG or ~/.kube/config (give one with \
             --kubeconfig)",
        )?,
    };
    let context = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| anyhow!("the kubeconfig has no current context: give one with --context"))?;
    let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(anyhow!(
            "no context `{context}` in the kubeconfig (it has: {})",
            known.join(", ")
        ));
    };
    let cluster = named
        .context
        .as_ref()
        .map(|c| c.cluster.clone())
        .unwrap_or_else(|| context.clone());
    let explicit_proxy = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == cluster)
        .and_then(|c| c.cluster.as_ref()?.proxy_url.clone());
    let mut config = Config::from_custom_kubeconfig(
        kubeconfig,
        &KubeConfigOptions {
            context: Some(context.clone()),
            ..KubeConfigOptions::default()
        },
    )
    .await
    .with_context(|| format!("cannot use the context `{context}` of the kubeconfig"))?;
    let timeout = options.request_timeout;
    config.connect_timeout = Some(timeout.min(std::time::Duration::from_secs(20)));
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    let host = config.cluster_url.host().unwrap_or_default().to_string();
    config.proxy_url = match proxy::proxy_for(explicit_proxy.as_deref(), &host) {
        Some(proxy) => Some(
            proxy
                .parse()
                .with_context(|| format!("the proxy `{proxy}` is not a URL"))?,
        ),
        None => None,
    };
    Ok((config, cluster, context))
}

/// Collects the cluster of the chosen context.
pub async fn collect(options: &KubernetesOptions) -> Result<Inventory> {
    let (config, cluster, context) = load_config(options).await?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).context("cannot set up the Kubernetes client")?;
    let counter = CallCounter::default();
    let lister = Lister {
        client: &client,
        namespaces: &options.namespaces,
        page_size: options.page_size.max(1),
        counter: &counter,
    };
    let scope = Scope {
        kind: ScopeKind::Cluster,
        id: cluster.clone().into(),
        name: (context != cluster).then(|| context.as_str().into()),
    };
    let mut inventory = Inventory::new();
    inventory.generated_at = Some(chrono::Utc::now());
    inventory.sources.push(format!(
        "kubernetes:{cluster} (context {context}, {server})"
    ));
    let target = format!("kubernetes:{cluster}");
    let mut gaps = Gaps(Vec::new());
    let phase = options.progress.bar("kubernetes: resources", 11);

    let (service_accounts, complete) = lister
        .namespaced::<ServiceAccount>("serviceaccounts", &[], false, None, &mut gaps)
        .await;
    phase.inc();
    if !complete && service_accounts.is_empty() {
        inventory.coverage.push(Coverage {
            target,
            provider: Provider::Kubernetes,
            status: CoverageStatus::Failed,
            detail: Some(format!(
                "cluster {cluster} at {server}: {}",
                gaps.0.join("; ")
            )),
        });
        inventory.api_calls = counter.snapshot();
        return Ok(inventory);
    }
    let mut fallback: Vec<String> = service_accounts
        .iter()
        .filter_map(|sa| sa.metadata.namespace.clone())
        .collect();
    fallback.sort();
    fallback.dedup();

    let mut data = ClusterData {
        service_accounts,
        ..ClusterData::default()
    };
    if options.token_secrets {
        let selector = format!("type={TOKEN_SECRET_TYPE}");
        let (secrets, _) = lister
            .namespaced::<Secret>("secrets", &fallback, true, Some(&selector), &mut gaps)
            .await;
        // Metadata only already; make sure nothing else is ever kept.
        data.token_secrets = secrets
            .into_iter()
            .map(|s| Secret {
                metadata: s.metadata,
                ..Secret::default()
            })
            .collect();
    }
    phase.inc();

    let mut workloads = Vec::new();
    let mut all_workloads = true;
    let (pods, ok) = lister
        .namespaced::<Pod>("pods", &fallback, false, None, &mut gaps)
        .await;
    phase.inc();
    all_workloads &= ok;
    for pod in &pods {
        // A pod started by a controller counts as its controller.
        let owner = pod
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true));
        let (kind, name) = match owner {
            Some(o) => (o.kind.as_str(), Some(o.name.clone())),
            None => ("Pod", pod.metadata.name.clone()),
        };
        let mut meta = pod.metadata.clone();
        meta.name = name;
        workloads.extend(workload(kind, &meta, pod.spec.as_ref()));
    }
    let (deployments, ok) = lister
        .namespaced::<Deployment>("deployments", &fallback, false, None, &mut gaps)
        .await;
    phase.inc();
    all_workloads &= ok;
    workloads.extend(deployments.iter().filter_map(|d| {
        workload(
            "Deployment",
            &d.metadata,
            d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
        )
    }));
    let (statefulsets, ok) = lister
        .namespaced::<StatefulSet>("statefulsets", &fallback, false, None, &mut gaps)
        .await;
    phase.inc();
    all_workloads &= ok;
    workloads.extend(statefulsets.iter().filter_map(|d| {
        workload(
            "StatefulSet",
            &d.metadata,
            d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
        )
    }));
    let (daemonsets, ok) = lister
        .namespaced::<DaemonSet>("daemonsets", &fallback, false, None, &mut gaps)
        .await;
    phase.inc();
    all_workloads &= ok;
    workloads.extend(daemonsets.iter().filter_map(|d| {
        workload(
            "DaemonSet",
            &d.metadata,
            d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
        )
    }));
    let (cronjobs, ok) = lister
        .namespaced::<CronJob>("cronjobs", &fallback, false, None, &mut gaps)
        .await;
    phase.inc();
    all_workloads &= ok;
    workloads.extend(cronjobs.iter().filter_map(|c| {
        let template = c
            .spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.template.spec.as_ref());
        workload("CronJob", &c.metadata, template)
    }));
    workloads.sort();
    workloads.dedup();
    data.workloads = all_workloads.then_some(workloads);

    data.roles = lister
        .namespaced::<Role>("roles", &fallback, false, None, &mut gaps)
        .await
        .0;
    phase.inc();
    data.role_bindings = lister
        .namespaced::<RoleBinding>("rolebindings", &fallback, false, None, &mut gaps)
        .await
        .0;
    phase.inc();
    data.cluster_roles = lister
        .cluster::<ClusterRole>("clusterroles", &mut gaps)
        .await
        .0;
    phase.inc();
    data.cluster_role_bindings = lister
        .cluster::<ClusterRoleBinding>("clusterrolebindings", &mut gaps)
        .await
        .0;
    phase.inc();
    drop(phase);

    let (identities, credentials) = build::build(&scope, &data);
    inventory.identities = identities;
    inventory.credentials = credentials;
    let refused = gaps.0.iter().any(|g| g.contains(" not listed: "));
    inventory.coverage.push(Coverage {
        target,
        provider: Provider::Kubernetes,
        status: if refused {
            CoverageStatus::Partial
        } else {
            CoverageStatus::Scanned
        },
        detail: (!gaps.0.is_empty())
            .then(|| format!("cluster {cluster} at {server}: {}", gaps.0.join("; "))),
    });
    inventory.api_calls = counter.snapshot();
    Ok(inventory)
}

/// [`collect`] for callers without an async runtime: builds one and waits. Must not be
/// called from inside a tokio runtime.
pub fn collect_blocking(options: &KubernetesOptions) -> Result<Inventory> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for the Kubernetes collector")?;
    runtime.block_on(collect(options))
}
