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
use std::sync::LazyLock;
use strum::VariantArray;

/// A top-level field of `identity` in expressions (inventory fields and facts). Its
/// position is its bit in a field mask.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum IdentityField {
    Provider,
    Scope,
    Id,
    Name,
    Kind,
    Description,
    Created,
    LastActivity,
    ActivityTracked,
    Enabled,
    Tags,
    Owners,
    InteractiveLogin,
    Permissions,
    Trust,
    Attributes,
    AgeDays,
    DaysSinceActivity,
    NeverUsed,
    IdentityType,
    IdentityTypeSignals,
    ProviderManaged,
    PasswordDaysSinceUsed,
    PasswordAgeDays,
    Owner,
    OwnerSource,
    OwnerStatus,
    OwnerDepartedDays,
    CredentialCount,
    ActiveCredentialCount,
    ActiveStaticKeyCount,
    ActiveAccessKeyCount,
    AiAgent,
    AiSignals,
    Environments,
    ReachesAdmin,
    AdminPaths,
    ReachableCount,
    DelegatesTo,
    CrossBoundaryPaths,
    TrustedAccounts,
    Usage,
    WorkloadCallers,
}

/// The names of [`IdentityField`], in order.
pub static IDENTITY_FIELDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| names(IdentityField::VARIANTS));

/// A top-level field of `credential` in expressions (inventory fields and facts). Its
/// position is its bit in a field mask.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum CredentialField {
    Provider,
    Scope,
    Id,
    Name,
    Kind,
    IdentityId,
    Created,
    Expires,
    LastUsed,
    UsageTracked,
    LastRotated,
    RotationEnabled,
    RotationIntervalDays,
    Status,
    Location,
    Tags,
    Attributes,
    AgeDays,
    DaysSinceUsed,
    NeverUsed,
    DaysToExpiry,
    LifetimeDays,
    Expired,
    DaysSinceRotation,
    StaticKey,
    Owner,
    OwnerSource,
    OwnerStatus,
    OwnerDepartedDays,
    Leaks,
}

/// The names of [`CredentialField`], in order.
pub static CREDENTIAL_FIELDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| names(CredentialField::VARIANTS));

fn names<F: Copy + Into<&'static str>>(fields: &[F]) -> Vec<&'static str> {
    fields.iter().map(|&f| f.into()).collect()
}

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

    /// The JSON of the part at the remaining path `parts`, as [`descend`] finds it in
    /// this fact's JSON, without writing the parts the path passes by.
    pub fn at<'p>(self, mut parts: impl Iterator<Item = &'p str>) -> Option<serde_json::Value> {
        let mut fact = self;
        while let Some(part) = parts.next() {
            fact = match fact {
                Fact::List(items) => items.into_iter().nth(part.parse::<usize>().ok()?)?,
                // As in a JSON object, the last entry of a key is its value.
                Fact::Map(entries) => entries.into_iter().rev().find(|(k, _)| *k == part)?.1,
                Fact::Json(value) => {
                    return descend(value, std::iter::once(part).chain(parts)).cloned()
                }
                Fact::Str(_) | Fact::Owned(_) | Fact::Int(_) | Fact::Bool(_) => return None,
            };
        }
        Some(fact.to_json())
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

/// A list of texts, borrowed.
pub(super) fn strings(items: &[String]) -> Fact<'_> {
    Fact::List(items.iter().map(|s| Fact::Str(s)).collect())
}

fn string_map(map: &crate::inventory::Tags) -> Fact<'_> {
    Fact::Map(
        map.iter()
            .map(|(k, v)| (k.as_str(), Fact::Str(v)))
            .collect(),
    )
}

fn json_map(map: &crate::inventory::Attributes) -> Fact<'_> {
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
        "owner_departed_days" => owner.owner_departed_days.map(|d| Fact::Int(d.into())),
        _ => None,
    }
}

/// Whether a delegation list of `identity` (paths, hops, callers) is empty, told
/// without writing the list; `None` for the other fields.
pub fn identity_list_is_empty(view: &IdentityView<'_>, field: IdentityField) -> Option<bool> {
    let d = view.delegation;
    Some(match field {
        IdentityField::DelegatesTo => !d.delegates(),
        IdentityField::AdminPaths => !d.has_admin_paths(),
        IdentityField::CrossBoundaryPaths => !d.has_cross_boundary_paths(),
        IdentityField::WorkloadCallers => !d.has_workload_callers(),
        _ => return None,
    })
}

/// One top-level field of `identity`; `None` when unknown (absent for `has()`).
pub fn identity_fact<'a>(view: &IdentityView<'a>, field: IdentityField) -> Option<Fact<'a>> {
    use IdentityField as F;
    let (i, f, d) = (view.identity, view.facts, view.delegation);
    let owned = |items: Vec<String>| Fact::List(items.into_iter().map(Fact::Owned).collect());
    Some(match field {
        F::Provider => Fact::Str(i.provider.as_str()),
        F::Scope => scope(&i.scope),
        F::Id => Fact::Str(&i.id),
        F::Name => Fact::Str(&i.name),
        F::Kind => Fact::Str(i.kind.as_str()),
        F::Description => return text(&i.description),
        F::Created => return time(&i.created),
        F::LastActivity => return time(&i.last_activity),
        F::ActivityTracked => Fact::Bool(i.activity_tracked),
        F::Enabled => Fact::Bool(i.enabled),
        F::Tags => string_map(&i.tags),
        F::Owners => strings(&i.owners),
        F::InteractiveLogin => Fact::Bool(i.interactive_login),
        F::Permissions => Fact::Map(vec![
            ("admin", Fact::Bool(i.permissions.admin)),
            ("wildcard_actions", strings(&i.permissions.wildcard_actions)),
            (
                "privileged_actions",
                strings(&i.permissions.privileged_actions),
            ),
            ("policies", strings(&i.permissions.policies)),
        ]),
        F::Trust => Fact::List(
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
        F::Attributes => json_map(&i.attributes),
        F::Usage => return i.usage.as_ref().map(|u| usage(u, view.as_of)),
        F::AgeDays => return f.age_days.map(|d| Fact::Int(d.into())),
        F::DaysSinceActivity => return f.days_since_activity.map(|d| Fact::Int(d.into())),
        F::NeverUsed => Fact::Bool(f.never_used),
        F::IdentityType => Fact::Str(f.identity_type.as_str()),
        F::IdentityTypeSignals => strings(&f.identity_type_signals),
        F::ProviderManaged => Fact::Bool(f.provider_managed),
        F::PasswordDaysSinceUsed => return f.password_days_since_used.map(|d| Fact::Int(d.into())),
        F::PasswordAgeDays => return f.password_age_days.map(|d| Fact::Int(d.into())),
        F::CredentialCount => Fact::Int(f.credential_count.into()),
        F::ActiveCredentialCount => Fact::Int(f.active_credential_count.into()),
        F::ActiveStaticKeyCount => Fact::Int(f.active_static_key_count.into()),
        F::ActiveAccessKeyCount => Fact::Int(f.active_access_key_count.into()),
        F::AiAgent => Fact::Bool(f.ai_agent),
        F::AiSignals => strings(&f.ai_signals),
        F::Environments => strings(&f.environments),
        F::ReachesAdmin => Fact::Bool(d.reaches_admin()),
        F::AdminPaths => owned(d.admin_paths()),
        F::ReachableCount => Fact::Int(d.reachable_count().into()),
        F::DelegatesTo => owned(d.delegates_to()),
        F::CrossBoundaryPaths => owned(d.cross_boundary_paths()),
        F::WorkloadCallers => Fact::List(
            d.workload_callers()
                .into_iter()
                .map(|c| {
                    Fact::Map(vec![
                        ("id", Fact::Str(&c.identity.id)),
                        ("name", Fact::Str(&c.identity.name)),
                        ("kind", Fact::Str(c.identity.kind.as_str())),
                        ("scope", Fact::Str(c.scope)),
                        ("reason", Fact::Str(c.reason)),
                    ])
                })
                .collect(),
        ),
        F::TrustedAccounts => Fact::List(
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
        F::Owner | F::OwnerSource | F::OwnerStatus | F::OwnerDepartedDays => {
            return owner_fact(&f.owner, field.into())
        }
    })
}

/// One top-level field of `credential`; `None` when unknown (absent for `has()`).
pub fn credential_fact<'a>(
    c: &'a Credential,
    f: &'a CredentialFacts<'a>,
    field: CredentialField,
) -> Option<Fact<'a>> {
    use CredentialField as F;
    Some(match field {
        F::Provider => Fact::Str(c.provider.as_str()),
        F::Scope => scope(&c.scope),
        F::Id => Fact::Str(&c.id),
        F::Name => return text(&c.name),
        F::Kind => Fact::Str(c.kind.as_str()),
        F::IdentityId => return text(&c.identity_id),
        F::Created => return time(&c.created),
        F::Expires => return time(&c.expires),
        F::LastUsed => return time(&c.last_used),
        F::UsageTracked => Fact::Bool(c.usage_tracked),
        F::LastRotated => return time(&c.last_rotated),
        F::RotationEnabled => return c.rotation_enabled.map(Fact::Bool),
        F::RotationIntervalDays => return c.rotation_interval_days.map(|d| Fact::Int(d.into())),
        F::Status => Fact::Str(c.status.as_str()),
        F::Location => {
            let mut entries = Vec::new();
            if let Some(region) = &c.location.region {
                entries.push(("region", Fact::Str(region)));
            }
            if let Some(vault) = &c.location.vault {
                entries.push(("vault", Fact::Str(vault)));
            }
            Fact::Map(entries)
        }
        F::Tags => string_map(&c.tags),
        F::Attributes => json_map(&c.attributes),
        F::AgeDays => return f.age_days.map(Fact::Int),
        F::DaysSinceUsed => return f.days_since_used.map(Fact::Int),
        F::NeverUsed => Fact::Bool(f.never_used),
        F::DaysToExpiry => return f.days_to_expiry.map(Fact::Int),
        F::LifetimeDays => return f.lifetime_days.map(Fact::Int),
        F::Expired => Fact::Bool(f.expired),
        F::DaysSinceRotation => return f.days_since_rotation.map(Fact::Int),
        F::StaticKey => Fact::Bool(f.static_key),
        F::Owner | F::OwnerSource | F::OwnerStatus | F::OwnerDepartedDays => {
            return owner_fact(f.owner, field.into())
        }
        F::Leaks => Fact::List(f.leaks.iter().map(leak).collect()),
    })
}

/// What an identity used of its granted services, as a map: `as_of`, `tracking_days`,
/// and `services`, each with `service`, `name`, `last_used`, `days_since_used` (days
/// before `as_of`; absent when never used), `used_within_days` (used within that many
/// days, not said when), `region` and `statements`.
fn usage(u: &crate::inventory::Usage, as_of: DateTime<Utc>) -> Fact<'_> {
    let mut entries = Vec::with_capacity(3);
    entries.extend(time(&Some(u.as_of)).map(|t| ("as_of", t)));
    if let Some(days) = u.tracking_days {
        entries.push(("tracking_days", Fact::Int(days.into())));
    }
    let services = u.services.iter().map(|s| {
        let mut service = vec![("service", Fact::Str(&s.service))];
        service.extend(text(&s.name).map(|n| ("name", n)));
        service.extend(time(&s.last_used).map(|t| ("last_used", t)));
        if let Some(used) = s.last_used {
            let days = crate::enrich::days_between(used, as_of);
            service.push(("days_since_used", Fact::Int(days)));
        }
        if let Some(days) = s.used_within_days {
            service.push(("used_within_days", Fact::Int(days.into())));
        }
        service.extend(text(&s.region).map(|r| ("region", r)));
        service.push((
            "statements",
            Fact::List(s.statements.iter().map(Fact::Json).collect()),
        ));
        Fact::Map(service)
    });
    entries.push(("services", Fact::List(services.collect())));
    Fact::Map(entries)
}

/// Where a credential leaked, as a map: `scanner`, `repository`, `file`, `line`,
/// `commit`, `detected`, `verified`, `state`, `link`, `report`.
fn leak(l: &crate::import::leaks::LeakLocation) -> Fact<'_> {
    let mut entries = vec![("scanner", Fact::Str(&l.scanner))];
    let texts = [
        ("repository", &l.repository),
        ("file", &l.file),
        ("commit", &l.commit),
        ("detected", &l.detected),
        ("state", &l.state),
        ("link", &l.link),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            entries.push((key, Fact::Str(value)));
        }
    }
    if let Some(line) = l.line {
        entries.push(("line", Fact::Int(line.try_into().unwrap_or(i64::MAX))));
    }
    if let Some(verified) = l.verified {
        entries.push(("verified", Fact::Bool(verified)));
    }
    entries.push((
        "report",
        Fact::Owned(format!("{} (entry {})", l.report, l.entry)),
    ));
    Fact::Map(entries)
}

/// The `identity` variable with the fields in `mask`.
pub fn identity_val<'a>(view: &IdentityView<'a>, mask: FieldMask) -> Box<dyn Val + 'a> {
    masked(IdentityField::VARIANTS, mask, |field| {
        identity_fact(view, field)
    })
}

/// The `credential` variable with the fields in `mask`.
pub fn credential_val<'a>(
    c: &'a Credential,
    f: &'a CredentialFacts<'a>,
    mask: FieldMask,
) -> Box<dyn Val + 'a> {
    masked(CredentialField::VARIANTS, mask, |field| {
        credential_fact(c, f, field)
    })
}

/// The value bound to `identity` for a credential that belongs to no identity.
pub fn empty_map() -> Box<dyn Val + 'static> {
    Box::new(CelMap::from(HashMap::new()))
}

fn masked<'a, F: Copy + Into<&'static str>>(
    fields: &'static [F],
    mask: FieldMask,
    fact: impl Fn(F) -> Option<Fact<'a>>,
) -> Box<dyn Val + 'a> {
    let mut map = HashMap::with_capacity(mask.count_ones().min(fields.len() as u32) as usize);
    for (bit, &field) in fields.iter().enumerate() {
        if mask & (1 << bit) != 0 {
            if let Some(value) = fact(field) {
                map.insert(CelMapKey::from(field.into()), value.into_val());
            }
        }
    }
    Box::new(CelMap::from(map))
}

/// The variables of one evaluation, for messages and evidence.
pub struct Roots<'a> {
    pub identity: Option<IdentityView<'a>>,
    pub credential: Option<(&'a Credential, &'a CredentialFacts<'a>)>,
    pub params: &'a BTreeMap<String, serde_json::Value>,
}

impl Roots<'_> {
    /// The JSON value at `place`, `values.<name>` paths read from `values`. Only the
    /// part the path names becomes JSON, not the whole field it starts in.
    pub fn get(
        &self,
        place: &Place,
        values: Option<&super::values::Values>,
    ) -> Option<serde_json::Value> {
        match place {
            Place::Identity(field, path) => {
                identity_fact(self.identity.as_ref()?, *field)?.at(path.iter().map(|p| &**p))
            }
            Place::Credential(field, path) => {
                let (c, f) = self.credential?;
                credential_fact(c, f, *field)?.at(path.iter().map(|p| &**p))
            }
            Place::Params(name, path) => {
                descend(self.params.get(&**name)?, path.iter().map(|p| &**p)).cloned()
            }
            Place::Values(name, path) => {
                descend(values?.get(&**name)?, path.iter().map(|p| &**p)).cloned()
            }
            Place::Nowhere => None,
        }
    }
}

/// A dotted path of a message, remediation or evidence, split once: its variable, the
/// field (or parameter, or computed value) it starts in, and the keys and indices
/// after that.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    Identity(IdentityField, Box<[Box<str>]>),
    Credential(CredentialField, Box<[Box<str>]>),
    Params(Box<str>, Box<[Box<str>]>),
    /// `values.<name>...`: a rule's computed value.
    Values(Box<str>, Box<[Box<str>]>),
    /// A path that names no variable's field: it never has a value.
    Nowhere,
}

impl Place {
    pub fn of(path: &str) -> Place {
        let split = |rest: std::str::Split<'_, char>| rest.map(Box::from).collect();
        if let Some(rest) = path.strip_prefix("values.") {
            let mut parts = rest.split('.');
            let name = parts.next().unwrap_or_default();
            return Place::Values(name.into(), split(parts));
        }
        let mut parts = path.split('.');
        let (Some(root), Some(field)) = (parts.next(), parts.next()) else {
            return Place::Nowhere;
        };
        match root {
            "identity" => field
                .parse()
                .map_or(Place::Nowhere, |f| Place::Identity(f, split(parts))),
            "credential" => field
                .parse()
                .map_or(Place::Nowhere, |f| Place::Credential(f, split(parts))),
            "params" => Place::Params(field.into(), split(parts)),
            _ => Place::Nowhere,
        }
    }
}

/// The part of `value` at the remaining path `parts` (keys, or indices into lists).
pub fn descend<'v, 'p>(
    mut value: &'v serde_json::Value,
    parts: impl Iterator<Item = &'p str>,
) -> Option<&'v serde_json::Value> {
    for part in parts {
        value = match (value, part.parse::<usize>()) {
            (serde_json::Value::Array(items), Ok(i)) => items.get(i)?,
            _ => value.get(part)?,
        };
    }
    Some(value)
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
            as_of: chrono::DateTime::UNIX_EPOCH,
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
            "attributes": {"k": 1},
            "usage": {"as_of": "1970-01-11T00:00:00Z", "tracking_days": 400, "services": [
                {"service": "s3", "name": "Amazon Simple Storage Service",
                 "last_used": "1970-01-02T12:00:00Z", "region": "eu-west-1",
                 "statements": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]},
                {"service": "sqs"}
            ]}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn usage_counts_days_since_each_service_was_used_and_leaves_unused_ones_without() {
        let identity = full_identity();
        let facts = IdentityFacts::default();
        let usage = identity_fact(&view(&identity, &facts), IdentityField::Usage)
            .map(|f| f.to_json())
            .unwrap_or_default();
        // `view` counts days at the epoch, a day and a half before the use: -1 (whole
        // days, towards zero).
        assert_eq!(
            usage,
            serde_json::json!({
            "as_of": "1970-01-11T00:00:00Z", "tracking_days": 400, "services": [
                {"service": "s3", "name": "Amazon Simple Storage Service",
                 "last_used": "1970-01-02T12:00:00Z", "days_since_used": -1,
                 "region": "eu-west-1",
                 "statements": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]},
                {"service": "sqs", "statements": []}
            ]})
        );
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
        for &field in IdentityField::VARIANTS {
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
            owner: &owner(),
            ..Default::default()
        };
        for &field in CredentialField::VARIANTS {
            assert!(
                credential_fact(&credential, &facts, field).is_some(),
                "credential.{field}"
            );
        }
        assert!("nope".parse::<IdentityField>().is_err());
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
            let known = field.parse().unwrap_or_else(|_| panic!("identity.{field}"));
            let fact = identity_fact(&view(&identity, &facts), known).map(|f| f.to_json());
            assert_eq!(fact.as_ref(), json.get(field), "identity.{field}");
        }
    }

    /// Every path into `value` (each key and index, at every depth), and beside each
    /// step a key that is not there, an index on a map and a key on a list.
    fn paths(value: &serde_json::Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let step = |part: String| [prefix.clone(), vec![part]].concat();
        out.push(step("nope".into()));
        out.push(step("0".into()));
        match value {
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    out.push(step(key.clone()));
                    paths(item, step(key.clone()), out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    out.push(step(i.to_string()));
                    paths(item, step(i.to_string()), out);
                }
                out.push(step(items.len().to_string()));
            }
            _ => {}
        }
    }

    /// Checks [`Fact::at`] against [`descend`] on the fact's JSON for every path into
    /// it; the number of paths checked.
    fn check_paths<'a>(name: &str, fact: impl Fn() -> Option<Fact<'a>>) -> usize {
        let Some(json) = fact().map(|f| f.to_json()) else {
            return 0;
        };
        let mut all = Vec::new();
        paths(&json, Vec::new(), &mut all);
        for path in &all {
            let found = fact().and_then(|f| f.at(path.iter().map(String::as_str)));
            let expected = descend(&json, path.iter().map(String::as_str)).cloned();
            assert_eq!(found, expected, "{name}.{}", path.join("."));
        }
        all.len()
    }

    /// A path finds in a fact what it finds in the fact's whole JSON: present or
    /// absent, at every depth, for every field.
    #[test]
    fn a_path_finds_in_a_fact_what_it_finds_in_its_json() {
        let identity = full_identity();
        let facts = IdentityFacts {
            owner: owner(),
            ai_signals: vec!["a".into(), "b".into()].into(),
            ..Default::default()
        };
        let credential = full_credential();
        let credential_facts = CredentialFacts {
            owner: &facts.owner,
            ..Default::default()
        };
        let view = view(&identity, &facts);
        let mut checked = 0;
        for &field in IdentityField::VARIANTS {
            checked += check_paths(&format!("identity.{field}"), || identity_fact(&view, field));
        }
        for &field in CredentialField::VARIANTS {
            checked += check_paths(&format!("credential.{field}"), || {
                credential_fact(&credential, &credential_facts, field)
            });
        }
        assert!(checked > 100, "{checked} paths");
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
        // Without computed values, as a path with no `values` in reach looks up.
        let lookup = |path: &str| roots.get(&Place::of(path), None);
        assert_eq!(
            lookup("identity.permissions.admin"),
            Some(serde_json::json!(true))
        );
        assert_eq!(
            lookup("identity.scope.name"),
            Some(serde_json::json!("prod"))
        );
        assert_eq!(lookup("params.max"), Some(serde_json::json!(90)));
        let values = BTreeMap::from([("unused".to_string(), serde_json::json!(["s3", "sqs"]))]);
        let value = |path: &str| roots.get(&Place::of(path), Some(&values));
        assert_eq!(value("values.unused.1"), Some(serde_json::json!("sqs")));
        assert_eq!(value("values.nope"), None);
        assert_eq!(lookup("values.unused"), None, "no values given");
        for nowhere in ["identity", "identity.nope", "nope.id", "", "values"] {
            assert_eq!(Place::of(nowhere), Place::Nowhere, "{nowhere}");
        }
        assert_eq!(lookup("identity.age_days"), None);
        assert_eq!(lookup("credential.id"), None);
    }
}
