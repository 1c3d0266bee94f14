//! Evaluating rules over an enriched inventory: one CEL root context per worker and
//! chunk, one inner scope per entity holding only the fields its rules read (borrowed
//! from the inventory, not copied), and a nested scope per rule for its `params`.

use super::guards::Subject;
use super::value::{credential_val, empty_map, identity_val, params_val, FieldMask};
use super::{bounds, Rule, RuleSet, Target};
use crate::enrich::identity_type::IdentityType;
use crate::enrich::Enriched;
use crate::inventory::Provider;
use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::{Context, Value};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::Arc;

/// A rule that failed to evaluate on an entity (a rule bug or unexpected data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalError {
    pub rule_id: String,
    pub entity_id: String,
    pub message: String,
    /// The entity: its target and index into the inventory's identities or credentials.
    #[serde(skip)]
    pub entity: (Target, u32),
}

/// One rule matching one entity: all a finding needs, in 12 bytes. Findings are
/// built from matches only when they are reported (see [`super::findings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Match {
    /// Index into the evaluated rules.
    pub rule: u32,
    pub target: Target,
    /// The rule's `lower_severity_when` held: one level below its severity.
    pub lowered: bool,
    /// Index into the inventory's identities or credentials.
    pub index: u32,
}

/// A rule's expressions, reading its parameters from its own root variable.
struct Expressions {
    when: IdedExpr,
    lower_severity: Option<IdedExpr>,
}

/// What evaluating all rules produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub matches: Vec<Match>,
    pub errors: Vec<EvalError>,
    /// For each rule, how many entities it was evaluated on (those its `applies_to` and
    /// `filter` select; 0 for a disabled rule).
    pub evaluated: Vec<u64>,
}

/// How many entities one worker takes at a time.
const CHUNK: usize = 4096;

/// Evaluates every enabled rule on every entity it applies to; `Match::rule` indexes
/// `rules.rules`.
pub fn evaluate(rules: &RuleSet, enriched: &Enriched) -> Evaluation {
    let all: Vec<&Rule> = rules.rules.iter().collect();
    evaluate_rules(&all, enriched)
}

/// Evaluates the given rules (those enabled) on every entity they apply to;
/// `Match::rule` indexes `rules`.
pub fn evaluate_rules(rules: &[&Rule], enriched: &Enriched) -> Evaluation {
    let env = Arc::new(super::environment::environment());
    let for_target = |target: Target| -> Vec<(u32, &Rule)> {
        rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.enabled && r.spec.applies_to == target)
            .map(|(i, r)| (i as u32, *r))
            .collect()
    };
    let identity_rules = for_target(Target::Identity);
    let credential_rules = for_target(Target::Credential);
    // Each rule's expression reads its parameters from its own root variable, bound
    // once per chunk, instead of a `params` scope built for every evaluation.
    let expressions: Vec<Expressions> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| Expressions {
            when: with_params_variable(rule.program.expression(), &params_variable(i)),
            lower_severity: rule
                .lower_severity
                .as_ref()
                .map(|p| with_params_variable(p.expression(), &params_variable(i))),
        })
        .collect();

    let identities = enriched.inventory.identities.len();
    let credentials = enriched.inventory.credentials.len();
    let jobs: Vec<(Target, usize)> = (0..identities)
        .step_by(CHUNK)
        .map(|start| (Target::Identity, start))
        .chain(
            (0..credentials)
                .step_by(CHUNK)
                .map(|s| (Target::Credential, s)),
        )
        .collect();

    // One chunk per task: chunks differ in cost (the rules an entity's provider and
    // kind select), and larger pieces left one core idle while the other finished.
    let parts: Vec<Evaluation> = jobs
        .into_par_iter()
        .with_max_len(1)
        .map(|(target, start)| {
            let mut root = Context::with_env(Arc::clone(&env));
            let target_rules = match target {
                Target::Identity => &identity_rules,
                Target::Credential => &credential_rules,
            };
            for (index, rule) in target_rules.iter() {
                root.add_variable_as_val(
                    params_variable(*index as usize),
                    params_val(&rule.params),
                );
            }
            let mut out = Evaluation {
                evaluated: vec![0; rules.len()],
                ..Evaluation::default()
            };
            let mut matching = Vec::with_capacity(rules.len());
            let mut applicable = Applicable::new(target_rules);
            match target {
                Target::Identity => {
                    for i in start..(start + CHUNK).min(identities) {
                        identity_findings(
                            &root,
                            &mut applicable,
                            &expressions,
                            enriched,
                            i,
                            &mut matching,
                            &mut out,
                        );
                    }
                }
                Target::Credential => {
                    for i in start..(start + CHUNK).min(credentials) {
                        credential_findings(
                            &root,
                            &mut applicable,
                            &expressions,
                            enriched,
                            i,
                            &mut matching,
                            &mut out,
                        );
                    }
                }
            }
            out
        })
        .collect();

    let mut all = Evaluation {
        matches: Vec::with_capacity(parts.iter().map(|p| p.matches.len()).sum()),
        errors: Vec::new(),
        evaluated: vec![0; rules.len()],
    };
    for part in parts {
        all.matches.extend(part.matches);
        all.errors.extend(part.errors);
        for (total, n) in all.evaluated.iter_mut().zip(part.evaluated) {
            *total += n;
        }
    }
    all
}

/// Whether `rule`'s filter selects an entity of `provider` and `kind` whose identity
/// (the entity itself, or a credential's identity) is of `identity_type` (the entity
/// must also be of the rule's `applies_to` target).
pub fn applies(rule: &Rule, provider: Provider, kind: &str, identity_type: IdentityType) -> bool {
    let filter = &rule.spec.filter;
    (filter.providers.is_empty() || filter.providers.contains(&provider))
        && (filter.kinds.is_empty() || filter.kinds.iter().any(|k| k == kind))
        && filter.judges(identity_type)
}

/// The rules that apply to entities of one provider, kind and identity type, found once
/// per chunk ([`applies`]): a chunk's thousands of entities share a few of these.
struct Applicable<'r> {
    rules: &'r [(u32, &'r Rule)],
    known: Vec<(EntityClass, Vec<(u32, &'r Rule)>)>,
}

/// What a rule's filter selects entities by: provider, kind and identity type.
type EntityClass = (Provider, &'static str, IdentityType);

impl<'r> Applicable<'r> {
    fn new(rules: &'r [(u32, &'r Rule)]) -> Self {
        Applicable {
            rules,
            known: Vec::new(),
        }
    }

    fn to(
        &mut self,
        provider: Provider,
        kind: &'static str,
        identity_type: IdentityType,
    ) -> &[(u32, &'r Rule)] {
        let key = (provider, kind, identity_type);
        let at = match self.known.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let rules = (self.rules.iter())
                    .filter(|(_, rule)| applies(rule, provider, kind, identity_type))
                    .copied()
                    .collect();
                self.known.push((key, rules));
                self.known.len() - 1
            }
        };
        &self.known[at].1
    }
}

/// A rule selected for an entity: its index and whether its guards proved it matches
/// (then its CEL does not run).
#[derive(Clone, Copy)]
struct Selected<'r> {
    index: u32,
    rule: &'r Rule,
    decided: bool,
}

/// Of the rules that apply to an entity, those whose guards hold, and the fields of
/// each variable they read. A rule whose guards fail is judged (counted in
/// `evaluated`) and did not match; one they prove true needs no variables.
fn select<'r>(
    applicable: &[(u32, &'r Rule)],
    subject: &Subject,
    matching: &mut Vec<Selected<'r>>,
    evaluated: &mut [u64],
) -> (FieldMask, FieldMask) {
    matching.clear();
    let (mut identity, mut credential) = (0, 0);
    for &(index, rule) in applicable {
        let decided = match subject.decides(&rule.guards, &rule.params) {
            Some(false) => {
                evaluated[index as usize] += 1;
                continue;
            }
            Some(true) => rule.decided_by_guards(),
            None => false,
        };
        if !decided {
            identity |= rule.identity_fields;
            credential |= rule.credential_fields;
        }
        matching.push(Selected {
            index,
            rule,
            decided,
        });
    }
    (identity, credential)
}

fn identity_findings<'r>(
    root: &Context,
    rules: &mut Applicable<'r>,
    expressions: &[Expressions],
    enriched: &Enriched,
    index: usize,
    matching: &mut Vec<Selected<'r>>,
    out: &mut Evaluation,
) {
    let view = enriched.identity_view(index);
    let identity = view.identity;
    let (mask, _) = select(
        rules.to(
            identity.provider,
            identity.kind.as_str(),
            view.facts.identity_type,
        ),
        &Subject::Identity(&view),
        matching,
        &mut out.evaluated,
    );
    if all_decided(matching, Target::Identity, index, out) {
        return;
    }
    let mut scope = root.new_inner_scope();
    let largest = largest_if_needed(matching, || bounds::largest_in_identity(identity));
    scope.add_variable_as_val("identity", identity_val(&view, mask));
    run_matching(
        &scope,
        matching,
        expressions,
        Entity {
            id: &identity.id,
            target: Target::Identity,
            index: index as u32,
            largest,
        },
        out,
    );
}

fn credential_findings<'r>(
    root: &Context,
    rules: &mut Applicable<'r>,
    expressions: &[Expressions],
    enriched: &Enriched,
    index: usize,
    matching: &mut Vec<Selected<'r>>,
    out: &mut Evaluation,
) {
    let (credential, facts) = enriched.credential(index);
    let owner = enriched
        .credential_owner(index)
        .map(|i| enriched.identity_view(i));
    let (identity_mask, credential_mask) = select(
        rules.to(
            credential.provider,
            credential.kind.as_str(),
            enriched.credential_identity_type(index),
        ),
        &Subject::Credential {
            credential,
            facts: &facts,
            owner: owner.as_ref(),
        },
        matching,
        &mut out.evaluated,
    );
    if all_decided(matching, Target::Credential, index, out) {
        return;
    }
    let mut scope = root.new_inner_scope();
    let largest = largest_if_needed(matching, || {
        let of_owner = owner
            .as_ref()
            .map_or(0, |view| bounds::largest_in_identity(view.identity));
        bounds::largest_in_credential(credential).max(of_owner)
    });
    scope.add_variable_as_val(
        "credential",
        credential_val(credential, &facts, credential_mask),
    );
    match owner {
        Some(view) if identity_mask != 0 => {
            scope.add_variable_as_val("identity", identity_val(&view, identity_mask))
        }
        _ => scope.add_variable_as_val("identity", empty_map()),
    }
    run_matching(
        &scope,
        matching,
        expressions,
        Entity {
            id: &credential.id,
            target: Target::Credential,
            index: index as u32,
            largest,
        },
        out,
    );
}

/// The entity a rule runs on.
struct Entity<'a> {
    id: &'a str,
    target: Target,
    index: u32,
    /// The most elements of a list or map in what the rules see of it (0 when no rule
    /// has a comprehension).
    largest: usize,
}

/// When no selected rule needs its CEL run (none selected, or each decided by its
/// guards), records their matches and says so: the entity's variables need not be built.
fn all_decided(matching: &[Selected], target: Target, index: usize, out: &mut Evaluation) -> bool {
    if !matching.iter().all(|s| s.decided) {
        return false;
    }
    for selected in matching {
        out.evaluated[selected.index as usize] += 1;
        out.matches
            .push(decided_match(selected.index, target, index));
    }
    true
}

/// The match of a rule its guards decided (`lower_severity_when` is never set on one).
fn decided_match(rule: u32, target: Target, index: usize) -> Match {
    Match {
        rule,
        target,
        lowered: false,
        index: index as u32,
    }
}

/// The entity's largest collection (`largest`), when some matching rule iterates.
fn largest_if_needed(matching: &[Selected], largest: impl FnOnce() -> usize) -> usize {
    if matching.iter().all(|s| s.rule.comprehension_depth == 0) {
        return 0;
    }
    largest()
}

/// Runs every matching rule in the entity's scope and records the matches. A rule
/// whose nested comprehensions would exceed the iteration budget on this entity is
/// not run: a rule error for it (the scan is then partial).
fn run_matching(
    scope: &Context,
    matching: &[Selected],
    expressions: &[Expressions],
    entity: Entity,
    out: &mut Evaluation,
) {
    let (target, index) = (entity.target, entity.index as usize);
    for &Selected {
        index: rule_index,
        rule,
        decided,
    } in matching
    {
        out.evaluated[rule_index as usize] += 1;
        if decided {
            out.matches.push(decided_match(rule_index, target, index));
            continue;
        }
        if !bounds::within_budget(rule.comprehension_depth, entity.largest) {
            out.errors.push(EvalError {
                rule_id: rule.spec.id.clone(),
                entity_id: entity.id.to_string(),
                message: format!(
                    "not evaluated: its comprehensions nest {} deep over a list or map of \
                     {} elements, past the budget of {} iterations per entity",
                    rule.comprehension_depth,
                    entity.largest,
                    bounds::ITERATION_BUDGET
                ),
                entity: (target, entity.index),
            });
            continue;
        }
        let compiled = &expressions[rule_index as usize];
        if run_rule(scope, rule, "when", &compiled.when, &entity, out) {
            let lowered = compiled.lower_severity.as_ref().is_some_and(|lower| {
                run_rule(scope, rule, "lower_severity_when", lower, &entity, out)
            });
            out.matches.push(Match {
                rule: rule_index,
                target,
                lowered,
                index: index as u32,
            });
        }
    }
}

/// Runs one rule in the entity's scope; true when it matched. Failures are recorded.
fn run_rule(
    scope: &Context,
    rule: &Rule,
    field: &str,
    expression: &IdedExpr,
    entity: &Entity,
    out: &mut Evaluation,
) -> bool {
    let error = |message: String| EvalError {
        rule_id: rule.spec.id.clone(),
        entity_id: entity.id.to_string(),
        message,
        entity: (entity.target, entity.index),
    };
    match Value::resolve(expression, scope) {
        Ok(Value::Bool(matched)) => matched,
        Ok(other) => {
            out.errors.push(error(format!(
                "`{field}` must give true or false, gave {other:?}"
            )));
            false
        }
        Err(e) => {
            out.errors.push(error(format!("`{field}` failed: {e}")));
            false
        }
    }
}

/// The root variable holding rule `index`'s parameters (not a CEL identifier, so it
/// cannot clash with anything a rule writes).
fn params_variable(index: usize) -> String {
    format!("params#{index}")
}

/// A copy of `expression` that reads `params` from `name`; a comprehension variable
/// that happens to be called `params` is left alone.
fn with_params_variable(expression: &IdedExpr, name: &str) -> IdedExpr {
    let mut copy = expression.clone();
    rename(&mut copy, name, &mut Vec::new());
    copy
}

fn rename(e: &mut IdedExpr, name: &str, bound: &mut Vec<String>) {
    match &mut e.expr {
        Expr::Ident(ident) => {
            if ident == "params" && !bound.iter().any(|b| b == "params") {
                *ident = name.to_string();
            }
        }
        Expr::Select(select) => rename(&mut select.operand, name, bound),
        Expr::Call(call) => {
            if let Some(target) = &mut call.target {
                rename(target, name, bound);
            }
            for arg in &mut call.args {
                rename(arg, name, bound);
            }
        }
        Expr::List(list) => {
            for item in &mut list.elements {
                rename(item, name, bound);
            }
        }
        Expr::Map(map) => {
            for entry in &mut map.entries {
                if let EntryExpr::MapEntry(m) = &mut entry.expr {
                    rename(&mut m.key, name, bound);
                    rename(&mut m.value, name, bound);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &mut s.entries {
                if let EntryExpr::StructField(f) = &mut entry.expr {
                    rename(&mut f.value, name, bound);
                }
            }
        }
        Expr::Comprehension(c) => {
            rename(&mut c.iter_range, name, bound);
            rename(&mut c.accu_init, name, bound);
            let depth = bound.len();
            bound.push(c.iter_var.clone());
            if let Some(v) = &c.iter_var2 {
                bound.push(v.clone());
            }
            bound.push(c.accu_var.clone());
            rename(&mut c.loop_cond, name, bound);
            rename(&mut c.loop_step, name, bound);
            rename(&mut c.result, name, bound);
            bound.truncate(depth);
        }
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::check_examples;
    use super::super::RuleSet;

    #[test]
    fn params_are_found_and_a_comprehension_variable_named_params_shadows_them() {
        let rule = r#"
id: shadowing
title: t
severity: low
confidence: low
applies_to: identity
params: { limit: 2, names: ["a", "b"] }
when: >
  identity.owners.exists(params, params == "x") && size(identity.owners) < params.limit
  && params.names.exists(n, n == identity.name)
message: "{params.limit}"
description: d
remediation: r
examples:
  - identity: { name: a, owners: [x] }
negative_examples:
  - identity: { name: a, owners: [y] }
  - identity: { name: c, owners: [x] }
  - identity: { name: a, owners: [x, y] }
"#;
        let set = RuleSet::from_sources(&[("t.yaml".into(), rule.into())])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (failures, ran) = check_examples(&set, true);
        assert_eq!(ran, 4);
        assert!(failures.is_empty(), "{failures:?}");
    }
}
