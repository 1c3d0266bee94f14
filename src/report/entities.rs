//! The report's `inventory` section: counts by provider and every entity scanned (what
//! `nhiscan diff` compares), serialized straight from the inventory. A million-entity
//! estate is never copied into [`EntityRef`]s to be written.

use crate::finding::EntityRef;
use crate::inventory::{Credential, Identity, Inventory, Provider, Scope};
use crate::report::{InventoryCounts, ProviderCounts};
use crate::rules::Target;
use serde::ser::{Serialize, SerializeSeq, Serializer};
use std::collections::BTreeMap;
use strum::VariantArray;

/// What a report says of the inventory it judged; written as [`InventoryCounts`] is read.
#[derive(Debug, Default, serde::Serialize)]
pub struct InventorySection<'a> {
    pub identities: usize,
    pub credentials: usize,
    pub by_provider: BTreeMap<Provider, ProviderCounts>,
    pub entities: EntityList<'a>,
}

impl<'a> InventorySection<'a> {
    pub fn of(inventory: &'a Inventory) -> Self {
        let mut by_provider: BTreeMap<Provider, ProviderCounts> = BTreeMap::new();
        for i in &inventory.identities {
            by_provider.entry(i.provider).or_default().identities += 1;
        }
        for c in &inventory.credentials {
            by_provider.entry(c.provider).or_default().credentials += 1;
        }
        by_provider.retain(|p, _| Provider::VARIANTS.contains(p));
        InventorySection {
            identities: inventory.identities.len(),
            credentials: inventory.credentials.len(),
            by_provider,
            entities: EntityList::of(inventory),
        }
    }

    /// The counts alone, as a report document holds them once read back.
    pub fn counts(&self) -> InventoryCounts {
        InventoryCounts {
            identities: self.identities,
            credentials: self.credentials,
            by_provider: self.by_provider.clone(),
            entities: Vec::new(),
        }
    }
}

/// Every identity, then every credential, each by provider and scope (a scope's entities
/// in collection order), so that a report does not depend on the order scopes were
/// collected or merged in.
#[derive(Debug, Default)]
pub struct EntityList<'a> {
    identities: &'a [Identity],
    credentials: &'a [Credential],
    /// Positions into `identities`, then into `credentials`, in report order.
    identity_order: Vec<u32>,
    credential_order: Vec<u32>,
}

impl<'a> EntityList<'a> {
    fn of(inventory: &'a Inventory) -> Self {
        EntityList {
            identities: &inventory.identities,
            credentials: &inventory.credentials,
            identity_order: order_by_scope(&inventory.identities, |i| (i.provider, &i.scope.id)),
            credential_order: order_by_scope(&inventory.credentials, |c| (c.provider, &c.scope.id)),
        }
    }

    pub fn len(&self) -> usize {
        self.identity_order.len() + self.credential_order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k`th entity in report order, as it is written.
    pub fn nth(&self, k: usize) -> impl Serialize + '_ {
        self.view(k)
    }

    /// Writes the `k`th entity as pretty JSON, as [`pretty::value_at`] writes
    /// [`Self::nth`] `depth` levels in, without serde's call per field and per bracket:
    /// a report writes millions.
    ///
    /// [`pretty::value_at`]: crate::report::format::pretty::value_at
    pub fn write_pretty(&self, k: usize, out: &mut Vec<u8>, depth: usize) -> std::io::Result<()> {
        self.view(k).write_pretty(out, depth)
    }

    fn view(&self, k: usize) -> EntityView<'a> {
        match k.checked_sub(self.identity_order.len()) {
            None => EntityView::identity(&self.identities[self.identity_order[k] as usize]),
            Some(c) => EntityView::credential(&self.credentials[self.credential_order[c] as usize]),
        }
    }

    /// The entities, in report order, as the owned references a report document holds.
    pub fn to_refs(&self) -> Vec<EntityRef> {
        let identities = (self.identity_order.iter()).map(|&i| &self.identities[i as usize]);
        let credentials = (self.credential_order.iter()).map(|&c| &self.credentials[c as usize]);
        identities
            .map(EntityRef::identity)
            .chain(credentials.map(EntityRef::credential))
            .collect()
    }
}

/// Positions of `items` ordered by `key`, equal keys in their original order.
/// Millions of entities share a few thousand scopes: the distinct keys are
/// ordered, then the positions by their key's rank (numbers, not strings).
fn order_by_scope<T>(items: &[T], key: impl Fn(&T) -> (Provider, &str)) -> Vec<u32> {
    let mut slots: crate::hash::FastMap<(Provider, &str), u32> = Default::default();
    let mut last: Option<((Provider, &str), u32)> = None;
    let slot_of: Vec<u32> = (items.iter())
        .map(|item| {
            let k = key(item);
            match last {
                // Entities of one scope are usually listed together.
                Some((previous, slot)) if previous == k => slot,
                _ => {
                    let next = slots.len() as u32;
                    let slot = *slots.entry(k).or_insert(next);
                    last = Some((k, slot));
                    slot
                }
            }
        })
        .collect();
    let mut keys: Vec<((Provider, &str), u32)> = slots.into_iter().collect();
    keys.sort_unstable();
    let mut rank_of_slot = vec![0; keys.len()];
    for (rank, (_, slot)) in keys.iter().enumerate() {
        rank_of_slot[*slot as usize] = rank as u32;
    }
    // A counting sort by rank: each key's positions in their original order.
    let mut next = vec![0usize; keys.len()];
    for &slot in &slot_of {
        next[rank_of_slot[slot as usize] as usize] += 1;
    }
    let mut start = 0;
    for count in &mut next {
        (*count, start) = (start, start + *count);
    }
    let mut order = vec![0u32; items.len()];
    for (position, &slot) in slot_of.iter().enumerate() {
        let at = &mut next[rank_of_slot[slot as usize] as usize];
        order[*at] = position as u32;
        *at += 1;
    }
    order
}

impl Serialize for EntityList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for k in 0..self.len() {
            seq.serialize_element(&self.nth(k))?;
        }
        seq.end()
    }
}

/// [`EntityRef`]'s serialized form, borrowed from the inventory (or from an
/// [`EntityRef`]).
#[derive(serde::Serialize)]
pub(crate) struct EntityView<'a> {
    #[serde(rename = "type")]
    target: Target,
    provider: Provider,
    scope: &'a Scope,
    kind: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_id: Option<&'a str>,
}

impl<'a> EntityView<'a> {
    pub(crate) fn of(entity: &'a EntityRef) -> Self {
        EntityView {
            target: entity.target,
            provider: entity.provider,
            scope: &entity.scope,
            kind: &entity.kind,
            id: &entity.id,
            name: entity.name.as_deref(),
            identity_id: entity.identity_id.as_deref(),
        }
    }

    fn identity(i: &'a Identity) -> Self {
        EntityView {
            target: Target::Identity,
            provider: i.provider,
            scope: &i.scope,
            kind: i.kind.as_str(),
            id: &i.id,
            name: Some(&i.name),
            identity_id: None,
        }
    }

    /// See [`EntityList::write_pretty`]: the fields [`Serialize`] writes, in its order.
    pub(crate) fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) -> std::io::Result<()> {
        use crate::report::format::pretty::{indent, key, string};
        let inner = depth + 1;
        out.push(b'{');
        key(out, true, inner, "type")?;
        string(out, self.target.as_str())?;
        key(out, false, inner, "provider")?;
        string(out, self.provider.as_str())?;
        key(out, false, inner, "scope")?;
        out.push(b'{');
        key(out, true, inner + 1, "kind")?;
        string(out, self.scope.kind.as_str())?;
        key(out, false, inner + 1, "id")?;
        string(out, &self.scope.id)?;
        if let Some(name) = &self.scope.name {
            key(out, false, inner + 1, "name")?;
            string(out, name)?;
        }
        out.push(b'\n');
        indent(out, inner)?;
        out.push(b'}');
        key(out, false, inner, "kind")?;
        string(out, self.kind)?;
        key(out, false, inner, "id")?;
        string(out, self.id)?;
        for (name, value) in [("name", self.name), ("identity_id", self.identity_id)] {
            if let Some(value) = value {
                key(out, false, inner, name)?;
                string(out, value)?;
            }
        }
        out.push(b'\n');
        indent(out, depth)?;
        out.push(b'}');
        Ok(())
    }

    fn credential(c: &'a Credential) -> Self {
        EntityView {
            target: Target::Credential,
            provider: c.provider,
            scope: &c.scope,
            kind: c.kind.as_str(),
            id: &c.id,
            name: c.name.as_deref(),
            identity_id: c.identity_id.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: &str, provider: &str, account: &str, id: &str, extra: &str) -> String {
        format!(
            r#"{{"provider":"{provider}","scope":{{"kind":"account","id":"{account}","name":"{account} name"}},"id":"{id}","kind":"{kind}"{extra}}}"#
        )
    }

    #[test]
    fn writes_what_the_document_reads_in_scope_order() {
        let identities = [
            entity("service_account", "gcp", "p1", "p1/sa", r#","name":"sa""#),
            entity("service_user", "aws", "222", "222/b", r#","name":"b""#),
            entity("service_user", "aws", "111", "111/a", r#","name":"a""#),
            entity("service_user", "aws", "222", "222/c", r#","name":"c""#),
        ];
        let credential = entity(
            "access_key",
            "aws",
            "111",
            "AKIA1",
            r#","identity_id":"111/a""#,
        );
        let text = format!(
            r#"{{"schema_version":1,"identities":[{}],"credentials":[{credential}]}}"#,
            identities.join(",")
        );
        let inventory: Inventory = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let section = InventorySection::of(&inventory);
        let written = serde_json::to_value(&section).unwrap_or_default();
        let read: InventoryCounts =
            serde_json::from_value(written).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = read.entities.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["111/a", "222/b", "222/c", "p1/sa", "AKIA1"]);
        assert_eq!(read.entities, section.entities.to_refs());
        assert_eq!(read.entities[4].identity_id.as_deref(), Some("111/a"));
        assert_eq!(read.by_provider[&Provider::Aws].identities, 3);
        assert_eq!(read.by_provider[&Provider::Aws].credentials, 1);
        assert_eq!((read.identities, read.credentials), (4, 1));
        assert_eq!(section.counts().entities.len(), 0);
    }

    /// Equal to a stable sort by key, for keys repeated apart and together.
    #[test]
    fn scope_order_is_a_stable_sort_by_scope() {
        let scopes = ["b", "a", "c", "a", "a", "b", "d", "c", "c", "a"];
        let items: Vec<(Provider, String, usize)> = (0..200)
            .map(|i| {
                let provider = if i % 7 == 0 {
                    Provider::Gcp
                } else {
                    Provider::Aws
                };
                (
                    provider,
                    scopes[(i * 31 + i / 3) % scopes.len()].to_string(),
                    i,
                )
            })
            .collect();
        fn key(item: &(Provider, String, usize)) -> (Provider, &str) {
            (item.0, item.1.as_str())
        }
        let mut expected: Vec<u32> = (0..items.len() as u32).collect();
        expected.sort_by(|&a, &b| key(&items[a as usize]).cmp(&key(&items[b as usize])));
        assert_eq!(order_by_scope(&items, key), expected);
        assert!(order_by_scope(&items[..0], key).is_empty());
    }
}
