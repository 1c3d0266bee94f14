//! What rule expressions see: an identity or credential merged with its derived facts.
//!
//! Each top-level field is a [`Fact`] that borrows from the inventory. For evaluation,
//! only the fields the applicable rules use are turned into native CEL values (strings
//! are borrowed, not copied); for messages and evidence, facts become JSON.

use crate::enrich::{CredentialFacts, IdentityView};
use crate::inventory::Credential;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString,
};
use cel::common::value::Val;
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::{BTreeMap, HashMap};

/// The top-level fields of `identity` in expressions (inventory fields and facts).
/// Their positions are the bits of a field mask.
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
    "identity_type",
    "identity_type_signals",
    "provider_managed",
    "password_days_since_used",
    "password_age_days",
    "owner",
    "owner_source",
    "owner_status",
    "owner_departed_days",
    "credential_count",
    "active_credential_count",
    "active_static_key_count",
    "active_access_key_count",
    "ai_agent",
    "ai_signals",
    "environments",
    "reaches_admin",
    "admin_paths",
    "reachable_count",
    "delegates_to",
    "cross_boundary_paths",
    "trusted_accounts",
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
    "lifetime_days",
    "expired",
    "days_since_rotation",
    "static_key",
    "owner",
    "owner_source",
    "owner_status",
    "owner_departed_days",
];

/// A set of top-level fields, as bits in the order of the field lists.
pub type FieldMask = u64;

/// Every field.
pub const ALL_FIELDS: FieldMask = u64::MAX;

/// The mask bit of `field` in `fields`, if it is one.
pub fn field_bit(fields: &[&str], field: &str) -> Option<FieldMask> {
    fields.iter().position(|f| *f == field).map(|i| 1 << i)
}

/// One value an expression can see, borrowed from the inventory where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact<'a> {
    Str(&'a str),
    Owned(String),
    Int(i64),
    Bool(bool),
    List(Vec<Fact<'a>>),
    Map(Vec<(&'a str, Fact<'a>)>),
    Json(&'a serde_json::Value),
}

impl<'a> Fact<'a> {
    /// The native CEL value.
    pub fn into_val(self) -> Box<dyn Val + 'a> {
        match self {
            Fact::Str(s) => Box::new(CelString::from(s)),
            Fact::Owned(s) => Box::new(CelString::from(s)),
            Fact::Int(i) => Box::new(CelInt::from(i)),
            Fact::Bool(b) => Box::new(CelBool::from(b)),
            Fact::List(items) => Box::new(CelList::from(
                items.into_iter().map(Fact::into_val).collect::<Vec<_>>(),
            )),
            Fact::Map(entries) => Box::new(CelMap::from(
                entries
                    .into_iter()
                    .map(|(k, v)| (CelMapKey::from(k), v.into_val()))
                    .collect::<HashMap<_, _>>(),
            )),
            Fact::Json(value) => json_val(value),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Fact::Str(s) => J::String(s.to_string()),
            Fact::Owned(s) => J::String(s.clone()),
            Fact::Int(i) => J::from(*i),
            Fact::Bool(b) => J::Bool(*b),
            Fact::List(items) => J::Array(items.iter().map(Fact::to_json).collect()),
            Fact::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Fact::Json(value) => (*value).clone(),
        }
    }
}

/// A JSON value (attributes, rule parameters) as a native CEL value, borrowing strings.
/// Whole numbers become CEL `int`, so they compare with the `int` facts.
pub fn json_val(value: &serde_json::Value) -> Box<dyn Val + '_> {
    use serde_json::Value as J;
    match value {
        J::Null => Box::new(CelNull),
        J::Bool(b) => Box::new(CelBool::from(*b)),
        J::Number(n) => match n.as_i64() {
            Some(i) => Box::new(CelInt::from(i)),
            None => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        J::String(s) => Box::new(CelString::from(s.as_str())),
        J::Array(items) => Box::new(CelList::from(
            items.iter().map(json_val).collect::<Vec<_>>(),
        )),
        J::Object(map) => Box::new(CelMap::from(
            map.iter()
                .map(|(k, v)| (CelMapKey::from(k.as_str()), json_val(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

/// Rule parameters as the CEL map bound to `params`.
pub fn params_val(params: &BTreeMap<String, serde_json::Value>) -> Box<dyn Val + '_> {
    Box::new(CelMap::from(
        params
            .iter()
            .map(|(k, v)| (CelMapKey::from(k.as_str()), json_val(v)))
            .collect::<HashMap<_, _>>(),
    ))
}

fn time(t: &Option<DateTime<Utc>>) -> Option<Fact<'static>> {
    t.map(|t| Fact::Owned(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
}

fn text(s: &Option<String>) -> Option<Fact<'_>> {
    s.as_deref().map(Fact::Str)
}

fn strings(items: &[String]) -> Fact<'_> {
    Fact::List(items.iter().map(|s| Fact::Str(s)).collect())
}

fn string_map(map: &BTreeMap<String, String>) -> Fact<'_> {
    Fact::Map(
        map.iter()
            .map(|(k, v)| (k.as_str(), Fact::Str(v)))
            .collect(),
    )
}

fn json_map(map: &BTreeMap<String, serde_json::Value>) -> Fact<'_> {
    Fact::Map(
        map.iter()
            .map(|(k, v)| (k.as_str(), Fact::Json(v)))
            .collect(),
    )
}

fn scope(scope: &crate::inventory::Scope) -> Fact<'_> {
    let mut entries = vec![
        ("kind", Fact::Str(scope.kind.as_str())),
        ("id", Fact::Str(&scope.id)),
    ];
    if let Some(name) = &scope.name {
        entries.push(("name", Fact::Str(name)));
    }
    Fact::Map(entries)
}

fn owner_fact<'a>(owner: &'a crate::enrich::owner::ResolvedOwner, field: &str) -> Option<Fact<'a>> {
    match field {
        "owner" => owner.owner.as_deref().map(Fact::Str),
        "owner_source" => owner.owner_source.as_deref().map(Fact::Str),
        "owner_status" => Some(Fact::Str(owner.status.as_str())),
        "owner_departed_days" => owner.owner_departed_days.map(Fact::Int),
        _ => None,
    }
}

/// One top-level field of `identity`; `None` when unknown (absent for `has()`).
pub fn identity_fact<'a>(view: &IdentityView<'a>, field: &str) -> Option<Fact<'a>> {
    let (i, f, d) = (view.identity, view.facts, view.delegation);
    let owned = |items: Vec<String>| Fact::List(items.into_iter().map(Fact::Owned).collect());
    Some(match field {
        "provider" => Fact::Str(i.provider.as_str()),
        "scope" => scope(&i.scope),
        "id" => Fact::Str(&i.id),
        "name" => Fact::Str(&i.name),
        "kind" => Fact::Str(i.kind.as_str()),
        "description" => return text(&i.description),
        "created" => return time(&i.created),
        "last_activity" => return time(&i.last_activity),
        "activity_tracked" => Fact::Bool(i.activity_tracked),
        "enabled" => Fact::Bool(i.enabled),
        "tags" => string_map(&i.tags),
        "owners" => strings(&i.owners),
        "interactive_login" => Fact::Bool(i.interactive_login),
        "permissions" => Fact::Map(vec![
            ("admin", Fact::Bool(i.permissions.admin)),
            ("wildcard_actions", strings(&i.permissions.wildcard_actions)),
            (
                "privileged_actions",
                strings(&i.permissions.privileged_actions),
            ),
            ("policies", strings(&i.permissions.policies)),
        ]),
        "trust" => Fact::List(
            i.trust
                .iter()
                .map(|t| {
                    Fact::Map(vec![
                        ("principal", Fact::Str(&t.principal)),
                        ("principal_type", Fact::Str(t.principal_type.as_str())),
                        ("conditions", strings(&t.conditions)),
                    ])
                })
                .collect(),
        ),
        "attributes" => json_map(&i.attributes),
        "age_days" => return f.age_days.map(Fact::Int),
        "days_since_activity" => return f.days_since_activity.map(Fact::Int),
        "never_used" => Fact::Bool(f.never_used),
        "identity_type" => Fact::Str(f.identity_type.as_str()),
        "identity_type_signals" => strings(&f.identity_type_signals),
        "provider_managed" => Fact::Bool(f.provider_managed),
        "password_days_since_used" => return f.password_days_since_used.map(Fact::Int),
        "password_age_days" => return f.password_age_days.map(Fact::Int),
        "credential_count" => Fact::Int(f.credential_count.into()),
        "active_credential_count" => Fact::Int(f.active_credential_count.into()),
        "active_static_key_count" => Fact::Int(f.active_static_key_count.into()),
        "active_access_key_count" => Fact::Int(f.active_access_key_count.into()),
        "ai_agent" => Fact::Bool(f.ai_agent),
        "ai_signals" => strings(&f.ai_signals),
        "environments" => strings(&f.environments),
        "reaches_admin" => Fact::Bool(d.reaches_admin()),
        "admin_paths" => owned(d.admin_paths()),
        "reachable_count" => Fact::Int(d.reachable_count().into()),
        "delegates_to" => owned(d.delegates_to()),
        "cross_boundary_paths" => owned(d.cross_boundary_paths()),
        "trusted_accounts" => Fact::List(
            f.trusted_accounts
                .iter()
                .map(|a| {
                    let mut entries = vec![
                        ("id", Fact::Str(&a.id)),
                        ("external_id", Fact::Bool(a.external_id)),
                    ];
                    if let Some(name) = &a.name {
                        entries.push(("name", Fact::Str(name)));
                    }
                    Fact::Map(entries)
                })
                .collect(),
        ),
        other => return owner_fact(&f.owner, other),
    })
}

/// One top-level field of `credential`; `None` when unknown (absent for `has()`).
pub fn credential_fact<'a>(
    c: &'a Credential,
    f: &'a CredentialFacts,
    field: &str,
) -> Option<Fact<'a>> {
    Some(match field {
        "provider" => Fact::Str(c.provider.as_str()),
        "scope" => scope(&c.scope),
        "id" => Fact::Str(&c.id),
        "name" => return text(&c.name),
        "kind" => Fact::Str(c.kind.as_str()),
        "identity_id" => return text(&c.identity_id),
        "created" => return time(&c.created),
        "expires" => return time(&c.expires),
        "last_used" => return time(&c.last_used),
        "usage_tracked" => Fact::Bool(c.usage_tracked),
        "last_rotated" => return time(&c.last_rotated),
        "rotation_enabled" => return c.rotation_enabled.map(Fact::Bool),
        "rotation_interval_days" => return c.rotation_interval_days.map(|d| Fact::Int(d.into())),
        "status" => Fact::Str(c.status.as_str()),
        "location" => {
            let mut entries = Vec::new();
            if let Some(region) = &c.location.region {
                entries.push(("region", Fact::Str(region)));
            }
            if let Some(vault) = &c.location.vault {
                entries.push(("vault", Fact::Str(vault)));
            }
            Fact::Map(entries)
        }
        "tags" => string_map(&c.tags),
        "attributes" => json_map(&c.attributes),
        "age_days" => return f.age_days.map(Fact::Int),
        "days_since_used" => return f.days_since_used.map(Fact::Int),
        "never_used" => Fact::Bool(f.never_used),
        "days_to_expiry" => return f.days_to_expiry.map(Fact::Int),
        "lifetime_days" => return f.lifetime_days.map(Fact::Int),
        "expired" => Fact::Bool(f.expired),
        "days_since_rotation" => return f.days_since_rotation.map(Fact::Int),
        "static_key" => Fact::Bool(f.static_key),
        other => return owner_fact(&f.owner, other),
    })
}

/// The `identity` variable with the fields in `mask`.
pub fn identity_val<'a>(view: &IdentityView<'a>, mask: FieldMask) -> Box<dyn Val + 'a> {
    masked(IDENTITY_FIELDS, mask, |field| identity_fact(view, field))
}

/// The `credential` variable with the fields in `mask`.
pub fn credential_val<'a>(
    c: &'a Credential,
    f: &'a CredentialFacts,
    mask: FieldMask,
) -> Box<dyn Val + 'a> {
    masked(CREDENTIAL_FIELDS, mask, |field| {
        credential_fact(c, f, field)
    })
}

/// The value bound to `identity` for a credential that belongs to no identity.
pub fn empty_map() -> Box<dyn Val + 'static> {
    Box::new(CelMap::from(HashMap::new()))
}

fn masked<'a>(
    fields: &'static [&'static str],
    mask: FieldMask,
    fact: impl Fn(&str) -> Option<Fact<'a>>,
) -> Box<dyn Val + 'a> {
    let mut map = HashMap::with_capacity(mask.count_ones().min(fields.len() as u32) as usize);
    for (bit, field) in fields.iter().enumerate() {
        if mask & (1 << bit) != 0 {
            if let Some(value) = fact(field) {
                map.insert(CelMapKey::from(*field), value.into_val());
            }
        }
    }
    Box::new(CelMap::from(map))
}

/// The variables of one evaluation, for messages and evidence.
pub struct Roots<'a> {
    pub identity: Option<IdentityView<'a>>,
    pub credential: Option<(&'a Credential, &'a CredentialFacts)>,
    pub params: &'a BTreeMap<String, serde_json::Value>,
}

impl Roots<'_> {
    /// The JSON value at a dotted path (`credential.location.region`), if present.
    pub fn lookup(&self, path: &str) -> Option<serde_json::Value> {
        let mut parts = path.split('.');
        let root = parts.next()?;
        let field = parts.next()?;
        let mut value = match root {
            "identity" => identity_fact(self.identity.as_ref()?, field)?.to_json(),
            "credential" => {
                let (c, f) = self.credential?;
                credential_fact(c, f, field)?.to_json()
            }
            "params" => self.params.get(field)?.clone(),
            _ => return None,
        };
        for part in parts {
            value = value.get_mut(part)?.take();
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::graph::NodeFacts;
    use crate::enrich::owner::ResolvedOwner;
    use crate::enrich::IdentityFacts;
    use crate::inventory::Identity;

    fn view<'a>(identity: &'a Identity, facts: &'a IdentityFacts) -> IdentityView<'a> {
        IdentityView {
            identity,
            facts,
            delegation: NodeFacts::none(),
        }
    }

    fn full_identity() -> Identity {
        serde_json::from_value(serde_json::json!({
            "provider": "aws", "scope": {"kind": "account", "id": "1", "name": "prod"},
            "id": "arn", "name": "n", "kind": "role", "description": "d",
            "created": "2025-01-01T00:00:00Z", "last_activity": "2025-02-01T00:00:00Z",
            "activity_tracked": false, "enabled": false, "tags": {"a": "b"}, "owners": ["o"],
            "interactive_login": true,
            "permissions": {"admin": true, "wildcard_actions": ["*"], "privileged_actions": ["x"], "policies": ["p"]},
            "trust": [{"principal": "*", "principal_type": "any", "conditions": ["c"]}],
            "attributes": {"k": 1}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn full_credential() -> Credential {
        serde_json::from_value(serde_json::json!({
            "provider": "aws", "scope": {"kind": "account", "id": "1"},
            "id": "k", "name": "n", "kind": "vault_secret", "identity_id": "arn",
            "created": "2025-01-01T00:00:00Z", "expires": "2026-01-01T00:00:00Z",
            "last_used": "2025-02-01T00:00:00Z", "usage_tracked": false,
            "last_rotated": "2025-03-01T00:00:00Z", "rotation_enabled": true,
            "rotation_interval_days": 30, "status": "inactive",
            "location": {"region": "eu-west-1"}, "tags": {"a": "b"}, "attributes": {"x": [1]}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn owner() -> ResolvedOwner {
        ResolvedOwner {
            owner: Some("o".into()),
            owner_source: Some("declared".into()),
            owner_departed_days: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn every_listed_field_has_a_value_when_known() {
        let identity = full_identity();
        let facts = IdentityFacts {
            age_days: Some(1),
            days_since_activity: Some(1),
            password_days_since_used: Some(1),
            password_age_days: Some(1),
            owner: owner(),
            ..Default::default()
        };
        for field in IDENTITY_FIELDS {
            assert!(
                identity_fact(&view(&identity, &facts), field).is_some(),
                "identity.{field}"
            );
        }
        let credential = full_credential();
        let facts = CredentialFacts {
            age_days: Some(1),
            days_since_used: Some(1),
            days_to_expiry: Some(1),
            lifetime_days: Some(1),
            days_since_rotation: Some(1),
            owner: owner(),
            ..Default::default()
        };
        for field in CREDENTIAL_FIELDS {
            assert!(
                credential_fact(&credential, &facts, field).is_some(),
                "credential.{field}"
            );
        }
        let none = IdentityFacts::default();
        assert!(identity_fact(&view(&identity, &none), "nope").is_none());
        assert!(IDENTITY_FIELDS.len() <= 64 && CREDENTIAL_FIELDS.len() <= 64);
    }

    #[test]
    fn facts_match_the_inventory_serialization() {
        // Times and enums read the same in expressions as in the inventory file.
        let identity = full_identity();
        let json = serde_json::to_value(&identity).unwrap_or_default();
        let facts = IdentityFacts::default();
        for field in [
            "provider",
            "scope",
            "kind",
            "created",
            "tags",
            "permissions",
            "trust",
            "attributes",
        ] {
            let fact = identity_fact(&view(&identity, &facts), field).map(|f| f.to_json());
            assert_eq!(fact.as_ref(), json.get(field), "identity.{field}");
        }
    }

    #[test]
    fn lookup_walks_dotted_paths() {
        let identity = full_identity();
        let facts = IdentityFacts::default();
        let params = BTreeMap::from([("max".to_string(), serde_json::json!(90))]);
        let roots = Roots {
            identity: Some(view(&identity, &facts)),
            credential: None,
            params: &params,
        };
        assert_eq!(
            roots.lookup("identity.permissions.admin"),
            Some(serde_json::json!(true))
        );
        assert_eq!(
            roots.lookup("identity.scope.name"),
            Some(serde_json::json!("prod"))
        );
        assert_eq!(roots.lookup("params.max"), Some(serde_json::json!(90)));
        assert_eq!(roots.lookup("identity.age_days"), None);
        assert_eq!(roots.lookup("credential.id"), None);
    }
}
