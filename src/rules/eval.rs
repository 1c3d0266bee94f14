//! Evaluating rules over an enriched inventory: one CEL root context per worker and
//! chunk, one inner scope per entity holding only the fields its rules read (borrowed
//! from the inventory, not copied), and a nested scope per rule for its `params`.

use super::value::{credential_val, empty_map, identity_val, params_val, FieldMask};
use super::{Rule, RuleSet, Target};
use crate::enrich::Enriched;
use crate::inventory::Provider;
use cel::{Context, Env, Value};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::Arc;

/// A rule that failed to evaluate on an entity (a rule bug or unexpected data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalError {
    pub rule_id: String,
    pub entity_id: String,
    pub message: String,
}

/// One rule matching one entity: all a finding needs, in 12 bytes. Findings are
/// built from matches only when they are reported (see [`super::findings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index into the evaluated rules.
    pub rule: u32,
    pub target: Target,
    /// Index into the inventory's identities or credentials.
    pub index: u32,
}

/// What evaluating all rules produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub matches: Vec<Match>,
    pub errors: Vec<EvalError>,
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
    let env = Arc::new(Env::stdlib());
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

    let parts: Vec<Evaluation> = jobs
        .into_par_iter()
        .map(|(target, start)| {
            let root = Context::with_env(Arc::clone(&env));
            let mut out = Evaluation::default();
            let mut matching = Vec::with_capacity(rules.len());
            match target {
                Target::Identity => {
                    for i in start..(start + CHUNK).min(identities) {
                        identity_findings(
                            &root,
                            &identity_rules,
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
                            &credential_rules,
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
    };
    for part in parts {
        all.matches.extend(part.matches);
        all.errors.extend(part.errors);
    }
    all
}

fn applies(rule: &Rule, provider: Provider, kind: &str) -> bool {
    let filter = &rule.spec.filter;
    (filter.providers.is_empty() || filter.providers.contains(&provider))
        && (filter.kinds.is_empty() || filter.kinds.iter().any(|k| k == kind))
}

/// The rules that apply, and the fields of each variable they read.
fn select<'r>(
    rules: &[(u32, &'r Rule)],
    provider: Provider,
    kind: &str,
    matching: &mut Vec<(u32, &'r Rule)>,
) -> (FieldMask, FieldMask) {
    matching.clear();
    let (mut identity, mut credential) = (0, 0);
    for &(index, rule) in rules {
        if applies(rule, provider, kind) {
            identity |= rule.identity_fields;
            credential |= rule.credential_fields;
            matching.push((index, rule));
        }
    }
    (identity, credential)
}

fn identity_findings<'r>(
    root: &Context,
    rules: &[(u32, &'r Rule)],
    enriched: &Enriched,
    index: usize,
    matching: &mut Vec<(u32, &'r Rule)>,
    out: &mut Evaluation,
) {
    let (identity, facts) = enriched.identity(index);
    let (mask, _) = select(rules, identity.provider, identity.kind.as_str(), matching);
    if matching.is_empty() {
        return;
    }
    let mut scope = root.new_inner_scope();
    scope.add_variable_as_val("identity", identity_val(identity, facts, mask));
    for &(rule_index, rule) in matching.iter() {
        if run_rule(&scope, rule, &identity.id, out) {
            out.matches.push(Match {
                rule: rule_index,
                target: Target::Identity,
                index: index as u32,
            });
        }
    }
}

fn credential_findings<'r>(
    root: &Context,
    rules: &[(u32, &'r Rule)],
    enriched: &Enriched,
    index: usize,
    matching: &mut Vec<(u32, &'r Rule)>,
    out: &mut Evaluation,
) {
    let (credential, facts) = enriched.credential(index);
    let (identity_mask, credential_mask) = select(
        rules,
        credential.provider,
        credential.kind.as_str(),
        matching,
    );
    if matching.is_empty() {
        return;
    }
    let mut scope = root.new_inner_scope();
    scope.add_variable_as_val(
        "credential",
        credential_val(credential, facts, credential_mask),
    );
    match enriched.credential_owner[index].map(|i| enriched.identity(i)) {
        Some((identity, identity_facts)) if identity_mask != 0 => scope.add_variable_as_val(
            "identity",
            identity_val(identity, identity_facts, identity_mask),
        ),
        _ => scope.add_variable_as_val("identity", empty_map()),
    }
    for &(rule_index, rule) in matching.iter() {
        if run_rule(&scope, rule, &credential.id, out) {
            out.matches.push(Match {
                rule: rule_index,
                target: Target::Credential,
                index: index as u32,
            });
        }
    }
}

/// Runs one rule in the entity's scope; true when it matched. Failures are recorded.
fn run_rule(scope: &Context, rule: &Rule, entity_id: &str, out: &mut Evaluation) -> bool {
    let mut inner = scope.new_inner_scope();
    inner.add_variable_as_val("params", params_val(&rule.params));
    let error = |message: String| EvalError {
        rule_id: rule.spec.id.clone(),
        entity_id: entity_id.to_string(),
        message,
    };
    match rule.program.execute(&inner) {
        Ok(Value::Bool(matched)) => matched,
        Ok(other) => {
            out.errors.push(error(format!(
                "`when` must give true or false, gave {other:?}"
            )));
            false
        }
        Err(e) => {
            out.errors.push(error(format!("`when` failed: {e}")));
            false
        }
    }
}
