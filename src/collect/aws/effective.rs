//! What an identity may effectively do, as AWS decides it: every `Allow` of its policies
//! (inline, managed, through groups), less every explicit `Deny` of any of them, within
//! its *limits*: its permissions boundary and, with `--org`, the service control policies
//! of each level from the organisation's root to its account (see [`super::scp`]).
//!
//! The evaluation is over the actions that matter to the rules ([`ESCALATION_ACTIONS`],
//! [`TAKEOVER_ACTIONS`], [`COMPUTE_LAUNCH_ACTIONS`], `sts:AssumeRole`, full access and
//! whole-service grants)
//! and answers with resource *patterns*:
//! * an `Allow` grants its `Resource` patterns (`NotResource` counts as `*`);
//! * an unconditional `Deny` removes every granted pattern one of its patterns covers
//!   (`Deny iam:* on *` removes all of IAM, across policies); a `Deny` under a condition
//!   may not apply, so it removes nothing;
//! * each limit keeps a granted pattern only where one of its `Allow`s covers it (or
//!   narrows it to its own, narrower pattern), less its own `Deny`s: the boundary is one
//!   limit, and the SCPs attached to one level (root, each OU, the account) together
//!   are one, since an action must be allowed at every level;
//! * a condition the caller's identity decides (its ARN, account or user name, a key its
//!   requests never carry, a `Bool` that is neither true nor false) is decided
//!   ([`resolve`]): a statement that can never apply is dropped, one that always
//!   applies loses its condition;
//! * a grant only under other conditions is kept and named in `conditional_actions`;
//! * escalation is a broad pattern (`*`, or ending in `*`) that a customer can write to:
//!   `arn:aws:iam::aws:policy/*` (AWS managed policies) is not one.
//!
//! Not modelled (yet): resource control policies, resource policies, conditions on the
//! request (time, source IP, tags), and which role a taken-over resource runs as (the
//! collector does not list functions, stacks or instances): a takeover action is
//! reported as the capability it is.

use super::iam_policy::{
    action_matches, resource_matches, statements, string_list, Grants, AI_ACTION_PREFIXES,
    ASSUME_ROLE, COMPUTE_LAUNCH_ACTIONS, ESCALATION_ACTIONS, SENSITIVE_ACTIONS, TAKEOVER_ACTIONS,
};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Which actions or resources a statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Names {
    /// `Action` / `Resource`: these patterns.
    Only(Vec<String>),
    /// `NotAction` / `NotResource`: everything but these patterns.
    AllBut(Vec<String>),
}

/// One policy statement, as far as the evaluation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub allow: bool,
    pub actions: Names,
    pub resources: Names,
    /// The `Condition` block as written, unless [`resolve`] found it always holds for
    /// the caller.
    pub condition: Option<serde_json::Map<String, Value>>,
}

impl Statement {
    /// `Allow` of every action on every resource (the AWS managed AdministratorAccess).
    pub fn allow_all() -> Statement {
        Statement {
            allow: true,
            actions: Names::Only(vec!["*".into()]),
            resources: Names::Only(vec!["*".into()]),
            condition: None,
        }
    }

    /// It applies only under a condition that depends on the request.
    fn conditional(&self) -> bool {
        self.condition.is_some()
    }

    fn covers_action(&self, action: &str) -> bool {
        match &self.actions {
            Names::Only(patterns) => patterns.iter().any(|p| action_matches(p, action)),
            Names::AllBut(patterns) => !patterns.iter().any(|p| action_matches(p, action)),
        }
    }

    /// The resource patterns it names for an `Allow` (`NotResource` counts as `*`).
    fn granted_resources(&self) -> Vec<&str> {
        match &self.resources {
            Names::Only(patterns) => patterns.iter().map(String::as_str).collect(),
            Names::AllBut(_) => vec!["*"],
        }
    }

    /// Whether it covers every resource `pattern` matches.
    fn covers_resource(&self, pattern: &str) -> bool {
        match &self.resources {
            Names::Only(patterns) => patterns.iter().any(|p| resource_matches(p, pattern)),
            Names::AllBut(excluded) => !excluded
                .iter()
                .any(|e| resource_matches(e, pattern) || resource_matches(pattern, e)),
        }
    }
}

/// A policy document's statements (no `Effect: Allow` is a `Deny`).
pub fn parse(document: &Value) -> Vec<Statement> {
    let names =
        |only: &str, all_but: &str, statement: &serde_json::Map<String, Value>| match statement
            .get(all_but)
        {
            Some(value) if statement.get(only).is_none() => Names::AllBut(owned(value)),
            _ => Names::Only(statement.get(only).map(owned).unwrap_or_default()),
        };
    statements(document)
        .into_iter()
        .map(|statement| Statement {
            allow: statement.get("Effect").and_then(Value::as_str) == Some("Allow"),
            actions: names("Action", "NotAction", statement),
            resources: names("Resource", "NotResource", statement),
            condition: statement
                .get("Condition")
                .and_then(Value::as_object)
                .filter(|c| !c.is_empty())
                .cloned(),
        })
        .collect()
}

fn owned(value: &Value) -> Vec<String> {
    string_list(Some(value))
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Whether only AWS can write to what `pattern` names: AWS managed policies
/// (`arn:aws:iam::aws:policy/...`, the account field `aws`).
fn aws_managed_only(pattern: &str) -> bool {
    let mut fields = pattern.split(':');
    fields.next() == Some("arn")
        && fields.next().is_some()
        && fields.next() == Some("iam")
        && fields.next() == Some("")
        && fields.next() == Some("aws")
}

/// Whether a resource pattern names every resource of its type: `*`,
/// `arn:aws:secretsmanager:*:*:secret:*`, `arn:aws:kms:*:*:key/*`, `arn:aws:s3:::*/*`;
/// not `...:secret:faq-agent/*` (a name prefix).
fn every_resource(pattern: &str) -> bool {
    const TYPES: &[&str] = &[
        "key",
        "alias",
        "table",
        "parameter",
        "snapshot",
        "instance",
        "function",
        "secret",
        "db",
        "cluster-snapshot",
        "*",
    ];
    let resource = pattern.rsplit(':').next().unwrap_or(pattern);
    match resource.split_once('/') {
        None => resource == "*",
        Some((kind, rest)) => rest == "*" && (TYPES.contains(&kind) || kind == "*"),
    }
}

fn broad(pattern: &str) -> bool {
    (pattern == "*" || pattern.ends_with('*')) && !aws_managed_only(pattern)
}

/// Who makes the requests the policies are evaluated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `arn:aws:iam::111122223333:user/ci` or `...:role/deploy`.
    pub arn: String,
    pub name: String,
    /// An IAM user (long-term credentials); else a role (sessions).
    pub user: bool,
}

impl Caller {
    fn account(&self) -> Option<&str> {
        self.arn.split(':').nth(4)
    }

    /// The value of a request context key that is the same in every request of the
    /// caller; `None` when it varies or is unknown.
    fn known(&self, key: &str) -> Option<Known<'_>> {
        match key.to_ascii_lowercase().as_str() {
            "aws:principalarn" => Some(Known::Value(&self.arn)),
            "aws:principalaccount" => self.account().map(Known::Value),
            "aws:username" if self.user => Some(Known::Value(&self.name)),
            // Present only in requests of role sessions (EC2, Lambda, federation,
            // source identity), never in an IAM user's long-term-key requests, and
            // `aws:username` never in a role's.
            "aws:username" => Some(Known::Absent),
            "ec2:sourceinstancearn"
            | "ec2:roledelivery"
            | "lambda:sourcefunctionarn"
            | "aws:federatedprovider"
            | "aws:sourceidentity"
            | "glue:roleassumedby"
            | "glue:credentialissuingservice"
                if self.user =>
            {
                Some(Known::Absent)
            }
            _ => None,
        }
    }
}

/// What a request context key holds in every request of a caller.
enum Known<'a> {
    Value(&'a str),
    Absent,
}

/// Whether a `Condition` block holds in every request of `caller` (`Some(true)`), in
/// none (`Some(false)`), or depends on the request (`None`). Only what the caller's
/// identity decides is decided: its ARN, account and user name, keys its requests
/// never carry, and `Bool` values that are neither true nor false.
pub fn decide(condition: &serde_json::Map<String, Value>, caller: &Caller) -> Option<bool> {
    let mut all_true = true;
    for (operator, clauses) in condition {
        let clauses = clauses.as_object()?;
        for (key, values) in clauses {
            let values = string_list(Some(values));
            match decide_clause(operator, key, &values, caller) {
                Some(false) => return Some(false),
                Some(true) => {}
                None => all_true = false,
            }
        }
    }
    all_true.then_some(true)
}

fn decide_clause(operator: &str, key: &str, values: &[&str], caller: &Caller) -> Option<bool> {
    if operator.contains(':') || values.iter().any(|v| v.contains("${")) {
        // ForAnyValue:/ForAllValues: sets and policy variables: left to the request.
        return None;
    }
    let if_exists = operator.ends_with("IfExists");
    let base = operator.trim_end_matches("IfExists");
    if base == "Bool"
        && !if_exists
        && !values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"))
    {
        return Some(false);
    }
    let negated = base.contains("Not");
    match caller.known(key)? {
        Known::Absent => Some(match base {
            "Null" => values.iter().any(|v| v.eq_ignore_ascii_case("true")),
            _ if if_exists || negated => true,
            _ => false,
        }),
        Known::Value(actual) => {
            let matched = match base {
                "StringEquals" | "StringNotEquals" | "ArnEquals" | "ArnNotEquals" => {
                    values.contains(&actual)
                }
                "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
                    values.iter().any(|v| v.eq_ignore_ascii_case(actual))
                }
                "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" => {
                    values.iter().any(|v| resource_matches(v, actual))
                }
                "Null" => return Some(values.iter().any(|v| v.eq_ignore_ascii_case("false"))),
                _ => return None,
            };
            Some(matched != negated)
        }
    }
}

/// `statements` as they apply to `caller`: those whose condition never holds for it
/// dropped, those whose condition always holds made unconditional. Borrowed as they
/// are when none has a condition (most policies, and the large AWS managed ones).
pub fn resolve<'a>(statements: &'a [Statement], caller: &Caller) -> Cow<'a, [Statement]> {
    if statements.iter().all(|s| s.condition.is_none()) {
        return Cow::Borrowed(statements);
    }
    let resolved: Vec<Statement> = statements
        .iter()
        .filter_map(|statement| {
            let Some(condition) = &statement.condition else {
                return Some(statement.clone());
            };
            match decide(condition, caller) {
                Some(false) => None,
                Some(true) => Some(Statement {
                    condition: None,
                    ..statement.clone()
                }),
                None => Some(statement.clone()),
            }
        })
        .collect();
    Cow::Owned(resolved)
}

/// Every `Deny` of the policies and the limits that applies whatever the request.
fn unconditional_denies<'a>(
    policies: &'a [&'a [Statement]],
    limits: &'a [&'a [Statement]],
) -> impl Iterator<Item = &'a Statement> {
    policies
        .iter()
        .chain(limits)
        .flat_map(|p| p.iter())
        .filter(|s| !s.allow && !s.conditional())
}

/// A granted resource pattern, and whether every grant of it is conditional.
type Granted = BTreeMap<String, bool>;

/// The patterns on which `action` is effectively allowed.
fn allowed(action: &str, policies: &[&[Statement]], limits: &[&[Statement]]) -> Granted {
    let mut granted: Granted = BTreeMap::new();
    for statement in policies.iter().flat_map(|p| p.iter()) {
        if statement.allow && statement.covers_action(action) {
            for pattern in statement.granted_resources() {
                let conditional = granted.entry(pattern.to_string()).or_insert(true);
                *conditional &= statement.conditional();
            }
        }
    }
    let denies = unconditional_denies(policies, limits)
        .filter(|s| s.covers_action(action))
        .collect::<Vec<_>>();
    granted.retain(|pattern, _| !denies.iter().any(|d| d.covers_resource(pattern)));
    for limit in limits {
        granted = within(granted, limit, action);
    }
    granted
}

/// What of `granted` one limit lets through for `action`: a pattern one of its `Allow`s
/// covers stays; one wider than the limit's own patterns narrows to them.
fn within(granted: Granted, limit: &[Statement], action: &str) -> Granted {
    let permits: Vec<&Statement> = limit
        .iter()
        .filter(|s| s.allow && !s.conditional() && s.covers_action(action))
        .collect();
    let mut kept: Granted = BTreeMap::new();
    for (pattern, conditional) in granted {
        if permits.iter().any(|b| b.covers_resource(&pattern)) {
            kept.insert(pattern, conditional);
            continue;
        }
        for narrower in permits
            .iter()
            .flat_map(|b| b.granted_resources())
            .filter(|b| resource_matches(&pattern, b))
        {
            kept.insert(narrower.to_string(), conditional);
        }
    }
    kept
}

/// Whether an unconditional `Deny` of these policies or limits covers the whole of an
/// action pattern (`Deny iam:*` covers `iam:*` and `iam:PassRole`) on every resource.
fn denied_everywhere(pattern: &str, policies: &[&[Statement]], limits: &[&[Statement]]) -> bool {
    unconditional_denies(policies, limits)
        .filter(|s| s.covers_resource("*"))
        .any(|s| match &s.actions {
            Names::Only(denied) => denied.iter().any(|d| action_matches(d, pattern)),
            Names::AllBut(kept) => !kept
                .iter()
                .any(|k| action_matches(k, pattern) || action_matches(pattern, k)),
        })
}

/// Whether every limit lets a whole action pattern through: an unconditional `Allow` of
/// it on every resource in each (true when there are none).
fn limits_permit(pattern: &str, limits: &[&[Statement]]) -> bool {
    limits.iter().all(|limit| {
        limit.iter().any(|s| {
            s.allow
                && !s.conditional()
                && s.covers_resource("*")
                && match &s.actions {
                    Names::Only(allowed) => allowed.iter().any(|a| action_matches(a, pattern)),
                    Names::AllBut(excluded) => !excluded
                        .iter()
                        .any(|e| action_matches(e, pattern) || action_matches(pattern, e)),
                }
        })
    })
}

/// The unconditional `Deny`s of whole services or everything on every resource, as
/// action patterns (for `* except ...` labels).
fn denied_services(policies: &[&[Statement]], limits: &[&[Statement]]) -> Vec<String> {
    let mut denied: BTreeSet<String> = BTreeSet::new();
    for s in unconditional_denies(policies, limits).filter(|s| s.covers_resource("*")) {
        if let Names::Only(actions) = &s.actions {
            denied.extend(actions.iter().map(|a| a.to_ascii_lowercase()));
        }
    }
    denied.into_iter().collect()
}

/// What `sources` (some of the identity's `policies`) allow in AI services, as written,
/// unless denied outright by any of its policies or limits.
pub fn ai_actions(
    sources: &[&[Statement]],
    policies: &[&[Statement]],
    limits: &[&[Statement]],
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for statement in sources.iter().flat_map(|p| p.iter()).filter(|s| s.allow) {
        if let Names::Only(actions) = &statement.actions {
            for action in actions {
                let lower = action.to_ascii_lowercase();
                if AI_ACTION_PREFIXES.iter().any(|p| lower.starts_with(p))
                    && !denied_everywhere(action, policies, limits)
                {
                    found.insert(action.to_string());
                }
            }
        }
    }
    found
}

/// What an identity's policies grant, in the inventory's terms, plus the scopes and
/// conditions behind its privileged actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    pub grants: Grants,
    /// For each privileged action, the resource patterns it is allowed on.
    pub scopes: BTreeMap<String, Vec<String>>,
    /// Privileged actions allowed only under a condition.
    pub conditional: BTreeSet<String>,
    /// [`SENSITIVE_ACTIONS`] allowed on broad resources, with their patterns.
    pub sensitive: BTreeMap<String, Vec<String>>,
}

/// Evaluates `policies` (each a document's statements) within `limits`: the permissions
/// boundary and the SCPs of each level above the account, each of which must allow an
/// action for it to be allowed. The grants' `ai_actions` are left to the caller
/// ([`ai_actions`]): which policies count as evidence is its decision.
pub fn evaluate(policies: &[&[Statement]], limits: &[&[Statement]]) -> Effective {
    let mut out = Effective::default();
    let grants = &mut out.grants;
    let all_allowed = |action: &str| allowed(action, policies, limits);

    let escalations = ESCALATION_ACTIONS
        .iter()
        .copied()
        .chain(TAKEOVER_ACTIONS.iter().map(|(action, _)| *action));
    for action in escalations {
        let granted = all_allowed(action);
        let broad_patterns: Vec<(&String, &bool)> =
            granted.iter().filter(|(p, _)| broad(p)).collect();
        if broad_patterns.is_empty() {
            continue;
        }
        grants.privileged_actions.insert(action.to_string());
        out.scopes.insert(
            action.to_string(),
            broad_patterns.iter().map(|(p, _)| p.to_string()).collect(),
        );
        if broad_patterns.iter().all(|(_, conditional)| **conditional) {
            out.conditional.insert(action.to_string());
        }
    }
    for (action, _) in SENSITIVE_ACTIONS {
        let patterns: Vec<String> = all_allowed(action)
            .into_keys()
            .filter(|p| every_resource(p))
            .collect();
        if !patterns.is_empty() {
            out.sensitive.insert(action.to_string(), patterns);
        }
    }
    grants.compute_launch = COMPUTE_LAUNCH_ACTIONS
        .iter()
        .any(|a| !all_allowed(a).is_empty());
    grants.assume_role_targets = all_allowed(ASSUME_ROLE).into_keys().collect();

    // Full access: `*` (or everything but a few actions that leave every escalation in)
    // on every resource, unconditionally, with nothing of it denied or bounded away.
    let denied = denied_services(policies, limits);
    for statement in policies
        .iter()
        .flat_map(|p| p.iter())
        .filter(|s| s.allow && !s.conditional())
    {
        let everywhere = statement.granted_resources().contains(&"*")
            && matches!(statement.resources, Names::Only(_));
        match &statement.actions {
            Names::AllBut(excluded) => {
                let mut excluded: Vec<String> = excluded.clone();
                excluded.extend(denied.iter().cloned());
                excluded.sort_unstable();
                excluded.dedup();
                grants
                    .wildcard_actions
                    .insert(format!("* except {}", excluded.join(", ")));
                let keeps_escalation = ESCALATION_ACTIONS
                    .iter()
                    .all(|a| !excluded.iter().any(|e| action_matches(e, a)));
                if everywhere && keeps_escalation && limits_permit("*", limits) {
                    grants.admin = true;
                }
            }
            Names::Only(actions) => {
                for action in actions {
                    let whole = action == "*" || action.ends_with(":*");
                    if !whole
                        || denied_everywhere(action, policies, limits)
                        || !limits_permit(action, limits)
                    {
                        continue;
                    }
                    if action == "*" && !denied.is_empty() {
                        grants
                            .wildcard_actions
                            .insert(format!("* except {}", denied.join(", ")));
                        continue;
                    }
                    grants.wildcard_actions.insert(action.to_ascii_lowercase());
                    if action == "*" && everywhere {
                        grants.admin = true;
                    }
                }
            }
        }
    }
    if grants.admin && denied.iter().any(|d| d == "*") {
        grants.admin = false;
    }

    grants.finish();
    out.scopes
        .retain(|action, _| grants.privileged_actions.contains(action));
    out.conditional
        .retain(|action| grants.privileged_actions.contains(action));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(statements: Value) -> Vec<Statement> {
        parse(&json!({ "Version": "2012-10-17", "Statement": statements }))
    }

    fn eval(policies: &[Vec<Statement>], boundary: Option<Vec<Statement>>) -> Effective {
        let refs: Vec<&[Statement]> = policies.iter().map(Vec::as_slice).collect();
        let limits: Vec<&[Statement]> = boundary.iter().map(Vec::as_slice).collect();
        evaluate(&refs, &limits)
    }

    fn privileged(e: &Effective) -> Vec<&str> {
        e.grants
            .privileged_actions
            .iter()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn a_deny_in_the_same_policy_cancels_the_allow() {
        let policy = doc(json!([
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
        ]));
        let e = eval(&[policy], None);
        assert!(privileged(&e).is_empty(), "{e:?}");
        assert!(e.grants.wildcard_actions.is_empty(), "{e:?}");
    }

    #[test]
    fn a_deny_in_another_policy_cancels_full_access() {
        let admin = vec![Statement::allow_all()];
        let deny_all = doc(json!({"Effect": "Deny", "Action": "*", "Resource": "*"}));
        let e = eval(&[admin.clone(), deny_all], None);
        assert!(!e.grants.admin);
        assert!(privileged(&e).is_empty());
        // A Deny of IAM alone leaves full access to the rest, named as such.
        let deny_iam = doc(json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}));
        let e = eval(&[admin, deny_iam], None);
        assert!(!e.grants.admin);
        // No IAM escalation is left, but taking over running workloads is.
        assert!(
            privileged(&e).iter().all(|a| !a.starts_with("iam:")),
            "{e:?}"
        );
        assert!(
            privileged(&e).contains(&"lambda:UpdateFunctionCode"),
            "{e:?}"
        );
        assert!(
            e.grants.wildcard_actions.contains("* except iam:*"),
            "{e:?}"
        );
    }

    #[test]
    fn a_conditional_deny_removes_nothing_and_a_conditional_allow_is_named() {
        let policy = doc(json!([
            {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        ]));
        let e = eval(&[policy], None);
        assert_eq!(privileged(&e), ["iam:PassRole"]);
        assert!(e.conditional.contains("iam:PassRole"));
    }

    #[test]
    fn the_boundary_keeps_only_what_it_allows() {
        let admin = vec![Statement::allow_all()];
        let boundary =
            doc(json!({"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}));
        let e = eval(&[admin], Some(boundary));
        assert!(!e.grants.admin, "{e:?}");
        assert!(privileged(&e).is_empty(), "{e:?}");
        // A boundary that allows IAM on some roles narrows the grant to them.
        let passer = doc(json!([
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}
        ]));
        let boundary = doc(json!([
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/app-*"},
            {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}
        ]));
        let e = eval(&[passer], Some(boundary));
        assert_eq!(privileged(&e), ["iam:PassRole"]);
        assert_eq!(e.scopes["iam:PassRole"], ["arn:aws:iam::*:role/app-*"]);
    }

    /// SCP levels: every level must allow (one allow-list level is enough to remove
    /// what it leaves out), and a Deny at any level denies.
    #[test]
    fn every_scp_level_must_allow_and_any_level_may_deny() {
        let admin = vec![Statement::allow_all()];
        let full_access = vec![Statement::allow_all()];
        let at = |policies: &[Vec<Statement>], levels: &[Vec<Statement>]| {
            let refs: Vec<&[Statement]> = policies.iter().map(Vec::as_slice).collect();
            let limits: Vec<&[Statement]> = levels.iter().map(Vec::as_slice).collect();
            evaluate(&refs, &limits)
        };
        // FullAWSAccess at the root and the account: nothing changes.
        let e = at(
            std::slice::from_ref(&admin),
            &[full_access.clone(), full_access.clone()],
        );
        assert!(e.grants.admin, "{e:?}");
        // An OU that allows only S3 and DynamoDB: no escalation is left.
        let allow_list =
            doc(json!({"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}));
        let e = at(
            std::slice::from_ref(&admin),
            &[full_access.clone(), allow_list, full_access.clone()],
        );
        assert!(!e.grants.admin, "{e:?}");
        assert!(privileged(&e).is_empty(), "{e:?}");
        // A root SCP that denies IAM but exempts a break-glass role: decided per caller.
        let deny_iam = doc(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}}
        ]));
        let iam_admin = doc(json!({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}));
        let caller = |name: &str| Caller {
            arn: format!("arn:aws:iam::111122223333:role/{name}"),
            name: name.to_string(),
            user: false,
        };
        let for_role = |name: &str| {
            let root = resolve(&deny_iam, &caller(name)).into_owned();
            at(
                std::slice::from_ref(&iam_admin),
                &[root, full_access.clone()],
            )
        };
        assert!(privileged(&for_role("deployer")).is_empty());
        assert!(privileged(&for_role("break-glass")).contains(&"iam:CreateAccessKey"));
        // An allow-list level with no Allow for an action removes it even when another
        // level allows it.
        let only_lambda = doc(json!({"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}));
        let e = at(&[iam_admin], &[full_access, only_lambda]);
        assert!(privileged(&e).is_empty(), "{e:?}");
    }

    #[test]
    fn aws_managed_policies_cannot_be_rewritten_by_a_customer() {
        let policy = doc(json!({"Effect": "Allow",
            "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
            "Resource": "arn:aws:iam::aws:policy/*"}));
        assert!(privileged(&eval(&[policy], None)).is_empty());
        let own = doc(
            json!({"Effect": "Allow", "Action": "iam:CreatePolicyVersion",
            "Resource": "arn:aws:iam::111122223333:policy/*"}),
        );
        let e = eval(&[own], None);
        assert_eq!(privileged(&e), ["iam:CreatePolicyVersion"]);
        assert_eq!(
            e.scopes["iam:CreatePolicyVersion"],
            ["arn:aws:iam::111122223333:policy/*"]
        );
    }

    #[test]
    fn not_action_with_a_deny_leaves_no_iam_escalation() {
        let policy = doc(json!([
            {"Effect": "Allow", "NotAction": "organizations:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
        ]));
        let e = eval(&[policy], None);
        assert!(!e.grants.admin, "{e:?}");
        assert!(
            privileged(&e).iter().all(|a| !a.starts_with("iam:")),
            "{e:?}"
        );
        assert!(e
            .grants
            .wildcard_actions
            .contains("* except iam:*, organizations:*"));
        // Denying Lambda, SSM and the rest too leaves nothing to take over.
        let narrower = doc(json!([
            {"Effect": "Allow", "NotAction": "organizations:*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["iam:*", "lambda:*", "cloudformation:*", "glue:*",
                "ssm:*", "ec2-instance-connect:*", "ec2:*", "ecs:*", "codebuild:*",
                "sagemaker:*", "datapipeline:*"], "Resource": "*"}
        ]));
        assert!(privileged(&eval(&[narrower], None)).is_empty());
    }

    #[test]
    fn taking_over_a_running_workload_is_an_escalation_without_pass_role() {
        let policy = doc(json!([
            {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "ssm:SendCommand"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "ecs:ExecuteCommand",
             "Resource": "arn:aws:ecs:eu-west-1:111122223333:task/prod/abc"}
        ]));
        let e = eval(&[policy], None);
        // A single named task is not a broad grant; functions and instances everywhere are.
        assert_eq!(
            privileged(&e),
            ["lambda:UpdateFunctionCode", "ssm:SendCommand"]
        );
        let denied = doc(json!([
            {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "lambda:Update*", "Resource": "*"}
        ]));
        assert!(privileged(&eval(&[denied], None)).is_empty());
    }

    fn user(name: &str) -> Caller {
        Caller {
            arn: format!("arn:aws:iam::111122223333:user/{name}"),
            name: name.to_string(),
            user: true,
        }
    }

    fn resolved(statements: Value, caller: &Caller) -> Effective {
        let policy = resolve(&doc(statements), caller).into_owned();
        eval(&[policy], None)
    }

    #[test]
    fn conditions_the_callers_identity_decides_are_decided() {
        let ci = user("ci");
        let pass = |condition: Value| {
            json!([{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"],
                    "Resource": "*", "Condition": condition}])
        };
        // Never: another principal, a bogus Bool, a key a user's requests never carry.
        for never in [
            json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/other"}}),
            json!({"StringEquals": {"aws:username": "someone-else"}}),
            json!({"Bool": {"aws:SecureTransport": "maybe"}}),
            json!({"StringEquals": {"ec2:SourceInstanceARN": "arn:aws:ec2:eu-west-1:1:instance/i-1"}}),
            json!({"Null": {"lambda:SourceFunctionArn": "false"}}),
        ] {
            let e = resolved(pass(never.clone()), &ci);
            assert!(privileged(&e).is_empty(), "{never}: {e:?}");
        }
        // Always: the caller itself, or a key that is absent: unconditional.
        for always in [
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/c*"}}),
            json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}}),
            json!({"StringNotEquals": {"aws:username": "someone-else"}}),
            json!({"Null": {"ec2:SourceInstanceARN": "true"}}),
        ] {
            let e = resolved(pass(always.clone()), &ci);
            assert_eq!(privileged(&e), ["iam:PassRole"], "{always}");
            assert!(e.conditional.is_empty(), "{always}: {e:?}");
        }
        // Depends on the request: kept, and named conditional.
        let e = resolved(
            pass(json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
            &ci,
        );
        assert!(e.conditional.contains("iam:PassRole"));
        // A Deny that always applies to the caller cancels; one for others does not.
        let deny = |arn: &str| {
            json!([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                   {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": arn}}}])
        };
        assert!(privileged(&resolved(deny("arn:aws:iam::*:user/*"), &ci)).is_empty());
        assert!(!privileged(&resolved(deny("arn:aws:iam::*:role/*"), &ci)).is_empty());
    }

    #[test]
    fn sensitive_actions_on_every_resource_are_recorded_apart_from_escalation() {
        let policy = doc(json!([
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": "arn:aws:kms:eu-west-1:111122223333:key/one"}
        ]));
        let e = eval(&[policy], None);
        assert!(privileged(&e).is_empty());
        assert_eq!(
            e.sensitive.keys().collect::<Vec<_>>(),
            ["secretsmanager:GetSecretValue"]
        );
        assert!(every_resource("arn:aws:kms:*:*:key/*"));
        assert!(every_resource("arn:aws:s3:::*/*"));
        assert!(every_resource(
            "arn:aws:secretsmanager:eu-west-1:1:secret:*"
        ));
        assert!(!every_resource(
            "arn:aws:secretsmanager:eu-west-1:1:secret:faq-agent/*"
        ));
        assert!(!every_resource("arn:aws:s3:::reports/*"));
    }

    #[test]
    fn a_deny_on_some_roles_leaves_the_rest() {
        let policy = doc(json!([
            {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/admin-*"}
        ]));
        // `*` is wider than what the Deny covers: still allowed on the other roles.
        assert_eq!(privileged(&eval(&[policy], None)), ["iam:PassRole"]);
    }
}
