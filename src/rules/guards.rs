//! Cheap checks run before a rule's CEL: the top-level `&&` terms of its `when` that read
//! one boolean field (`identity.ai_agent`, `!credential.expired`) or test one field's
//! presence (`has(identity.usage)`). CEL's `&&` is false when any term is false, even if
//! another errs, so a term found false natively makes `when` false: the entity is judged
//! without building the rule's variables or running its expression. A term whose field is
//! absent, or not a boolean, is left to CEL (where reading it may be an error to report).

use super::value::{credential_fact, identity_fact, CredentialField, Fact, IdentityField};
use crate::enrich::{CredentialFacts, IdentityView};
use crate::inventory::Credential;
use cel::common::ast::{operators, Expr, IdedExpr};
use std::str::FromStr;

/// A field a guard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Identity(IdentityField),
    Credential(CredentialField),
}

/// What a guard requires of its field for `when` to have a chance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// The field, when present and a boolean, is this value.
    Is(bool),
    /// The field is present (`has(...)`).
    Present,
}

/// One top-level `&&` term of `when`, checked natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub field: Field,
    pub test: Test,
}

/// The guards of an expression: its top-level `&&` terms of the forms above, in order.
pub fn guards(when: &IdedExpr) -> Vec<Guard> {
    let mut terms = Vec::new();
    conjuncts(when, &mut terms);
    terms.into_iter().filter_map(guard).collect()
}

fn conjuncts<'e>(e: &'e IdedExpr, into: &mut Vec<&'e IdedExpr>) {
    match &e.expr {
        Expr::Call(call) if call.func_name == operators::LOGICAL_AND && call.target.is_none() => {
            for arg in &call.args {
                conjuncts(arg, into);
            }
        }
        _ => into.push(e),
    }
}

fn guard(term: &IdedExpr) -> Option<Guard> {
    match &term.expr {
        Expr::Call(call)
            if call.func_name == operators::LOGICAL_NOT
                && call.target.is_none()
                && call.args.len() == 1 =>
        {
            let (field, test) = selected(&call.args[0])?;
            (!test).then_some(Guard {
                field,
                test: Test::Is(false),
            })
        }
        _ => {
            let (field, test) = selected(term)?;
            Some(Guard {
                field,
                test: if test { Test::Present } else { Test::Is(true) },
            })
        }
    }
}

/// `identity.F` or `credential.F` (and whether it is `has(...)`), F a known field.
fn selected(e: &IdedExpr) -> Option<(Field, bool)> {
    let Expr::Select(select) = &e.expr else {
        return None;
    };
    let Expr::Ident(variable) = &select.operand.expr else {
        return None;
    };
    let field = match variable.as_str() {
        "identity" => Field::Identity(IdentityField::from_str(&select.field).ok()?),
        "credential" => Field::Credential(CredentialField::from_str(&select.field).ok()?),
        _ => return None,
    };
    Some((field, select.test))
}

/// What guards are checked against: the entity, and the identity a credential belongs to.
pub enum Subject<'a> {
    Identity(&'a IdentityView<'a>),
    Credential {
        credential: &'a Credential,
        facts: &'a CredentialFacts,
        owner: Option<&'a IdentityView<'a>>,
    },
}

impl Subject<'_> {
    /// Whether every guard holds or cannot be told natively (false: `when` is false).
    pub fn passes(&self, guards: &[Guard]) -> bool {
        guards.iter().all(|g| self.holds(g))
    }

    fn holds(&self, guard: &Guard) -> bool {
        let fact = match (guard.field, self) {
            (Field::Identity(f), Subject::Identity(view)) => identity_fact(view, f),
            (Field::Identity(f), Subject::Credential { owner, .. }) => match owner {
                Some(view) => identity_fact(view, f),
                // `identity` is an empty map: has() is false, reading a field an error.
                None => None,
            },
            (
                Field::Credential(f),
                Subject::Credential {
                    credential, facts, ..
                },
            ) => credential_fact(credential, facts, f),
            // `credential` is not bound for an identity rule: left to CEL.
            (Field::Credential(_), Subject::Identity(_)) => return true,
        };
        match (guard.test, fact) {
            (Test::Present, present) => present.is_some(),
            (Test::Is(expected), Some(Fact::Bool(value))) => value == expected,
            (Test::Is(_), _) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Vec<Guard> {
        let program = cel::Program::compile(text).unwrap_or_else(|e| panic!("{e}"));
        guards(program.expression())
    }

    #[test]
    fn top_level_boolean_and_presence_terms_are_guards() {
        assert_eq!(
            parsed("identity.ai_agent && !identity.provider_managed && has(identity.usage) && size(identity.trust) > 1"),
            [
                Guard {
                    field: Field::Identity(IdentityField::AiAgent),
                    test: Test::Is(true)
                },
                Guard {
                    field: Field::Identity(IdentityField::ProviderManaged),
                    test: Test::Is(false)
                },
                Guard {
                    field: Field::Identity(IdentityField::Usage),
                    test: Test::Present
                },
            ]
        );
        assert_eq!(
            parsed("(credential.static_key && credential.expired) && identity.enabled"),
            [
                Guard {
                    field: Field::Credential(CredentialField::StaticKey),
                    test: Test::Is(true)
                },
                Guard {
                    field: Field::Credential(CredentialField::Expired),
                    test: Test::Is(true)
                },
                Guard {
                    field: Field::Identity(IdentityField::Enabled),
                    test: Test::Is(true)
                },
            ]
        );
    }

    #[test]
    fn terms_under_or_negated_presence_and_unknown_fields_are_not_guards() {
        assert!(parsed("identity.ai_agent || identity.enabled").is_empty());
        assert!(parsed("!has(identity.usage)").is_empty());
        assert!(parsed("identity.no_such_field && params.x").is_empty());
        assert!(parsed("identity.permissions.admin").is_empty());
        assert!(parsed("x.enabled").is_empty());
    }
}
