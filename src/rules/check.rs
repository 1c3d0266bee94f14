//! `rules check`: every example of a rule must produce a finding and no negative
//! example may. Static problems (ids, fields, expressions) are caught while loading.

use super::findings::Findings;
use super::{Rule, RuleSet, Target};
use crate::enrich::enrich;
use crate::enrich::owner::{OwnerResolver, Roster, RosterEntry};
use crate::import::leaks::LeakLocation;
use crate::inventory::time::parse as parse_time;
use crate::inventory::{Credential, Identity, Inventory};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The as-of time of an example that gives none.
pub const DEFAULT_EXAMPLE_NOW: &str = "2026-01-01T00:00:00Z";

/// One failed expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailure {
    pub rule_id: String,
    pub origin: String,
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: rule `{}`: {}",
            self.origin, self.rule_id, self.message
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    identity: Option<Value>,
    /// Other identities of the example's inventory (e.g. the roles a delegation
    /// chain goes through).
    #[serde(default)]
    identities: Vec<Value>,
    #[serde(default)]
    credentials: Vec<Value>,
    #[serde(default)]
    credential: Option<Value>,
    #[serde(default)]
    roster: Option<Vec<RosterEntry>>,
}

/// Runs every rule's examples; returns the failures and how many examples ran.
pub fn check_examples(rules: &RuleSet, require_examples: bool) -> (Vec<CheckFailure>, usize) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for rule in &rules.rules {
        let fail = |message: String| CheckFailure {
            rule_id: rule.spec.id.clone(),
            origin: rule.origin.clone(),
            message,
        };
        if require_examples
            && (rule.spec.examples.is_empty() || rule.spec.negative_examples.is_empty())
        {
            failures.push(fail(
                "needs at least one example and one negative example".into(),
            ));
        }
        let cases = rule
            .spec
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.spec.negative_examples.iter().map(|e| (e, false)));
        for (n, (example, should_fire)) in cases.enumerate() {
            ran += 1;
            let label = format!(
                "{} {}",
                if should_fire {
                    "example"
                } else {
                    "negative example"
                },
                example_name(example, n)
            );
            match run_example(rule, example) {
                Ok(fired) if fired == should_fire => {}
                Ok(fired) => failures.push(fail(format!(
                    "{label}: expected {} finding, got {}",
                    if should_fire { "a" } else { "no" },
                    if fired { "one" } else { "none" }
                ))),
                Err(e) => failures.push(fail(format!("{label}: {e}"))),
            }
        }
    }
    (failures, ran)
}

fn example_name(example: &Value, index: usize) -> String {
    example
        .get("name")
        .and_then(Value::as_str)
        .map(|n| format!("`{n}`"))
        .unwrap_or_else(|| format!("#{}", index + 1))
}

/// Builds the example's inventory, enriches it and evaluates this rule alone; true when
/// the entity under test got a finding.
pub fn run_example(rule: &Rule, example: &Value) -> Result<bool, String> {
    let example: Example = serde_json::from_value(example.clone()).map_err(|e| e.to_string())?;
    let _ = &example.name;
    let now_text = example.now.as_deref().unwrap_or(DEFAULT_EXAMPLE_NOW);
    let now: DateTime<Utc> =
        parse_time(now_text).ok_or_else(|| format!("`now` {now_text:?} is not a time"))?;

    let target = rule.spec.applies_to;
    let mut inventory = Inventory::new();
    let identity = match (&example.identity, target) {
        (Some(given), _) => Some(given.clone()),
        (None, Target::Identity) => Some(json!({})),
        (None, Target::Credential) => None,
    };
    let identity_id = match identity {
        Some(given) => {
            let identity: Identity = with_defaults(given, identity_defaults())
                .and_then(|v| serde_json::from_value(v).map_err(|e| format!("identity: {e}")))?;
            let id = identity.id.clone();
            inventory.identities.push(identity);
            Some(id)
        }
        None => None,
    };
    for (n, given) in example.identities.iter().enumerate() {
        let defaults = other_identity_defaults(given, n + 1);
        let other: Identity = with_defaults(given.clone(), defaults)
            .and_then(|v| serde_json::from_value(v).map_err(|e| format!("identities[{n}]: {e}")))?;
        inventory.identities.push(other);
    }
    let credential_defaults = |n: usize| {
        let mut d = json!({
            "provider": "aws",
            "scope": {"kind": "account", "id": "111111111111"},
            "id": format!("example-credential-{n}"),
            "kind": "access_key",
        });
        if let (Some(id), Some(map)) = (&identity_id, d.as_object_mut()) {
            map.insert("identity_id".into(), Value::String(id.clone()));
        }
        d
    };
    let mut entries = example.credentials.clone();
    if let Some(c) = &example.credential {
        entries.push(c.clone());
    } else if target == Target::Credential {
        return Err("a credential rule's example needs `credential`".into());
    }
    // A credential's `leaks` stand for a leak report (`--leaks`) that names it.
    let mut leaks = Vec::new();
    for (n, mut given) in entries.into_iter().enumerate() {
        if let Some(found) = given.as_object_mut().and_then(|m| m.remove("leaks")) {
            let found: Vec<LeakLocation> =
                serde_json::from_value(found).map_err(|e| format!("credential leaks: {e}"))?;
            leaks.push((n, found));
        }
        let credential: Credential = with_defaults(given, credential_defaults(n + 1))
            .and_then(|v| serde_json::from_value(v).map_err(|e| format!("credential: {e}")))?;
        inventory.credentials.push(credential);
    }
    let target_index = match target {
        Target::Identity => 0,
        Target::Credential => inventory.credentials.len().saturating_sub(1),
    };

    let resolver = OwnerResolver {
        roster: example.roster.map(Roster::new),
        ..Default::default()
    };
    let mut enriched = enrich(inventory, now, &resolver);
    for (index, found) in leaks {
        enriched.leaks.insert(index, found);
    }
    let evaluation = super::eval::evaluate_rules(&[rule], &enriched);
    if let Some(error) = evaluation.errors.first() {
        return Err(error.message.clone());
    }
    let findings = Findings::new(vec![rule], &enriched, evaluation.matches);
    // Build every finding too, so that broken messages or evidence show up here.
    let _ = findings.iter().count();
    if let Some(error) = findings.value_errors().into_iter().next() {
        return Err(error);
    }
    Ok(findings.contains(target, target_index))
}

fn identity_defaults() -> Value {
    json!({
        "provider": "aws",
        "scope": {"kind": "account", "id": "111111111111"},
        "id": "example",
        "name": "example",
        "kind": "service_user",
    })
}

/// Defaults of the example's other identities: as the identity under test's, with the
/// id taken from the name (or `example-<n>`) and the name from the id.
fn other_identity_defaults(given: &Value, n: usize) -> Value {
    let text = |key: &str| given.get(key).and_then(Value::as_str).map(str::to_string);
    let id = text("id")
        .or_else(|| text("name"))
        .unwrap_or_else(|| format!("example-{n}"));
    let name = text("name").unwrap_or_else(|| id.clone());
    let mut defaults = identity_defaults();
    defaults["id"] = Value::String(id);
    defaults["name"] = Value::String(name);
    defaults
}

/// Fills the top-level keys the example left out (`null` keeps a key absent).
fn with_defaults(given: Value, defaults: Value) -> Result<Value, String> {
    let Value::Object(given) = given else {
        return Err("an example entity must be a mapping".into());
    };
    let mut merged: Map<String, Value> = match defaults {
        Value::Object(d) => d,
        _ => Map::new(),
    };
    for (key, value) in given {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    Ok(Value::Object(merged))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
id: old-key
title: Old key
severity: high
confidence: high
applies_to: credential
params: { max_age_days: 90 }
when: has(credential.age_days) && credential.age_days > params.max_age_days
message: "{credential.id}"
description: d
remediation: r
examples:
  - credential: { created: "2025-01-01T00:00:00Z" }
negative_examples:
  - credential: { created: "2025-12-01T00:00:00Z" }
  - name: wrongly expected quiet
    credential: { created: "2020-12-01T00:00:00Z" }
"#;

    const CHAIN: &str = r#"
id: chain
title: Chain
severity: high
confidence: high
applies_to: identity
when: identity.reaches_admin
message: "{identity.admin_paths}"
evidence: [identity.admin_paths]
description: d
remediation: r
examples:
  - identity: { name: ci }
    identities:
      - { name: deploy, kind: role, trust: [{ principal: example, principal_type: identity }] }
      - { name: admin, kind: role, permissions: { admin: true },
          trust: [{ principal: deploy, principal_type: identity }] }
negative_examples:
  - identity: { name: ci }
    identities:
      - { name: admin, kind: role, permissions: { admin: true },
          trust: [{ principal: ec2.amazonaws.com, principal_type: service }] }
"#;

    #[test]
    fn examples_can_hold_other_identities() {
        let set = RuleSet::from_sources(&[("t.yaml".into(), CHAIN.into())])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (failures, ran) = check_examples(&set, true);
        assert_eq!(ran, 2);
        assert!(failures.is_empty(), "{failures:?}");
    }

    #[test]
    fn a_value_that_fails_on_an_example_fails_the_check() {
        let rule = RULE
            .replace(
                "message: \"{credential.id}\"",
                "values: { team: credential.tags.team }\nmessage: \"{values.team}\"",
            )
            .replace("  - name: wrongly expected quiet\n    credential: { created: \"2020-12-01T00:00:00Z\" }\n", "");
        let set = RuleSet::from_sources(&[("t.yaml".into(), rule.clone())])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (failures, _) = check_examples(&set, true);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].message.contains("`values.team` failed"),
            "{failures:?}"
        );
        // With the tag there, it passes.
        let tagged = rule.replace(
            "  - credential: { created: \"2025-01-01T00:00:00Z\" }",
            "  - credential: { created: \"2025-01-01T00:00:00Z\", tags: { team: a } }",
        );
        let set =
            RuleSet::from_sources(&[("t.yaml".into(), tagged)]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(check_examples(&set, true).0, Vec::new());
    }

    #[test]
    fn examples_are_run_and_mismatches_reported() {
        let set = RuleSet::from_sources(&[("t.yaml".into(), RULE.into())])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (failures, ran) = check_examples(&set, true);
        assert_eq!(ran, 3);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0]
            .message
            .contains("`wrongly expected quiet`: expected no finding"));
    }
}
