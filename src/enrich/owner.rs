//! Owner resolution: who is accountable for an identity, from the platform's declared
//! owners and configurable tag keys, checked against an HR/directory roster.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Tag keys that name an owner when no configuration says otherwise, most specific first.
pub const DEFAULT_OWNER_TAG_KEYS: [&str; 7] = [
    "owner",
    "Owner",
    "owner-email",
    "owner_email",
    "created-by",
    "team",
    "Team",
];

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OwnerStatus {
    /// An owner is named (no roster given to check it against).
    Present,
    /// No owner is named anywhere.
    #[default]
    Missing,
    /// The named owner is an active person in the roster.
    Active,
    /// Every named owner has left, according to the roster.
    Departed,
    /// The named owner is not in the roster.
    Unknown,
}

impl OwnerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerStatus::Present => "present",
            OwnerStatus::Missing => "missing",
            OwnerStatus::Active => "active",
            OwnerStatus::Departed => "departed",
            OwnerStatus::Unknown => "unknown",
        }
    }
}

/// The outcome of owner resolution for one entity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResolvedOwner {
    /// The owner as named by the source (first one found). Shared by an identity
    /// and its credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Arc<str>>,
    /// Where the owner was found: `declared` or `tag:<key>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_source: Option<Arc<str>>,
    #[serde(rename = "owner_status")]
    pub status: OwnerStatus,
    /// Days since the (last) owner left, when they all departed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_departed_days: Option<i32>,
}

/// One person in an HR/directory export.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RosterEntry {
    pub person: String,
    #[serde(default)]
    pub email: String,
    pub status: PersonStatus,
    #[serde(default, deserialize_with = "optional_date")]
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonStatus {
    Active,
    Departed,
}

fn optional_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
}

/// An HR/directory roster indexed by lower-cased email and person name.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    people: Vec<RosterEntry>,
    by_key: HashMap<String, usize>,
    /// Email local part → the one person with it (`None` when several share it).
    by_local_part: HashMap<String, Option<usize>>,
}

impl Roster {
    pub fn new(people: Vec<RosterEntry>) -> Self {
        let mut by_key = HashMap::new();
        let mut by_local_part: HashMap<String, Option<usize>> = HashMap::new();
        for (i, person) in people.iter().enumerate() {
            if let Some((local, _)) = person.email.trim().to_lowercase().split_once('@') {
                if !local.is_empty() {
                    by_local_part
                        .entry(local.to_string())
                        .and_modify(|slot| *slot = None)
                        .or_insert(Some(i));
                }
            }
            for key in [&person.email, &person.person] {
                let key = key.trim().to_lowercase();
                if !key.is_empty() {
                    by_key.entry(key).or_insert(i);
                }
            }
        }
        Roster {
            people,
            by_key,
            by_local_part,
        }
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The person whose email's local part is `local` (`priya.shah` for
    /// priya.shah@acme.example), when exactly one is.
    pub fn find_by_local_part(&self, local: &str) -> Option<&RosterEntry> {
        self.by_local_part
            .get(&local.trim().to_lowercase())
            .copied()
            .flatten()
            .map(|i| &self.people[i])
    }

    pub fn find(&self, name_or_email: &str) -> Option<&RosterEntry> {
        self.by_key
            .get(&name_or_email.trim().to_lowercase())
            .map(|&i| &self.people[i])
    }
}

/// Resolves owners with a fixed tag-key order, an optional roster and optional teams.
#[derive(Debug, Clone)]
pub struct OwnerResolver {
    pub tag_keys: Vec<String>,
    pub roster: Option<Roster>,
    /// Team name (lower case) → its people; a team owner is active while one of its
    /// people is, and departed once all of them have left.
    pub teams: HashMap<String, Vec<String>>,
}

/// What the roster says of one owner candidate (a person or a team).
enum Judgement {
    Active,
    Departed(Option<NaiveDate>),
    Unknown,
}

impl Default for OwnerResolver {
    fn default() -> Self {
        OwnerResolver {
            tag_keys: DEFAULT_OWNER_TAG_KEYS
                .iter()
                .map(|k| k.to_string())
                .collect(),
            roster: None,
            teams: HashMap::new(),
        }
    }
}

impl OwnerResolver {
    /// Names every owner candidate (declared owners first, then tags in key order) and
    /// judges them against the roster.
    pub fn resolve(
        &self,
        tags: &crate::inventory::Tags,
        declared: &[String],
        as_of: DateTime<Utc>,
    ) -> ResolvedOwner {
        let mut candidates: Vec<(String, String)> = declared
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| (o.trim().to_string(), "declared".to_string()))
            .collect();
        for key in &self.tag_keys {
            if let Some(value) = tags
                .get(key.as_str())
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                candidates.push((value.to_string(), format!("tag:{key}")));
            }
        }
        let Some((first, first_source)) = candidates.first().cloned() else {
            return ResolvedOwner::default();
        };
        let Some(roster) = &self.roster else {
            return ResolvedOwner {
                owner: Some(first.into()),
                owner_source: Some(first_source.into()),
                status: OwnerStatus::Present,
                owner_departed_days: None,
            };
        };

        let mut departed_last: Option<Option<NaiveDate>> = None;
        let mut departed_pick: Option<(String, String)> = None;
        for (name, source) in &candidates {
            match self.judge(roster, name) {
                Judgement::Active => {
                    return ResolvedOwner {
                        owner: Some(name.as_str().into()),
                        owner_source: Some(source.as_str().into()),
                        status: OwnerStatus::Active,
                        owner_departed_days: None,
                    };
                }
                Judgement::Departed(end_date) => {
                    let latest = match departed_last {
                        None => end_date,
                        Some(prev) => prev.max(end_date),
                    };
                    departed_last = Some(latest);
                    departed_pick.get_or_insert_with(|| (name.clone(), source.clone()));
                }
                Judgement::Unknown => {}
            }
        }
        match departed_pick {
            // Some candidates are unknown to the roster: that is worse news only if
            // none of them is a departed person.
            Some((name, source)) => ResolvedOwner {
                owner: Some(name.into()),
                owner_source: Some(source.into()),
                status: OwnerStatus::Departed,
                owner_departed_days: departed_last.flatten().map(|end| {
                    let days = (as_of.date_naive() - end).num_days();
                    days.clamp(i32::MIN.into(), i32::MAX.into()) as i32
                }),
            },
            None => ResolvedOwner {
                owner: Some(first.into()),
                owner_source: Some(first_source.into()),
                status: OwnerStatus::Unknown,
                owner_departed_days: None,
            },
        }
    }
}

impl OwnerResolver {
    /// A person by the roster; a team by its people: active if one is, departed (with
    /// the last end date) if all known ones left, unknown if none is in the roster.
    fn judge(&self, roster: &Roster, name: &str) -> Judgement {
        if let Some(people) = self.teams.get(&name.trim().to_lowercase()) {
            let mut departed: Option<Option<NaiveDate>> = None;
            for person in people.iter().filter_map(|p| roster.find(p)) {
                if person.status == PersonStatus::Active {
                    return Judgement::Active;
                }
                departed = Some(match departed {
                    None => person.end_date,
                    Some(prev) => prev.max(person.end_date),
                });
            }
            return match departed {
                Some(end) => Judgement::Departed(end),
                None => Judgement::Unknown,
            };
        }
        match roster.find(name) {
            Some(person) if person.status == PersonStatus::Active => Judgement::Active,
            Some(person) => Judgement::Departed(person.end_date),
            None => Judgement::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn roster() -> Roster {
        Roster::new(vec![
            RosterEntry {
                person: "Alice Active".into(),
                email: "alice@example.com".into(),
                status: PersonStatus::Active,
                end_date: None,
            },
            RosterEntry {
                person: "Dan Departed".into(),
                email: "dan@example.com".into(),
                status: PersonStatus::Departed,
                end_date: NaiveDate::from_ymd_opt(2025, 12, 1),
            },
        ])
    }

    fn tags(pairs: &[(&str, &str)]) -> crate::inventory::Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn without_a_roster_any_named_owner_is_present() {
        let r = OwnerResolver::default().resolve(&tags(&[("team", "payments")]), &[], now());
        assert_eq!(r.status, OwnerStatus::Present);
        assert_eq!(r.owner_source.as_deref(), Some("tag:team"));
        let none = OwnerResolver::default().resolve(&tags(&[("owner", "  ")]), &[], now());
        assert_eq!(none.status, OwnerStatus::Missing);
    }

    #[test]
    fn roster_decides_active_departed_unknown() {
        let resolver = OwnerResolver {
            roster: Some(roster()),
            ..Default::default()
        };
        let active = resolver.resolve(&tags(&[("owner", "ALICE@example.com")]), &[], now());
        assert_eq!(active.status, OwnerStatus::Active);

        let departed = resolver.resolve(&tags(&[("owner", "dan@example.com")]), &[], now());
        assert_eq!(departed.status, OwnerStatus::Departed);
        assert_eq!(departed.owner_departed_days, Some(31));

        let unknown = resolver.resolve(&tags(&[("owner", "ghost@example.com")]), &[], now());
        assert_eq!(unknown.status, OwnerStatus::Unknown);

        // One active owner among several is enough.
        let shared = resolver.resolve(
            &tags(&[("owner", "dan@example.com")]),
            &["Alice Active".to_string()],
            now(),
        );
        assert_eq!(shared.status, OwnerStatus::Active);
    }

    #[test]
    fn a_team_owner_is_judged_by_its_people() {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let mut resolver = OwnerResolver {
            roster: Some(roster()),
            ..OwnerResolver::default()
        };
        resolver.teams.insert(
            "payments".into(),
            vec!["dan@example.com".into(), "alice@example.com".into()],
        );
        resolver
            .teams
            .insert("old-team".into(), vec!["dan@example.com".into()]);
        resolver
            .teams
            .insert("ghosts".into(), vec!["nobody@example.com".into()]);
        let status = |team: &str| resolver.resolve(&tags(&[("team", team)]), &[], at);
        let payments = status("Payments");
        assert_eq!(payments.status, OwnerStatus::Active);
        assert_eq!(payments.owner.as_deref(), Some("Payments"));
        let old = status("old-team");
        assert_eq!(old.status, OwnerStatus::Departed);
        assert_eq!(old.owner_departed_days, Some(31));
        assert_eq!(status("ghosts").status, OwnerStatus::Unknown);
    }
}
