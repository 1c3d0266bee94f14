//! Delegation and blast radius: who can act as whom, and what each identity reaches.
//!
//! The nodes are the inventory's identities (same indices). A directed edge A → B means
//! "A can act as B" (assume, impersonate, take over), with the reason; [`edges`] derives
//! them from what the inventory holds (AWS trust and `sts:AssumeRole` grants, Azure role
//! assignments and Graph permissions, any `identity` trust entry). [`reach`] computes,
//! once per run, what every identity reaches; [`Delegation`] answers the rule facts.
//! A disabled identity neither acts nor can be acted as: it has no edges.

pub mod edges;
pub mod reach;
pub mod walk;

use crate::hash::FastMap;
use crate::inventory::{Identity, Provider, ScopeKind};
use rayon::slice::ParallelSliceMut;
use reach::Reach;

/// Nodes with no label: `u32::MAX`.
pub const NONE: u32 = u32::MAX;

/// The administrative boundary a delegation can cross: the identity's scope (AWS
/// account, Entra tenant, GCP project...), narrowed to its subscription for an Azure
/// identity that lives in one (a managed identity).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Boundary {
    pub kind: ScopeKind,
    pub id: String,
    pub subscription: Option<String>,
}

impl Boundary {
    /// Whether going from `self` to `other` crosses a boundary: another scope, or another
    /// subscription of the same tenant (a tenant-wide identity and a subscription's own
    /// are not separated).
    /// A Kubernetes cluster's ServiceAccount federated into its cloud (IRSA, GKE Workload
    /// Identity) is the intended way in, not a crossing.
    pub fn crossed_by(&self, other: &Boundary) -> bool {
        if self.kind == ScopeKind::Cluster && other.kind != ScopeKind::Cluster {
            return false;
        }
        (self.kind, &self.id) != (other.kind, &other.id)
            || matches!((&self.subscription, &other.subscription), (Some(a), Some(b)) if a != b)
    }

    /// `account:111122223333`, `subscription:…`.
    pub fn label(&self) -> String {
        match &self.subscription {
            Some(subscription) => format!("subscription:{subscription}"),
            None => format!("{}:{}", self.kind, self.id),
        }
    }
}

/// The subscription an Azure identity lives in: `attributes.subscriptionId`, the one in
/// `attributes.resourceId`, or its scope when that is a subscription. Lower-case.
pub fn subscription_of(identity: &Identity) -> Option<String> {
    if identity.provider != Provider::Azure {
        return None;
    }
    let attribute = |key: &str| identity.attributes.get(key).and_then(|v| v.as_str());
    attribute("subscriptionId")
        .or_else(|| attribute("resourceId").and_then(subscription_in))
        .or_else(|| (identity.scope.kind == ScopeKind::Subscription).then_some(&*identity.scope.id))
        .map(str::to_ascii_lowercase)
}

/// The subscription id in an ARM id (`/subscriptions/<id>/...`).
pub fn subscription_in(resource_id: &str) -> Option<&str> {
    let mut parts = resource_id.split('/').filter(|p| !p.is_empty());
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("subscriptions") {
            return parts.next();
        }
    }
    None
}

/// The delegation graph: edges in compressed rows both ways, with interned reasons.
#[derive(Debug, Default)]
pub struct Graph {
    /// Out-edges of node `i`: `targets[offsets[i]..offsets[i + 1]]`, sorted by target.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    /// Per edge, an index into `reason_texts`.
    reasons: Vec<u32>,
    reason_texts: Vec<Box<str>>,
    /// In-edges of node `i`, as their sources (in ascending order):
    /// `rev_sources[rev_offsets[i]..rev_offsets[i + 1]]`. An edge's reason is found from
    /// its source's out-edges: no per-edge source column (35 MiB at 8.7 million edges).
    rev_offsets: Vec<u32>,
    rev_sources: Vec<u32>,
    /// Per node: holds administrative rights.
    admin: Vec<bool>,
    /// Per node: an index into `boundaries`.
    boundary: Vec<u32>,
    boundaries: Vec<Boundary>,
    /// Each boundary's [`Boundary::label`], rendered once.
    boundary_labels: Vec<String>,
}

/// One edge: `from` can act as `to`, because of `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge<'a> {
    pub from: usize,
    pub to: usize,
    pub reason: &'a str,
}

impl Graph {
    /// Builds the graph of `identities` from edges given as (from, to, reason index).
    /// Duplicate (from, to) pairs keep the first reason; self-edges are dropped.
    pub fn new(
        identities: &[Identity],
        mut edges: Vec<(u32, u32, u32)>,
        reason_texts: Vec<Box<str>>,
    ) -> Graph {
        let n = identities.len();
        edges.retain(|(from, to, _)| from != to);
        // Stable: the first reason given for a pair is kept.
        edges.par_sort_by_key(|(from, to, _)| (*from, *to));
        edges.dedup_by_key(|(from, to, _)| (*from, *to));

        let mut offsets = vec![0u32; n + 1];
        let mut in_degree = vec![0u32; n + 1];
        for (from, to, _) in &edges {
            offsets[*from as usize + 1] += 1;
            in_degree[*to as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
            in_degree[i + 1] += in_degree[i];
        }
        // One column at a time, the edge list freed before the reverse index is built:
        // with millions of edges, each copy is tens of megabytes.
        let targets: Vec<u32> = edges.iter().map(|e| e.1).collect();
        let reasons: Vec<u32> = edges.iter().map(|e| e.2).collect();
        drop(edges);
        let rev_offsets = in_degree;
        let mut fill = rev_offsets.clone();
        let mut rev_sources = vec![0u32; targets.len()];
        for from in 0..n {
            for to in &targets[offsets[from] as usize..offsets[from + 1] as usize] {
                let slot = &mut fill[*to as usize];
                rev_sources[*slot as usize] = from as u32;
                *slot += 1;
            }
        }

        let mut interned: FastMap<Boundary, u32> = FastMap::default();
        let mut boundaries: Vec<Boundary> = Vec::new();
        let mut last: Option<u32> = None;
        let boundary = identities
            .iter()
            .map(|identity| {
                let subscription = subscription_of(identity);
                // Identities of one scope are usually listed together.
                if let Some(previous) = last {
                    let b = &boundaries[previous as usize];
                    if b.kind == identity.scope.kind
                        && b.id == *identity.scope.id
                        && b.subscription == subscription
                    {
                        return previous;
                    }
                }
                let key = Boundary {
                    kind: identity.scope.kind,
                    id: identity.scope.id.to_string(),
                    subscription,
                };
                let index = *interned.entry(key).or_insert_with_key(|key| {
                    boundaries.push(key.clone());
                    boundaries.len() as u32 - 1
                });
                last = Some(index);
                index
            })
            .collect();

        Graph {
            offsets,
            targets,
            reasons,
            reason_texts,
            rev_offsets,
            rev_sources,
            admin: identities.iter().map(|i| i.permissions.admin).collect(),
            boundary,
            boundary_labels: boundaries.iter().map(Boundary::label).collect(),
            boundaries,
        }
    }

    pub fn node_count(&self) -> usize {
        self.admin.len()
    }

    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// The identities `node` can act as directly.
    pub fn successors(&self, node: usize) -> &[u32] {
        let (start, end) = (self.offsets[node], self.offsets[node + 1]);
        &self.targets[start as usize..end as usize]
    }

    /// The edges out of `node`, by target.
    pub fn out_edges(&self, node: usize) -> impl Iterator<Item = Edge<'_>> + '_ {
        (self.offsets[node]..self.offsets[node + 1]).map(move |e| Edge {
            from: node,
            to: self.targets[e as usize] as usize,
            reason: &self.reason_texts[self.reasons[e as usize] as usize],
        })
    }

    /// The edges into `node`.
    pub fn in_edges(&self, node: usize) -> impl Iterator<Item = Edge<'_>> + '_ {
        self.predecessors(node).map(move |from| Edge {
            from,
            to: node,
            reason: self.reason(from, node).unwrap_or_default(),
        })
    }

    /// The identities that can act as `node` directly.
    pub fn predecessors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        let (start, end) = (self.rev_offsets[node], self.rev_offsets[node + 1]);
        self.rev_sources[start as usize..end as usize]
            .iter()
            .map(|from| *from as usize)
    }

    /// The reason of the edge `from` → `to`, if there is one.
    pub fn reason(&self, from: usize, to: usize) -> Option<&str> {
        let start = self.offsets[from] as usize;
        let found = self.successors(from).binary_search(&(to as u32)).ok()?;
        Some(&self.reason_texts[self.reasons[start + found] as usize])
    }

    pub fn is_admin(&self, node: usize) -> bool {
        self.admin[node]
    }

    /// The index of `node`'s boundary.
    pub fn boundary_of(&self, node: usize) -> u32 {
        self.boundary[node]
    }

    pub fn boundary(&self, index: u32) -> &Boundary {
        &self.boundaries[index as usize]
    }

    /// The label of `node`'s boundary (`account:111122223333`).
    pub fn boundary_label_of(&self, node: usize) -> &str {
        &self.boundary_labels[self.boundary[node] as usize]
    }

    /// Whether some hop of `path` crosses a boundary.
    pub fn path_crosses(&self, path: &[usize]) -> bool {
        path.windows(2).any(|hop| self.crosses(hop[0], hop[1]))
    }

    /// Whether the hop `from` → `to` crosses a boundary.
    pub fn crosses(&self, from: usize, to: usize) -> bool {
        let (a, b) = (self.boundary[from], self.boundary[to]);
        a != b && self.boundary(a).crossed_by(self.boundary(b))
    }
}

/// The delegation graph of an inventory with what every identity reaches.
#[derive(Debug, Default)]
pub struct Delegation {
    pub graph: Graph,
    pub reach: Reach,
    /// Which identities are workloads (classified non-human), by index; set by
    /// [`Delegation::mark_workloads`] once identity types are known. Empty: unknown.
    workload: Vec<bool>,
}

impl Delegation {
    /// Builds the graph and computes every identity's reach.
    pub fn build(identities: &[Identity]) -> Delegation {
        let graph = edges::build(identities);
        let reach = Reach::compute(&graph);
        Delegation::from_parts(graph, reach)
    }

    /// A graph and its reach, computed apart (benchmarks time each); no workloads marked.
    pub fn from_parts(graph: Graph, reach: Reach) -> Delegation {
        Delegation {
            graph,
            reach,
            workload: Vec::new(),
        }
    }

    /// Records which identities are workloads (non-human), index-aligned with the
    /// identities the graph was built from.
    pub fn mark_workloads(&mut self, workload: Vec<bool>) {
        self.workload = workload;
    }

    /// The facts of one identity, for rules.
    pub fn node<'a>(&'a self, identities: &'a [Identity], index: usize) -> NodeFacts<'a> {
        NodeFacts {
            of: Some((self, identities)),
            index,
        }
    }
}

/// How an identity shows in a path: the resource part of an AWS ARN (`role/deploy`),
/// otherwise its name.
pub fn short_label(identity: &Identity) -> &str {
    if identity.provider == Provider::Aws && identity.id.starts_with("arn:") {
        if let Some(resource) = identity.id.splitn(6, ':').nth(5) {
            return resource;
        }
    }
    &identity.name
}

/// A workload that can act as an identity directly.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub identity: &'a Identity,
    /// Its boundary's label.
    pub scope: &'a str,
    /// Why it can (the edge's reason).
    pub reason: &'a str,
}

/// One identity's delegation facts, rendered on demand (paths are only built when a
/// rule or a report reads them).
#[derive(Debug, Clone, Copy)]
pub struct NodeFacts<'a> {
    of: Option<(&'a Delegation, &'a [Identity])>,
    index: usize,
}

impl<'a> NodeFacts<'a> {
    /// Facts of an identity outside any graph: reaches nothing.
    pub fn none() -> NodeFacts<'static> {
        NodeFacts { of: None, index: 0 }
    }

    /// Reaches an admin identity through at least one hop, while not admin itself.
    pub fn reaches_admin(&self) -> bool {
        self.of.is_some_and(|(d, _)| {
            !d.graph.is_admin(self.index) && d.reach.admins.has_any(self.index)
        })
    }

    /// How many other identities it can act as, directly or through others.
    pub fn reachable_count(&self) -> u32 {
        self.of
            .map_or(0, |(d, _)| d.reach.reachable_count(self.index))
    }

    /// Whether [`NodeFacts::delegates_to`] has any hop, told without writing them.
    pub fn delegates(&self) -> bool {
        self.of
            .is_some_and(|(d, _)| !d.graph.successors(self.index).is_empty())
    }

    /// Whether [`NodeFacts::admin_paths`] has any path, told without writing them.
    pub fn has_admin_paths(&self) -> bool {
        self.of.is_some_and(|(d, _)| {
            (d.reach.admins.of(self.index).iter()).any(|label| {
                d.reach
                    .admin_path(&d.graph, self.index, label.target)
                    .is_some()
            })
        })
    }

    /// Whether [`NodeFacts::workload_callers`] has any caller, told without listing them.
    pub fn has_workload_callers(&self) -> bool {
        self.of.is_some_and(|(d, _)| {
            (d.graph.in_edges(self.index))
                .any(|edge| d.workload.get(edge.from).copied().unwrap_or(false))
        })
    }

    /// Whether [`NodeFacts::cross_boundary_paths`] has any path, told without writing them.
    pub fn has_cross_boundary_paths(&self) -> bool {
        self.of.is_some_and(|(d, _)| {
            (d.reach.boundaries.of(self.index).iter()).any(|label| {
                d.reach
                    .boundary_path(&d.graph, self.index, label.target)
                    .is_some_and(|path| d.graph.path_crosses(&path))
            })
        })
    }

    /// The identities it can act as directly, as path hops.
    pub fn delegates_to(&self) -> Vec<String> {
        let Some((d, identities)) = self.of else {
            return Vec::new();
        };
        d.graph
            .successors(self.index)
            .iter()
            .map(|&to| hop(d, identities, self.index, to as usize))
            .collect()
    }

    /// The shortest path to each of the nearest admins it reaches (at most
    /// [`reach::PATH_LIMIT`]), nearest first.
    pub fn admin_paths(&self) -> Vec<String> {
        let Some((d, identities)) = self.of else {
            return Vec::new();
        };
        d.reach
            .admins
            .of(self.index)
            .iter()
            .filter_map(|label| d.reach.admin_path(&d.graph, self.index, label.target))
            .map(|path| render_path(d, identities, &path))
            .collect()
    }

    /// The workloads (identities classified non-human) that can act as it directly, each
    /// with its boundary (`account:…`, `project:…`, `cluster:…`) and the edge's reason,
    /// by boundary, then id. None before [`Delegation::mark_workloads`].
    pub fn workload_callers(&self) -> Vec<Caller<'a>> {
        let Some((d, identities)) = self.of else {
            return Vec::new();
        };
        let mut callers: Vec<Caller<'a>> = d
            .graph
            .in_edges(self.index)
            .filter(|edge| d.workload.get(edge.from).copied().unwrap_or(false))
            .map(|edge| Caller {
                identity: &identities[edge.from],
                scope: d.graph.boundary_label_of(edge.from),
                reason: edge.reason,
            })
            .collect();
        callers.sort_by(|a, b| (a.scope, &a.identity.id).cmp(&(b.scope, &b.identity.id)));
        callers
    }

    /// The shortest path into each of the nearest other boundaries (accounts, tenants,
    /// subscriptions) it reaches, nearest first: those where some hop crosses one.
    pub fn cross_boundary_paths(&self) -> Vec<String> {
        let Some((d, identities)) = self.of else {
            return Vec::new();
        };
        d.reach
            .boundaries
            .of(self.index)
            .iter()
            .filter_map(|label| d.reach.boundary_path(&d.graph, self.index, label.target))
            .filter(|path| d.graph.path_crosses(path))
            .map(|path| render_path(d, identities, &path))
            .collect()
    }
}

/// `to` as a hop after `from`: its short label, its boundary when the hop crosses one,
/// and `(admin)`.
pub fn hop(d: &Delegation, identities: &[Identity], from: usize, to: usize) -> String {
    let mut text = short_label(&identities[to]).to_string();
    if d.graph.crosses(from, to) {
        let boundary = d.graph.boundary(d.graph.boundary_of(to)).label();
        text.push_str(&format!(" [{boundary}]"));
    }
    if d.graph.is_admin(to) {
        text.push_str(" (admin)");
    }
    text
}

/// `ci-deployer → role/staging-admin → role/org-admin (admin)`: the first identity by
/// name, then each hop.
pub fn render_path(d: &Delegation, identities: &[Identity], path: &[usize]) -> String {
    let mut text = match path.first() {
        Some(&first) => identities[first].name.clone(),
        None => return String::new(),
    };
    for pair in path.windows(2) {
        text.push_str(" → ");
        text.push_str(&hop(d, identities, pair[0], pair[1]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_and_boundaries() {
        assert_eq!(
            subscription_in("/subscriptions/ABC/resourceGroups/rg/providers/x/y"),
            Some("ABC")
        );
        assert_eq!(subscription_in("/providers/Microsoft.Management/x"), None);
        let tenant = Boundary {
            kind: ScopeKind::Tenant,
            id: "t".into(),
            subscription: None,
        };
        let sub = |s: &str| Boundary {
            subscription: Some(s.into()),
            ..tenant.clone()
        };
        assert!(
            !tenant.crossed_by(&sub("a")),
            "tenant-wide into its subscription"
        );
        assert!(sub("a").crossed_by(&sub("b")));
        assert!(!sub("a").crossed_by(&sub("a")));
        let account = Boundary {
            kind: ScopeKind::Account,
            id: "1".into(),
            subscription: None,
        };
        assert!(account.crossed_by(&tenant));
        let cluster = |id: &str| Boundary {
            kind: ScopeKind::Cluster,
            id: id.into(),
            subscription: None,
        };
        assert!(
            !cluster("prod").crossed_by(&account),
            "a cluster federated into its cloud"
        );
        assert!(account.crossed_by(&cluster("prod")));
        assert!(cluster("a").crossed_by(&cluster("b")));
        assert_eq!(sub("a").label(), "subscription:a");
        assert_eq!(account.label(), "account:1");
    }
}
