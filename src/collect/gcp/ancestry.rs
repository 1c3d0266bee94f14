//! The folders and organisation above each project, and their IAM policies: what a
//! project's service accounts inherit. Each ancestor is read once per run, however many
//! projects sit beneath it; one that cannot be read is a note on the projects beneath.

use super::api::{self, Policy};
use super::rest::Rest;
use std::collections::{BTreeSet, HashMap};

/// The folders and organisations above the projects, and their IAM policies: read once
/// for all the projects under them.
pub struct Ancestry {
    /// Each resource's parent (`folders/N` → `folders/M` or `organizations/N`).
    parents: HashMap<String, Option<String>>,
    policies: HashMap<String, Policy>,
    /// Why a resource's parent or policy is unknown.
    failures: HashMap<String, String>,
}

/// Folders nest at most 10 deep under an organisation.
const MAX_DEPTH: usize = 12;

impl Ancestry {
    pub async fn read(rest: &Rest, projects: &[api::Project]) -> Ancestry {
        let mut ancestry = Ancestry {
            parents: HashMap::new(),
            policies: HashMap::new(),
            failures: HashMap::new(),
        };
        let starts: BTreeSet<&str> = projects
            .iter()
            .filter_map(|p| p.parent.as_deref())
            .collect();
        for start in starts {
            let mut current = Some(start.to_string());
            for _ in 0..MAX_DEPTH {
                let Some(name) = current.take() else { break };
                if ancestry.parents.contains_key(&name) {
                    current = ancestry.parents.get(&name).cloned().flatten();
                    continue;
                }
                match api::ancestor_policy(rest, &name).await {
                    Ok(policy) => {
                        ancestry.policies.insert(name.clone(), policy);
                    }
                    Err(e) => {
                        ancestry.failures.insert(name.clone(), e.to_string());
                    }
                }
                if name.starts_with("folders/") {
                    match api::folder(rest, &name).await {
                        Ok(folder) => current = folder.parent.clone(),
                        Err(e) => {
                            ancestry
                                .failures
                                .entry(name.clone())
                                .or_insert_with(|| e.to_string());
                        }
                    }
                }
                ancestry.parents.insert(name, current.clone());
            }
        }
        ancestry
    }

    /// The policies above a project (nearest first) and the notes on what is missing.
    pub fn of(&self, parent: Option<&str>) -> Inherited {
        let mut inherited = Inherited::default();
        let mut current = parent.map(str::to_string);
        for _ in 0..MAX_DEPTH {
            let Some(name) = current.take() else { break };
            if let Some(policy) = self.policies.get(&name) {
                inherited.policies.push((name.clone(), policy.clone()));
            }
            if let Some(failure) = self.failures.get(&name) {
                inherited.notes.push(format!(
                    "roles inherited from {name} not read (not included): {failure}"
                ));
            }
            current = self.parents.get(&name).cloned().flatten();
        }
        inherited
    }
}

/// What a project inherits, as far as it could be read.
#[derive(Debug, Default)]
pub struct Inherited {
    pub policies: Vec<(String, Policy)>,
    pub notes: Vec<String>,
}
