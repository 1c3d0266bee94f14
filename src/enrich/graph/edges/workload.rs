//! Kubernetes workloads federated into cloud identities: a ServiceAccount annotated for
//! EKS IAM Roles for Service Accounts (`eks.amazonaws.com/role-arn`) or GKE Workload
//! Identity (`iam.gke.io/gcp-service-account`) can act as that cloud identity — when the
//! cloud identity's trust lets it in too (an OIDC trust whose `sub` allows
//! `system:serviceaccount:NS:NAME`, or `roles/iam.workloadIdentityUser` for
//! `PROJECT.svc.id.goog[NS/NAME]`). The annotation alone grants nothing, so it alone
//! makes no edge.

use super::{EdgeSet, IdIndex};
use crate::glob::matches as resource_matches;
use crate::inventory::{Identity, IdentityKind, PrincipalType, Provider, Trust};

const IRSA: &str = "eks.amazonaws.com/role-arn";
const GKE: &str = "iam.gke.io/gcp-service-account";

/// Adds an edge from each federated ServiceAccount to the cloud identity it runs as.
pub fn federation(identities: &[Identity], ids: &IdIndex, edges: &mut EdgeSet) {
    for (from, sa) in identities.iter().enumerate() {
        if sa.provider != Provider::Kubernetes || sa.kind != IdentityKind::ServiceAccount {
            continue;
        }
        let attribute = |key: &str| sa.attributes.get(key).and_then(|v| v.as_str());
        let (Some(namespace), Some(name)) = (attribute("namespace"), attribute("service_account"))
        else {
            continue;
        };
        if let Some(role) = attribute(IRSA) {
            let subject = format!("system:serviceaccount:{namespace}:{name}");
            for to in ids.get(role) {
                let target = &identities[to];
                if target.provider != Provider::Aws {
                    continue;
                }
                if let Some(trust) = target.trust.iter().find(|t| oidc_admits(t, &subject)) {
                    let issuer = trust
                        .principal
                        .split_once(":oidc-provider/")
                        .map_or(trust.principal.as_str(), |(_, issuer)| issuer);
                    edges.add(
                        from,
                        to,
                        &format!("EKS IRSA ({IRSA}; trusted through {issuer})"),
                    );
                }
            }
        }
        if let Some(email) = attribute(GKE) {
            let member = format!(".svc.id.goog[{namespace}/{name}]");
            for to in ids.get(&email.to_lowercase()) {
                let target = &identities[to];
                let admitted = target.trust.iter().any(|t| {
                    t.principal
                        .trim_start_matches("serviceAccount:")
                        .ends_with(&member)
                });
                if target.provider == Provider::Gcp && admitted {
                    edges.add(
                        from,
                        to,
                        &format!("GKE Workload Identity ({GKE}; roles/iam.workloadIdentityUser)"),
                    );
                }
            }
        }
    }
}

/// Whether an OIDC trust entry lets the token of `subject` in: a federated
/// `oidc-provider` principal whose `:sub` conditions (if any) allow it.
fn oidc_admits(trust: &Trust, subject: &str) -> bool {
    if trust.principal_type != PrincipalType::Federated
        || !trust.principal.contains(":oidc-provider/")
    {
        return false;
    }
    let subs: Vec<(&str, &str)> = trust
        .conditions
        .iter()
        .filter_map(|c| {
            let mut parts = c.splitn(3, ' ');
            let (key, operator, value) = (parts.next()?, parts.next()?, parts.next()?);
            key.ends_with(":sub").then_some((operator, value))
        })
        .collect();
    subs.is_empty()
        || subs.iter().any(|(operator, value)| match *operator {
            "StringEquals" => *value == subject,
            // IAM's StringLike: `*` any run, `?` one character, case-sensitive.
            "StringLike" => resource_matches(value, subject),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::tests::{edges_of, identity};
    use serde_json::json;

    const OIDC: &str =
        "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";

    fn ksa(
        namespace: &str,
        name: &str,
        annotations: serde_json::Value,
    ) -> crate::inventory::Identity {
        let mut attributes = json!({"namespace": namespace, "service_account": name});
        for (k, v) in annotations.as_object().unwrap() {
            attributes[k] = v.clone();
        }
        identity(
            json!({"provider": "kubernetes", "scope": {"kind": "cluster", "id": "prod"},
            "kind": "service_account", "id": format!("system:serviceaccount:{namespace}:{name}"),
            "name": format!("{namespace}/{name}"), "attributes": attributes}),
        )
    }

    fn role(name: &str, sub: Option<(&str, &str)>) -> crate::inventory::Identity {
        let mut conditions = vec![
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud StringEquals sts.amazonaws.com"
                .to_string(),
        ];
        if let Some((operator, value)) = sub {
            conditions.push(format!(
                "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub {operator} {value}"
            ));
        }
        identity(
            json!({"id": format!("arn:aws:iam::111111111111:role/{name}"), "name": name,
            "trust": [{"principal": OIDC, "principal_type": "federated", "conditions": conditions}]}),
        )
    }

    #[test]
    fn irsa_needs_the_annotation_and_a_trust_that_admits_the_subject() {
        let arn = |name: &str| format!("arn:aws:iam::111111111111:role/{name}");
        let identities = vec![
            ksa(
                "payments",
                "api",
                json!({"eks.amazonaws.com/role-arn": arn("exact")}),
            ),
            ksa(
                "payments",
                "worker",
                json!({"eks.amazonaws.com/role-arn": arn("wildcard")}),
            ),
            ksa(
                "payments",
                "batch",
                json!({"eks.amazonaws.com/role-arn": arn("exact")}),
            ),
            ksa(
                "ci",
                "runner",
                json!({"eks.amazonaws.com/role-arn": arn("any-sa")}),
            ),
            ksa("ci", "other", json!({})),
            role(
                "exact",
                Some(("StringEquals", "system:serviceaccount:payments:api")),
            ),
            role(
                "wildcard",
                Some(("StringLike", "system:serviceaccount:payments:*")),
            ),
            role("any-sa", None),
        ];
        let edges: Vec<(String, String)> = edges_of(&identities)
            .into_iter()
            .map(|(from, to, _)| (from, to))
            .collect();
        assert_eq!(
            edges,
            [
                ("payments/api".to_string(), "exact".to_string()),
                ("payments/worker".to_string(), "wildcard".to_string()),
                ("ci/runner".to_string(), "any-sa".to_string()),
            ],
            "payments/batch is annotated but the role's sub admits only payments/api"
        );
        assert!(edges_of(&identities)[0]
            .2
            .contains("trusted through oidc.eks.eu-west-1.amazonaws.com/id/ABC"));
    }

    #[test]
    fn gke_workload_identity_needs_the_workload_identity_user_binding() {
        let gsa = |email: &str, member: Option<&str>| {
            let trust: Vec<serde_json::Value> = member
                .map(|m| {
                    json!({"principal": m, "principal_type": "identity",
                    "conditions": ["role = roles/iam.workloadIdentityUser"]})
                })
                .into_iter()
                .collect();
            identity(
                json!({"provider": "gcp", "scope": {"kind": "project", "id": "p"},
                "kind": "service_account", "id": email, "name": email, "trust": trust}),
            )
        };
        let identities = vec![
            ksa(
                "airflow",
                "scheduler",
                json!({"iam.gke.io/gcp-service-account": "etl@p.iam.gserviceaccount.com"}),
            ),
            ksa(
                "airflow",
                "web",
                json!({"iam.gke.io/gcp-service-account": "ui@p.iam.gserviceaccount.com"}),
            ),
            gsa(
                "etl@p.iam.gserviceaccount.com",
                Some("p.svc.id.goog[airflow/scheduler]"),
            ),
            gsa("ui@p.iam.gserviceaccount.com", None),
        ];
        let edges = edges_of(&identities);
        assert_eq!(edges.len(), 1, "{edges:?}");
        assert_eq!(edges[0].0, "airflow/scheduler");
        assert_eq!(edges[0].1, "etl@p.iam.gserviceaccount.com");
        assert!(edges[0].2.starts_with("GKE Workload Identity"));
    }
}
