//! What each call of the GitHub collector needs, as the operation keys counted in
//! `Inventory::api_calls`: the fine-grained permission (of a fine-grained personal access
//! token or a GitHub App installation) and the classic token scope. The shipped list
//! (`examples/github/token-permissions.json`) is tested against this table in both
//! directions, and the GitHub integration tests check that a scan makes no call missing
//! from it.

/// One call and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needed {
    /// The counted key, `github:<api>:<operation>`.
    pub operation: &'static str,
    /// `Permission: read (repository|organization)`, or `none`.
    pub fine_grained: &'static str,
    /// The classic scope, `none`, or `None` when no classic token can make the call.
    pub classic: Option<&'static str>,
}

const fn needed(
    operation: &'static str,
    fine_grained: &'static str,
    classic: Option<&'static str>,
) -> Needed {
    Needed {
        operation,
        fine_grained,
        classic,
    }
}

/// Every call the collector makes.
pub const NEEDED: &[Needed] = &[
    // Public organisation metadata: any token.
    needed("github:orgs:get", "none", Some("none")),
    needed(
        "github:orgs:repos",
        "Metadata: read (repository)",
        Some("repo"),
    ),
    needed(
        "github:repos:keys",
        "Administration: read (repository)",
        Some("repo"),
    ),
    needed(
        "github:orgs:installations",
        "Administration: read (organization)",
        Some("read:org"),
    ),
    needed(
        "github:actions:orgSecrets",
        "Secrets: read (organization)",
        Some("admin:org"),
    ),
    needed(
        "github:actions:orgVariables",
        "Variables: read (organization)",
        Some("admin:org"),
    ),
    needed(
        "github:actions:repoSecrets",
        "Secrets: read (repository)",
        Some("repo"),
    ),
    needed(
        "github:actions:repoVariables",
        "Variables: read (repository)",
        Some("repo"),
    ),
    // Only a GitHub App (installation token) may list an organisation's fine-grained
    // token grants.
    needed(
        "github:orgs:personalAccessTokens",
        "Personal access tokens: read (organization)",
        None,
    ),
];

/// What a counted call needs, if the call is one the collector makes.
pub fn needed_for(operation_key: &str) -> Option<Needed> {
    NEEDED
        .iter()
        .find(|n| n.operation == operation_key)
        .copied()
}

impl Needed {
    /// In words, for error hints and coverage notes.
    pub fn describe(&self) -> String {
        match self.classic {
            Some("none") => "no permission".into(),
            Some(scope) => format!(
                "{} (fine-grained token or GitHub App) or the `{scope}` scope (classic token)",
                self.fine_grained
            ),
            None => format!(
                "{} — only a GitHub App installed on the organisation can read this; a \
                 personal access token cannot",
                self.fine_grained
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn shipped() -> Value {
        serde_json::from_str(include_str!(
            "../../../examples/github/token-permissions.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shipped_fine_grained_permissions_are_exactly_the_ones_called() {
        let list = shipped();
        let mut listed = BTreeSet::new();
        for level in ["repository", "organization"] {
            let Some(map) = list["fine_grained"][level].as_object() else {
                panic!("no fine_grained.{level}");
            };
            for (name, access) in map {
                assert_eq!(access, "read", "{name} ({level}) is more than a read");
                listed.insert(format!("{name}: read ({level})"));
            }
        }
        let called: BTreeSet<String> = NEEDED
            .iter()
            .map(|n| n.fine_grained.to_string())
            .filter(|p| p != "none")
            .collect();
        assert_eq!(listed, called);
    }

    #[test]
    fn the_shipped_classic_scopes_are_exactly_the_ones_called() {
        let listed: BTreeSet<String> = shipped()["classic_scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        let called: BTreeSet<String> = NEEDED
            .iter()
            .filter_map(|n| n.classic)
            .filter(|s| *s != "none")
            .map(str::to_string)
            .collect();
        assert_eq!(listed, called);
    }

    #[test]
    fn every_operation_is_listed_once() {
        let keys: BTreeSet<&str> = NEEDED.iter().map(|n| n.operation).collect();
        assert_eq!(keys.len(), NEEDED.len());
        assert!(keys.iter().all(|k| k.starts_with("github:")));
        assert!(needed_for("github:repos:keys").is_some());
        assert!(needed_for("github:repos:delete").is_none());
    }
}
