//! A rule's remediation: one text for every finding, or texts by provider (`aws`), by
//! provider and entity kind (`aws/access_key`) and a `default`. Each text is a template
//! whose `{path}` placeholders are filled from the finding, so that the commands name
//! the real ids. Values are shell-quoted when they are not plain words: a name from a
//! hostile inventory cannot turn a pasted command into another one.

use super::template;
use crate::inventory::Provider;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use strum::VariantArray;

/// Which findings a remediation text is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every finding: the remediation is a single text.
    All,
    /// Findings on entities of this provider and kind (`aws/access_key`).
    Kind(Provider, String),
    /// Findings on entities of this provider without a text for their kind.
    Provider(Provider),
    /// Every other finding.
    Default,
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::All => f.write_str("all"),
            Audience::Kind(provider, kind) => write!(f, "{provider}/{kind}"),
            Audience::Provider(provider) => f.write_str(provider.as_str()),
            Audience::Default => f.write_str("default"),
        }
    }
}

impl Audience {
    /// Parses a mapping key: `default`, a provider, or `provider/kind` (the kind is
    /// checked against the rule's target when the rule is loaded).
    fn parse(key: &str) -> Option<Audience> {
        if key == "default" {
            return Some(Audience::Default);
        }
        let (provider, kind) = match key.split_once('/') {
            Some((provider, kind)) => (provider, Some(kind)),
            None => (key, None),
        };
        let provider = provider.parse::<Provider>().ok()?;
        Some(match kind {
            Some(kind) if !kind.is_empty() => Audience::Kind(provider, kind.to_string()),
            Some(_) => return None,
            None => Audience::Provider(provider),
        })
    }
}

/// What to do about a finding of the rule: its texts, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct Remediation {
    texts: Vec<(Audience, String)>,
}

impl Remediation {
    /// The position, in [`Remediation::texts`], of the text for a finding on an entity
    /// of `provider` and `kind`: its kind's, else its provider's, else the default.
    pub fn index_for(&self, provider: Provider, kind: &str) -> Option<usize> {
        let find =
            |wanted: &dyn Fn(&Audience) -> bool| self.texts.iter().position(|(a, _)| wanted(a));
        find(&|a| matches!(a, Audience::Kind(p, k) if *p == provider && k == kind))
            .or_else(|| find(&|a| *a == Audience::Provider(provider)))
            .or_else(|| find(&|a| matches!(a, Audience::Default | Audience::All)))
    }

    /// The text for a finding on an entity of `provider` and `kind`, if the rule has one.
    pub fn for_entity(&self, provider: Provider, kind: &str) -> Option<&str> {
        self.index_for(provider, kind)
            .map(|i| self.texts[i].1.as_str())
    }

    /// Every text, headed by whom it is for when there are several (`aws/access_key:`),
    /// placeholders unfilled: the rule-level help of a report.
    pub fn describe(&self) -> String {
        match self.texts.as_slice() {
            [(Audience::All, text)] => text.trim().to_string(),
            texts => texts
                .iter()
                .map(|(audience, text)| format!("{audience}:\n{}", text.trim()))
                .collect::<Vec<_>>()
                .join("\n\n"),
        }
    }

    /// Every text with whom it is for.
    pub fn texts(&self) -> &[(Audience, String)] {
        &self.texts
    }

    /// The kinds named in `provider/kind` keys.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().filter_map(|(a, _)| match a {
            Audience::Kind(_, kind) => Some(kind.as_str()),
            _ => None,
        })
    }

    /// Of the entities of `providers` and `kinds`, those that would get no text, as
    /// `provider` (none of its kinds would) or `provider/kind`.
    pub fn uncovered(&self, providers: &[Provider], kinds: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for provider in providers {
            let missing: Vec<&&str> = kinds
                .iter()
                .filter(|k| self.index_for(*provider, k).is_none())
                .collect();
            if missing.len() == kinds.len() {
                out.push(provider.as_str().to_string());
            } else {
                out.extend(missing.iter().map(|k| format!("{provider}/{k}")));
            }
        }
        out
    }

    /// The placeholders of every text, each once, in order of appearance.
    pub fn placeholders(&self) -> Result<Vec<&str>, String> {
        let mut all: Vec<&str> = Vec::new();
        for (_, text) in &self.texts {
            for path in template::placeholders(text)? {
                if !all.contains(&path) {
                    all.push(path);
                }
            }
        }
        Ok(all)
    }
}

/// The rendering of a placeholder whose value the finding lacks: `<identity.name>`,
/// so that a command shows what to put there instead of a wrong value.
pub fn missing(path: &str) -> String {
    format!("<{path}>")
}

/// Appends `text` to `out` as one POSIX shell word: unchanged when it holds only
/// characters no shell treats specially, else single-quoted (`'` written as `'\''`).
pub fn write_shell_word(text: &str, out: &mut String) {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b);
    if !text.is_empty() && text.bytes().all(plain) {
        out.push_str(text);
    } else {
        out.push('\'');
        for (i, part) in text.split('\'').enumerate() {
            if i > 0 {
                out.push_str("'\\''");
            }
            out.push_str(part);
        }
        out.push('\'');
    }
}

impl Serialize for Remediation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.texts.as_slice() {
            [(Audience::All, text)] => serializer.serialize_str(text),
            texts => serializer.collect_map(texts.iter().map(|(a, t)| (a.to_string(), t))),
        }
    }
}

impl<'de> Deserialize<'de> for Remediation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RemediationVisitor)
    }
}

struct RemediationVisitor;

impl<'de> Visitor<'de> for RemediationVisitor {
    type Value = Remediation;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text, or a mapping from provider, provider/kind or `default` to text")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Remediation, E> {
        Ok(Remediation {
            texts: vec![(Audience::All, text.to_string())],
        })
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Remediation, M::Error> {
        let mut texts: Vec<(Audience, String)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let audience = Audience::parse(&key).ok_or_else(|| {
                de::Error::custom(format!(
                    "`{key}` is not a provider ({}), `provider/kind` or `default`",
                    Provider::VARIANTS
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            if texts.iter().any(|(a, _)| *a == audience) {
                return Err(de::Error::custom(format!("`{key}` is given twice")));
            }
            texts.push((audience, map.next_value()?));
        }
        if texts.is_empty() {
            return Err(de::Error::custom("the remediation has no text"));
        }
        Ok(Remediation { texts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Remediation, String> {
        serde_norway::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn the_most_specific_text_serves_each_entity() {
        let one = parse("\"rotate {credential.id}\"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            one.for_entity(Provider::Gcp, "access_key"),
            Some("rotate {credential.id}")
        );

        let split = parse("aws/vault_secret: s\naws: a {identity.name}\nazure: b\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(split.for_entity(Provider::Aws, "vault_secret"), Some("s"));
        assert_eq!(
            split.for_entity(Provider::Aws, "access_key"),
            Some("a {identity.name}")
        );
        assert_eq!(split.for_entity(Provider::Gcp, "access_key"), None);
        assert_eq!(split.placeholders(), Ok(vec!["identity.name"]));
        let kinds = ["access_key", "vault_secret"];
        assert_eq!(
            split.uncovered(&[Provider::Aws, Provider::Gcp], &kinds),
            vec!["gcp".to_string()]
        );

        let kinds_only = parse("aws/access_key: k\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kinds_only.uncovered(&[Provider::Aws], &kinds),
            vec!["aws/vault_secret".to_string()]
        );
        let fallback = parse("aws: a\ndefault: d\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            fallback.for_entity(Provider::Kubernetes, "service_account"),
            Some("d")
        );
        assert!(fallback.uncovered(Provider::VARIANTS, &kinds).is_empty());
        assert_eq!(
            serde_json::to_value(&split).ok(),
            Some(
                serde_json::json!({"aws/vault_secret": "s", "aws": "a {identity.name}", "azure": "b"})
            )
        );
    }

    fn shell_word(text: &str) -> String {
        let mut out = String::new();
        write_shell_word(text, &mut out);
        out
    }

    #[test]
    fn filled_values_are_single_shell_words() {
        assert_eq!(shell_word("AKIAOLDKEY0000000001"), "AKIAOLDKEY0000000001");
        assert_eq!(
            shell_word("arn:aws:iam::1:user/ci+bot@x.com"),
            "arn:aws:iam::1:user/ci+bot@x.com"
        );
        assert_eq!(shell_word("x; rm -rf ~"), "'x; rm -rf ~'");
        assert_eq!(shell_word("it's $(id)"), "'it'\\''s $(id)'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn unknown_providers_and_empty_mappings_are_refused() {
        let err = parse("amazon: a\n").err().unwrap_or_default();
        assert!(err.contains("`amazon` is not a provider"), "{err}");
        assert!(parse("aws/: a\n").is_err());
        assert!(parse("{}").is_err());
    }
}
