//! Hash maps keyed by inventory data (ids, names, reasons), hashed with foldhash: several
//! times faster than the standard SipHash on the millions of short strings a large
//! estate has, and still seeded per process, so ids chosen to collide cannot be
//! computed in advance to slow a scan down.

use std::collections::{HashMap, HashSet};

/// How [`FastMap`] and [`FastSet`] hash.
pub type FastState = foldhash::fast::RandomState;

/// A `HashMap` with [`FastState`].
pub type FastMap<K, V> = HashMap<K, V, FastState>;

/// A `HashSet` with [`FastState`].
pub type FastSet<T> = HashSet<T, FastState>;

/// An empty [`FastMap`] with room for `capacity` entries.
pub fn map_with_capacity<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, FastState::default())
}

/// An empty [`FastSet`] with room for `capacity` entries.
pub fn set_with_capacity<T>(capacity: usize) -> FastSet<T> {
    HashSet::with_capacity_and_hasher(capacity, FastState::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn maps_find_what_was_inserted() {
        let mut map = map_with_capacity(2);
        map.insert(("aws", "arn:aws:iam::1:role/a"), 1);
        map.insert(("aws", "arn:aws:iam::1:role/b"), 2);
        assert_eq!(map.get(&("aws", "arn:aws:iam::1:role/b")), Some(&2));
        let mut set = set_with_capacity(1);
        assert!(set.insert("x"));
        assert!(!set.insert("x"));
    }

    #[test]
    fn each_map_is_seeded_differently() {
        // Equal seeds would let an input be built to collide in every run.
        let a = FastState::default().hash_one("arn:aws:iam::1:role/a");
        let b = FastState::default().hash_one("arn:aws:iam::1:role/a");
        assert_ne!(a, b);
    }
}
