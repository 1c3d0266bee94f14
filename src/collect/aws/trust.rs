//! Role trust policies: who may assume a role, as inventory [`Trust`] entries.
//!
//! Every principal of every `Allow` statement whose actions include an `sts:AssumeRole*`
//! action (or `sts:*`, `*`) becomes one entry:
//!
//! | principal in the policy | `principal` | `principal_type` |
//! |---|---|---|
//! | `"*"`, `{"AWS": "*"}`, or any `NotPrincipal` | `*` | `any` |
//! | `{"AWS": "123456789012"}`, `arn:aws:iam::123456789012:root` | `123456789012` | `account` |
//! | `{"AWS": "arn:aws:iam::123456789012:role/x"}` | the ARN | `identity` |
//! | `{"Service": "ec2.amazonaws.com"}` | the service | `service` |
//! | `{"Federated": "arn:...:oidc-provider/token.actions.githubusercontent.com"}` | the provider | `federated` |
//! | `{"CanonicalUser": ...}` and anything else | as given | `other` |
//!
//! The statement's conditions are attached to each of its principals as
//! `"<key> <Operator> <value>"` strings, one per value, e.g.
//! `token.actions.githubusercontent.com:sub StringLike repo:acme/app:*`. `Deny`
//! statements are not subtracted (conservative: the grant is still reported).

use super::iam_policy::{action_matches, statements, string_list};
use crate::inventory::{PrincipalType, Trust};
use serde_json::Value;

/// The trust entries of a role's assume-role policy document (already parsed).
pub fn analyze(document: &Value) -> Vec<Trust> {
    let mut out: Vec<Trust> = Vec::new();
    for statement in statements(document) {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let assumes = string_list(statement.get("Action")).iter().any(|a| {
            action_matches(a, "sts:AssumeRole")
                || a.to_ascii_lowercase().starts_with("sts:assumerole")
        });
        if !assumes {
            continue;
        }
        let conditions = conditions(statement.get("Condition"));
        let mut principals: Vec<(String, PrincipalType)> = Vec::new();
        if statement.contains_key("NotPrincipal") {
            principals.push(("*".into(), PrincipalType::Any));
        }
        match statement.get("Principal") {
            Some(Value::String(s)) if s == "*" => principals.push(("*".into(), PrincipalType::Any)),
            Some(Value::String(s)) => principals.push((s.clone(), PrincipalType::Other)),
            Some(Value::Object(map)) => {
                for (kind, value) in map {
                    for principal in string_list(Some(value)) {
                        principals.push(classify(kind, principal));
                    }
                }
            }
            _ => {}
        }
        for (principal, principal_type) in principals {
            let entry = Trust {
                principal,
                principal_type,
                conditions: conditions.clone(),
            };
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    }
    out
}

fn classify(kind: &str, principal: &str) -> (String, PrincipalType) {
    match kind {
        "AWS" if principal == "*" => ("*".into(), PrincipalType::Any),
        "AWS" => match account_of(principal) {
            Some(account) => (account, PrincipalType::Account),
            None => (principal.to_string(), PrincipalType::Identity),
        },
        "Service" => (principal.to_string(), PrincipalType::Service),
        "Federated" => (principal.to_string(), PrincipalType::Federated),
        _ => (principal.to_string(), PrincipalType::Other),
    }
}

/// `123456789012` or `arn:<partition>:iam::123456789012:root` → the account id.
fn account_of(principal: &str) -> Option<String> {
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_account(principal) {
        return Some(principal.to_string());
    }
    let parts: Vec<&str> = principal.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, "root"] if is_account(account) => Some(account.to_string()),
        _ => None,
    }
}

/// `{"StringEquals": {"k": "v"}}` → `["k StringEquals v"]`, one string per value.
fn conditions(condition: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(Value::Object(operators)) = condition else {
        return out;
    };
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else { continue };
        for (key, values) in keys {
            let values: Vec<String> = match values {
                Value::Array(list) => list.iter().map(scalar).collect(),
                other => vec![scalar(other)],
            };
            for value in values {
                out.push(format!("{key} {operator} {value}"));
            }
        }
    }
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(principal: Value, condition: Option<Value>) -> Vec<Trust> {
        let mut statement =
            json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
        if let Some(c) = condition {
            statement["Condition"] = c;
        }
        analyze(&json!({"Version": "2012-10-17", "Statement": [statement]}))
    }

    #[test]
    fn principal_kinds() {
        let any = one(json!("*"), None);
        assert_eq!(any[0].principal, "*");
        assert_eq!(any[0].principal_type, PrincipalType::Any);
        assert_eq!(
            one(json!({"AWS": "*"}), None)[0].principal_type,
            PrincipalType::Any
        );
        let root = one(json!({"AWS": "arn:aws:iam::999988887777:root"}), None);
        assert_eq!(
            (root[0].principal.as_str(), root[0].principal_type),
            ("999988887777", PrincipalType::Account)
        );
        let bare = one(json!({"AWS": ["111122223333"]}), None);
        assert_eq!(bare[0].principal_type, PrincipalType::Account);
        let user = one(json!({"AWS": "arn:aws:iam::999988887777:user/x"}), None);
        assert_eq!(user[0].principal_type, PrincipalType::Identity);
        let svc = one(
            json!({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}),
            None,
        );
        assert_eq!(svc.len(), 2);
        assert_eq!(svc[1].principal_type, PrincipalType::Service);
    }

    #[test]
    fn conditions_are_key_operator_value() {
        let t = one(
            json!({"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"}),
            Some(json!({
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:a/b:*", "repo:a/c:*"]},
                "Bool": {"aws:SecureTransport": true}
            })),
        );
        assert_eq!(t[0].principal_type, PrincipalType::Federated);
        assert_eq!(
            t[0].conditions,
            vec![
                "aws:SecureTransport Bool true",
                "token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub StringLike repo:a/b:*",
                "token.actions.githubusercontent.com:sub StringLike repo:a/c:*",
            ]
        );
    }

    #[test]
    fn deny_and_other_actions_are_skipped() {
        let doc = json!({"Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
            {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
             "Action": ["sts:AssumeRoleWithWebIdentity"]},
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:*"}
        ]});
        let t = analyze(&doc);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].principal, "cognito-identity.amazonaws.com");
        assert_eq!(t[1].principal_type, PrincipalType::Any);
    }
}
