//! Human or not: which user accounts are people and which are software.
//!
//! Only user-like identities (`service_user`: an AWS IAM user, or a user account from
//! an import) can be either; roles, service principals, service accounts and the like
//! are always non-human. A user account's verdict comes from signals of two kinds and
//! two strengths, all kept as evidence:
//!
//! * **declared** (decides alone): `attributes.identity_type`, a tag `identity-type` /
//!   `identity_type` / `user-type` / `principal-type` (`human`, `person`, `employee`;
//!   or `service`, `machine`, `non-human`, `nhi`, `system`, `application`), or a
//!   name pattern in `[identities] humans` / `non_humans` of `nhiscan.toml`;
//! * **human**, strong: its name (or an `email` tag) is a person of the HR roster, its
//!   name is an email address, or it signs in with a console password and MFA and has
//!   no active access key; weak: a console password alone, a `first.last` name;
//! * **non-human**, strong: a service word in its name (`svc`, `deploy`, `etl`...),
//!   active access keys and no console password; weak: an active access key beside a
//!   console password.
//!
//! Strong signals on one side only decide; strong signals on both sides, or weak ones on
//! both sides and no strong one, leave it **ambiguous** (one low finding asks for a
//! label instead of many findings that may be wrong); weak signals on one side decide;
//! no signal at all means non-human (a user nobody can sign in as is software or dead).

use super::ai::words;
use super::owner::Roster;
use crate::glob::Pattern;
use crate::inventory::{Identity, IdentityKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What stands behind an identity.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentityType {
    /// Software: a service, a pipeline, an agent.
    #[default]
    NonHuman,
    /// A person's own account.
    Human,
    /// The signals disagree: someone should label it.
    Ambiguous,
}

impl IdentityType {
    pub const ALL: [IdentityType; 3] = [
        IdentityType::NonHuman,
        IdentityType::Human,
        IdentityType::Ambiguous,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityType::NonHuman => "non_human",
            IdentityType::Human => "human",
            IdentityType::Ambiguous => "ambiguous",
        }
    }
}

impl fmt::Display for IdentityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words in a user name that mark software.
pub const SERVICE_WORDS: &[&str] = &[
    "svc",
    "service",
    "srv",
    "sa",
    "bot",
    "robot",
    "ci",
    "cd",
    "cicd",
    "deploy",
    "deployer",
    "deployment",
    "pipeline",
    "build",
    "jenkins",
    "gitlab",
    "github",
    "terraform",
    "tf",
    "ansible",
    "automation",
    "auto",
    "app",
    "api",
    "integration",
    "sync",
    "export",
    "import",
    "exporter",
    "importer",
    "etl",
    "backup",
    "monitor",
    "monitoring",
    "system",
    "sys",
    "runner",
    "worker",
    "job",
    "cron",
    "batch",
    "agent",
    "lambda",
    "upload",
    "uploader",
    "ingest",
    "daemon",
    "scanner",
    "sftp",
    "ftp",
    "smtp",
    "relay",
    "test",
    "loadtest",
    "readonly",
    "replication",
];

/// Tag keys that state what kind of identity this is.
pub const TYPE_TAG_KEYS: &[&str] = &[
    "identity-type",
    "identity_type",
    "identityType",
    "user-type",
    "user_type",
    "principal-type",
    "principal_type",
];

const HUMAN_VALUES: &[&str] = &["human", "person", "employee", "user", "people", "staff"];
const NON_HUMAN_VALUES: &[&str] = &[
    "service",
    "machine",
    "non-human",
    "non_human",
    "nonhuman",
    "nhi",
    "system",
    "application",
    "app",
    "workload",
    "bot",
];

/// Tag keys that carry a person's email address on their own user.
const EMAIL_TAG_KEYS: &[&str] = &["email", "Email", "mail", "e-mail"];

/// `[identities]` in `nhiscan.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityTypeConfig {
    /// Name or id patterns (`*` wildcards, case-insensitive) of people's accounts.
    #[serde(default)]
    pub humans: Vec<String>,
    /// Name or id patterns of software accounts.
    #[serde(default)]
    pub non_humans: Vec<String>,
    /// Replaces the default service words.
    pub service_words: Option<Vec<String>>,
    /// Adds to the service words.
    #[serde(default)]
    pub extra_service_words: Vec<String>,
}

impl IdentityTypeConfig {
    pub fn classifier(&self) -> Result<IdentityTypeClassifier, String> {
        let patterns = |list: &[String], key: &str| -> Result<Vec<(String, Pattern)>, String> {
            list.iter()
                .map(|p| {
                    Pattern::new(p, true)
                        .map(|g| (p.clone(), g))
                        .map_err(|e| format!("[identities] {key}: {e}"))
                })
                .collect()
        };
        let mut service_words: Vec<String> = match &self.service_words {
            Some(words) => words.iter().map(|w| w.to_lowercase()).collect(),
            None => SERVICE_WORDS.iter().map(|w| w.to_string()).collect(),
        };
        service_words.extend(self.extra_service_words.iter().map(|w| w.to_lowercase()));
        Ok(IdentityTypeClassifier {
            humans: patterns(&self.humans, "humans")?,
            non_humans: patterns(&self.non_humans, "non_humans")?,
            service_words,
        })
    }
}

/// The classifier's lists, from `[identities]` or the defaults.
#[derive(Debug, Clone)]
pub struct IdentityTypeClassifier {
    humans: Vec<(String, Pattern)>,
    non_humans: Vec<(String, Pattern)>,
    service_words: Vec<String>,
}

impl Default for IdentityTypeClassifier {
    fn default() -> Self {
        IdentityTypeClassifier {
            humans: Vec::new(),
            non_humans: Vec::new(),
            service_words: SERVICE_WORDS.iter().map(|w| w.to_string()).collect(),
        }
    }
}

/// The verdict for one identity, with every signal found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeVerdict {
    pub identity_type: IdentityType,
    pub signals: Vec<String>,
    /// The roster person (email, else name) the account's name or email tag matched.
    pub person: Option<String>,
}

/// What the classifier needs to know about an identity's credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct CredentialSummary {
    pub active_access_keys: u32,
}

#[derive(Default)]
struct Evidence {
    person: Option<String>,
    strong_human: Vec<String>,
    weak_human: Vec<String>,
    strong_machine: Vec<String>,
    weak_machine: Vec<String>,
}

impl IdentityTypeClassifier {
    /// Classifies `identity`; `roster` is the HR export, when one was given.
    pub fn classify(
        &self,
        identity: &Identity,
        credentials: CredentialSummary,
        roster: Option<&Roster>,
    ) -> TypeVerdict {
        if identity.kind != IdentityKind::ServiceUser {
            return TypeVerdict::default();
        }
        if let Some(verdict) = self.declared(identity) {
            return verdict;
        }
        let mut evidence = Evidence::default();
        self.name_signals(identity, roster, &mut evidence);
        login_signals(identity, credentials, &mut evidence);
        decide(evidence)
    }

    fn declared(&self, identity: &Identity) -> Option<TypeVerdict> {
        let decided = |identity_type, signal: String| TypeVerdict {
            identity_type,
            signals: vec![signal],
            person: None,
        };
        if let Some(value) = identity
            .attributes
            .get("identity_type")
            .and_then(|v| v.as_str())
        {
            if let Some(t) = type_word(value) {
                return Some(decided(
                    t,
                    format!("declared: attributes.identity_type = {value}"),
                ));
            }
        }
        for key in TYPE_TAG_KEYS {
            if let Some(value) = identity.tags.get(*key) {
                if let Some(t) = type_word(value) {
                    return Some(decided(t, format!("declared: tag {key}={value}")));
                }
            }
        }
        let listed = |list: &[(String, Pattern)]| {
            list.iter()
                .find(|(_, m)| m.is_match(&identity.name) || m.is_match(&identity.id))
                .map(|(p, _)| p.clone())
        };
        if let Some(pattern) = listed(&self.humans) {
            return Some(decided(
                IdentityType::Human,
                format!("declared: [identities] humans `{pattern}`"),
            ));
        }
        if let Some(pattern) = listed(&self.non_humans) {
            return Some(decided(
                IdentityType::NonHuman,
                format!("declared: [identities] non_humans `{pattern}`"),
            ));
        }
        None
    }

    fn name_signals(&self, identity: &Identity, roster: Option<&Roster>, evidence: &mut Evidence) {
        let name = identity.name.trim();
        if let Some(roster) = roster {
            let mut candidates: Vec<&str> = vec![name];
            candidates.extend(
                EMAIL_TAG_KEYS
                    .iter()
                    .filter_map(|k| identity.tags.get(*k).map(|v| v.as_str())),
            );
            for candidate in candidates {
                if let Some(person) = roster_person(roster, candidate) {
                    evidence.strong_human.push(format!(
                        "roster: `{candidate}` is {} ({})",
                        person.person, person.email
                    ));
                    let key = if person.email.trim().is_empty() {
                        &person.person
                    } else {
                        &person.email
                    };
                    evidence.person = Some(key.trim().to_string());
                    break;
                }
            }
        }
        if is_email(name) {
            evidence
                .strong_human
                .push(format!("name: `{name}` is an email address"));
        }
        let words = words(name);
        let service: Vec<&String> = words
            .iter()
            .filter(|w| self.service_words.contains(w))
            .collect();
        if !service.is_empty() {
            let list: Vec<&str> = service.iter().map(|w| w.as_str()).collect();
            evidence.strong_machine.push(format!(
                "name: service word {} in `{name}`",
                list.iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else if looks_like_first_last(name) {
            evidence
                .weak_human
                .push(format!("name: `{name}` has the shape first.last"));
        }
    }
}

/// The person a user name or email stands for: by email, by name, or by the local
/// part of a roster email (`priya.shah` for priya.shah@acme.example).
fn roster_person<'r>(roster: &'r Roster, candidate: &str) -> Option<&'r super::owner::RosterEntry> {
    roster
        .find(candidate)
        .or_else(|| roster.find_by_local_part(candidate))
}

fn login_signals(identity: &Identity, credentials: CredentialSummary, evidence: &mut Evidence) {
    let mfa = identity
        .attributes
        .get("mfa_active")
        .and_then(|v| v.as_bool());
    let keys = credentials.active_access_keys;
    match (identity.interactive_login, keys) {
        (true, 0) if mfa == Some(true) => evidence
            .strong_human
            .push("login: console password with MFA, no active access key".into()),
        (true, 0) => evidence
            .weak_human
            .push("login: console password, no active access key".into()),
        (true, n) => {
            evidence.weak_human.push(if mfa == Some(true) {
                "login: console password with MFA".into()
            } else {
                "login: console password".into()
            });
            evidence
                .weak_machine
                .push(format!("credentials: {n} active access key(s)"));
        }
        (false, 0) => {}
        (false, n) => evidence.strong_machine.push(format!(
            "credentials: {n} active access key(s) and no console password"
        )),
    }
}

fn decide(evidence: Evidence) -> TypeVerdict {
    let Evidence {
        person,
        strong_human,
        weak_human,
        strong_machine,
        weak_machine,
    } = evidence;
    let identity_type = match (
        !strong_human.is_empty(),
        !strong_machine.is_empty(),
        !weak_human.is_empty(),
        !weak_machine.is_empty(),
    ) {
        (true, true, _, _) => IdentityType::Ambiguous,
        (true, false, _, _) => IdentityType::Human,
        (false, true, _, _) => IdentityType::NonHuman,
        (false, false, true, true) => IdentityType::Ambiguous,
        (false, false, true, false) => IdentityType::Human,
        (false, false, false, _) => IdentityType::NonHuman,
    };
    let mut signals: Vec<String> = Vec::new();
    signals.extend(strong_human.into_iter().map(|s| format!("human: {s}")));
    signals.extend(weak_human.into_iter().map(|s| format!("weak human: {s}")));
    signals.extend(
        strong_machine
            .into_iter()
            .map(|s| format!("non-human: {s}")),
    );
    signals.extend(
        weak_machine
            .into_iter()
            .map(|s| format!("weak non-human: {s}")),
    );
    if signals.is_empty() {
        signals.push("non-human: no console password and no sign of a person".into());
    }
    TypeVerdict {
        identity_type,
        signals,
        person,
    }
}

fn type_word(value: &str) -> Option<IdentityType> {
    let value = value.trim().to_lowercase();
    if HUMAN_VALUES.contains(&value.as_str()) {
        Some(IdentityType::Human)
    } else if NON_HUMAN_VALUES.contains(&value.as_str()) {
        Some(IdentityType::NonHuman)
    } else {
        None
    }
}

fn is_email(name: &str) -> bool {
    match name.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

/// `first.last` (or `first_last`): two or three alphabetic parts, none a service word
/// (those are checked before).
fn looks_like_first_last(name: &str) -> bool {
    let parts: Vec<&str> = name.split(['.', '_']).collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| p.len() >= 2 && p.chars().all(|c| c.is_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::owner::{PersonStatus, RosterEntry};
    use crate::inventory::{Provider, Scope, ScopeKind};

    fn user(name: &str) -> Identity {
        Identity::new(
            Provider::Aws,
            Scope {
                kind: ScopeKind::Account,
                id: "111111111111".into(),
                name: None,
            },
            format!("arn:aws:iam::111111111111:user/{name}"),
            name,
            IdentityKind::ServiceUser,
        )
    }

    fn console(mut identity: Identity, mfa: bool) -> Identity {
        identity.interactive_login = true;
        identity
            .attributes
            .insert("mfa_active", serde_json::json!(mfa));
        identity
    }

    fn roster() -> Roster {
        Roster::new(vec![RosterEntry {
            person: "Priya Shah".into(),
            email: "priya.shah@acme.example".into(),
            status: PersonStatus::Active,
            end_date: None,
        }])
    }

    fn classify(identity: &Identity, keys: u32) -> TypeVerdict {
        IdentityTypeClassifier::default().classify(
            identity,
            CredentialSummary {
                active_access_keys: keys,
            },
            Some(&roster()),
        )
    }

    #[test]
    fn console_with_mfa_and_no_keys_is_a_person() {
        let verdict = classify(&console(user("mlopez"), true), 0);
        assert_eq!(verdict.identity_type, IdentityType::Human, "{verdict:?}");
    }

    #[test]
    fn a_roster_match_by_email_local_part_is_a_person_even_with_keys() {
        let verdict = classify(&user("priya.shah"), 1);
        // Strong on both sides (roster; keys without console): ambiguous.
        assert_eq!(
            verdict.identity_type,
            IdentityType::Ambiguous,
            "{verdict:?}"
        );
        let verdict = classify(&console(user("priya.shah"), false), 1);
        assert_eq!(verdict.identity_type, IdentityType::Human, "{verdict:?}");
        assert!(verdict.signals[0].starts_with("human: roster:"));
    }

    #[test]
    fn service_names_and_keys_without_console_are_software() {
        assert_eq!(
            classify(&user("reporting-export"), 1).identity_type,
            IdentityType::NonHuman
        );
        // A console password on an account named like a service does not make it a
        // person: interactive-login-on-service-identity judges it.
        assert_eq!(
            classify(&console(user("jenkins-svc"), false), 1).identity_type,
            IdentityType::NonHuman
        );
        assert_eq!(
            classify(&user("legacy"), 0).identity_type,
            IdentityType::NonHuman
        );
    }

    #[test]
    fn console_password_beside_keys_on_a_neutral_name_is_ambiguous() {
        let verdict = classify(&console(user("reporting"), true), 2);
        assert_eq!(
            verdict.identity_type,
            IdentityType::Ambiguous,
            "{verdict:?}"
        );
    }

    #[test]
    fn declarations_decide_alone() {
        let mut tagged = console(user("mlopez"), true);
        tagged.tags.insert("identity-type", "service");
        assert_eq!(classify(&tagged, 0).identity_type, IdentityType::NonHuman);
        let config = IdentityTypeConfig {
            humans: vec!["ops-*".into()],
            ..Default::default()
        };
        let classifier = config.classifier().unwrap_or_else(|e| panic!("{e}"));
        let verdict = classifier.classify(
            &user("ops-oncall"),
            CredentialSummary {
                active_access_keys: 1,
            },
            None,
        );
        assert_eq!(verdict.identity_type, IdentityType::Human);
        assert_eq!(verdict.signals, ["declared: [identities] humans `ops-*`"]);
    }

    #[test]
    fn only_user_accounts_are_classified() {
        let mut role = console(user("priya.shah"), true);
        role.kind = IdentityKind::Role;
        assert_eq!(classify(&role, 0), TypeVerdict::default());
    }

    #[test]
    fn bad_patterns_are_reported() {
        let config = IdentityTypeConfig {
            non_humans: vec!["[".into()],
            ..Default::default()
        };
        assert!(config.classifier().is_err());
    }
}
