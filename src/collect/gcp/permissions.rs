//! What each call of the GCP collector needs: the IAM permission, and the API that must
//! be enabled in the project. The shipped custom role
//! (`examples/gcp/nhiscan-reader.role.yaml`) is tested against this table in both
//! directions, and the GCP integration tests check that a scan makes no call missing
//! from it.

/// One call and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needed {
    /// The counted key, `gcp:<service>:<method>`.
    pub operation: &'static str,
    /// The IAM permission.
    pub permission: &'static str,
    /// The API (service name) the call goes to.
    pub service: &'static str,
    /// Whether a denial only costs detail (activity, workloads), not coverage.
    pub optional: bool,
}

const fn needed(
    operation: &'static str,
    permission: &'static str,
    service: &'static str,
    optional: bool,
) -> Needed {
    Needed {
        operation,
        permission,
        service,
        optional,
    }
}

const CRM: &str = "cloudresourcemanager.googleapis.com";
const IAM: &str = "iam.googleapis.com";

/// Every call the collector makes.
pub const NEEDED: &[Needed] = &[
    needed(
        "gcp:cloudresourcemanager:projects.search",
        "resourcemanager.projects.get",
        CRM,
        false,
    ),
    needed(
        "gcp:cloudresourcemanager:projects.get",
        "resourcemanager.projects.get",
        CRM,
        false,
    ),
    needed(
        "gcp:cloudresourcemanager:projects.getIamPolicy",
        "resourcemanager.projects.getIamPolicy",
        CRM,
        false,
    ),
    // Roles granted on the project's folders and organisation are inherited.
    needed(
        "gcp:cloudresourcemanager:folders.get",
        "resourcemanager.folders.get",
        CRM,
        true,
    ),
    needed(
        "gcp:cloudresourcemanager:folders.getIamPolicy",
        "resourcemanager.folders.getIamPolicy",
        CRM,
        true,
    ),
    needed(
        "gcp:cloudresourcemanager:organizations.getIamPolicy",
        "resourcemanager.organizations.getIamPolicy",
        CRM,
        true,
    ),
    needed(
        "gcp:iam:serviceAccounts.list",
        "iam.serviceAccounts.list",
        IAM,
        false,
    ),
    needed(
        "gcp:iam:serviceAccounts.keys.list",
        "iam.serviceAccountKeys.list",
        IAM,
        false,
    ),
    needed(
        "gcp:iam:serviceAccounts.getIamPolicy",
        "iam.serviceAccounts.getIamPolicy",
        IAM,
        false,
    ),
    needed(
        "gcp:compute:instances.aggregatedList",
        "compute.instances.list",
        "compute.googleapis.com",
        true,
    ),
    needed(
        "gcp:run:services.list",
        "run.services.list",
        "run.googleapis.com",
        true,
    ),
    needed(
        "gcp:cloudfunctions:functions.list",
        "cloudfunctions.functions.list",
        "cloudfunctions.googleapis.com",
        true,
    ),
    needed(
        "gcp:container:clusters.list",
        "container.clusters.list",
        "container.googleapis.com",
        true,
    ),
    needed(
        "gcp:policyanalyzer:serviceAccountLastAuthentication.query",
        "policyanalyzer.serviceAccountLastAuthenticationActivities.query",
        "policyanalyzer.googleapis.com",
        true,
    ),
    needed(
        "gcp:policyanalyzer:serviceAccountKeyLastAuthentication.query",
        "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
        "policyanalyzer.googleapis.com",
        true,
    ),
    // Only with --usage: which role bindings each account used.
    needed(
        "gcp:recommender:insights.list",
        "recommender.iamPolicyInsights.list",
        "recommender.googleapis.com",
        false,
    ),
];

/// What a counted call needs, if the call is one the collector makes.
pub fn needed_for(operation_key: &str) -> Option<Needed> {
    NEEDED
        .iter()
        .copied()
        .find(|n| n.operation == operation_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The shipped role grants exactly the permissions of the table: nothing missing,
    /// nothing more, and nothing that writes or reads a secret.
    #[test]
    fn the_shipped_role_matches_the_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/gcp/nhiscan-reader.role.yaml"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let role: serde_json::Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let granted: BTreeSet<&str> = role["includedPermissions"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no includedPermissions"))
            .iter()
            .filter_map(|p| p.as_str())
            .collect();
        let needed: BTreeSet<&str> = NEEDED.iter().map(|n| n.permission).collect();
        assert_eq!(granted, needed, "{path} differs from NEEDED");
        for permission in granted {
            let verb = permission.rsplit('.').next().unwrap_or_default();
            assert!(
                matches!(verb, "get" | "list" | "getIamPolicy" | "query"),
                "{permission} is not a read"
            );
            assert!(!permission.starts_with("secretmanager."), "{permission}");
        }
        assert_eq!(role["stage"], "GA");
    }

    #[test]
    fn every_operation_is_listed_once() {
        let keys: BTreeSet<&str> = NEEDED.iter().map(|n| n.operation).collect();
        assert_eq!(keys.len(), NEEDED.len());
        assert!(needed_for("gcp:iam:serviceAccounts.list").is_some());
        assert!(needed_for("gcp:iam:serviceAccounts.delete").is_none());
    }
}
