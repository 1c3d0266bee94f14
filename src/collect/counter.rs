//! A per-collection tally of API requests by `<provider>:<service>:<operation>`, for
//! `Inventory::api_calls` and `-v`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared tally of API requests; clones count into the same map.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        match self.counts.lock() {
            Ok(counts) => counts.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// One more request of `key`.
    pub fn add(&self, key: impl Into<String>) {
        let mut counts = match self.counts.lock() {
            Ok(counts) => counts,
            Err(poisoned) => poisoned.into_inner(),
        };
        *counts.entry(key.into()).or_default() += 1;
    }
}
