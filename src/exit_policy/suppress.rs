//! Suppressions: accepted findings, listed with a reason and an optional expiry in a
//! YAML file (`.nhiscan-ignore.yaml` in the working directory, or `--ignore FILE`).
//!
//! An entry names one finding by id, or a rule and a resource pattern (a glob on the
//! entity id or name) narrowed by provider, account (scope id) and tags. A suppressed
//! finding stays in the report, marked, and does not count for the exit code. Expired
//! entries stop suppressing and entries that matched nothing are reported, so the file
//! does not rot.

use crate::finding::Suppressed;
use crate::glob::Pattern;
use crate::inventory::time::parse as parse_time;
use crate::inventory::Provider;
use crate::rules::findings::Subject;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// The file looked for in the working directory when `--ignore` is not given.
pub const DEFAULT_FILE: &str = ".nhiscan-ignore.yaml";

/// The suppressions as the report records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionReport {
    /// The suppressions file.
    pub file: String,
    /// Entries in the file.
    pub entries: usize,
    /// Findings suppressed.
    pub suppressed: usize,
    /// Entries past their expiry date: they no longer suppress anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired: Vec<EntryNote>,
    /// Entries in force that matched no finding: fixed, renamed or mistyped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<EntryNote>,
}

/// One entry of the suppressions file, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryNote {
    /// `FILE:LINE` of the entry.
    pub source: String,
    /// What it matches, e.g. `id NHI-…` or `rule R resource P`.
    pub entry: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// Findings it matches (an expired entry: would match).
    pub matches: usize,
}

/// A loaded suppressions file.
#[derive(Debug, Clone)]
pub struct Suppressions {
    file: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    label: String,
    matcher: Matcher,
    note: Arc<Suppressed>,
}

#[derive(Debug, Clone)]
enum Matcher {
    Id(String),
    Pattern {
        rule: String,
        resource: Pattern,
        provider: Option<Provider>,
        account: Option<String>,
        tags: Vec<(String, Pattern)>,
    },
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    suppressions: Vec<EntrySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    id: Option<String>,
    rule: Option<String>,
    resource: Option<String>,
    provider: Option<Provider>,
    #[serde(default, alias = "scope", deserialize_with = "text::optional")]
    account: Option<String>,
    #[serde(default, deserialize_with = "text::map")]
    tags: BTreeMap<String, String>,
    reason: String,
    #[serde(default, deserialize_with = "text::optional")]
    expires: Option<String>,
}

/// What applying the suppressions gave: per finding the suppression that covers it,
/// and the report of the file.
pub struct Applied {
    pub marks: Vec<Option<Arc<Suppressed>>>,
    pub report: SuppressionReport,
}

impl Suppressions {
    /// Reads `explicit`, or `.nhiscan-ignore.yaml` in the working directory when it
    /// exists.
    pub fn discover(explicit: Option<&Path>) -> anyhow::Result<Option<Suppressions>> {
        match explicit {
            Some(path) => Suppressions::read(path).map(Some),
            None if Path::new(DEFAULT_FILE).is_file() => {
                Suppressions::read(Path::new(DEFAULT_FILE)).map(Some)
            }
            None => Ok(None),
        }
    }

    pub fn read(path: &Path) -> anyhow::Result<Suppressions> {
        let text = crate::input::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        Suppressions::parse(&path.display().to_string(), &text).map_err(|errors| {
            anyhow::anyhow!(
                "{} problem(s) with the suppressions file:\n  {}",
                errors.len(),
                errors.join("\n  ")
            )
        })
    }

    /// Parses a suppressions file; `file` names it in errors (`FILE:LINE: …`).
    pub fn parse(file: &str, text: &str) -> Result<Suppressions, Vec<String>> {
        let de = serde_norway::Deserializer::from_str(text);
        let spec: Option<FileSpec> = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut message = inner.to_string();
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            if !path.is_empty() && path != "." {
                message = format!("{message} (field `{path}`)");
            }
            match inner.location() {
                Some(at) => vec![format!("{file}:{}:{}: {message}", at.line(), at.column())],
                None => vec![format!("{file}: {message}")],
            }
        })?;
        let specs = spec.map(|s| s.suppressions).unwrap_or_default();
        let lines = entry_lines(text);
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (i, spec) in specs.into_iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(1);
            match Entry::build(spec, &format!("{file}:{line}")) {
                Ok(mut entry) => {
                    entry.line = line;
                    entries.push(entry);
                }
                Err(message) => {
                    errors.push(format!("{file}:{line}: suppression {}: {message}", i + 1))
                }
            }
        }
        if errors.is_empty() {
            Ok(Suppressions {
                file: file.to_string(),
                entries,
            })
        } else {
            Err(errors)
        }
    }

    /// Refuses entries naming a rule that `known` does not know (a typo would
    /// otherwise suppress nothing, silently).
    pub fn check_rules(&self, known: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let errors: Vec<String> = self
            .entries
            .iter()
            .filter_map(|e| match &e.matcher {
                Matcher::Pattern { rule, .. } if !known(rule) => Some(format!(
                    "{}:{}: no rule `{rule}`; `nhiscan rules list` shows the rule ids",
                    self.file, e.line
                )),
                _ => None,
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            anyhow::bail!(
                "{} problem(s) with the suppressions file:\n  {}",
                errors.len(),
                errors.join("\n  ")
            )
        }
    }

    /// Matches every finding against the entries: the first entry in force that
    /// matches suppresses it. Entries past `as_of` are expired.
    pub fn apply<'a>(
        &self,
        subjects: impl Iterator<Item = Subject<'a>>,
        as_of: DateTime<Utc>,
    ) -> Applied {
        let expired: Vec<bool> = self
            .entries
            .iter()
            .map(|e| e.note.expires.is_some_and(|at| as_of >= at))
            .collect();
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_rule: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            match &e.matcher {
                Matcher::Id(id) => by_id.entry(id.as_str()).or_default().push(i),
                Matcher::Pattern { rule, .. } => by_rule.entry(rule.as_str()).or_default().push(i),
            }
        }
        let mut counts = vec![0usize; self.entries.len()];
        let mut marks = Vec::new();
        let mut suppressed = 0;
        for subject in subjects {
            let mut candidates: Vec<usize> = by_rule
                .get(subject.rule_id)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&i| self.entries[i].matcher.matches(&subject))
                        .collect()
                })
                .unwrap_or_default();
            if !by_id.is_empty() {
                if let Some(v) = by_id.get(subject.finding_id().as_str()) {
                    candidates.extend(v);
                }
            }
            candidates.sort_unstable();
            for &i in &candidates {
                counts[i] += 1;
            }
            let first = candidates.iter().find(|&&i| !expired[i]);
            if first.is_some() {
                suppressed += 1;
            }
            marks.push(first.map(|&i| self.entries[i].note.clone()));
        }
        let note = |i: usize| {
            let e = &self.entries[i];
            EntryNote {
                source: e.note.source.clone(),
                entry: e.label.clone(),
                reason: e.note.reason.clone(),
                expires: e.note.expires,
                matches: counts[i],
            }
        };
        let report = SuppressionReport {
            file: self.file.clone(),
            entries: self.entries.len(),
            suppressed,
            expired: (0..self.entries.len())
                .filter(|&i| expired[i])
                .map(note)
                .collect(),
            unmatched: (0..self.entries.len())
                .filter(|&i| !expired[i] && counts[i] == 0)
                .map(note)
                .collect(),
        };
        Applied { marks, report }
    }
}

impl SuppressionReport {
    /// One line per expired or unmatched entry, for stderr and the table.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for n in &self.expired {
            let at = n
                .expires
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            out.push(format!(
                "{}: suppression expired on {at} and no longer applies ({}; {} finding(s) now count): {}",
                n.source, n.entry, n.matches, n.reason
            ));
        }
        for n in &self.unmatched {
            out.push(format!(
                "{}: suppression matched no finding ({}); remove it if the finding is gone",
                n.source, n.entry
            ));
        }
        out
    }
}

impl Entry {
    fn build(spec: EntrySpec, source: &str) -> Result<Entry, String> {
        let reason = spec.reason.trim().to_string();
        if reason.is_empty() {
            return Err("`reason` must say why the finding is accepted".into());
        }
        let expires = match &spec.expires {
            None => None,
            Some(text) => Some(parse_time(text.trim()).ok_or_else(|| {
                format!("`expires`: `{text}` is not a date: use YYYY-MM-DD or RFC 3339")
            })?),
        };
        let (matcher, label) = match (spec.id, spec.rule) {
            (Some(id), None) => {
                if spec.resource.is_some()
                    || spec.provider.is_some()
                    || spec.account.is_some()
                    || !spec.tags.is_empty()
                {
                    return Err("`id` names one finding: leave out `resource`, `provider`, `account` and `tags`".into());
                }
                let id = id.trim().to_string();
                if !is_finding_id(&id) {
                    return Err(format!(
                        "`{id}` is not a finding id (NHI- and 16 hex digits, as in the report)"
                    ));
                }
                (Matcher::Id(id.clone()), format!("id {id}"))
            }
            (None, Some(rule)) => {
                let Some(resource) = spec.resource else {
                    return Err("`rule` needs `resource`: a glob on the entity id or name (`*` for every entity)".into());
                };
                let mut label = format!("rule {rule} resource {resource}");
                if let Some(p) = spec.provider {
                    label.push_str(&format!(" provider {p}"));
                }
                if let Some(a) = &spec.account {
                    label.push_str(&format!(" account {a}"));
                }
                let mut tags = Vec::new();
                for (key, value) in &spec.tags {
                    label.push_str(&format!(" tag {key}={value}"));
                    tags.push((key.clone(), glob(value, "tags")?));
                }
                let matcher = Matcher::Pattern {
                    rule: rule.trim().to_string(),
                    resource: glob(&resource, "resource")?,
                    provider: spec.provider,
                    account: spec.account.map(|a| a.trim().to_string()),
                    tags,
                };
                (matcher, label)
            }
            (Some(_), Some(_)) => {
                return Err("give either `id` or `rule` with `resource`, not both".into())
            }
            (None, None) => {
                return Err("an entry needs `id` (a finding id) or `rule` and `resource`".into())
            }
        };
        Ok(Entry {
            line: 0,
            label,
            matcher,
            note: Arc::new(Suppressed {
                reason,
                expires,
                source: source.to_string(),
            }),
        })
    }
}

impl Matcher {
    fn matches(&self, s: &Subject) -> bool {
        match self {
            Matcher::Id(id) => s.finding_id() == *id,
            Matcher::Pattern {
                rule,
                resource,
                provider,
                account,
                tags,
            } => {
                rule == s.rule_id
                    && (resource.is_match(s.entity_id)
                        || s.entity_name.is_some_and(|n| resource.is_match(n)))
                    && provider.is_none_or(|p| p == s.provider)
                    && account.as_deref().is_none_or(|a| a == s.scope_id)
                    && tags
                        .iter()
                        .all(|(key, value)| s.tag(key).is_some_and(|v| value.is_match(v)))
            }
        }
    }
}

fn glob(pattern: &str, field: &str) -> Result<Pattern, String> {
    Pattern::new(pattern, false).map_err(|e| format!("`{field}`: {e}"))
}

fn is_finding_id(id: &str) -> bool {
    id.strip_prefix("NHI-")
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The line of each entry of the top-level `suppressions` list, in order (serde
/// gives values but not positions; YAML events give positions).
fn entry_lines(text: &str) -> Vec<usize> {
    use saphyr_parser::{Event, Parser};
    enum Frame {
        Map { key_next: bool, key: Option<String> },
        Seq { target: bool },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut lines = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(_)
        );
        let mut opens_target = false;
        if is_node {
            let depth = stack.len();
            match stack.last_mut() {
                Some(Frame::Seq { target: true }) => lines.push(span.start.line()),
                Some(Frame::Map { key_next, key }) => {
                    if *key_next {
                        *key = match &event {
                            Event::Scalar(value, ..) => Some(value.to_string()),
                            _ => None,
                        };
                    } else {
                        opens_target = depth == 1
                            && key.as_deref() == Some("suppressions")
                            && matches!(event, Event::SequenceStart(..));
                    }
                    *key_next = !*key_next;
                }
                _ => {}
            }
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map {
                key_next: true,
                key: None,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Seq {
                target: opens_target,
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    lines
}

/// Values people write unquoted (`account: 111122223333`) read as text.
mod text {
    use serde::{Deserialize, Deserializer};
    use std::collections::BTreeMap;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        UInt(u64),
        Float(f64),
        Bool(bool),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Scalar::Text(s) => s,
                Scalar::Int(n) => n.to_string(),
                Scalar::UInt(n) => n.to_string(),
                Scalar::Float(n) => n.to_string(),
                Scalar::Bool(b) => b.to_string(),
            }
        }
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_string))
    }

    pub fn map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
        Ok(BTreeMap::<String, Scalar>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| (k, v.into_string()))
            .collect())
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

    fn subject<'a>(
        rule_id: &'a str,
        entity_id: &'a str,
        tags: &'a crate::inventory::Tags,
    ) -> Subject<'a> {
        Subject {
            rule_id,
            provider: Provider::Aws,
            scope_id: "111122223333",
            entity_id,
            entity_name: Some("legacy-sync"),
            tags: vec![tags],
        }
    }

    const FILE: &str = "\
# accepted risks
suppressions:
  - id: NHI-54e6e16cff199bbc
    reason: break-glass role, reviewed quarterly
  - rule: static-key-not-rotated
    resource: \"arn:aws:iam::*:user/legacy-*\"
    provider: aws
    account: 111122223333
    tags: {team: pay*}
    reason: migration to roles in Q2 (SEC-42)
    expires: 2026-06-30
  - rule: credential-unused
    resource: nothing-*
    reason: stale
";

    #[test]
    fn entries_know_their_lines_and_match_by_pattern() {
        let s =
            Suppressions::parse(".nhiscan-ignore.yaml", FILE).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            s.entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [3, 5, 12]
        );
        let tags =
            crate::inventory::Tags::from_iter([("team".to_string(), "payments".to_string())]);
        let none = crate::inventory::Tags::new();
        let subjects = vec![
            subject(
                "static-key-not-rotated",
                "arn:aws:iam::111122223333:user/legacy-sync",
                &tags,
            ),
            subject(
                "static-key-not-rotated",
                "arn:aws:iam::111122223333:user/legacy-sync",
                &none,
            ),
            subject(
                "static-key-not-rotated",
                "arn:aws:iam::111122223333:user/app",
                &tags,
            ),
        ];
        let applied = s.apply(subjects.into_iter(), at(2026, 1, 1));
        assert!(applied.marks[0]
            .as_ref()
            .is_some_and(|m| m.source == ".nhiscan-ignore.yaml:5"));
        // By name: "legacy-sync" does not match the ARN glob, and no team tag.
        assert!(applied.marks[1].is_none());
        // `app` matches neither the id nor the name glob.
        assert!(applied.marks[2].is_none());
        assert_eq!(applied.report.suppressed, 1);
        let unmatched: Vec<&str> = applied
            .report
            .unmatched
            .iter()
            .map(|n| n.source.as_str())
            .collect();
        assert_eq!(
            unmatched,
            [".nhiscan-ignore.yaml:3", ".nhiscan-ignore.yaml:12"]
        );
        assert!(applied.report.expired.is_empty());
    }

    #[test]
    fn expired_entries_stop_suppressing_and_are_reported() {
        let s = Suppressions::parse("ignore.yaml", FILE).unwrap_or_else(|e| panic!("{e:?}"));
        let tags =
            crate::inventory::Tags::from_iter([("team".to_string(), "payments".to_string())]);
        let subjects = vec![subject(
            "static-key-not-rotated",
            "arn:aws:iam::111122223333:user/legacy-sync",
            &tags,
        )];
        let applied = s.apply(subjects.into_iter(), at(2026, 6, 30));
        assert!(applied.marks[0].is_none());
        assert_eq!(applied.report.expired.len(), 1);
        assert_eq!(applied.report.expired[0].matches, 1);
        assert_eq!(applied.report.expired[0].source, "ignore.yaml:5");
        assert!(applied.report.warnings()[0].contains("expired on 2026-06-30"));
    }

    #[test]
    fn mistakes_name_file_and_line() {
        let errors = |text: &str| {
            Suppressions::parse("i.yaml", text)
                .err()
                .unwrap_or_default()
                .join("\n")
        };
        let e =
            errors("suppressions:\n  - id: NHI-54e6e16cff199bbc\n    reason: x\n    colour: red\n");
        assert!(e.starts_with("i.yaml:4:"), "{e}");
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = errors("suppressions:\n  - id: NHI-54e6e16cff199bbc\n    reason: ok\n  - rule: r\n    reason: no resource\n");
        assert!(
            e.starts_with("i.yaml:4: suppression 2: `rule` needs `resource`"),
            "{e}"
        );
        let e = errors("suppressions:\n  - id: NHI-1\n    reason: x\n");
        assert!(e.contains("not a finding id"), "{e}");
        let e = errors(
            "suppressions:\n  - id: NHI-54e6e16cff199bbc\n    reason: x\n    expires: soon\n",
        );
        assert!(e.contains("`soon` is not a date"), "{e}");
        let e = errors("suppressions:\n  - rule: r\n    resource: \"a[\"\n    reason: x\n");
        assert!(e.contains("`resource`: `a[` uses `[`"), "{e}");
        let e = errors("suppressions:\n  - id: NHI-54e6e16cff199bbc\n    reason: \"  \"\n");
        assert!(e.contains("`reason` must say why"), "{e}");
        let e = errors("suppressions:\n  - id: NHI-54e6e16cff199bbc\n");
        assert!(
            e.contains("i.yaml:2:") && e.contains("missing field `reason`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_rules_are_refused() {
        let s = Suppressions::parse("i.yaml", FILE).unwrap_or_else(|e| panic!("{e:?}"));
        let err = s
            .check_rules(|id| id == "static-key-not-rotated")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("i.yaml:12: no rule `credential-unused`"),
            "{err}"
        );
    }

    #[test]
    fn flow_style_lists_have_lines_too() {
        assert_eq!(
            entry_lines("suppressions: [\n {id: a, reason: b},\n {id: c, reason: d}]\n"),
            [2, 3]
        );
        assert_eq!(
            entry_lines("other: [1]\nsuppressions: []\n"),
            Vec::<usize>::new()
        );
    }
}
