//! Where the edges come from: trust entries that name an identity or an account
//! ([`aws`] adds the `sts:AssumeRole` side), Azure takeovers ([`azure`]), and Kubernetes
//! ServiceAccounts federated into AWS roles and GCP service accounts ([`workload`]).
//!
//! Generic rule: an identity whose `trust` has an entry of `principal_type: identity`
//! naming another identity's id can be acted as by that identity (how a GCP
//! serviceAccountTokenCreator binding or a Kubernetes impersonation grant is written).
//! Trust in a service, a federated provider or anyone (`*`) is no edge: no inventoried
//! identity stands behind it (aws-role-trusts-anyone reports the last).

pub mod aws;
pub mod azure;
pub mod workload;

use super::Graph;
use crate::hash::FastMap;
use crate::inventory::{Identity, PrincipalType, Provider};
use rayon::prelude::*;
use std::collections::hash_map::Entry;
use std::sync::OnceLock;

/// Identities whose trust entries one worker turns into edges at a time.
const CHUNK: usize = 16_384;

/// Edges as they are found, with their reasons interned.
#[derive(Debug, Default)]
pub struct EdgeSet {
    edges: Vec<(u32, u32, u32)>,
    texts: Vec<Box<str>>,
    interned: FastMap<Box<str>, u32>,
}

impl EdgeSet {
    /// Records that `from` can act as `to` because of `reason`.
    pub fn add(&mut self, from: usize, to: usize, reason: &str) {
        let reason = self.reason(reason);
        self.add_with(from, to, reason);
    }

    /// The number [`EdgeSet::add_with`] takes for `reason`: one trust entry gives
    /// thousands of edges the same reason, written and looked up once.
    pub fn reason(&mut self, reason: &str) -> u32 {
        match self.interned.get(reason) {
            Some(index) => *index,
            None => {
                let index = self.texts.len() as u32;
                self.texts.push(reason.into());
                self.interned.insert(reason.into(), index);
                index
            }
        }
    }

    /// Records that `from` can act as `to` because of reason number `reason`.
    pub fn add_with(&mut self, from: usize, to: usize, reason: u32) {
        self.edges.push((from as u32, to as u32, reason));
    }

    pub fn len(&self) -> usize {
        self.edges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Adds `other`'s edges after these, its reasons interned into this set's.
    fn append(&mut self, other: EdgeSet) {
        let renumbered: Vec<u32> = other.texts.iter().map(|t| self.reason(t)).collect();
        self.edges.extend(
            (other.edges.into_iter()).map(|(from, to, r)| (from, to, renumbered[r as usize])),
        );
    }
}

/// Identities by id. Ids are unique per provider; the rare id two providers share maps
/// to both.
pub struct IdIndex<'a> {
    first: FastMap<&'a str, u32>,
    more: FastMap<&'a str, Vec<u32>>,
}

impl<'a> IdIndex<'a> {
    pub fn new(identities: &'a [Identity]) -> Self {
        let mut first = crate::hash::map_with_capacity(identities.len());
        let mut more: FastMap<&str, Vec<u32>> = FastMap::default();
        for (i, identity) in identities.iter().enumerate() {
            match first.entry(identity.id.as_str()) {
                Entry::Vacant(slot) => {
                    slot.insert(i as u32);
                }
                Entry::Occupied(_) => more.entry(identity.id.as_str()).or_default().push(i as u32),
            }
        }
        IdIndex { first, more }
    }

    /// The identities with this id.
    pub fn get(&self, id: &str) -> impl Iterator<Item = usize> + '_ {
        self.first
            .get(id)
            .into_iter()
            .chain(self.more.get(id).into_iter().flatten())
            .map(|i| *i as usize)
    }
}

/// The delegation graph of `identities`.
pub fn build(identities: &[Identity]) -> Graph {
    // Built when the first trust entry names an identity.
    let ids = OnceLock::new();
    let ids = || ids.get_or_init(|| IdIndex::new(identities));
    let aws = aws::AwsIndex::new(identities);
    // The trust entries of each chunk on all cores; the chunks' edges in inventory order,
    // as one pass over the identities would add them.
    let chunks: Vec<EdgeSet> = (identities.par_chunks(CHUNK).enumerate())
        .map(|(chunk, chunk_identities)| {
            let mut edges = EdgeSet::default();
            for (k, identity) in chunk_identities.iter().enumerate() {
                trust_edges(
                    identities,
                    chunk * CHUNK + k,
                    identity,
                    &aws,
                    &ids,
                    &mut edges,
                );
            }
            edges
        })
        .collect();
    let mut edges = EdgeSet::default();
    edges.edges.reserve(chunks.iter().map(EdgeSet::len).sum());
    for chunk in chunks {
        edges.append(chunk);
    }
    azure::takeovers(identities, &mut edges);
    workload::federation(identities, ids(), &mut edges);
    edges.edges.retain(|(from, to, _)| {
        identities[*from as usize].enabled && identities[*to as usize].enabled
    });
    Graph::new(identities, edges.edges, edges.texts)
}

/// The edges into identity `to` that its trust entries give.
fn trust_edges<'a>(
    identities: &'a [Identity],
    to: usize,
    identity: &Identity,
    aws: &aws::AwsIndex<'a>,
    ids: &impl Fn() -> &'a IdIndex<'a>,
    edges: &mut EdgeSet,
) {
    for trust in &identity.trust {
        match (trust.principal_type, identity.provider) {
            (PrincipalType::Identity, Provider::Aws) => {
                aws.identity_trust(identities, ids(), to, trust, edges)
            }
            (PrincipalType::Identity, _) => {
                let mut reason = None;
                for from in ids().get(&trust.principal) {
                    let reason = *reason.get_or_insert_with(|| {
                        edges.reason(&with_conditions("named in its trust", &trust.conditions))
                    });
                    edges.add_with(from, to, reason);
                }
            }
            (PrincipalType::Account, Provider::Aws) => {
                aws.account_trust(identities, to, trust, edges)
            }
            _ => {}
        }
    }
}

/// `reason`, followed by the trust entry's conditions when it has any.
pub fn with_conditions(reason: &str, conditions: &[String]) -> String {
    if conditions.is_empty() {
        reason.to_string()
    } else {
        format!("{reason} (if {})", conditions.join("; "))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::{json, Value};

    /// An identity from JSON with neutral defaults (AWS, account 111111111111).
    pub fn identity(fields: Value) -> Identity {
        let mut value = json!({
            "provider": "aws",
            "scope": {"kind": "account", "id": "111111111111"},
            "kind": "role",
        });
        for (k, v) in fields.as_object().unwrap() {
            value[k] = v.clone();
        }
        if value.get("name").is_none() {
            value["name"] = value["id"].clone();
        }
        serde_json::from_value(value).unwrap()
    }

    /// The edges of `identities` as (from name, to name, reason).
    pub fn edges_of(identities: &[Identity]) -> Vec<(String, String, String)> {
        let graph = build(identities);
        (0..identities.len())
            .flat_map(|i| graph.out_edges(i).collect::<Vec<_>>())
            .map(|e| {
                (
                    identities[e.from].name.clone(),
                    identities[e.to].name.clone(),
                    e.reason.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn generic_identity_trust_is_an_edge_and_services_are_not() {
        let identities = vec![
            identity(
                json!({"provider": "gcp", "scope": {"kind": "project", "id": "p"},
                "kind": "service_account", "id": "ci@p.iam.gserviceaccount.com", "name": "ci"}),
            ),
            identity(
                json!({"provider": "gcp", "scope": {"kind": "project", "id": "p"},
                "kind": "service_account", "id": "deploy@p.iam.gserviceaccount.com", "name": "deploy",
                "trust": [
                    {"principal": "ci@p.iam.gserviceaccount.com", "principal_type": "identity",
                     "conditions": ["roles/iam.serviceAccountTokenCreator"]},
                    {"principal": "cloudbuild.googleapis.com", "principal_type": "service"},
                    {"principal": "*", "principal_type": "any"},
                    {"principal": "nobody@p.iam.gserviceaccount.com", "principal_type": "identity"}
                ]}),
            ),
        ];
        assert_eq!(
            edges_of(&identities),
            vec![(
                "ci".into(),
                "deploy".into(),
                "named in its trust (if roles/iam.serviceAccountTokenCreator)".into()
            )]
        );
    }

    #[test]
    fn disabled_identities_have_no_edges_and_self_trust_is_ignored() {
        let trust = json!([{"principal": "a", "principal_type": "identity"}]);
        let identities = vec![
            identity(json!({"provider": "other", "id": "a", "trust": trust})),
            identity(json!({"provider": "other", "id": "b", "trust": trust})),
            identity(json!({"provider": "other", "id": "c", "trust": trust, "enabled": false})),
        ];
        let edges = edges_of(&identities);
        assert_eq!(edges.len(), 1);
        assert_eq!((edges[0].0.as_str(), edges[0].1.as_str()), ("a", "b"));
    }

    #[test]
    fn duplicate_ids_across_providers_map_to_both() {
        let identities = vec![
            identity(json!({"provider": "gcp", "id": "x"})),
            identity(json!({"provider": "kubernetes", "id": "x"})),
        ];
        let index = IdIndex::new(&identities);
        assert_eq!(index.get("x").collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(index.get("y").count(), 0);
    }
}
