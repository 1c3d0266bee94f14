//! Evaluating rules over an enriched inventory: one CEL root context per worker, one
//! inner scope per entity, and a nested scope per rule for its `params`.

use super::value::{credential_value, identity_value, no_identity, to_json};
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
const CHUNK: usize = 2048;

/// Per-rule facts computed once per run.
struct Prepared<'r> {
    rule: &'r Rule,
    /// The expression, message or evidence uses `identity` (for credential rules).
    uses_identity: bool,
}

/// Evaluates every enabled rule on every entity it applies to.
pub fn evaluate(rules: &RuleSet, enriched: &Enriched) -> Evaluation {
    let all: Vec<&Rule> = rules.rules.iter().collect();
    evaluate_rules(&all, enriched)
}

/// Evaluates the given rules (those enabled) on every entity they apply to.
pub fn evaluate_rules(rules: &[&Rule], enriched: &Enriched) -> Evaluation {
    let env = Arc::new(Env::stdlib());
    let prepare = |target: Target| -> Vec<Prepared> {
        rules
            .iter()
            .copied()
            .filter(|r| r.enabled && r.spec.applies_to == target)
            .map(|rule| Prepared {
                rule,
                uses_identity: rule.program.references().has_variable("identity")
                    || rule.spec.message.contains("{identity.")
                    || rule
                        .spec
                        .evidence
                        .iter()
                        .any(|p| p.starts_with("identity.")),
            })
            .collect()
    };
    let identity_rules = prepare(Target::Identity);
    let credential_rules = prepare(Target::Credential);

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
            match target {
                Target::Identity => {
                    for i in start..(start + CHUNK).min(identities) {
                        identity_findings(&root, &identity_rules, enriched, i, &mut out);
                    }
                }
                Target::Credential => {
                    for i in start..(start + CHUNK).min(credentials) {
                        credential_findings(&root, &credential_rules, enriched, i, &mut out);
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

fn identity_findings(
    root: &Context,
    rules: &[Prepared],
    enriched: &Enriched,
    index: usize,
    out: &mut Evaluation,
) {
    let (identity, facts) = enriched.identity(index);
    let kind = identity.kind.as_str();
    let matching: Vec<&Prepared> = rules
        .iter()
        .filter(|p| applies(p.rule, identity.provider, kind))
        .collect();
    if matching.is_empty() {
        return;
    }
    let value = match identity_value(identity, facts) {
        Ok(v) => v,
        Err(message) => {
            out.errors.push(EvalError {
                rule_id: "*".into(),
                entity_id: identity.id.clone(),
                message,
            });
            return;
        }
    };
    let mut scope = root.new_inner_scope();
    scope.add_variable_from_value("identity", value.clone());
    let entity = EntityRef {
        target: Target::Identity,
        provider: identity.provider,
        scope: identity.scope.clone(),
        kind: kind.to_string(),
        id: identity.id.clone(),
        name: Some(identity.name.clone()),
        identity_id: None,
    };
    for prepared in matching {
        let roots = [
            ("identity", &value),
            ("params", &prepared.rule.params_value),
        ];
        run_rule(&scope, prepared.rule, &roots, &entity, &facts.owner, out);
    }
}

fn credential_findings(
    root: &Context,
    rules: &[Prepared],
    enriched: &Enriched,
    index: usize,
    out: &mut Evaluation,
) {
    let (credential, facts) = enriched.credential(index);
    let kind = credential.kind.as_str();
    let matching: Vec<&Prepared> = rules
        .iter()
        .filter(|p| applies(p.rule, credential.provider, kind))
        .collect();
    if matching.is_empty() {
        return;
    }
    let fail = |out: &mut Evaluation, message: String| {
        out.errors.push(EvalError {
            rule_id: "*".into(),
            entity_id: credential.id.clone(),
            message,
        })
    };
    let value = match credential_value(credential, facts) {
        Ok(v) => v,
        Err(message) => return fail(out, message),
    };
    let owner_value = if matching.iter().any(|p| p.uses_identity) {
        match enriched.credential_owner[index] {
            Some(i) => {
                let (identity, identity_facts) = enriched.identity(i);
                match identity_value(identity, identity_facts) {
                    Ok(v) => v,
                    Err(message) => return fail(out, message),
                }
            }
            None => no_identity(),
        }
    } else {
        no_identity()
    };
    let mut scope = root.new_inner_scope();
    scope.add_variable_from_value("credential", value.clone());
    scope.add_variable_from_value("identity", owner_value.clone());
    let entity = EntityRef {
        target: Target::Credential,
        provider: credential.provider,
        scope: credential.scope.clone(),
        kind: kind.to_string(),
        id: credential.id.clone(),
        name: credential.name.clone(),
        identity_id: credential.identity_id.clone(),
    };
    for prepared in matching {
        let roots = [
            ("credential", &value),
            ("identity", &owner_value),
            ("params", &prepared.rule.params_value),
        ];
        run_rule(&scope, prepared.rule, &roots, &entity, &facts.owner, out);
    }
}

fn run_rule(
    scope: &Context,
    rule: &Rule,
    roots: &[(&str, &Value)],
    entity: &EntityRef,
    owner: &ResolvedOwner,
    out: &mut Evaluation,
) {
    let mut inner = scope.new_inner_scope();
    inner.add_variable_from_value("params", rule.params_value.clone());
    match rule.program.execute(&inner) {
        Ok(Value::Bool(true)) => out.findings.push(build_finding(rule, roots, entity, owner)),
        Ok(Value::Bool(false)) => {}
        Ok(other) => out.errors.push(EvalError {
            rule_id: rule.spec.id.clone(),
            entity_id: entity.id.clone(),
            message: format!("`when` must give true or false, gave {other:?}"),
        }),
        Err(e) => out.errors.push(EvalError {
            rule_id: rule.spec.id.clone(),
            entity_id: entity.id.clone(),
            message: format!("`when` failed: {e}"),
        }),
    }
}

fn build_finding(
    rule: &Rule,
    roots: &[(&str, &Value)],
    entity: &EntityRef,
    owner: &ResolvedOwner,
) -> Finding {
    let evidence: BTreeMap<String, serde_json::Value> = rule
        .spec
        .evidence
        .iter()
        .filter_map(|path| super::value::lookup(roots, path).map(|v| (path.clone(), to_json(v))))
        .collect();
    Finding {
        id: finding_id(&rule.spec.id, entity.provider, &entity.id),
        rule_id: rule.spec.id.clone(),
        title: rule.spec.title.clone(),
        severity: rule.severity,
        confidence: rule.spec.confidence,
        entity: entity.clone(),
        owner: owner.owner.clone(),
        owner_status: owner.status,
        message: template::render(&rule.spec.message, roots),
        evidence,
        remediation: template::render(&rule.spec.remediation, roots),
        references: rule.spec.references.clone(),
    }
}
