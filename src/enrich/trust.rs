//! The other AWS accounts an identity's trust policy names, with their names when the
//! inventory holds entities of them (an organisation scan, or merged inventories).

use crate::inventory::{Identity, Inventory, PrincipalType, Provider, ScopeKind};
use serde::Serialize;
use std::collections::HashMap;

/// An account, other than its own, whose principals may assume an identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedAccount {
    pub id: String,
    /// The account's name (alias), when the inventory knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Every trust of the account's principals requires an `sts:ExternalId` (the
    /// confused-deputy guard a third party must present).
    pub external_id: bool,
}

/// Whether a trust's conditions require an `sts:ExternalId`.
fn requires_external_id(trust: &crate::inventory::Trust) -> bool {
    trust.conditions.iter().any(|c| {
        c.split_whitespace()
            .next()
            .is_some_and(|key| key.eq_ignore_ascii_case("sts:ExternalId"))
    })
}

/// The names of the AWS accounts the inventory's identities and credentials belong to.
pub fn account_names(inventory: &Inventory) -> HashMap<&str, &str> {
    let scopes = inventory
        .identities
        .iter()
        .map(|i| (i.provider, &i.scope))
        .chain(inventory.credentials.iter().map(|c| (c.provider, &c.scope)));
    scopes
        .filter(|(provider, scope)| *provider == Provider::Aws && scope.kind == ScopeKind::Account)
        .filter_map(|(_, scope)| Some((scope.id.as_str(), scope.name.as_deref()?)))
        .collect()
}

/// The other accounts `identity`'s trust names (account roots, or users and roles in
/// them), each once, in the order of the trust policy.
pub fn trusted_accounts(identity: &Identity, names: &HashMap<&str, &str>) -> Vec<TrustedAccount> {
    if identity.provider != Provider::Aws {
        return Vec::new();
    }
    let mut out: Vec<TrustedAccount> = Vec::new();
    for trust in &identity.trust {
        if !matches!(
            trust.principal_type,
            PrincipalType::Account | PrincipalType::Identity
        ) {
            continue;
        }
        let Some(account) = account_of(&trust.principal) else {
            continue;
        };
        if account == identity.scope.id {
            continue;
        }
        let external_id = requires_external_id(trust);
        if let Some(known) = out.iter_mut().find(|a| a.id == account) {
            known.external_id &= external_id;
            continue;
        }
        out.push(TrustedAccount {
            id: account.to_string(),
            name: names.get(account).map(|n| n.to_string()),
            external_id,
        });
    }
    out
}

/// The account of an AWS principal: `123456789012`, or the account field of an ARN
/// (`arn:aws:iam::123456789012:root`, `arn:aws:sts::123456789012:assumed-role/r/s`).
fn account_of(principal: &str) -> Option<&str> {
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_account(principal) {
        return Some(principal);
    }
    let account = principal
        .strip_prefix("arn:")?
        .split(':')
        .nth(3)
        .filter(|a| is_account(a))?;
    Some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_come_from_roots_and_arns_with_names_when_known() {
        assert_eq!(account_of("444455556666"), Some("444455556666"));
        assert_eq!(
            account_of("arn:aws:iam::444455556666:role/ci"),
            Some("444455556666")
        );
        assert_eq!(
            account_of("arn:aws-us-gov:sts::444455556666:assumed-role/r/s"),
            Some("444455556666")
        );
        assert_eq!(account_of("ec2.amazonaws.com"), None);
        assert_eq!(account_of("arn:aws:iam::*:root"), None);

        let identity: Identity = serde_json::from_value(serde_json::json!({
            "provider": "aws", "scope": {"kind": "account", "id": "111122223333"},
            "id": "arn:aws:iam::111122223333:role/deploy", "name": "deploy", "kind": "role",
            "trust": [
                {"principal": "444455556666", "principal_type": "account"},
                {"principal": "arn:aws:iam::444455556666:user/ci", "principal_type": "identity"},
                {"principal": "arn:aws:iam::111122223333:role/x", "principal_type": "identity"},
                {"principal": "999988887777", "principal_type": "account",
                 "conditions": ["sts:ExternalId StringEquals vendor-42"]},
                {"principal": "ec2.amazonaws.com", "principal_type": "service"}
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let names = HashMap::from([("444455556666", "acme-dev")]);
        assert_eq!(
            trusted_accounts(&identity, &names),
            vec![
                TrustedAccount {
                    id: "444455556666".into(),
                    name: Some("acme-dev".into()),
                    external_id: false,
                },
                TrustedAccount {
                    id: "999988887777".into(),
                    name: None,
                    external_id: true,
                },
            ]
        );
    }
}
