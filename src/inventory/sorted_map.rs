//! [`SortedMap`]: the string-keyed map of an entity's tags and attributes.

use super::Text;
use litemap::LiteMap;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Index};

/// A map from string keys to `V`, kept as one vector sorted by key ([`LiteMap`]).
///
/// Most entities have a few tags and attributes or none; a `BTreeMap` allocates a node
/// with room for eleven entries from its first, which made these maps about a quarter of
/// a large inventory's memory. Reads are binary searches; it derefs to [`LiteMap`] for
/// the rest of a map's methods. Serialized as a JSON object, like a `BTreeMap`.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<V>(LiteMap<Text, V>);

impl<V> SortedMap<V> {
    pub fn new() -> Self {
        SortedMap(LiteMap::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<Text>, value: impl Into<V>) -> Option<V> {
        self.0.insert(key.into(), value.into())
    }
}

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap::new()
    }
}

impl<V> Deref for SortedMap<V> {
    type Target = LiteMap<Text, V>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<V> DerefMut for SortedMap<V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// `map["key"]`: the value, or a panic when it is missing, as `BTreeMap`'s.
impl<V> Index<&str> for SortedMap<V> {
    type Output = V;
    fn index(&self, key: &str) -> &V {
        match self.0.get(key) {
            Some(value) => value,
            None => panic!("no entry {key:?} in the map"),
        }
    }
}

/// Later entries replace earlier ones with the same key, as in a `BTreeMap`.
impl<K: Into<Text>, W: Into<V>, V> FromIterator<(K, W)> for SortedMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, W)>>(entries: I) -> Self {
        let mut map = SortedMap::new();
        map.extend(entries);
        map
    }
}

impl<K: Into<Text>, W: Into<V>, V> Extend<(K, W)> for SortedMap<V> {
    fn extend<I: IntoIterator<Item = (K, W)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.0.insert(key.into(), value.into());
        }
    }
}

impl<W: Into<V>, V> From<std::collections::BTreeMap<String, W>> for SortedMap<V> {
    fn from(map: std::collections::BTreeMap<String, W>) -> Self {
        // Already sorted and unique: appended in order, no searching.
        let entries: Vec<(Text, V)> = map.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        SortedMap(LiteMap::from_sorted_store_unchecked(entries))
    }
}

impl<V> IntoIterator for SortedMap<V> {
    type Item = (Text, V);
    type IntoIter = std::vec::IntoIter<(Text, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_tuple_vec().into_iter()
    }
}

impl<'a, V> IntoIterator for &'a SortedMap<V> {
    type Item = (&'a Text, &'a V);
    type IntoIter = <&'a LiteMap<Text, V> as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<V: fmt::Debug> fmt::Debug for SortedMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl<V: Serialize> Serialize for SortedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SortedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SortedMapVisitor(PhantomData))
    }
}

struct SortedMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for SortedMapVisitor<V> {
    type Value = SortedMap<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    /// Collects the entries, sorts them (stable, so that the last of equal keys wins,
    /// as in a `BTreeMap`) and trims the vector to its length: a parsed inventory holds
    /// millions of these maps.
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(Text, V)> = Vec::with_capacity(access.size_hint().unwrap_or(0));
        while let Some(entry) = access.next_entry()? {
            entries.push(entry);
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // Keep the last of each run of equal keys.
        entries.reverse();
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        entries.reverse();
        entries.shrink_to_fit();
        Ok(SortedMap(LiteMap::from_sorted_store_unchecked(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_object_in_any_order_and_the_last_duplicate_wins() {
        let map: SortedMap<u32> =
            serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap_or_else(|e| panic!("{e}"));
        let entries: Vec<_> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(entries, [("a", 2), ("b", 3)]);
        assert_eq!(map["b"], 3);
        assert_eq!(map.get("c"), None);
    }

    #[test]
    fn writes_an_object_sorted_by_key_and_an_empty_one_as_braces() {
        let map: SortedMap<String> = [("z", "1"), ("a", "2")]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        assert_eq!(
            serde_json::to_string(&map).unwrap_or_default(),
            r#"{"a":"2","z":"1"}"#
        );
        assert_eq!(
            serde_json::to_string(&SortedMap::<String>::new()).unwrap_or_default(),
            "{}"
        );
    }

    #[test]
    fn rejects_what_is_not_an_object() {
        let error = serde_json::from_str::<SortedMap<String>>(r#"["a"]"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("expected an object"), "{error}");
    }

    #[test]
    fn matches_a_btreemap_built_from_the_same_entries() {
        let entries = [("k2", 1), ("k1", 2), ("k2", 3)].map(|(k, v)| (k.to_string(), v));
        let btree: std::collections::BTreeMap<String, i32> = entries.clone().into_iter().collect();
        let sorted: SortedMap<i32> = entries.into_iter().collect();
        assert_eq!(SortedMap::from(btree), sorted);
    }
}
