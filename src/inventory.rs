//! The provider-neutral inventory: every identity and credential a collector found or an
//! importer read, plus what could not be scanned.
//!
//! Optional facts are `Option`s that are *absent* from the serialized form when unknown
//! (never `null`), because rule expressions test them with CEL's `has()`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

mod sorted_map;
mod text;
pub use sorted_map::SortedMap;
pub use text::Text;

/// An entity's tags (labels): key → value, sorted by key.
pub type Tags = SortedMap<Text>;

/// Provider-specific facts of an entity: name → JSON value, sorted by name.
pub type Attributes = SortedMap<serde_json::Value>;

/// Version of the inventory document format. Bump on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole inventory: what was discovered, and how complete the discovery was.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub schema_version: u32,
    /// When the inventory was collected or exported.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub generated_at: Option<DateTime<Utc>>,
    /// What each part of the inventory came from (collector, export file...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// What was (or could not be) scanned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<Coverage>,
    /// API calls a collector made, by `provider:service:Operation`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_calls: BTreeMap<String, u64>,
    /// The shards of an organisation this inventory holds (`collect aws --org --shard`),
    /// so that `merge` can tell a complete set from overlapping or missing shards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRecord>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub credentials: Vec<Credential>,
}

impl Inventory {
    pub fn new() -> Self {
        Inventory {
            schema_version: SCHEMA_VERSION,
            ..Default::default()
        }
    }

    /// Appends another inventory's content (sources, coverage, identities, credentials).
    pub fn extend(&mut self, other: Inventory) {
        self.sources.extend(other.sources);
        self.coverage.extend(other.coverage);
        for (call, count) in other.api_calls {
            *self.api_calls.entry(call).or_default() += count;
        }
        self.shards.extend(other.shards);
        append(&mut self.identities, other.identities);
        append(&mut self.credentials, other.credentials);
        self.generated_at = match (self.generated_at, other.generated_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Appends `more` to `all`; into an empty `all` it moves the vector instead, so that
/// reading one large inventory does not hold it twice while it is copied.
fn append<T>(all: &mut Vec<T>, more: Vec<T>) {
    if all.is_empty() {
        *all = more;
    } else {
        all.extend(more);
    }
}

/// One shard of an organisation, as a collection with `--shard K/N` took it: shard
/// `index` of `count`, cut from the sorted list of accounts `accounts_digest` names.
/// Shards of one run name the same list; a list that differs means another run (or an
/// organisation that changed in between).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRecord {
    /// The provider and organisation, e.g. `aws:o-a1b2c3d4e5`.
    pub organization: String,
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
    /// How many accounts the shards were cut from.
    pub accounts: usize,
    /// SHA-256 (16 hex digits) of those accounts' sorted ids, one per line.
    pub accounts_digest: String,
}

/// The cloud or platform an entity lives in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Provider {
    Aws,
    Azure,
    Gcp,
    Kubernetes,
    Github,
    Other,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Its usual short name, as in OCSF's `cloud.provider`: AWS, Azure, GCP, Kubernetes,
    /// GitHub, Other.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Azure => "Azure",
            Provider::Gcp => "GCP",
            Provider::Kubernetes => "Kubernetes",
            Provider::Github => "GitHub",
            Provider::Other => "Other",
        }
    }
}

/// The administrative boundary an entity belongs to.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub kind: ScopeKind,
    /// Account id, tenant id, subscription id, project id, cluster name...
    pub id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) if name != &self.id => write!(f, "{}:{} ({name})", self.kind, self.id),
            _ => write!(f, "{}:{}", self.kind, self.id),
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ScopeKind {
    Organization,
    Account,
    Tenant,
    Subscription,
    Project,
    Cluster,
    Other,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What sort of non-human identity this is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IdentityKind {
    /// A user account used by software (e.g. an IAM user with access keys).
    ServiceUser,
    /// An assumable role (AWS IAM role).
    Role,
    /// An Entra service principal (enterprise application).
    ServicePrincipal,
    /// An Entra app registration (application object).
    AppRegistration,
    /// An Azure managed identity.
    ManagedIdentity,
    /// A GCP or Kubernetes service account.
    ServiceAccount,
    /// A GitHub App, bot account or similar integration.
    App,
    Other,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A non-human identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub provider: Provider,
    pub scope: Scope,
    /// Stable id: ARN, object id, service-account email...
    pub id: String,
    pub name: String,
    pub kind: IdentityKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub created: Option<DateTime<Utc>>,
    /// Last time the identity was seen authenticating or acting.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub last_activity: Option<DateTime<Utc>>,
    /// False when the source cannot tell activity at all (then a missing
    /// `last_activity` means "unknown", not "never used").
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub activity_tracked: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub tags: Tags,
    /// Owners declared by the platform itself (e.g. Entra application owners).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Whether a person could log in with it interactively (console password...).
    #[serde(default, skip_serializing_if = "is_false")]
    pub interactive_login: bool,
    #[serde(default, skip_serializing_if = "Permissions::is_empty")]
    pub permissions: Permissions,
    /// Who may assume, impersonate or federate into this identity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust: Vec<Trust>,
    /// Anything else a source knows, kept as-is.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub attributes: Attributes,
    /// Which of its granted services it used, and when (`--usage`): absent when not read.
    /// Boxed: most identities have none, and each costs 8 bytes instead of 48.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Box<Usage>>,
}

/// What an identity did with the services its policies grant, from the provider's own
/// access records (AWS: service last accessed data; GCP: the IAM Recommender's policy
/// insights, one "service" per role binding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// When the provider computed it.
    #[serde(deserialize_with = "time::required")]
    pub as_of: DateTime<Utc>,
    /// How many days back the provider records use (AWS: 400, GCP: 90); a service not
    /// used within them has no `last_used` nor `used_within_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_days: Option<u32>,
    /// Every service the identity's permissions policies grant, in the provider's order.
    pub services: Vec<ServiceUse>,
}

/// One granted service, and its last use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceUse {
    /// The service's namespace in policies (`s3`, `dynamodb`); on GCP, the bound role
    /// (`roles/storage.admin`).
    pub service: String,
    /// Its name as the provider writes it (`Amazon Simple Storage Service`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The last time the identity authenticated to it; absent when it never did within
    /// the tracking window.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub last_used: Option<DateTime<Utc>>,
    /// Used at some time within this many days before `as_of`, the provider does not say
    /// when (GCP: a binding's permissions exercised in the observation period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_within_days: Option<u32>,
    /// The region of that last use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The identity's `Allow` statements for this service alone, as policy JSON: the
    /// statements a policy narrowed to the services in use keeps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<serde_json::Value>,
}

impl Identity {
    /// An identity with neutral defaults: enabled, activity not tracked, no tags, owners,
    /// permissions, trust or attributes.
    pub fn new(
        provider: Provider,
        scope: Scope,
        id: impl Into<String>,
        name: impl Into<String>,
        kind: IdentityKind,
    ) -> Identity {
        Identity {
            provider,
            scope,
            id: id.into(),
            name: name.into(),
            kind,
            description: None,
            created: None,
            last_activity: None,
            activity_tracked: false,
            enabled: true,
            tags: Tags::new(),
            owners: Vec::new(),
            interactive_login: false,
            permissions: Permissions::default(),
            trust: Vec::new(),
            attributes: Attributes::new(),
            usage: None,
        }
    }
}

/// A summary of what an identity may do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Full administrative rights in its scope (`*` on `*`, Owner, cluster-admin...).
    #[serde(default, skip_serializing_if = "is_false")]
    pub admin: bool,
    /// Wildcard grants it holds, e.g. `s3:*` or `*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wildcard_actions: Vec<String>,
    /// Privileged actions it holds, e.g. `iam:PassRole`, `iam:CreateAccessKey`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileged_actions: Vec<String>,
    /// Names of the policies or roles granting them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

impl Permissions {
    pub fn is_empty(&self) -> bool {
        !self.admin
            && self.wildcard_actions.is_empty()
            && self.privileged_actions.is_empty()
            && self.policies.is_empty()
    }
}

/// One principal that may assume or federate into an identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// `*`, an account id, an ARN, a service (`ec2.amazonaws.com`), an OIDC issuer...
    pub principal: String,
    pub principal_type: PrincipalType,
    /// Conditions that restrict it, as `key operator value` strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PrincipalType {
    Any,
    Account,
    Identity,
    Service,
    Federated,
    Other,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What sort of secret material a credential is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CredentialKind {
    AccessKey,
    ClientSecret,
    Certificate,
    SshKey,
    VaultSecret,
    VaultKey,
    Token,
    ServiceAccountKey,
    Password,
    Other,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CredentialStatus {
    #[default]
    Active,
    Inactive,
}

impl CredentialStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A credential: key, secret, certificate or token. Only metadata, never the value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub provider: Provider,
    pub scope: Scope,
    /// Stable id: access key id, key id, secret ARN, vault item URL...
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: CredentialKind,
    /// The identity it authenticates, when it belongs to one (`Identity::id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub created: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub expires: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub last_used: Option<DateTime<Utc>>,
    /// False when the source cannot tell usage (then no `last_used` means "unknown").
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub usage_tracked: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time::optional"
    )]
    pub last_rotated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_interval_days: Option<u32>,
    #[serde(default)]
    pub status: CredentialStatus,
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub tags: Tags,
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub attributes: Attributes,
}

/// Where a credential is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Text>,
    /// Vault, secret store or key ring holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<Text>,
}

impl Location {
    pub fn is_empty(&self) -> bool {
        self.region.is_none() && self.vault.is_none()
    }
}

/// One unit of scanning (an account, a region, a vault, an input file) and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// What was scanned, e.g. `aws:123456789012:eu-west-1` or a file path.
    pub target: String,
    pub provider: Provider,
    pub status: CoverageStatus,
    /// Why it failed or was skipped, and what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    Scanned,
    Partial,
    Failed,
    Skipped,
}

impl CoverageStatus {
    /// Whether this outcome means part of the estate was not seen.
    pub fn is_incomplete(self) -> bool {
        matches!(self, CoverageStatus::Partial | CoverageStatus::Failed)
    }
}

/// Reading times: RFC 3339, or a plain `YYYY-MM-DD` (midnight UTC), with an error
/// that says which format is expected.
pub mod time {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    /// Parses RFC 3339 or a plain date (taken as midnight UTC).
    pub fn parse(text: &str) -> Option<DateTime<Utc>> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(t.with_timezone(&Utc));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        d.deserialize_option(OptionalTime)
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_str(OptionalTime)?
            .ok_or_else(|| de::Error::custom("a time is required here"))
    }

    struct OptionalTime;

    impl<'de> Visitor<'de> for OptionalTime {
        type Value = Option<DateTime<Utc>>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a time (RFC 3339 or YYYY-MM-DD)")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            parse(text).map(Some).ok_or_else(|| {
                E::custom(format!(
                    "`{text}` is not a time: use RFC 3339 (2025-01-31T00:00:00Z) or YYYY-MM-DD"
                ))
            })
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}
