//! Evaluating rules over an enriched inventory: one CEL root context per worker and
//! chunk, one inner scope per entity holding only the fields its rules read (borrowed
//! from the inventory, not copied), and a nested scope per rule for its `params`.

use super::value::{credential_val, empty_map, identity_val, params_val, FieldMask, Roots};
use super::{template, Rule, RuleSet, Target};
use crate::enrich::owner::ResolvedOwner;
use crate::enrich::Enriched;
use crate::finding::{finding_id, EntityRef, Finding};
use crate::inventory::Provider;
use cel::{Context, Env, Value};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A rule that failed to evaluate on an entity (a rule bug or unexpected data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalError {
    pub rule_id: String,
    pub entity_id: String,
    pub message: String,
}

/// What evaluating all rules produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub errors: Vec<EvalError>,
}

/// How many entities one worker takes at a time.
const CHUNK: usize = 4096;

/// Evaluates every enabled rule on every entity it applies to.
pub fn evaluate(rules: &RuleSet, enriched: &Enriched) -> Evaluation {
    let all: Vec<&Rule> = rules.rules.iter().collect();
    evaluate_rules(&all, enriched)
}

/// Evaluates the given rules (those enabled) on every entity they apply to.
pub fn evaluate_rules(rules: &[&Rule], enriched: &Enriched) -> Evaluation {
    let env = Arc::new(Env::stdlib());
    let for_target = |target: Target| -> Vec<&Rule> {
        rules
            .iter()
            .copied()
            .filter(|r| r.enabled && r.spec.applies_to == target)
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

    let mut all = Evaluation::default();
    for part in parts {
        all.findings.extend(part.findings);
        all.errors.extend(part.errors);
    }
    crate::finding::sort(&mut all.findings);
    all
}

fn applies(rule: &Rule, provider: Provider, kind: &str) -> bool {
    let filter = &rule.spec.filter;
    (filter.providers.is_empty() || filter.providers.contains(&provider))
        && (filter.kinds.is_empty() || filter.kinds.iter().any(|k| k == kind))
}

/// The rules that apply, and the fields of each variable they read.
fn select<'r>(
    rules: &[&'r Rule],
    provider: Provider,
    kind: &str,
    matching: &mut Vec<&'r Rule>,
) -> (FieldMask, FieldMask) {
    matching.clear();
    let (mut identity, mut credential) = (0, 0);
    for rule in rules {
        if applies(rule, provider, kind) {
            identity |= rule.identity_fields;
            credential |= rule.credential_fields;
            matching.push(rule);
        }
    }
    (identity, credential)
}

fn identity_findings<'r>(
    root: &Context,
    rules: &[&'r Rule],
    enriched: &Enriched,
    index: usize,
    matching: &mut Vec<&'r Rule>,
    out: &mut Evaluation,
) {
    let (identity, facts) = enriched.identity(index);
    let kind = identity.kind.as_str();
    let (mask, _) = select(rules, identity.provider, kind, matching);
    if matching.is_empty() {
        return;
    }
    let mut scope = root.new_inner_scope();
    scope.add_variable_as_val("identity", identity_val(identity, facts, mask));
    for rule in matching.iter() {
        if run_rule(&scope, rule, &identity.id, out) {
            let roots = Roots {
                identity: Some((identity, facts)),
                credential: None,
                params: &rule.params,
            };
            let entity = EntityRef {
                target: Target::Identity,
                provider: identity.provider,
                scope: identity.scope.clone(),
                kind: kind.to_string(),
                id: identity.id.clone(),
                name: Some(identity.name.clone()),
                identity_id: None,
            };
            out.findings
                .push(build_finding(rule, &roots, entity, &facts.owner));
        }
    }
}

fn credential_findings<'r>(
    root: &Context,
    rules: &[&'r Rule],
    enriched: &Enriched,
    index: usize,
    matching: &mut Vec<&'r Rule>,
    out: &mut Evaluation,
) {
    let (credential, facts) = enriched.credential(index);
    let kind = credential.kind.as_str();
    let (identity_mask, credential_mask) = select(rules, credential.provider, kind, matching);
    if matching.is_empty() {
        return;
    }
    let owner = enriched.credential_owner[index].map(|i| enriched.identity(i));
    let mut scope = root.new_inner_scope();
    scope.add_variable_as_val(
        "credential",
        credential_val(credential, facts, credential_mask),
    );
    match owner {
        Some((identity, identity_facts)) if identity_mask != 0 => scope.add_variable_as_val(
            "identity",
            identity_val(identity, identity_facts, identity_mask),
        ),
        _ => scope.add_variable_as_val("identity", empty_map()),
    }
    for rule in matching.iter() {
        if run_rule(&scope, rule, &credential.id, out) {
            let roots = Roots {
                identity: owner,
                credential: Some((credential, facts)),
                params: &rule.params,
            };
            let entity = EntityRef {
                target: Target::Credential,
                provider: credential.provider,
                scope: credential.scope.clone(),
                kind: kind.to_string(),
                id: credential.id.clone(),
                name: credential.name.clone(),
                identity_id: credential.identity_id.clone(),
            };
            out.findings
                .push(build_finding(rule, &roots, entity, &facts.owner));
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

fn build_finding(rule: &Rule, roots: &Roots, entity: EntityRef, owner: &ResolvedOwner) -> Finding {
    let evidence: BTreeMap<String, serde_json::Value> = rule
        .spec
        .evidence
        .iter()
        .filter_map(|path| roots.lookup(path).map(|v| (path.clone(), v)))
        .collect();
    Finding {
        id: finding_id(&rule.spec.id, entity.provider, &entity.id),
        rule_id: rule.spec.id.clone(),
        title: rule.shared.title.clone(),
        severity: rule.severity,
        confidence: rule.spec.confidence,
        owner: owner.owner.clone(),
        owner_status: owner.status,
        message: template::render(&rule.spec.message, |p| roots.lookup(p)),
        evidence,
        remediation: match &rule.shared.remediation {
            Some(text) => text.clone(),
            None => template::render(&rule.spec.remediation, |p| roots.lookup(p)).into(),
        },
        references: rule.shared.references.clone(),
        entity,
    }
}
