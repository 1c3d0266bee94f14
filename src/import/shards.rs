//! Joining the shards of an organisation (`collect aws --org --shard K/N`, then `merge`):
//! the inputs must hold each shard of one run once, and all of them.

use crate::inventory::ShardRecord;
use std::collections::BTreeMap;

/// Checks the shards that `inputs` (each file's name and its shard records) hold
/// together: per organisation, one shard count, one account list (one run), no shard
/// twice and none missing. Inputs without shard records are not concerned.
pub fn check(inputs: &[(String, Vec<ShardRecord>)]) -> Result<(), String> {
    let mut by_organization: BTreeMap<&str, Vec<(&str, &ShardRecord)>> = BTreeMap::new();
    for (file, records) in inputs {
        for record in records {
            by_organization
                .entry(record.organization.as_str())
                .or_default()
                .push((file.as_str(), record));
        }
    }
    for (organization, shards) in by_organization {
        let (first_file, first) = shards[0];
        let label = |file: &str, r: &ShardRecord| format!("shard {}/{} ({file})", r.index, r.count);
        for &(file, record) in &shards[1..] {
            if record.count != first.count {
                return Err(format!(
                    "{organization}: {} and {} split the organisation into different numbers \
                     of shards; every job of one run takes the same N",
                    label(first_file, first),
                    label(file, record)
                ));
            }
            if record.accounts_digest != first.accounts_digest {
                return Err(format!(
                    "{organization}: {} was cut from a list of {} accounts, {} from another \
                     list of {}: they come from different runs (or the organisation changed \
                     in between); collect every shard in one run",
                    label(first_file, first),
                    first.accounts,
                    label(file, record),
                    record.accounts
                ));
            }
        }
        let mut seen: BTreeMap<usize, &str> = BTreeMap::new();
        for &(file, record) in &shards {
            if let Some(other) = seen.insert(record.index, file) {
                return Err(format!(
                    "{organization}: shard {}/{} appears twice ({other} and {file}); merge \
                     each shard once",
                    record.index, record.count
                ));
            }
        }
        let missing: Vec<String> = (1..=first.count)
            .filter(|k| !seen.contains_key(k))
            .map(|k| format!("{k}/{}", first.count))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{organization}: shard(s) {} missing: merge the inventories of all {} shards \
                 (the result would silently lack their accounts)",
                missing.join(", "),
                first.count
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: usize, count: usize, digest: &str) -> ShardRecord {
        ShardRecord {
            organization: "aws:o-example".into(),
            index,
            count,
            accounts: 22,
            accounts_digest: digest.into(),
        }
    }

    fn files(shards: &[ShardRecord]) -> Vec<(String, Vec<ShardRecord>)> {
        shards
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("shard{i}.json"), vec![s.clone()]))
            .collect()
    }

    #[test]
    fn a_complete_set_of_one_run_merges() {
        assert_eq!(check(&files(&[shard(2, 2, "d"), shard(1, 2, "d")])), Ok(()));
        assert_eq!(check(&[("plain.json".into(), Vec::new())]), Ok(()));
        // A merged file holds its shards; merging it again with nothing else is whole.
        let merged = vec![(
            "merged.json".into(),
            vec![shard(1, 2, "d"), shard(2, 2, "d")],
        )];
        assert_eq!(check(&merged), Ok(()));
    }

    #[test]
    fn overlapping_missing_and_foreign_shards_are_refused() {
        let twice = check(&files(&[
            shard(1, 2, "d"),
            shard(1, 2, "d"),
            shard(2, 2, "d"),
        ]));
        assert!(twice
            .is_err_and(|e| e.contains("shard 1/2 appears twice (shard0.json and shard1.json)")));
        let missing = check(&files(&[shard(1, 3, "d"), shard(3, 3, "d")]));
        assert!(missing.is_err_and(|e| e.contains("shard(s) 2/3 missing")));
        let counts = check(&files(&[shard(1, 2, "d"), shard(2, 3, "d")]));
        assert!(counts.is_err_and(|e| e.contains("different numbers of shards")));
        let runs = check(&files(&[shard(1, 2, "d"), shard(2, 2, "e")]));
        assert!(runs.is_err_and(|e| e.contains("different runs")));
    }
}
