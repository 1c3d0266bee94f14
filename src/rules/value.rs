//! What rule expressions see: an identity or credential merged with its derived facts,
//! as a CEL value, and the way back from CEL values to JSON for evidence.

use crate::enrich::{CredentialFacts, IdentityFacts};
use crate::inventory::{Credential, Identity};
use cel::objects::Key;
use cel::Value;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The top-level fields of `identity` in expressions (inventory fields and facts).
pub const IDENTITY_FIELDS: &[&str] = &[
    "provider",
    "scope",
    "id",
    "name",
    "kind",
    "description",
    "created",
    "last_activity",
    "activity_tracked",
    "enabled",
    "tags",
    "owners",
    "interactive_login",
    "permissions",
    "trust",
    "attributes",
    "age_days",
    "days_since_activity",
    "never_used",
    "owner",
    "owner_source",
    "owner_status",
    "owner_departed_days",
    "credential_count",
    "active_credential_count",
    "active_static_key_count",
    "active_access_key_count",
];

/// The top-level fields of `credential` in expressions (inventory fields and facts).
pub const CREDENTIAL_FIELDS: &[&str] = &[
    "provider",
    "scope",
    "id",
    "name",
    "kind",
    "identity_id",
    "created",
    "expires",
    "last_used",
    "usage_tracked",
    "last_rotated",
    "rotation_enabled",
    "rotation_interval_days",
    "status",
    "location",
    "tags",
    "attributes",
    "age_days",
    "days_since_used",
    "never_used",
    "days_to_expiry",
    "expired",
    "days_since_rotation",
    "static_key",
    "owner",
    "owner_source",
    "owner_status",
    "owner_departed_days",
];

#[derive(Serialize)]
struct View<'a, E: Serialize, F: Serialize> {
    #[serde(flatten)]
    entity: &'a E,
    #[serde(flatten)]
    facts: &'a F,
}

/// The `identity` variable for an identity and its facts.
pub fn identity_value(identity: &Identity, facts: &IdentityFacts) -> Result<Value, String> {
    let mut map = view_map(identity, facts)?;
    // Booleans left out of the file format at their default are always present here.
    map.insert(
        Key::from("activity_tracked"),
        Value::Bool(identity.activity_tracked),
    );
    map.insert(Key::from("enabled"), Value::Bool(identity.enabled));
    map.insert(
        Key::from("interactive_login"),
        Value::Bool(identity.interactive_login),
    );
    // Empty collections are left out of the file format; rules should not need has().
    for field in ["tags", "owners", "trust", "attributes"] {
        map.entry(Key::from(field))
            .or_insert_with(|| empty_for(field));
    }
    let permissions = map
        .entry(Key::from("permissions"))
        .or_insert_with(|| Value::Map(HashMap::<Key, Value>::new().into()));
    if let Value::Map(p) = permissions {
        let mut inner: HashMap<Key, Value> = (*p.map).clone();
        inner
            .entry(Key::from("admin"))
            .or_insert(Value::Bool(false));
        for list in ["wildcard_actions", "privileged_actions", "policies"] {
            inner
                .entry(Key::from(list))
                .or_insert_with(|| Value::List(Arc::new(Vec::new())));
        }
        *permissions = Value::Map(inner.into());
    }
    Ok(Value::Map(map.into()))
}

/// The `credential` variable for a credential and its facts.
pub fn credential_value(credential: &Credential, facts: &CredentialFacts) -> Result<Value, String> {
    let mut map = view_map(credential, facts)?;
    map.insert(
        Key::from("usage_tracked"),
        Value::Bool(credential.usage_tracked),
    );
    for field in ["tags", "attributes", "location"] {
        map.entry(Key::from(field))
            .or_insert_with(|| empty_for(field));
    }
    Ok(Value::Map(map.into()))
}

/// The value bound to `identity` for a credential that belongs to no identity.
pub fn no_identity() -> Value {
    Value::Map(HashMap::<Key, Value>::new().into())
}

fn empty_for(field: &str) -> Value {
    match field {
        "owners" | "trust" => Value::List(Arc::new(Vec::new())),
        _ => Value::Map(HashMap::<Key, Value>::new().into()),
    }
}

fn view_map<E: Serialize, F: Serialize>(
    entity: &E,
    facts: &F,
) -> Result<HashMap<Key, Value>, String> {
    match cel::to_value(View { entity, facts }).map_err(|e| e.to_string())? {
        Value::Map(map) => Ok(Arc::try_unwrap(map.map).unwrap_or_else(|shared| (*shared).clone())),
        other => Err(format!("entity did not serialize to a map: {other:?}")),
    }
}

/// Looks up a dotted path (`credential.age_days`) in a set of named values.
pub fn lookup<'a>(roots: &'a [(&str, &'a Value)], path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut current = roots
        .iter()
        .find(|(name, _)| *name == first)
        .map(|(_, v)| *v)?;
    for part in parts {
        match current {
            Value::Map(map) => current = map.map.get(&Key::from(part))?,
            _ => return None,
        }
    }
    Some(current)
}

/// Converts a CEL value to JSON (for evidence and messages).
pub fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::List(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => {
            let mut entries: Vec<(String, J)> = map
                .map
                .iter()
                .map(|(k, v)| (key_text(k), to_json(v)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(entries.into_iter().collect())
        }
        Value::Int(i) => J::from(*i),
        Value::UInt(u) => J::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::String(s) => J::String(s.to_string()),
        Value::Bool(b) => J::Bool(*b),
        Value::Timestamp(t) => J::String(t.to_rfc3339()),
        Value::Duration(d) => J::String(d.to_string()),
        Value::Null => J::Null,
        other => J::String(format!("{other:?}")),
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::String(s) => s.to_string(),
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
    }
}

/// Converts a JSON value (rule parameters) to a CEL value. Whole numbers become CEL
/// `int` whatever their sign, so they compare with the `int` facts of the inventory.
pub fn from_json(value: &serde_json::Value) -> Result<Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(f)) if !n.is_u64() => Value::Float(f),
            _ => return Err(format!("number {n} is too large")),
        },
        J::String(s) => Value::String(Arc::new(s.clone())),
        J::Array(items) => Value::List(Arc::new(
            items.iter().map(from_json).collect::<Result<Vec<_>, _>>()?,
        )),
        J::Object(map) => {
            let mut out = HashMap::with_capacity(map.len());
            for (k, v) in map {
                out.insert(Key::from(k.as_str()), from_json(v)?);
            }
            Value::Map(out.into())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::owner::ResolvedOwner;

    fn full_identity() -> Identity {
        serde_json::from_value(serde_json::json!({
            "provider": "aws", "scope": {"kind": "account", "id": "1", "name": "prod"},
            "id": "arn", "name": "n", "kind": "role", "description": "d",
            "created": "2025-01-01T00:00:00Z", "last_activity": "2025-02-01T00:00:00Z",
            "activity_tracked": false, "enabled": false, "tags": {"a": "b"}, "owners": ["o"],
            "interactive_login": true,
            "permissions": {"admin": true, "wildcard_actions": ["*"], "privileged_actions": ["x"], "policies": ["p"]},
            "trust": [{"principal": "*", "principal_type": "any"}],
            "attributes": {"k": 1}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn keys(value: &Value) -> Vec<String> {
        let Value::Map(map) = value else {
            return Vec::new();
        };
        let mut keys: Vec<String> = map.map.keys().map(key_text).collect();
        keys.sort();
        keys
    }

    #[test]
    fn identity_fields_list_matches_the_view() {
        let facts = IdentityFacts {
            age_days: Some(1),
            days_since_activity: Some(1),
            owner: ResolvedOwner {
                owner: Some("o".into()),
                owner_source: Some("declared".into()),
                owner_departed_days: Some(3),
                ..Default::default()
            },
            ..Default::default()
        };
        let value = identity_value(&full_identity(), &facts).unwrap_or_else(|e| panic!("{e}"));
        let mut expected: Vec<String> = IDENTITY_FIELDS.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(keys(&value), expected);
    }

    #[test]
    fn defaults_are_present_for_rules() {
        let mut identity = full_identity();
        identity.tags.clear();
        identity.permissions = Default::default();
        let value =
            identity_value(&identity, &IdentityFacts::default()).unwrap_or_else(|e| panic!("{e}"));
        let root = [("identity", &value)];
        assert_eq!(
            lookup(&root, "identity.permissions.admin"),
            Some(&Value::Bool(false))
        );
        assert!(matches!(
            lookup(&root, "identity.tags"),
            Some(Value::Map(_))
        ));
        assert_eq!(lookup(&root, "identity.age_days"), None);
    }
}
