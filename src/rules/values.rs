//! A rule's `values`: named expressions evaluated once per finding (not per entity),
//! whose results its message, remediation and evidence show as `values.<name>`. They say
//! what the `when` expression only tested: which services went unused, and the policy
//! narrowed to the rest.

use super::value::{credential_val, empty_map, identity_val, params_val, Roots};
use super::Rule;
use cel::{Context, Env, Program};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// One computed value of a rule.
#[derive(Debug)]
pub struct Computed {
    pub name: String,
    pub program: Program,
}

/// The computed values of one finding, by name.
pub type Values = BTreeMap<String, serde_json::Value>;

/// One environment for every thread: it is immutable once built.
static ENVIRONMENT: LazyLock<Arc<Env>> =
    LazyLock::new(|| Arc::new(super::environment::environment()));

/// Evaluates the rule's values on the entity `roots` describes. A value that fails to
/// evaluate is left out, and its error returned (`rules check` fails on it).
pub fn evaluate(rule: &Rule, roots: &Roots) -> (Values, Vec<String>) {
    let mut values = Values::new();
    let mut errors = Vec::new();
    if rule.values.is_empty() {
        return (values, errors);
    }
    let mut context = Context::with_env(Arc::clone(&ENVIRONMENT));
    context.add_variable_as_val("params", params_val(roots.params));
    match &roots.identity {
        Some(view) => {
            context.add_variable_as_val("identity", identity_val(view, rule.values_identity_fields))
        }
        None => context.add_variable_as_val("identity", empty_map()),
    }
    if let Some((credential, facts)) = roots.credential {
        context.add_variable_as_val(
            "credential",
            credential_val(credential, facts, rule.values_credential_fields),
        );
    }
    for computed in &rule.values {
        let result = computed
            .program
            .execute(&context)
            .map_err(|e| e.to_string())
            .and_then(|v| v.json().map_err(|e| format!("{e:?}")));
        match result {
            Ok(value) => {
                values.insert(computed.name.clone(), value);
            }
            Err(e) => errors.push(format!("`values.{}` failed: {e}", computed.name)),
        }
    }
    (values, errors)
}
