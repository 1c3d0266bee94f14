//! Cheap checks run before a rule's CEL: terms of its `when` that test one field of
//! `identity` or `credential` against a constant or a parameter, checked on the entity
//! itself:
//!
//! * a boolean field: `identity.ai_agent`, `!credential.expired`,
//!   `!identity.permissions.admin`;
//! * a field's presence: `has(identity.usage)`, `!has(credential.identity_id)`, and an
//!   attribute's: `has(identity.attributes.workloads)`;
//! * a text field against a literal: `credential.status == "active"`,
//!   `credential.provider != "github"`;
//! * a number field against a literal or a parameter: `identity.active_access_key_count > 1`,
//!   `credential.days_since_rotation > params.max_age_days`;
//! * a list field's size: `size(credential.leaks) > 0`;
//! * `&&`, `||` and `!` of these, whose other terms are left to CEL:
//!   `!(has(credential.rotation_enabled) && credential.rotation_enabled)`,
//!   `!(credential.provider == "kubernetes" && credential.attributes.kind == "x")`.
//!
//! A guard's verdict is exact when known: CEL's `&&` is false when any term is false and
//! its `||` true when any term is, even if another errs, so a term found false (or true)
//! natively decides its `&&` (or `||`) as CEL would, and `!` of a known verdict is known.
//! A term left to CEL, or whose field is absent or of another type than the test reads,
//! is unknown (reading it may be an error CEL reports), and so is every `&&` or `||` it
//! leaves undecided.
//!
//! When a guard proves `when` false, the entity is judged without building the rule's
//! variables or running its expression. When every term of the top-level `&&` is a
//! guard ([`Guards::whole`]) and each is found true, `when` is true: the rule matches
//! without its CEL (`!has(credential.days_to_expiry) && !(credential.provider ==
//! "kubernetes" && credential.attributes.kind == "x")` on a GitHub credential).

use super::value::{
    credential_fact, identity_fact, identity_list_is_empty, strings, CredentialField, Fact,
    IdentityField,
};
use crate::enrich::{CredentialFacts, IdentityView};
use crate::inventory::{Attributes, Credential};
use cel::common::ast::{operators, CallExpr, Expr, IdedExpr, LiteralValue};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A field a guard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Identity(IdentityField),
    /// `identity.permissions.<field>`.
    Permission(PermissionField),
    Credential(CredentialField),
}

/// A field of `identity.permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionField {
    Admin,
    WildcardActions,
    PrivilegedActions,
    Policies,
}

impl FromStr for PermissionField {
    type Err = ();
    fn from_str(name: &str) -> Result<Self, ()> {
        Ok(match name {
            "admin" => PermissionField::Admin,
            "wildcard_actions" => PermissionField::WildcardActions,
            "privileged_actions" => PermissionField::PrivilegedActions,
            "policies" => PermissionField::Policies,
            _ => return Err(()),
        })
    }
}

/// What a term requires of its field for `when` to have a chance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// The field, when present and a boolean, is this value.
    Is(bool),
    /// The field is present (`has(...)`).
    Present,
    /// The field is absent (`!has(...)`).
    Absent,
    /// The field (an attributes map) has this key (`has(identity.attributes.KEY)`).
    HasKey(Box<str>),
    /// The field, when text, equals (`true`) or differs from (`false`) this text.
    Text(Box<str>, bool),
    /// The field, when a number, compares with this one as the operator says.
    Number(Comparison, Operand),
    /// The field, when a list, is not empty (`size(F) > 0`).
    NotEmpty,
}

/// The right-hand side of a [`Test::Number`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Literal(i64),
    /// `params.NAME`: proves nothing unless the rule's parameter is an integer.
    Param(Box<str>),
}

/// A comparison operator of a [`Test::Number`], the field on its left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn of(operator: &str) -> Option<Comparison> {
        Some(match operator {
            operators::EQUALS => Comparison::Equal,
            operators::NOT_EQUALS => Comparison::NotEqual,
            operators::LESS => Comparison::Less,
            operators::LESS_EQUALS => Comparison::LessOrEqual,
            operators::GREATER => Comparison::Greater,
            operators::GREATER_EQUALS => Comparison::GreaterOrEqual,
            _ => return None,
        })
    }

    /// The same comparison with its operands swapped (`1 < x` is `x > 1`).
    fn swapped(self) -> Comparison {
        match self {
            Comparison::Less => Comparison::Greater,
            Comparison::LessOrEqual => Comparison::GreaterOrEqual,
            Comparison::Greater => Comparison::Less,
            Comparison::GreaterOrEqual => Comparison::LessOrEqual,
            same => same,
        }
    }

    fn holds(self, order: Ordering) -> bool {
        match self {
            Comparison::Equal => order.is_eq(),
            Comparison::NotEqual => order.is_ne(),
            Comparison::Less => order.is_lt(),
            Comparison::LessOrEqual => order.is_le(),
            Comparison::Greater => order.is_gt(),
            Comparison::GreaterOrEqual => order.is_ge(),
        }
    }
}

/// A part of `when` checked natively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// One field against a constant.
    Term { field: Field, test: Test },
    /// `a && b && ...`: false when one part is, true when every part is.
    All(Vec<Guard>),
    /// `a || b || ...`: true when one part is, false when every part is.
    Any(Vec<Guard>),
    /// `!a`: known when `a` is.
    Not(Box<Guard>),
    /// A part of an `&&` or `||` left to CEL: never known natively.
    Cel,
}

/// A rule's guards, and whether they are the whole of its `when`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guards {
    terms: Vec<Guard>,
    /// Every term of the top-level `&&` of `when` is a guard: each known true natively,
    /// `when` is true.
    pub whole: bool,
}

impl Guards {
    pub fn of(when: &IdedExpr) -> Guards {
        let mut terms = Vec::new();
        operands(operators::LOGICAL_AND, when, &mut terms);
        let count = terms.len();
        let terms: Vec<Guard> = terms.into_iter().filter_map(guard).collect();
        Guards {
            whole: terms.len() == count,
            terms,
        }
    }

    /// No guards: the rule's CEL judges every entity (for tests comparing the two).
    pub fn clear(&mut self) {
        self.terms.clear();
        self.whole = false;
    }
}

impl std::ops::Deref for Guards {
    type Target = [Guard];
    fn deref(&self) -> &[Guard] {
        &self.terms
    }
}

/// The operands of a chain of `operator` (`&&` or `||`), flattened.
fn operands<'e>(operator: &str, e: &'e IdedExpr, into: &mut Vec<&'e IdedExpr>) {
    match &e.expr {
        Expr::Call(call) if call.func_name == operator && call.target.is_none() => {
            for arg in &call.args {
                operands(operator, arg, into);
            }
        }
        _ => into.push(e),
    }
}

fn guard(term: &IdedExpr) -> Option<Guard> {
    let term_of = |field, test| Some(Guard::Term { field, test });
    let Expr::Call(call) = &term.expr else {
        let (field, selected) = selected(term)?;
        return term_of(
            field,
            match selected {
                Selected::Value => Test::Is(true),
                Selected::Has => Test::Present,
                Selected::HasKey(key) => Test::HasKey(key.into()),
            },
        );
    };
    if call.target.is_some() {
        return None;
    }
    match (call.func_name.as_str(), call.args.as_slice()) {
        (operators::LOGICAL_AND, _) => parts(operators::LOGICAL_AND, term).map(Guard::All),
        (operators::LOGICAL_OR, _) => parts(operators::LOGICAL_OR, term).map(Guard::Any),
        (operators::LOGICAL_NOT, [operand]) => match selected(operand) {
            Some((field, Selected::Value)) => term_of(field, Test::Is(false)),
            Some((field, Selected::Has)) => term_of(field, Test::Absent),
            _ => guard(operand).map(|inner| Guard::Not(Box::new(inner))),
        },
        (operator, [left, right]) => {
            let comparison = Comparison::of(operator)?;
            compared(comparison, left, right)
                .or_else(|| compared(comparison.swapped(), right, left))
        }
        _ => None,
    }
}

/// The parts of a chain of `operator` (`&&` or `||`), those not guards left to CEL;
/// none when no part is a guard.
fn parts(operator: &str, chain: &IdedExpr) -> Option<Vec<Guard>> {
    let mut parts = Vec::new();
    operands(operator, chain, &mut parts);
    let guards: Vec<Guard> = parts
        .into_iter()
        .map(|part| guard(part).unwrap_or(Guard::Cel))
        .collect();
    guards.iter().any(|g| *g != Guard::Cel).then_some(guards)
}

/// `field OP constant`: a text field with `==`/`!=` and a literal, a number field with
/// any comparison and a literal or a parameter, or `size(field) > 0` (also written
/// `size(field) != 0` or `>= 1`).
fn compared(comparison: Comparison, field: &IdedExpr, constant: &IdedExpr) -> Option<Guard> {
    if let Expr::Call(CallExpr {
        func_name,
        target: None,
        args,
    }) = &field.expr
    {
        let (Expr::Literal(LiteralValue::Int(n)), [list]) = (&constant.expr, args.as_slice())
        else {
            return None;
        };
        let not_empty = matches!(
            (comparison, *n.inner()),
            (Comparison::Greater, 0) | (Comparison::NotEqual, 0) | (Comparison::GreaterOrEqual, 1)
        );
        return match (func_name.as_str(), selected(list)?) {
            ("size", (field, Selected::Value)) if not_empty => Some(Guard::Term {
                field,
                test: Test::NotEmpty,
            }),
            _ => None,
        };
    }
    let (field, Selected::Value) = selected(field)? else {
        return None;
    };
    let test = match &constant.expr {
        Expr::Literal(LiteralValue::String(text)) => match comparison {
            Comparison::Equal => Test::Text(text.inner().into(), true),
            Comparison::NotEqual => Test::Text(text.inner().into(), false),
            _ => return None,
        },
        Expr::Literal(LiteralValue::Int(n)) => {
            Test::Number(comparison, Operand::Literal(*n.inner()))
        }
        Expr::Select(select) if !select.test => match &select.operand.expr {
            Expr::Ident(params) if params == "params" => {
                Test::Number(comparison, Operand::Param(select.field.as_str().into()))
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(Guard::Term { field, test })
}

/// How a field is selected: read, tested with `has()`, or one of its attributes tested.
enum Selected<'e> {
    Value,
    Has,
    HasKey(&'e str),
}

/// `identity.F`, `identity.permissions.F` or `credential.F`, F a known field; `has(...)`
/// of it; or `has(identity.attributes.KEY)` (or the credential's).
fn selected(e: &IdedExpr) -> Option<(Field, Selected<'_>)> {
    let Expr::Select(select) = &e.expr else {
        return None;
    };
    if let Expr::Select(_) = &select.operand.expr {
        let (outer, Selected::Value) = selected(&select.operand)? else {
            return None;
        };
        return match outer {
            Field::Identity(IdentityField::Attributes)
            | Field::Credential(CredentialField::Attributes) => {
                // Only `has()` of an attribute: reading one is left to CEL.
                select
                    .test
                    .then_some((outer, Selected::HasKey(&select.field)))
            }
            Field::Identity(IdentityField::Permissions) if !select.test => Some((
                Field::Permission(PermissionField::from_str(&select.field).ok()?),
                Selected::Value,
            )),
            _ => None,
        };
    }
    let Expr::Ident(variable) = &select.operand.expr else {
        return None;
    };
    let field = match variable.as_str() {
        "identity" => Field::Identity(IdentityField::from_str(&select.field).ok()?),
        "credential" => Field::Credential(CredentialField::from_str(&select.field).ok()?),
        _ => return None,
    };
    let how = if select.test {
        Selected::Has
    } else {
        Selected::Value
    };
    Some((field, how))
}

/// What guards are checked against: the entity, and the identity a credential belongs to.
pub enum Subject<'a> {
    Identity(&'a IdentityView<'a>),
    Credential {
        credential: &'a Credential,
        facts: &'a CredentialFacts<'a>,
        owner: Option<&'a IdentityView<'a>>,
    },
}

impl Subject<'_> {
    /// What the guards prove of `when`: false when one of them is false, true when the
    /// guards are the whole of it and every one is true, else nothing (CEL judges).
    pub fn decides(
        &self,
        guards: &Guards,
        params: &BTreeMap<String, serde_json::Value>,
    ) -> Option<bool> {
        // The top-level guards are `&&`ed.
        match self.combine(guards, false, params) {
            Some(true) if !guards.whole => None,
            verdict => verdict,
        }
    }

    /// Whether the guard's part of `when` is true or false, when known natively.
    fn verdict(&self, guard: &Guard, params: &BTreeMap<String, serde_json::Value>) -> Option<bool> {
        match guard {
            Guard::Term { field, test } => self.test(*field, test, params),
            Guard::All(all) => self.combine(all, false, params),
            Guard::Any(any) => self.combine(any, true, params),
            Guard::Not(inner) => self.verdict(inner, params).map(|known| !known),
            Guard::Cel => None,
        }
    }

    /// `&&` (`decisive` false) or `||` (`decisive` true) of `guards`: `decisive` once
    /// one is, unknown if one is unknown, else the other value.
    fn combine(
        &self,
        guards: &[Guard],
        decisive: bool,
        params: &BTreeMap<String, serde_json::Value>,
    ) -> Option<bool> {
        let mut result = Some(!decisive);
        for guard in guards {
            match self.verdict(guard, params) {
                Some(value) if value == decisive => return Some(decisive),
                Some(_) => {}
                None => result = None,
            }
        }
        result
    }

    /// Whether the field passes the test: `None` when that is not known natively.
    fn test(
        &self,
        field: Field,
        test: &Test,
        params: &BTreeMap<String, serde_json::Value>,
    ) -> Option<bool> {
        if let Test::HasKey(key) = test {
            return self
                .attributes(field)
                .map(|attributes| attributes.get(&**key).is_some());
        }
        if let (Test::NotEmpty, Field::Identity(f), Some(view)) = (test, field, self.identity()) {
            // A delegation list is told empty or not without writing its paths.
            if let Some(empty) = identity_list_is_empty(view, f) {
                return Some(!empty);
            }
        }
        let fact = match field {
            Field::Credential(f) => match self {
                Subject::Credential {
                    credential, facts, ..
                } => credential_fact(credential, facts, f),
                // `credential` is not bound for an identity rule: left to CEL.
                Subject::Identity(_) => return None,
            },
            // Without an identity, `identity` is an empty map: has() is false, reading a
            // field an error.
            Field::Identity(f) => self.identity().and_then(|view| identity_fact(view, f)),
            Field::Permission(p) => self.identity().map(|view| permission_fact(view, p)),
        };
        match (test, fact) {
            (Test::Present, present) => Some(present.is_some()),
            (Test::Absent, present) => Some(present.is_none()),
            (Test::Is(expected), Some(Fact::Bool(value))) => Some(value == *expected),
            (Test::Text(text, equal), Some(Fact::Str(value))) => Some((value == &**text) == *equal),
            (Test::Text(text, equal), Some(Fact::Owned(value))) => {
                Some((*value == **text) == *equal)
            }
            (Test::Number(comparison, operand), Some(Fact::Int(value))) => {
                let number = match operand {
                    Operand::Literal(n) => Some(*n),
                    // A parameter that is not an integer: left to CEL.
                    Operand::Param(name) => params.get(&**name).and_then(|v| v.as_i64()),
                };
                number.map(|n| comparison.holds(value.cmp(&n)))
            }
            (Test::NotEmpty, Some(Fact::List(items))) => Some(!items.is_empty()),
            // Absent, or of another type: left to CEL.
            _ => None,
        }
    }

    /// The identity `identity` is bound to, if any.
    fn identity(&self) -> Option<&IdentityView<'_>> {
        match self {
            Subject::Identity(view) => Some(view),
            Subject::Credential { owner, .. } => *owner,
        }
    }

    /// The attributes map `field` names, when it is one and bound (a credential without
    /// an identity has an empty `identity`, whose `attributes` CEL cannot read).
    fn attributes(&self, field: Field) -> Option<&Attributes> {
        match (field, self) {
            (Field::Identity(IdentityField::Attributes), _) => {
                self.identity().map(|view| &view.identity.attributes)
            }
            (
                Field::Credential(CredentialField::Attributes),
                Subject::Credential { credential, .. },
            ) => Some(&credential.attributes),
            _ => None,
        }
    }
}

/// One field of `identity.permissions`, as CEL sees it.
fn permission_fact<'a>(view: &IdentityView<'a>, field: PermissionField) -> Fact<'a> {
    let permissions = &view.identity.permissions;
    match field {
        PermissionField::Admin => Fact::Bool(permissions.admin),
        PermissionField::WildcardActions => strings(&permissions.wildcard_actions),
        PermissionField::PrivilegedActions => strings(&permissions.privileged_actions),
        PermissionField::Policies => strings(&permissions.policies),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The guards of an expression: its top-level `&&` terms that are guards, in order.
    fn parsed(text: &str) -> Vec<Guard> {
        let program = cel::Program::compile(text).unwrap_or_else(|e| panic!("{e}"));
        Guards::of(program.expression()).terms
    }

    fn term(field: Field, test: Test) -> Guard {
        Guard::Term { field, test }
    }

    #[test]
    fn top_level_boolean_and_presence_terms_are_guards() {
        assert_eq!(
            parsed("identity.ai_agent && !identity.provider_managed && has(identity.usage) && size(identity.trust) > 1"),
            [
                term(Field::Identity(IdentityField::AiAgent), Test::Is(true)),
                term(Field::Identity(IdentityField::ProviderManaged), Test::Is(false)),
                term(Field::Identity(IdentityField::Usage), Test::Present),
            ]
        );
        assert_eq!(
            parsed("(credential.static_key && credential.expired) && identity.enabled"),
            [
                term(
                    Field::Credential(CredentialField::StaticKey),
                    Test::Is(true)
                ),
                term(Field::Credential(CredentialField::Expired), Test::Is(true)),
                term(Field::Identity(IdentityField::Enabled), Test::Is(true)),
            ]
        );
    }

    #[test]
    fn presence_attribute_text_number_and_size_terms_are_guards() {
        let identity = |f| Field::Identity(f);
        let credential = |f| Field::Credential(f);
        assert_eq!(
            parsed(
                "!has(credential.identity_id) && credential.status == \"active\" \
                 && \"github\" != credential.provider && has(credential.attributes.keyType) \
                 && size(credential.leaks) > 0 && credential.days_to_expiry <= 30 \
                 && 1 < identity.active_access_key_count && has(identity.attributes.workloads)"
            ),
            [
                term(credential(CredentialField::IdentityId), Test::Absent),
                term(
                    credential(CredentialField::Status),
                    Test::Text("active".into(), true)
                ),
                term(
                    credential(CredentialField::Provider),
                    Test::Text("github".into(), false)
                ),
                term(
                    credential(CredentialField::Attributes),
                    Test::HasKey("keyType".into())
                ),
                term(credential(CredentialField::Leaks), Test::NotEmpty),
                term(
                    credential(CredentialField::DaysToExpiry),
                    Test::Number(Comparison::LessOrEqual, Operand::Literal(30))
                ),
                term(
                    identity(IdentityField::ActiveAccessKeyCount),
                    Test::Number(Comparison::Greater, Operand::Literal(1))
                ),
                term(
                    identity(IdentityField::Attributes),
                    Test::HasKey("workloads".into())
                ),
            ]
        );
    }

    #[test]
    fn and_or_permissions_and_parameters_make_guards() {
        assert_eq!(
            parsed(
                "!identity.permissions.admin && size(identity.permissions.wildcard_actions) > 0 \
                 && ((has(identity.days_since_activity) && identity.days_since_activity > params.max) \
                     || (identity.never_used && size(identity.trust) > 1))"
            ),
            [
                term(Field::Permission(PermissionField::Admin), Test::Is(false)),
                term(
                    Field::Permission(PermissionField::WildcardActions),
                    Test::NotEmpty
                ),
                Guard::Any(vec![
                    Guard::All(vec![
                        term(
                            Field::Identity(IdentityField::DaysSinceActivity),
                            Test::Present
                        ),
                        term(
                            Field::Identity(IdentityField::DaysSinceActivity),
                            Test::Number(Comparison::Greater, Operand::Param("max".into()))
                        ),
                    ]),
                    // `size(identity.trust) > 1` is not a guard: left to CEL.
                    Guard::All(vec![
                        term(Field::Identity(IdentityField::NeverUsed), Test::Is(true)),
                        Guard::Cel,
                    ]),
                ]),
            ]
        );
    }

    #[test]
    fn negations_and_chains_with_terms_left_to_cel_are_guards() {
        let is = |f, value| term(Field::Identity(f), Test::Is(value));
        assert_eq!(
            parsed("identity.ai_agent || identity.name.startsWith(\"a\")"),
            [Guard::Any(vec![
                is(IdentityField::AiAgent, true),
                Guard::Cel
            ])]
        );
        assert_eq!(
            parsed("!(identity.ai_agent && identity.enabled)"),
            [Guard::Not(Box::new(Guard::All(vec![
                is(IdentityField::AiAgent, true),
                is(IdentityField::Enabled, true),
            ])))]
        );
        assert_eq!(
            parsed("!has(identity.attributes.workloads)"),
            [Guard::Not(Box::new(term(
                Field::Identity(IdentityField::Attributes),
                Test::HasKey("workloads".into())
            )))]
        );
        assert_eq!(
            parsed(
                "!(credential.provider == \"kubernetes\" && credential.attributes.kind == \"x\")"
            ),
            [Guard::Not(Box::new(Guard::All(vec![
                term(
                    Field::Credential(CredentialField::Provider),
                    Test::Text("kubernetes".into(), true)
                ),
                Guard::Cel,
            ])))]
        );
    }

    #[test]
    fn terms_under_or_and_unknown_fields_are_not_guards() {
        assert!(parsed("identity.ai_agent || identity.age_days > 1 && x.y").len() == 1);
        assert!(parsed("identity.name.startsWith(\"a\") || x.y").is_empty());
        assert!(parsed("!(x.y && identity.name.startsWith(\"a\"))").is_empty());
        assert!(parsed("identity.no_such_field && params.x").is_empty());
        assert!(parsed("identity.permissions.nope").is_empty());
        assert!(parsed("identity.usage.services").is_empty());
        assert!(parsed("identity.attributes.service_account == \"default\"").is_empty());
        assert!(parsed("has(identity.permissions.admin)").is_empty());
        assert!(parsed("identity.owner_status in params.statuses").is_empty());
        assert!(parsed("size(identity.trust) > 1").is_empty());
        assert!(parsed("credential.status < \"b\"").is_empty());
        assert!(parsed("x.enabled").is_empty());
    }

    #[test]
    fn guards_are_whole_only_when_every_term_is_one() {
        let whole = |text: &str| {
            let program = cel::Program::compile(text).unwrap_or_else(|e| panic!("{e}"));
            Guards::of(program.expression()).whole
        };
        assert!(whole(
            "identity.ai_agent && identity.enabled && size(identity.delegates_to) > 0"
        ));
        assert!(whole(
            "(identity.never_used || !identity.enabled) && credential.age_days > params.max"
        ));
        assert!(whole("identity.ai_agent"));
        assert!(!whole("identity.ai_agent && size(identity.trust) > 1"));
        // Every top-level term is a guard, some of whose parts are left to CEL: whole,
        // and decided natively only where those parts do not count.
        assert!(whole(
            "identity.ai_agent || identity.name.startsWith(\"a\")"
        ));
        assert!(whole(
            "(identity.never_used && size(identity.trust) > 1) || identity.ai_agent"
        ));
        assert!(whole("!(identity.ai_agent && identity.enabled)"));
        let mut cleared = {
            let program =
                cel::Program::compile("identity.ai_agent").unwrap_or_else(|e| panic!("{e}"));
            Guards::of(program.expression())
        };
        cleared.clear();
        assert!(cleared.is_empty() && !cleared.whole);
    }

    /// The example estate, enriched with its roster as of 2026-11-01.
    fn example_estate() -> crate::enrich::Enriched {
        use crate::enrich::{enrich, owner::OwnerResolver, owner::Roster};
        use std::path::Path;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let inventory =
            crate::import::json::read_document(&root.join("examples/estate/inventory.json"))
                .unwrap_or_else(|e| panic!("{e}"));
        let roster = crate::import::csv::read_records(&root.join("examples/roster.csv"))
            .unwrap_or_else(|e| panic!("{e}"));
        let resolver = OwnerResolver {
            roster: Some(Roster::new(roster)),
            ..OwnerResolver::default()
        };
        let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .to_utc();
        enrich(inventory, as_of, &resolver)
    }

    /// `size(identity.admin_paths) > 0` and the like are told without writing the paths:
    /// on every identity of the example estate, the same answer as the written list.
    #[test]
    fn delegation_lists_are_told_empty_as_their_written_lists_are() {
        let enriched = example_estate();
        for field in [
            IdentityField::DelegatesTo,
            IdentityField::AdminPaths,
            IdentityField::CrossBoundaryPaths,
            IdentityField::WorkloadCallers,
        ] {
            let mut seen = [0, 0];
            for index in 0..enriched.inventory.identities.len() {
                let view = enriched.identity_view(index);
                let written = match identity_fact(&view, field) {
                    Some(Fact::List(items)) => items.is_empty(),
                    other => panic!("{field}: {other:?}"),
                };
                assert_eq!(
                    identity_list_is_empty(&view, field),
                    Some(written),
                    "{field} of {}",
                    view.identity.id
                );
                seen[usize::from(written)] += 1;
            }
            assert!(seen[0] > 0 && seen[1] > 0, "{field}: {seen:?}");
        }
    }

    /// The matches of the rules `load` gives on `enriched`, evaluated with their guards
    /// and with none: asserts they are the same (and that each entity was judged by the
    /// same rules), and returns them.
    fn same_with_and_without_guards(
        enriched: &crate::enrich::Enriched,
        load: impl Fn() -> crate::rules::RuleSet,
    ) -> Vec<crate::rules::eval::Match> {
        use crate::rules::{eval, RuleSet};
        let matches = |rules: &RuleSet| {
            let mut evaluation = eval::evaluate(rules, enriched);
            assert!(evaluation.errors.is_empty(), "{:?}", evaluation.errors);
            evaluation
                .matches
                .sort_by_key(|m| (m.rule, m.target as u8, m.index));
            (evaluation.matches, evaluation.evaluated)
        };
        let mut unguarded = load();
        for rule in &mut unguarded.rules {
            rule.guards.clear();
        }
        let (with, judged_with) = matches(&load());
        let (without, judged_without) = matches(&unguarded);
        assert_eq!(with, without);
        assert_eq!(judged_with, judged_without);
        with
    }

    /// Guards only skip work: on the example estate (with its roster), every built-in
    /// rule matches the same entities with its guards as with none.
    #[test]
    fn guards_change_no_rules_result_on_the_example_estate() {
        use crate::rules::RuleSet;
        let enriched = example_estate();
        let load = || RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e:?}"));
        let guarded = load();
        let guarded_rules = guarded
            .rules
            .iter()
            .filter(|r| !r.guards.is_empty())
            .count();
        assert!(
            guarded_rules * 10 >= guarded.rules.len() * 9,
            "{guarded_rules} rules guarded"
        );
        // Rules whose guards are their whole `when` match without CEL: the comparison
        // below covers them too.
        let decided_rules = (guarded.rules.iter())
            .filter(|r| r.decided_by_guards())
            .count();
        assert!(
            decided_rules >= 15,
            "{decided_rules} rules decided by their guards"
        );
        let with = same_with_and_without_guards(&enriched, load);
        assert!(with.len() > 100, "{} matches", with.len());
        let decided_matches = (with.iter())
            .filter(|m| guarded.rules[m.rule as usize].decided_by_guards())
            .count();
        assert!(
            decided_matches > 20,
            "{decided_matches} matches decided by guards"
        );
    }

    /// `!` and `&&`/`||` with parts left to CEL decide natively only what CEL would: on
    /// the example estate, rules written with them match the same entities with their
    /// guards as with none, and the guards proved each rule both true and false of
    /// some entities (and left some to CEL).
    #[test]
    fn negations_and_parts_left_to_cel_decide_as_cel_does() {
        use crate::rules::RuleSet;
        let whens = [
            (
                "identity",
                r#"identity.enabled && !(identity.ai_agent && identity.name.contains("a"))"#,
            ),
            (
                "identity",
                r#"!has(identity.attributes.workloads) && (identity.name.contains("-") || identity.ai_agent)"#,
            ),
            (
                "credential",
                r#"credential.status == "active" && !(has(credential.rotation_enabled) && credential.rotation_enabled) && !(credential.provider == "github" && credential.id.contains("a"))"#,
            ),
            (
                "credential",
                r#"!(credential.expired && credential.id.endsWith("1")) && credential.status == "active""#,
            ),
        ];
        let sources: Vec<(String, String)> = (whens.iter().enumerate())
            .map(|(i, (applies_to, when))| {
                let text = format!(
                    "id: r{i}\ntitle: T\nseverity: low\nconfidence: high\n\
                     applies_to: {applies_to}\nwhen: '{when}'\nmessage: m\n\
                     description: d\nremediation: r\n"
                );
                (format!("r{i}.yaml"), text)
            })
            .collect();
        let load = || RuleSet::from_sources(&sources).unwrap_or_else(|e| panic!("{e:?}"));
        let enriched = example_estate();
        let matched = same_with_and_without_guards(&enriched, load);
        let rules = load();
        for (r, rule) in rules.rules.iter().enumerate() {
            assert!(rule.decided_by_guards(), "{}", rule.spec.id);
            let mut verdicts = [0usize; 3];
            let mut tally = |subject: &Subject| {
                let slot = match subject.decides(&rule.guards, &rule.params) {
                    Some(false) => 0,
                    Some(true) => 1,
                    None => 2,
                };
                verdicts[slot] += 1;
            };
            let identities = 0..enriched.inventory.identities.len();
            let credentials = 0..enriched.inventory.credentials.len();
            if rule.spec.applies_to == crate::rules::Target::Identity {
                for index in identities {
                    tally(&Subject::Identity(&enriched.identity_view(index)));
                }
            } else {
                for index in credentials {
                    let (credential, facts) = enriched.credential(index);
                    let owner =
                        (enriched.credential_owner(index)).map(|i| enriched.identity_view(i));
                    tally(&Subject::Credential {
                        credential,
                        facts: &facts,
                        owner: owner.as_ref(),
                    });
                }
            }
            assert!(
                verdicts.iter().all(|&n| n > 0),
                "{}: {verdicts:?}",
                rule.spec.id
            );
            assert!(
                matched.iter().any(|m| m.rule as usize == r),
                "{}",
                rule.spec.id
            );
        }
    }
}
