//! AWS: who can assume a role, from its trust policy and the caller's own
//! `sts:AssumeRole` grants (`attributes.assume_role_targets`, written by the collector).
//!
//! | the role's trust entry | edge A → role B when |
//! |---|---|
//! | names A's ARN (`identity`), same account | always: within an account the trust policy alone suffices |
//! | names A's ARN, another account | A may also `sts:AssumeRole` on B (its ARN, a pattern matching it, or `*`) |
//! | names a session of role A (`arn:aws:sts::<account>:assumed-role/<A>/<session>`) | as for A's ARN |
//! | names A's account (`account`: the id or `arn:aws:iam::<id>:root`) | A, in that account, may `sts:AssumeRole` on B |
//!
//! Conditions are kept in the reason, not evaluated; Deny statements, permission
//! boundaries and SCPs are not subtracted (conservative, like the policy analysis).

use super::{with_conditions, EdgeSet, IdIndex};
use crate::glob::matches as resource_matches;
use crate::hash::FastMap;
use crate::inventory::{Identity, IdentityKind, Provider, Trust};
use std::sync::OnceLock;

/// The attribute holding an identity's `sts:AssumeRole` resource patterns.
pub const ASSUME_ROLE_TARGETS: &str = "assume_role_targets";

/// What the AWS edges look up.
pub struct AwsIndex<'a> {
    /// AWS identities that hold `sts:AssumeRole` grants, by account.
    assumers: FastMap<&'a str, Vec<u32>>,
    /// AWS roles by (account, name), for role-session principals; built when first needed.
    roles: OnceLock<FastMap<(&'a str, &'a str), u32>>,
    identities: &'a [Identity],
}

impl<'a> AwsIndex<'a> {
    pub fn new(identities: &'a [Identity]) -> Self {
        let mut assumers: FastMap<&str, Vec<u32>> = FastMap::default();
        for (i, identity) in identities.iter().enumerate() {
            if identity.provider == Provider::Aws && targets(identity).next().is_some() {
                assumers
                    .entry(identity.scope.id.as_str())
                    .or_default()
                    .push(i as u32);
            }
        }
        AwsIndex {
            assumers,
            roles: OnceLock::new(),
            identities,
        }
    }

    fn role(&self, account: &str, name: &str) -> Option<usize> {
        let roles = self.roles.get_or_init(|| {
            self.identities
                .iter()
                .enumerate()
                .filter(|(_, i)| i.provider == Provider::Aws && i.kind == IdentityKind::Role)
                .map(|(n, i)| ((i.scope.id.as_str(), i.name.as_str()), n as u32))
                .collect()
        });
        roles.get(&(account, name)).map(|n| *n as usize)
    }

    /// Edges from the principal a role's `identity` trust entry names.
    pub fn identity_trust(
        &self,
        identities: &[Identity],
        ids: &IdIndex<'_>,
        to: usize,
        trust: &Trust,
        edges: &mut EdgeSet,
    ) {
        let role = &identities[to];
        let session = session_role(&trust.principal).and_then(|(a, n)| self.role(a, n));
        let named = match session {
            Some(_) => "a session of it is named in the trust policy",
            None => "named in the trust policy",
        };
        for from in ids.get(&trust.principal).chain(session) {
            let caller = &identities[from];
            if caller.scope.id == role.scope.id {
                edges.add(from, to, &with_conditions(named, &trust.conditions));
            } else if let Some(pattern) = allowed_target(caller, &role.id) {
                let reason = format!("{named}; sts:AssumeRole allowed on {pattern}");
                edges.add(from, to, &with_conditions(&reason, &trust.conditions));
            }
        }
    }

    /// Edges from the identities of the account a role's `account` trust entry names
    /// that may assume it.
    pub fn account_trust(
        &self,
        identities: &[Identity],
        to: usize,
        trust: &Trust,
        edges: &mut EdgeSet,
    ) {
        let account = account_of(&trust.principal);
        let role = &identities[to];
        // The reason depends on the caller's pattern only: each written once.
        let mut reasons: FastMap<&str, u32> = FastMap::default();
        for &from in self.assumers.get(account).into_iter().flatten() {
            if let Some(pattern) = allowed_target(&identities[from as usize], &role.id) {
                let reason = *reasons.entry(pattern).or_insert_with(|| {
                    let reason = format!(
                        "its trust policy trusts account {account}; sts:AssumeRole allowed on {pattern}"
                    );
                    edges.reason(&with_conditions(&reason, &trust.conditions))
                });
                edges.add_with(from as usize, to, reason);
            }
        }
    }
}

/// An identity's `sts:AssumeRole` resource patterns.
pub fn targets(identity: &Identity) -> impl Iterator<Item = &str> {
    identity
        .attributes
        .get(ASSUME_ROLE_TARGETS)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
}

/// The most specific of `caller`'s `sts:AssumeRole` patterns that covers `role_arn`.
pub fn allowed_target<'i>(caller: &'i Identity, role_arn: &str) -> Option<&'i str> {
    targets(caller)
        .filter(|pattern| resource_matches(pattern, role_arn))
        .max_by_key(|pattern| pattern.len())
}

/// `123456789012` or `arn:<partition>:iam::123456789012:root` → the account id.
fn account_of(principal: &str) -> &str {
    match principal.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "iam", "", account, "root"] => account,
        _ => principal,
    }
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>` → (account, role name).
fn session_role(principal: &str) -> Option<(&str, &str)> {
    let mut parts = principal.splitn(6, ':');
    let (arn, _, sts, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || sts != "sts" {
        return None;
    }
    let mut resource = resource.split('/');
    match (resource.next(), resource.next()) {
        (Some("assumed-role"), Some(name)) => Some((account, name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::tests::{edges_of, identity};
    use super::*;
    use serde_json::json;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn user(account: &str, name: &str, targets: &[&str]) -> Identity {
        let mut fields = json!({
            "scope": {"kind": "account", "id": account},
            "id": format!("arn:aws:iam::{account}:user/{name}"), "name": name,
            "kind": "service_user",
        });
        if !targets.is_empty() {
            fields["attributes"] = json!({ "assume_role_targets": targets });
        }
        identity(fields)
    }

    fn role(account: &str, name: &str, trust: serde_json::Value) -> Identity {
        identity(json!({
            "scope": {"kind": "account", "id": account},
            "id": format!("arn:aws:iam::{account}:role/{name}"), "name": name,
            "trust": trust,
        }))
    }

    fn names(identities: &[Identity]) -> Vec<(String, String)> {
        edges_of(identities)
            .into_iter()
            .map(|(a, b, _)| (a, b))
            .collect()
    }

    #[test]
    fn a_role_naming_a_principal_of_its_account_needs_no_grant() {
        let identities = vec![
            user(A, "ci", &[]),
            role(
                A,
                "deploy",
                json!([{"principal": format!("arn:aws:iam::{A}:user/ci"), "principal_type": "identity"}]),
            ),
        ];
        let edges = edges_of(&identities);
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0].2, "named in the trust policy");
    }

    #[test]
    fn another_account_needs_the_callers_grant() {
        let trust = json!([{"principal": format!("arn:aws:iam::{A}:user/ci"), "principal_type": "identity"}]);
        let without = vec![user(A, "ci", &[]), role(B, "deploy", trust.clone())];
        assert!(edges_of(&without).is_empty());
        let elsewhere = vec![
            user(A, "ci", &[&format!("arn:aws:iam::{B}:role/other")]),
            role(B, "deploy", trust.clone()),
        ];
        assert!(edges_of(&elsewhere).is_empty());
        let with = vec![
            user(A, "ci", &["*", "arn:aws:iam::*:role/dep*"]),
            role(B, "deploy", trust),
        ];
        let edges = edges_of(&with);
        assert_eq!(
            edges[0].2,
            "named in the trust policy; sts:AssumeRole allowed on arn:aws:iam::*:role/dep*"
        );
    }

    #[test]
    fn account_trust_needs_the_callers_grant() {
        let trust = json!([{"principal": A, "principal_type": "account",
                            "conditions": ["sts:ExternalId StringEquals x"]}]);
        let identities = vec![
            user(A, "no-grant", &[]),
            user(A, "other-role", &[&format!("arn:aws:iam::{B}:role/other")]),
            user(A, "ci", &[&format!("arn:aws:iam::{B}:role/deploy")]),
            user(B, "wrong-account", &["*"]),
            role(B, "deploy", trust),
            role(
                A,
                "own-root",
                json!([{"principal": format!("arn:aws:iam::{A}:root"), "principal_type": "account"}]),
            ),
        ];
        let edges = edges_of(&identities);
        assert_eq!(
            edges
                .iter()
                .map(|(a, b, _)| (a.as_str(), b.as_str()))
                .collect::<Vec<_>>(),
            vec![("ci", "deploy")]
        );
        assert_eq!(
            edges[0].2,
            format!(
                "its trust policy trusts account {A}; sts:AssumeRole allowed on \
                 arn:aws:iam::{B}:role/deploy (if sts:ExternalId StringEquals x)"
            )
        );
        // `:root` in an account entry names the account too.
        let rooted = vec![
            user(A, "admin", &["*"]),
            role(
                A,
                "own-root",
                json!([{"principal": format!("arn:aws:iam::{A}:root"), "principal_type": "account"}]),
            ),
        ];
        assert_eq!(names(&rooted), vec![("admin".into(), "own-root".into())]);
    }

    #[test]
    fn service_federated_and_anyone_are_no_edges() {
        let identities = vec![
            user(A, "ci", &["*"]),
            role(
                A,
                "app",
                json!([
                    {"principal": "ec2.amazonaws.com", "principal_type": "service"},
                    {"principal": "arn:aws:iam::1:oidc-provider/x", "principal_type": "federated"},
                    {"principal": "*", "principal_type": "any"}
                ]),
            ),
        ];
        assert!(edges_of(&identities).is_empty());
    }

    #[test]
    fn a_role_session_principal_is_its_role() {
        let identities = vec![
            role(A, "runner", json!([])),
            role(
                A,
                "deploy",
                json!([{"principal": format!("arn:aws:sts::{A}:assumed-role/runner/build-42"),
                        "principal_type": "identity"}]),
            ),
        ];
        assert_eq!(names(&identities), vec![("runner".into(), "deploy".into())]);
        assert_eq!(
            session_role("arn:aws:sts::1:assumed-role/r/s"),
            Some(("1", "r"))
        );
        assert_eq!(session_role("arn:aws:iam::1:role/r"), None);
        assert_eq!(account_of("arn:aws:iam::1:root"), "1");
    }
}
