//! Enrichment: the facts rules need that no source states directly — ages, usage,
//! expiry, owner status, credential counts and what each identity can act as (the
//! delegation graph) — computed against one as-of time so that an audit can be
//! reproduced.

pub mod ai;
pub mod graph;
pub mod identity_type;
pub mod leaks;
pub mod owner;
pub mod trust;

use crate::enrich::graph::{Delegation, NodeFacts};
use crate::hash::FastMap;
use crate::inventory::{
    Credential, CredentialKind, CredentialStatus, Identity, Inventory, Provider,
};
use ai::AiClassifier;
use chrono::{DateTime, Utc};
use identity_type::{CredentialSummary, IdentityType, IdentityTypeClassifier};
use owner::{OwnerResolver, OwnerStatus, ResolvedOwner};
use rayon::prelude::*;
use serde::Serialize;
use trust::TrustedAccount;

/// Derived facts about an identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdentityFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since_activity: Option<i32>,
    /// Activity is tracked and none was ever recorded.
    pub never_used: bool,
    /// Human, non-human or ambiguous ([`identity_type`]).
    pub identity_type: IdentityType,
    /// The signals that decided it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub identity_type_signals: Box<[String]>,
    /// Made and managed by the provider itself, not by the customer: AWS IAM Identity
    /// Center's `AWSReservedSSO_*` roles and service-linked roles.
    pub provider_managed: bool,
    /// With a console password the source reports (`interactive_login` and
    /// `attributes.password_enabled`): days since it was last used, from
    /// `attributes.password_last_used` (the AWS credential report's columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_days_since_used: Option<i32>,
    /// With a console password: days since it was set (`attributes.password_last_changed`,
    /// else the identity's creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_age_days: Option<i32>,
    #[serde(flatten)]
    pub owner: ResolvedOwner,
    pub credential_count: u32,
    pub active_credential_count: u32,
    /// Active long-lived secrets a program authenticates with (access keys, client
    /// secrets, service-account keys, passwords).
    pub active_static_key_count: u32,
    /// Active, unexpired API keys: access keys, client secrets, service-account keys.
    pub active_access_key_count: u32,
    /// Classified as an AI agent ([`ai`]).
    pub ai_agent: bool,
    /// The signals found, strong and weak (`weak ...`), whatever the verdict.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub ai_signals: Box<[String]>,
    /// Environments the identity is labelled with (its and its credentials' `env`,
    /// `environment` or `stage` tags), normalised to lower case.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub environments: Box<[String]>,
    /// Other accounts whose principals its trust policy lets assume it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub trusted_accounts: Box<[TrustedAccount]>,
}

/// Derived facts about a credential, worked out when asked for (cheap: dates and flags);
/// its owner and leaks are borrowed from the enrichment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialFacts<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since_used: Option<i64>,
    /// Usage is tracked and no use was ever recorded.
    pub never_used: bool,
    /// Days until expiry; negative once expired. Absent when it never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_expiry: Option<i64>,
    /// Days from creation to expiry: how long the credential was made to live.
    pub lifetime_days: Option<i64>,
    pub expired: bool,
    /// Days since it was last rotated, or since creation when never rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since_rotation: Option<i64>,
    /// A long-lived secret a program authenticates with.
    pub static_key: bool,
    #[serde(flatten)]
    pub owner: &'a ResolvedOwner,
    /// Where secret scanners found it (`--leaks`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub leaks: &'a [crate::import::leaks::LeakLocation],
}

impl Default for CredentialFacts<'_> {
    fn default() -> Self {
        CredentialFacts {
            age_days: None,
            days_since_used: None,
            never_used: false,
            days_to_expiry: None,
            lifetime_days: None,
            expired: false,
            days_since_rotation: None,
            static_key: false,
            owner: &NO_OWNER,
            leaks: &[],
        }
    }
}

/// The owner of a credential that has none: no identity, no owner tag.
static NO_OWNER: ResolvedOwner = ResolvedOwner {
    owner: None,
    owner_source: None,
    status: OwnerStatus::Missing,
    owner_departed_days: None,
};

/// An inventory with its derived facts, index-aligned with `inventory.identities` and
/// `inventory.credentials`.
#[derive(Debug)]
pub struct Enriched {
    pub as_of: DateTime<Utc>,
    pub inventory: Inventory,
    pub identity_facts: Vec<IdentityFacts>,
    /// For each credential, the index of the identity it belongs to, if present
    /// ([`Enriched::credential_owner`]; 32 bits: 8 bytes a credential, not 16).
    credential_identity: Vec<Option<u32>>,
    /// The owners of credentials that belong to no identity here, found in their own
    /// tags (by credential index; those without one are absent). A credential's other
    /// facts are computed when asked for ([`Enriched::credential`]): kept for millions
    /// of credentials, they cost more memory than the credentials' own fields.
    unattached_owners: FastMap<usize, ResolvedOwner>,
    /// Who can act as whom, and what each identity reaches.
    pub delegation: Delegation,
    /// The leak reports read (`--leaks`), matched to credentials.
    pub leaks: leaks::LeakIndex,
}

/// An identity with everything derived about it: what rule expressions see.
#[derive(Debug, Clone, Copy)]
pub struct IdentityView<'a> {
    pub identity: &'a Identity,
    pub facts: &'a IdentityFacts,
    pub delegation: NodeFacts<'a>,
    /// The time its day counts are taken at (`--now`).
    pub as_of: DateTime<Utc>,
}

impl Enriched {
    pub fn identity(&self, index: usize) -> (&Identity, &IdentityFacts) {
        (
            &self.inventory.identities[index],
            &self.identity_facts[index],
        )
    }

    pub fn identity_view(&self, index: usize) -> IdentityView<'_> {
        IdentityView {
            identity: &self.inventory.identities[index],
            facts: &self.identity_facts[index],
            delegation: self.delegation.node(&self.inventory.identities, index),
            as_of: self.as_of,
        }
    }

    /// The index of the identity credential `index` belongs to, if it is here.
    pub fn credential_owner(&self, index: usize) -> Option<usize> {
        self.credential_identity[index].map(|i| i as usize)
    }

    /// Who stands behind a credential: its identity's type, non-human without one.
    pub fn credential_identity_type(&self, index: usize) -> IdentityType {
        self.credential_owner(index)
            .map(|i| self.identity_facts[i].identity_type)
            .unwrap_or_default()
    }

    /// A credential and its facts.
    pub fn credential(&self, index: usize) -> (&Credential, CredentialFacts<'_>) {
        let credential = &self.inventory.credentials[index];
        let owner = self.credential_resolved_owner(index);
        let mut facts = credential_facts(credential, owner, self.as_of);
        facts.leaks = self.leaks.of_credential(index);
        (credential, facts)
    }

    /// Matches leak reports to the credentials they name.
    pub fn attach_leaks(&mut self, reports: crate::import::leaks::LeakReports) {
        self.leaks = leaks::LeakIndex::build(reports, &self.inventory);
    }

    /// Who answers for a credential: its identity's owner, else the one its tags name.
    pub fn credential_resolved_owner(&self, index: usize) -> &ResolvedOwner {
        match self.credential_owner(index) {
            Some(i) => &self.identity_facts[i].owner,
            None => self.unattached_owners.get(&index).unwrap_or(&NO_OWNER),
        }
    }
}

/// [`days_between`] as kept in the facts of a million identities: 32 bits (any date
/// within 5 million years).
pub fn day_count(from: DateTime<Utc>, to: DateTime<Utc>) -> i32 {
    days_between(from, to).clamp(i32::MIN.into(), i32::MAX.into()) as i32
}

/// Whole days from `from` to `to` (negative when `from` is later).
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days()
}

/// Whether a credential kind is a long-lived secret a program signs in with.
pub fn is_static_key(kind: CredentialKind) -> bool {
    matches!(
        kind,
        CredentialKind::AccessKey
            | CredentialKind::ClientSecret
            | CredentialKind::ServiceAccountKey
            | CredentialKind::Password
            | CredentialKind::SshKey
    )
}

/// Whether a credential kind is an API key a program signs requests with.
pub fn is_access_key(kind: CredentialKind) -> bool {
    matches!(
        kind,
        CredentialKind::AccessKey
            | CredentialKind::ClientSecret
            | CredentialKind::ServiceAccountKey
    )
}

/// The configurable classifiers of enrichment.
#[derive(Debug, Clone, Default)]
pub struct Classifiers {
    pub ai: AiClassifier,
    pub identity_type: IdentityTypeClassifier,
}

/// Computes every derived fact of `inventory` as of `as_of`, with the default
/// classifiers.
pub fn enrich(inventory: Inventory, as_of: DateTime<Utc>, owners: &OwnerResolver) -> Enriched {
    enrich_with(inventory, as_of, owners, &Classifiers::default())
}

/// Tag keys that name an environment, matched case-insensitively (`Env`, `ENVIRONMENT`).
pub const ENVIRONMENT_TAG_KEYS: &[&str] = &["env", "environment", "stage"];

/// Adds the environments `tags` name to `into`, each once. (A boxed slice, not a
/// vector: the facts of a million identities hold four lists, 8 bytes each saved.)
fn add_environments(tags: &crate::inventory::Tags, into: &mut Box<[String]>) {
    let values = tags.iter().filter(|(key, _)| {
        ENVIRONMENT_TAG_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key.trim()))
    });
    let mut added: Option<Vec<String>> = None;
    for (_, value) in values {
        for env in value.split([',', '/', '|', ';', ' ']) {
            let env = env.trim().to_lowercase();
            let list = added.get_or_insert_with(|| std::mem::take(into).into_vec());
            if !env.is_empty() && !list.contains(&env) {
                list.push(env);
            }
        }
    }
    if let Some(list) = added {
        *into = list.into_boxed_slice();
    }
}

/// [`enrich`] with configured classifiers.
pub fn enrich_with(
    inventory: Inventory,
    as_of: DateTime<Utc>,
    owners: &OwnerResolver,
    classifiers: &Classifiers,
) -> Enriched {
    // Side by side: neither needs the other, and each has stretches on one core. The
    // graph's working space then comes on top of the facts' (docs/performance.md).
    let (mut delegation, (identity_facts, credential_identity, unattached_owners)) = rayon::join(
        || Delegation::build(&inventory.identities),
        || entity_facts(&inventory, as_of, owners, classifiers),
    );
    delegation.mark_workloads(
        identity_facts
            .iter()
            .map(|f| f.identity_type == IdentityType::NonHuman)
            .collect(),
    );
    Enriched {
        as_of,
        inventory,
        identity_facts,
        credential_identity,
        unattached_owners,
        delegation,
        leaks: Default::default(),
    }
}

/// Every identity's facts, each credential's identity, and the owners of the
/// credentials without one.
fn entity_facts(
    inventory: &Inventory,
    as_of: DateTime<Utc>,
    owners: &OwnerResolver,
    classifiers: &Classifiers,
) -> (
    Vec<IdentityFacts>,
    Vec<Option<u32>>,
    FastMap<usize, ResolvedOwner>,
) {
    let mut index: FastMap<(Provider, &str), u32> =
        crate::hash::map_with_capacity(inventory.identities.len());
    for (i, identity) in inventory.identities.iter().enumerate() {
        index.insert((identity.provider, identity.id.as_str()), i as u32);
    }

    let credential_owner: Vec<Option<u32>> = inventory
        .credentials
        .par_iter()
        .map(|c| {
            c.identity_id
                .as_deref()
                .and_then(|id| index.get(&(c.provider, id)).copied())
        })
        .collect();
    drop(index);

    let account_names = trust::account_names(inventory);
    let ai = classifiers.ai.matcher();
    // Each identity's facts depend on that identity alone: computed on all cores.
    let mut identity_facts: Vec<IdentityFacts> = inventory
        .identities
        .par_iter()
        .map(|identity| {
            let mut facts = identity_facts(identity, as_of, owners);
            let verdict = ai.classify(identity);
            facts.ai_agent = verdict.ai_agent;
            facts.ai_signals = verdict.signals.into_boxed_slice();
            facts.provider_managed = is_provider_managed(identity);
            facts.trusted_accounts =
                trust::trusted_accounts(identity, &account_names).into_boxed_slice();
            add_environments(&identity.tags, &mut facts.environments);
            facts
        })
        .collect();
    drop(account_names);

    let unattached_owners: FastMap<usize, ResolvedOwner> = (inventory.credentials.iter())
        .zip(&credential_owner)
        .enumerate()
        .filter(|(_, (_, owner_index))| owner_index.is_none())
        .map(|(index, (credential, _))| (index, owners.resolve(&credential.tags, &[], as_of)))
        .filter(|(_, owner)| *owner != ResolvedOwner::default())
        .collect();

    // What each attached credential adds to its identity's counts, judged on all cores,
    // then summed in inventory order (so environments keep their first-seen order).
    let counted: Vec<CountedCredential> = (inventory.credentials.par_iter())
        .zip(credential_owner.par_iter())
        .map(|(credential, owner_index)| CountedCredential::of(credential, *owner_index, as_of))
        .collect();
    for (credential, counted) in inventory.credentials.iter().zip(&counted) {
        let Some(i) = counted.identity else { continue };
        let counts = &mut identity_facts[i as usize];
        add_environments(&credential.tags, &mut counts.environments);
        counts.credential_count += 1;
        counts.active_credential_count += u32::from(counted.active);
        counts.active_static_key_count += u32::from(counted.active_static_key);
        counts.active_access_key_count += u32::from(counted.active_access_key);
    }
    drop(counted);

    // Whether a user is a person depends on its credentials, counted above.
    let roster = owners.roster.as_ref();
    (inventory.identities.par_iter())
        .zip(identity_facts.par_iter_mut())
        .for_each(|(identity, facts)| {
            let summary = CredentialSummary {
                active_access_keys: facts.active_access_key_count,
            };
            let verdict = classifiers
                .identity_type
                .classify(identity, summary, roster);
            facts.identity_type = verdict.identity_type;
            facts.identity_type_signals = verdict.signals.into_boxed_slice();
            if facts.identity_type == IdentityType::Human
                && facts.owner.status == OwnerStatus::Missing
            {
                // A person's own user answers to that person: active or departed per roster.
                if let Some(person) = verdict.person {
                    facts.owner = owners.resolve(&Default::default(), &[person], as_of);
                    facts.owner.owner_source = Some("self".into());
                }
            }
            if facts.identity_type == IdentityType::Human && facts.ai_agent {
                // A person is never an AI agent, whatever their name or rights suggest.
                facts.ai_agent = false;
                let mut signals = std::mem::take(&mut facts.ai_signals).into_vec();
                signals.insert(0, "not an AI agent: a human user".to_string());
                facts.ai_signals = signals.into_boxed_slice();
            }
        });

    // A person's own user now answers to that person, and so do its credentials: they
    // take their identity's owner when asked for (Enriched::credential_resolved_owner).
    (identity_facts, credential_owner, unattached_owners)
}

/// What one credential adds to the counts of the identity it belongs to.
struct CountedCredential {
    /// The identity's index; `None` for a credential attached to no known identity.
    identity: Option<u32>,
    /// Active and not expired.
    active: bool,
    active_static_key: bool,
    active_access_key: bool,
}

impl CountedCredential {
    fn of(credential: &Credential, identity: Option<u32>, as_of: DateTime<Utc>) -> Self {
        let mut counted = CountedCredential {
            identity,
            active: false,
            active_static_key: false,
            active_access_key: false,
        };
        if identity.is_none() {
            return counted;
        }
        // The facts the counts need (the owner plays no part in them).
        let facts = credential_facts(credential, &NO_OWNER, as_of);
        counted.active = credential.status == CredentialStatus::Active && !facts.expired;
        counted.active_static_key = counted.active && facts.static_key;
        counted.active_access_key = counted.active && is_access_key(credential.kind);
        counted
    }
}

/// Whether the provider made the identity and manages it: AWS IAM Identity Center's
/// permission-set roles and service-linked roles (their trust and policies cannot be
/// changed by the customer).
pub fn is_provider_managed(identity: &Identity) -> bool {
    if identity.provider != Provider::Aws || identity.kind != crate::inventory::IdentityKind::Role {
        return false;
    }
    let path = identity
        .attributes
        .get("path")
        .and_then(|p| p.as_str())
        .unwrap_or("");
    identity.name.starts_with("AWSReservedSSO_")
        || identity.name.starts_with("AWSServiceRoleFor")
        || path.starts_with("/aws-service-role/")
        || path.starts_with("/aws-reserved/sso.amazonaws.com/")
}

/// A time attribute of the source (`password_last_used`), when it is one.
fn time_attribute(identity: &Identity, key: &str) -> Option<DateTime<Utc>> {
    identity
        .attributes
        .get(key)
        .and_then(|v| v.as_str())
        .and_then(crate::inventory::time::parse)
}

fn identity_facts(
    identity: &Identity,
    as_of: DateTime<Utc>,
    owners: &OwnerResolver,
) -> IdentityFacts {
    // Only where the source says there is a password (the credential report's
    // `password_enabled`): without it, a missing last use means "unknown".
    let has_password = identity.interactive_login
        && identity.attributes.get("password_enabled") == Some(&serde_json::Value::Bool(true));
    let password = |key: &str| {
        has_password
            .then(|| time_attribute(identity, key))
            .flatten()
    };
    IdentityFacts {
        password_days_since_used: password("password_last_used").map(|t| day_count(t, as_of)),
        password_age_days: password("password_last_changed")
            .or(identity.created.filter(|_| has_password))
            .map(|t| day_count(t, as_of)),
        age_days: identity.created.map(|t| day_count(t, as_of)),
        days_since_activity: identity.last_activity.map(|t| day_count(t, as_of)),
        never_used: identity.activity_tracked && identity.last_activity.is_none(),
        owner: owners.resolve(&identity.tags, &identity.owners, as_of),
        ..Default::default()
    }
}

fn credential_facts<'a>(
    credential: &Credential,
    owner: &'a ResolvedOwner,
    as_of: DateTime<Utc>,
) -> CredentialFacts<'a> {
    let days_to_expiry = credential.expires.map(|t| days_between(as_of, t));
    CredentialFacts {
        age_days: credential.created.map(|t| days_between(t, as_of)),
        days_since_used: credential.last_used.map(|t| days_between(t, as_of)),
        never_used: credential.usage_tracked && credential.last_used.is_none(),
        days_to_expiry,
        lifetime_days: match (credential.created, credential.expires) {
            (Some(created), Some(expires)) => Some(days_between(created, expires)),
            _ => None,
        },
        expired: credential.expires.is_some_and(|t| t <= as_of),
        days_since_rotation: credential
            .last_rotated
            .or(credential.created)
            .map(|t| days_between(t, as_of)),
        static_key: is_static_key(credential.kind),
        owner,
        leaks: &[],
    }
}

impl OwnerStatus {
    /// Whether nobody accountable stands behind the entity any more.
    pub fn is_orphaned(self) -> bool {
        matches!(self, OwnerStatus::Missing | OwnerStatus::Departed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn identity(id: &str) -> Identity {
        serde_json::from_value(serde_json::json!({
            "provider": "aws",
            "scope": {"kind": "account", "id": "111111111111"},
            "id": id, "name": id, "kind": "service_user",
            "created": "2025-01-01T00:00:00Z",
            "tags": {"owner": "alice@example.com"}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn key(id: &str, identity: &str, status: &str) -> Credential {
        serde_json::from_value(serde_json::json!({
            "provider": "aws",
            "scope": {"kind": "account", "id": "111111111111"},
            "id": id, "kind": "access_key", "identity_id": identity,
            "created": "2025-06-01T00:00:00Z", "status": status,
            "expires": "2026-01-10T00:00:00Z"
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ages_counts_and_owner_are_derived_as_of_the_given_time() {
        let mut inventory = Inventory::new();
        inventory.identities.push(identity("u1"));
        inventory.credentials.push(key("k1", "u1", "active"));
        inventory.credentials.push(key("k2", "u1", "inactive"));
        inventory.credentials.push(key("k3", "nobody", "active"));
        let enriched = enrich(inventory, at(2026, 1, 1), &OwnerResolver::default());

        let (_, facts) = enriched.identity(0);
        assert_eq!(facts.age_days, Some(365));
        assert!(facts.never_used);
        assert_eq!(facts.owner.status, OwnerStatus::Present);
        assert_eq!(facts.credential_count, 2);
        assert_eq!(facts.active_static_key_count, 1);
        assert_eq!(facts.active_access_key_count, 1);

        let (_, key) = enriched.credential(0);
        assert_eq!(key.age_days, Some(214));
        assert_eq!(key.days_to_expiry, Some(9));
        assert!(!key.expired);
        assert_eq!(key.owner.owner.as_deref(), Some("alice@example.com"));
        let owners: Vec<Option<usize>> = (0..3).map(|i| enriched.credential_owner(i)).collect();
        assert_eq!(owners, [Some(0), Some(0), None]);
        assert_eq!(enriched.credential(2).1.owner.status, OwnerStatus::Missing);
    }

    #[test]
    fn console_password_ages_come_from_the_credential_report_columns() {
        let mut user = identity("u1");
        user.interactive_login = true;
        let now = at(2026, 1, 1);
        // No `password_enabled`: nothing is known of the password.
        let facts = identity_facts(&user, now, &OwnerResolver::default());
        assert_eq!(
            (facts.password_days_since_used, facts.password_age_days),
            (None, None)
        );
        user.attributes
            .insert("password_enabled", serde_json::json!(true));
        let facts = identity_facts(&user, now, &OwnerResolver::default());
        assert_eq!(
            (facts.password_days_since_used, facts.password_age_days),
            (None, Some(365))
        );
        user.attributes.insert(
            "password_last_used",
            serde_json::json!("2025-11-17T00:00:00Z"),
        );
        user.attributes.insert(
            "password_last_changed",
            serde_json::json!("2025-06-01T00:00:00Z"),
        );
        let facts = identity_facts(&user, now, &OwnerResolver::default());
        assert_eq!(
            (facts.password_days_since_used, facts.password_age_days),
            (Some(45), Some(214))
        );
    }

    #[test]
    fn unknown_activity_is_not_never_used() {
        let mut id = identity("u1");
        id.activity_tracked = false;
        let facts = identity_facts(&id, at(2026, 1, 1), &OwnerResolver::default());
        assert!(!facts.never_used);
        assert_eq!(facts.days_since_activity, None);
    }
}
