//! What each call of the collector needs, as the operation keys counted in
//! `Inventory::api_calls`. The shipped ClusterRole
//! (`examples/kubernetes/nhiscan-reader.yaml`) is tested against this table in both
//! directions, and the Kubernetes integration tests check that a scan makes no call
//! missing from it.

/// One RBAC rule a call needs: API group (`""` for the core group), resource, verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RbacRule {
    pub api_group: &'static str,
    pub resource: &'static str,
    pub verb: &'static str,
}

const fn rule(api_group: &'static str, resource: &'static str) -> RbacRule {
    RbacRule {
        api_group,
        resource,
        verb: "list",
    }
}

/// `(operation key, RBAC rule)`. Every call is a `list`, cluster-wide or in one
/// namespace.
pub const NEEDED: &[(&str, RbacRule)] = &[
    (
        "kubernetes:serviceaccounts:list",
        rule("", "serviceaccounts"),
    ),
    ("kubernetes:secrets:list", rule("", "secrets")),
    ("kubernetes:pods:list", rule("", "pods")),
    ("kubernetes:deployments:list", rule("apps", "deployments")),
    ("kubernetes:statefulsets:list", rule("apps", "statefulsets")),
    ("kubernetes:daemonsets:list", rule("apps", "daemonsets")),
    ("kubernetes:cronjobs:list", rule("batch", "cronjobs")),
    (
        "kubernetes:roles:list",
        rule("rbac.authorization.k8s.io", "roles"),
    ),
    (
        "kubernetes:clusterroles:list",
        rule("rbac.authorization.k8s.io", "clusterroles"),
    ),
    (
        "kubernetes:rolebindings:list",
        rule("rbac.authorization.k8s.io", "rolebindings"),
    ),
    (
        "kubernetes:clusterrolebindings:list",
        rule("rbac.authorization.k8s.io", "clusterrolebindings"),
    ),
];

/// The RBAC rule a counted call needs, if the call is one the collector makes.
pub fn needed_for(operation_key: &str) -> Option<RbacRule> {
    NEEDED
        .iter()
        .find(|(key, _)| *key == operation_key)
        .map(|(_, rule)| *rule)
}

/// The rule in words, for error hints: `list` on `deployments.apps`.
pub fn describe(rule: RbacRule) -> String {
    if rule.api_group.is_empty() {
        format!("`{}` on `{}`", rule.verb, rule.resource)
    } else {
        format!("`{}` on `{}.{}`", rule.verb, rule.resource, rule.api_group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeSet;

    /// Every (group, resource, verb) the shipped ClusterRole grants.
    fn granted() -> BTreeSet<(String, String, String)> {
        let text = include_str!("../../../examples/kubernetes/nhiscan-reader.yaml");
        let mut granted = BTreeSet::new();
        let mut kinds = Vec::new();
        for document in serde_norway::Deserializer::from_str(text) {
            let value = serde_json::Value::deserialize(document).unwrap_or_else(|e| panic!("{e}"));
            kinds.push(value["kind"].as_str().unwrap_or_default().to_string());
            if value["kind"] != "ClusterRole" {
                continue;
            }
            for rule in value["rules"].as_array().into_iter().flatten() {
                let list = |field: &str| -> Vec<String> {
                    rule[field]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                };
                for group in list("apiGroups") {
                    for resource in list("resources") {
                        for verb in list("verbs") {
                            granted.insert((group.clone(), resource.clone(), verb));
                        }
                    }
                }
            }
        }
        assert_eq!(kinds, ["ClusterRole", "ClusterRoleBinding"]);
        granted
    }

    #[test]
    fn the_shipped_cluster_role_grants_exactly_what_the_collector_calls() {
        let granted = granted();
        let needed: BTreeSet<(String, String, String)> = NEEDED
            .iter()
            .map(|(_, r)| (r.api_group.into(), r.resource.into(), r.verb.into()))
            .collect();
        assert_eq!(granted, needed);
        for (group, resource, verb) in &granted {
            assert!(
                verb == "list" && group != "*" && resource != "*",
                "{group}/{resource}/{verb} is more than a list"
            );
        }
    }

    #[test]
    fn every_key_names_its_resource() {
        for (key, rule) in NEEDED {
            assert_eq!(*key, format!("kubernetes:{}:list", rule.resource));
        }
        assert_eq!(
            needed_for("kubernetes:deployments:list").map(describe),
            Some("`list` on `deployments.apps`".to_string())
        );
        assert_eq!(needed_for("kubernetes:secrets:get"), None);
    }
}
