//! The findings of a scan, kept as compact matches and built into [`Finding`]s only
//! when they are reported, in parallel batches: a million findings never sit in
//! memory at once.

use super::eval::Match;
use super::value::Roots;
use super::{values, Rule, Severity, Target};
use crate::enrich::owner::ResolvedOwner;
use crate::enrich::Enriched;
use crate::finding::Summary;
use crate::finding::{finding_id, BaselineState, EntityRef, Finding, Mark};
use crate::hash::FastMap;
use crate::inventory::Provider;
use rayon::prelude::*;
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use strum::VariantArray;

/// How many findings are built at a time while reporting.
const BATCH: usize = 8192;

/// The matches of a scan with what is needed to turn them into findings.
pub struct Findings<'a> {
    rules: Vec<&'a Rule>,
    enriched: &'a Enriched,
    matches: Vec<Match>,
    /// Baseline state and suppression per match (empty until [`Findings::set_marks`]).
    marks: Vec<Mark>,
    /// For a match that replaced others on its entity (`supersedes`), the rules (indexes
    /// into `rules`) whose matches it replaced.
    folded: FastMap<Match, Vec<u32>>,
}

/// What a finding can be matched on (suppressions, baselines) without building it.
pub struct Subject<'a> {
    pub rule_id: &'a str,
    pub provider: Provider,
    pub scope_id: &'a str,
    pub entity_id: &'a str,
    pub entity_name: Option<&'a str>,
    /// The entity's tags; for a credential, then its identity's.
    pub tags: Vec<&'a crate::inventory::Tags>,
}

impl Subject<'_> {
    /// The finding's stable id.
    pub fn finding_id(&self) -> String {
        finding_id(self.rule_id, self.provider, self.entity_id)
    }

    /// The value of tag `key`: the entity's own, else its identity's.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find_map(|t| t.get(key))
            .map(|v| v.as_str())
    }
}

impl<'a> Findings<'a> {
    /// `matches[..].rule` must index `rules`. Matches a rule supersedes on the same
    /// entity are folded into the superseding rule's finding.
    pub fn new(rules: Vec<&'a Rule>, enriched: &'a Enriched, matches: Vec<Match>) -> Self {
        let (matches, folded) = fold(&rules, matches);
        Findings {
            rules,
            enriched,
            matches,
            marks: Vec::new(),
            folded,
        }
    }

    /// What each finding can be matched on, in report order.
    pub fn subjects(&self) -> impl Iterator<Item = Subject<'a>> + '_ {
        self.matches.iter().map(|m| self.subject(m))
    }

    fn subject(&self, m: &Match) -> Subject<'a> {
        let rule_id = self.rule(m).spec.id.as_str();
        let enriched = self.enriched;
        match m.target {
            Target::Identity => {
                let i = &enriched.inventory.identities[m.index as usize];
                Subject {
                    rule_id,
                    provider: i.provider,
                    scope_id: &i.scope.id,
                    entity_id: &i.id,
                    entity_name: Some(&i.name),
                    tags: vec![&i.tags],
                }
            }
            Target::Credential => {
                let c = &enriched.inventory.credentials[m.index as usize];
                let mut tags = vec![&c.tags];
                if let Some(owner) = enriched.credential_owner(m.index as usize) {
                    tags.push(&enriched.inventory.identities[owner].tags);
                }
                Subject {
                    rule_id,
                    provider: c.provider,
                    scope_id: &c.scope.id,
                    entity_id: &c.id,
                    entity_name: c.name.as_deref(),
                    tags,
                }
            }
        }
    }

    /// Attaches baseline states and suppressions, one per finding in report order.
    pub fn set_marks(&mut self, marks: Vec<Mark>) {
        debug_assert_eq!(marks.len(), self.matches.len());
        self.marks = marks;
    }

    /// The mark of the `i`-th finding (default when none were set).
    pub fn mark(&self, i: usize) -> Mark {
        self.marks.get(i).cloned().unwrap_or_default()
    }

    /// The most severe finding that counts for the exit code: not suppressed and not
    /// already in the baseline.
    pub fn worst_counted(&self) -> Option<Severity> {
        self.matches
            .iter()
            .enumerate()
            .filter(|(i, _)| self.marks.get(*i).is_none_or(Mark::counts))
            .map(|(_, m)| self.severity(m))
            .max()
    }

    pub fn len(&self) -> usize {
        self.matches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }

    fn rule(&self, m: &Match) -> &'a Rule {
        self.rules[m.rule as usize]
    }

    pub fn severity(&self, m: &Match) -> Severity {
        severity(&self.rules, m)
    }

    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.matches.iter().map(|m| self.severity(m)).max()
    }

    /// Leaves out findings below `min`.
    pub fn retain_at_least(&mut self, min: Severity) {
        let rules = &self.rules;
        if !self.marks.is_empty() {
            let keep: Vec<bool> = self
                .matches
                .iter()
                .map(|m| severity(rules, m) >= min)
                .collect();
            let mut keep_iter = keep.iter();
            self.marks
                .retain(|_| keep_iter.next().copied().unwrap_or(true));
        }
        self.matches.retain(|m| severity(rules, m) >= min);
    }

    fn provider_and_id(&self, m: &Match) -> (Provider, &'a str) {
        match m.target {
            Target::Identity => {
                let i = &self.enriched.inventory.identities[m.index as usize];
                (i.provider, &i.id)
            }
            Target::Credential => {
                let c = &self.enriched.inventory.credentials[m.index as usize];
                (c.provider, &c.id)
            }
        }
    }

    /// Most severe first, then by rule, provider and entity id: a stable order. Marks
    /// are set after sorting.
    pub fn sort(&mut self) {
        self.marks.clear();
        // Each rule's place in id order, so that most comparisons are of numbers.
        let rank = self.rule_ranks();
        // Each match's key read once, so that comparing two does not read their rules
        // and entities (a million findings: tens of millions of scattered reads):
        // severity (most severe first), rule rank and provider in one number, then the id.
        let mut keyed: Vec<(u64, &str, u32)> = (self.matches.par_iter().enumerate())
            .map(|(position, m)| {
                let (provider, id) = self.provider_and_id(m);
                let severity = Severity::Critical as u64 - self.severity(m) as u64;
                let number = severity << 40 | u64::from(rank[m.rule as usize]) << 8;
                (number | provider as u64, id, position as u32)
            })
            .collect();
        keyed.par_sort_unstable();
        self.matches = (keyed.par_iter())
            .map(|&(_, _, position)| self.matches[position as usize])
            .collect();
    }

    /// Per rule (index into `rules`): its position when the rules are ordered by id.
    fn rule_ranks(&self) -> Vec<u32> {
        let mut by_id: Vec<usize> = (0..self.rules.len()).collect();
        by_id.sort_by(|&a, &b| self.rules[a].spec.id.cmp(&self.rules[b].spec.id));
        let mut rank = vec![0; self.rules.len()];
        for (position, &rule) in by_id.iter().enumerate() {
            rank[rule] = position as u32;
        }
        rank
    }

    /// Counts by severity, provider and rule.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            findings: self.matches.len(),
            ..Default::default()
        };
        for mark in &self.marks {
            match mark.baseline {
                Some(BaselineState::New) => *summary.new.get_or_insert(0) += 1,
                Some(BaselineState::Existing) => *summary.existing.get_or_insert(0) += 1,
                None => {}
            }
            if mark.suppressed.is_some() {
                *summary.suppressed.get_or_insert(0) += 1;
            }
        }
        // Counted on all cores by (rule, lowered, provider): a handful of counters.
        let providers = Provider::VARIANTS.len();
        let slot = |rule: usize, lowered: bool, provider: Provider| {
            (rule * 2 + usize::from(lowered)) * providers + provider as usize
        };
        let slots = self.rules.len() * 2 * providers;
        let counts = (self.matches.par_iter())
            .fold(
                || vec![0usize; slots],
                |mut counts, m| {
                    let provider = self.provider_and_id(m).0;
                    counts[slot(m.rule as usize, m.lowered, provider)] += 1;
                    counts
                },
            )
            .reduce(
                || vec![0usize; slots],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                    a
                },
            );
        for (r, rule) in self.rules.iter().enumerate() {
            for lowered in [false, true] {
                for &provider in Provider::VARIANTS {
                    let count = counts[slot(r, lowered, provider)];
                    if count == 0 {
                        continue;
                    }
                    *summary
                        .by_severity
                        .entry(severity_of(rule, lowered))
                        .or_default() += count;
                    *summary.by_provider.entry(provider).or_default() += count;
                    *(summary.by_rule).entry(rule.spec.id.clone()).or_default() += count;
                }
            }
        }
        summary
    }

    /// Each finding's entity, rule and severity, without building the finding.
    pub fn hits(&self) -> Vec<crate::finding::Hit<'a>> {
        self.matches
            .iter()
            .map(|m| {
                let rule = self.rule(m);
                crate::finding::Hit {
                    target: m.target,
                    index: m.index as usize,
                    rule_id: rule.spec.id.as_str(),
                    severity: self.severity(m),
                }
            })
            .collect()
    }

    /// Whether the rule matched the entity (for rule examples).
    pub fn contains(&self, target: Target, index: usize) -> bool {
        self.matches
            .iter()
            .any(|m| m.target == target && m.index as usize == index)
    }

    /// Every finding in order, built a batch at a time on all cores.
    pub fn iter(&self) -> impl Iterator<Item = Finding> + '_ {
        let len = self.matches.len();
        (0..len).step_by(BATCH).flat_map(move |start| {
            let batch: Vec<Finding> = (start..(start + BATCH).min(len))
                .into_par_iter()
                .map(|k| self.nth(k))
                .collect();
            batch
        })
    }

    /// The `k`th finding, with its mark.
    pub fn nth(&self, k: usize) -> Finding {
        let mut finding = self.build(&self.matches[k]);
        if let Some(mark) = self.marks.get(k) {
            finding.baseline = mark.baseline;
            finding.suppressed = mark.suppressed.clone();
        }
        finding
    }

    /// The finding for one match (without its mark).
    pub fn build(&self, m: &Match) -> Finding {
        self.with_roots(m, |rule, roots, entity| {
            let mut finding = finding(rule, roots, entity.entity, entity.owner);
            self.add_folded(m, &mut finding);
            finding.severity = self.severity(m);
            keep_concerning(&mut finding, entity.attributes);
            finding
        })
    }

    /// Calls `f` with the match's rule, the variables its texts read (the identity, or
    /// the credential and its identity) and the entity it is about.
    fn with_roots<T>(&self, m: &Match, f: impl FnOnce(&Rule, &Roots, Judged) -> T) -> T {
        let rule = self.rule(m);
        let enriched = self.enriched;
        let index = m.index as usize;
        match m.target {
            Target::Identity => {
                let view = enriched.identity_view(index);
                let judged = Judged {
                    entity: EntityRef::identity(view.identity),
                    owner: &view.facts.owner,
                    attributes: &view.identity.attributes,
                };
                let roots = Roots {
                    identity: Some(view),
                    credential: None,
                    params: &rule.params,
                };
                f(rule, &roots, judged)
            }
            Target::Credential => {
                let (credential, facts) = enriched.credential(index);
                let roots = Roots {
                    identity: enriched
                        .credential_owner(index)
                        .map(|i| enriched.identity_view(i)),
                    credential: Some((credential, &facts)),
                    params: &rule.params,
                };
                let judged = Judged {
                    entity: EntityRef::credential(credential),
                    owner: facts.owner,
                    attributes: &credential.attributes,
                };
                f(rule, &roots, judged)
            }
        }
    }

    /// The errors of the rules' computed `values` on their matches (`rules check`).
    pub fn value_errors(&self) -> Vec<String> {
        self.matches
            .iter()
            .filter(|m| !self.rule(m).values.is_empty())
            .flat_map(|m| self.with_roots(m, |rule, roots, _| values::evaluate(rule, roots).1))
            .collect()
    }

    /// Names the rules folded into `finding` and adds their framework references.
    fn add_folded(&self, m: &Match, finding: &mut Finding) {
        let Some(folded) = self.folded.get(m) else {
            return;
        };
        let mut references = (*finding.references).clone();
        for &r in folded {
            let rule = self.rules[r as usize];
            finding.also_fails.push(rule.spec.id.clone());
            references.merge(&rule.spec.references);
        }
        finding.references = std::sync::Arc::new(references);
    }
}

/// The entity a finding is about: what it shows of it, and its owner and attributes.
struct Judged<'a> {
    entity: EntityRef,
    owner: &'a ResolvedOwner,
    attributes: &'a crate::inventory::Attributes,
}

/// Leaves out of a finding's references the controls that do not concern its entity.
fn keep_concerning(finding: &mut Finding, attributes: &crate::inventory::Attributes) {
    let entity = &finding.entity;
    if let Some(references) =
        finding
            .references
            .concerning(entity.provider, &entity.kind, attributes)
    {
        finding.references = std::sync::Arc::new(references);
    }
}

impl Serialize for Findings<'_> {
    /// Streams the findings as a JSON array without holding them all.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

fn finding(rule: &Rule, roots: &Roots, entity: EntityRef, owner: &ResolvedOwner) -> Finding {
    let (values, _) = values::evaluate(rule, roots);
    let mut texts = rule.texts.fill(roots, &values);
    let message = texts.message();
    let remediation = match rule
        .spec
        .remediation
        .index_for(entity.provider, &entity.kind)
    {
        Some(i) => texts.remediation(i),
        None => "".into(),
    };
    let evidence = texts.evidence();
    Finding {
        id: finding_id(&rule.spec.id, entity.provider, &entity.id),
        rule_id: rule.spec.id.clone(),
        title: rule.shared.title.clone(),
        severity: rule.severity,
        confidence: rule.spec.confidence,
        owner: owner.owner.as_deref().map(String::from),
        owner_status: owner.status,
        message,
        evidence,
        remediation,
        references: rule.shared.references.clone(),
        also_fails: Vec::new(),
        entity,
        baseline: None,
        suppressed: None,
    }
}

/// The severity of a match: its rule's, one level lower when `lower_severity_when` held.
fn severity(rules: &[&Rule], m: &Match) -> Severity {
    severity_of(rules[m.rule as usize], m.lowered)
}

/// `rule`'s severity, one level lower when `lowered`.
fn severity_of(rule: &Rule, lowered: bool) -> Severity {
    if lowered {
        rule.severity.lower()
    } else {
        rule.severity
    }
}

/// One finding per root cause: on each entity, drops the matches of rules that another
/// matching rule supersedes (directly or through a chain), unless that would lower the
/// severity, and records which rules each remaining match replaced.
fn fold(rules: &[&Rule], matches: Vec<Match>) -> (Vec<Match>, FastMap<Match, Vec<u32>>) {
    let mut folded: FastMap<Match, Vec<u32>> = FastMap::default();
    if rules.iter().all(|r| r.spec.supersedes.is_empty()) {
        return (matches, folded);
    }
    let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id(), *r)).collect();
    let index_of: HashMap<&str, u32> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id(), i as u32))
        .collect();
    // For each rule, the indexes of the rules it supersedes, transitively.
    let replaces: Vec<Vec<u32>> = rules
        .iter()
        .map(|r| {
            super::load::superseded_by_chain(r.id(), &by_id)
                .into_iter()
                .filter_map(|id| index_of.get(id).copied())
                .collect()
        })
        .collect();
    let absorbs = |by: &Match, m: &Match| {
        replaces[by.rule as usize].contains(&m.rule) && severity(rules, by) >= severity(rules, m)
    };

    let mut order: Vec<usize> = (0..matches.len()).collect();
    // Each key is distinct (it ends with the position): no need for a stable sort.
    order.par_sort_unstable_by_key(|&i| (matches[i].target as u8, matches[i].index, i));
    let mut keep = vec![true; matches.len()];
    for group in order.chunk_by(|&a, &b| {
        (matches[a].target, matches[a].index) == (matches[b].target, matches[b].index)
    }) {
        if group.len() < 2 {
            continue;
        }
        let dropped: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| {
                group
                    .iter()
                    .any(|&j| j != i && absorbs(&matches[j], &matches[i]))
            })
            .collect();
        for i in dropped {
            // Of the findings that remain and absorb it, the most severe carries it (then
            // the first by rule id): what it folds into does not hang on rule names.
            let survivor = group
                .iter()
                .copied()
                .filter(|&j| {
                    j != i
                        && absorbs(&matches[j], &matches[i])
                        && !group
                            .iter()
                            .any(|&k| k != j && absorbs(&matches[k], &matches[j]))
                })
                .max_by_key(|&j| {
                    (
                        severity(rules, &matches[j]),
                        std::cmp::Reverse(rules[matches[j].rule as usize].id()),
                    )
                });
            if let Some(j) = survivor {
                keep[i] = false;
                folded.entry(matches[j]).or_default().push(matches[i].rule);
            }
        }
    }
    for rules_folded in folded.values_mut() {
        rules_folded.sort_by_key(|&r| rules[r as usize].id());
    }
    let mut keep = keep.into_iter();
    let matches = matches
        .into_iter()
        .filter(|_| keep.next().unwrap_or(true))
        .collect();
    (matches, folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{enrich, owner::OwnerResolver};
    use crate::inventory::Inventory;
    use crate::rules::RuleSet;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn rule(
        id: &str,
        severity: &str,
        when: &str,
        supersedes: &[&str],
        cis: &str,
    ) -> (String, String) {
        (
            format!("{id}.yaml"),
            format!(
                "id: {id}\ntitle: T\nseverity: {severity}\nconfidence: high\napplies_to: identity\n\
                 when: {when}\nmessage: m\ndescription: d\nremediation: fix {{identity.name}}\n\
                 supersedes: {supersedes:?}\nreferences: {{ cis: [\"{cis}\"] }}\n"
            ),
        )
    }

    fn identity(name: &str, admin: bool) -> serde_json::Value {
        serde_json::json!({
            "provider": "aws", "scope": {"kind": "account", "id": "111111111111"},
            "id": name, "name": name, "kind": "service_user",
            "permissions": {"admin": admin}
        })
    }

    /// `lower_severity_when`: the finding where it holds is one level lower, counted
    /// and thresholded at that level; the others keep the rule's severity.
    #[test]
    fn lower_severity_when_lowers_only_the_matches_where_it_holds() {
        let (origin, mut text) = rule(
            "escalation",
            "high",
            "identity.enabled",
            &[],
            "CIS AWS Foundations 1.16",
        );
        text.push_str("lower_severity_when: '!identity.permissions.admin'\n");
        let set = RuleSet::from_sources(&[(origin, text)]).unwrap_or_else(|e| panic!("{e:?}"));
        let mut inventory = Inventory::new();
        for (name, admin) in [("full", true), ("conditional", false)] {
            inventory.identities.push(
                serde_json::from_value(identity(name, admin)).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let enriched = enrich(inventory, chrono::Utc::now(), &OwnerResolver::default());
        let evaluation = crate::rules::eval::evaluate(&set, &enriched);
        let mut findings = Findings::new(set.rules.iter().collect(), &enriched, evaluation.matches);
        findings.sort();
        let built: Vec<(String, Severity)> = findings
            .iter()
            .map(|f| (f.entity.id.clone(), f.severity))
            .collect();
        assert_eq!(
            built,
            [
                ("full".to_string(), Severity::High),
                ("conditional".to_string(), Severity::Medium)
            ]
        );
        assert_eq!(findings.worst(), Some(Severity::High));
        // The summary counts the lowered match at its own severity.
        let summary = findings.summary();
        assert_eq!(summary.findings, 2);
        let by_severity = BTreeMap::from([(Severity::Medium, 1), (Severity::High, 1)]);
        assert_eq!(summary.by_severity, by_severity);
        assert_eq!(summary.by_provider, BTreeMap::from([(Provider::Aws, 2)]));
        assert_eq!(
            summary.by_rule,
            BTreeMap::from([("escalation".to_string(), 2)])
        );
        findings.retain_at_least(Severity::High);
        assert_eq!(findings.len(), 1);
        // A broken expression is a rule error naming the field.
        let (origin, mut text) = rule("broken", "high", "true", &[], "CIS AWS Foundations 1.16");
        text.push_str("lower_severity_when: 'identity.('\n");
        let errors = RuleSet::from_sources(&[(origin, text)])
            .err()
            .unwrap_or_default();
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("`lower_severity_when` does not compile")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_superseded_match_folds_into_the_superseding_finding_with_its_controls() {
        let set = RuleSet::from_sources(&[
            rule(
                "agent-admin",
                "critical",
                "identity.permissions.admin",
                &["admin"],
                "CIS AWS Foundations 1.16",
            ),
            rule(
                "admin",
                "high",
                "identity.permissions.admin",
                &["chain"],
                "CIS AWS Foundations 1.16",
            ),
            rule(
                "chain",
                "medium",
                "identity.enabled",
                &[],
                "CIS AWS Foundations 1.10",
            ),
            rule(
                "other",
                "low",
                "identity.enabled",
                &[],
                "CIS AWS Foundations 1.12",
            ),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let mut inventory = Inventory::new();
        for (name, admin) in [("root-like", true), ("plain", false)] {
            inventory.identities.push(
                serde_json::from_value(identity(name, admin)).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let enriched = enrich(inventory, now, &OwnerResolver::default());
        let evaluation = crate::rules::eval::evaluate(&set, &enriched);
        assert_eq!(evaluation.matches.len(), 6, "every rule still matches");
        let findings = Findings::new(set.rules.iter().collect(), &enriched, evaluation.matches);
        let mut built: Vec<(String, String, Vec<String>, Vec<String>)> = findings
            .iter()
            .map(|f| {
                (
                    f.entity.id.clone(),
                    f.rule_id.clone(),
                    f.also_fails.clone(),
                    f.references.cis.clone(),
                )
            })
            .collect();
        built.sort();
        assert_eq!(
            built,
            vec![
                (
                    "plain".into(),
                    "chain".into(),
                    vec![],
                    vec!["CIS AWS Foundations 1.10".into()]
                ),
                (
                    "plain".into(),
                    "other".into(),
                    vec![],
                    vec!["CIS AWS Foundations 1.12".into()]
                ),
                (
                    "root-like".into(),
                    "agent-admin".into(),
                    vec!["admin".into(), "chain".into()],
                    vec![
                        "CIS AWS Foundations 1.16".into(),
                        "CIS AWS Foundations 1.10".into()
                    ]
                ),
                (
                    "root-like".into(),
                    "other".into(),
                    vec![],
                    vec!["CIS AWS Foundations 1.12".into()]
                ),
            ]
        );
        assert_eq!(findings.summary().by_rule.get("admin"), None);
    }

    #[test]
    fn a_match_two_findings_absorb_folds_into_the_most_severe() {
        let set = RuleSet::from_sources(&[
            rule(
                "a-owner",
                "high",
                "identity.enabled",
                &["unused"],
                "CIS AWS Foundations 1.16",
            ),
            rule(
                "z-trust",
                "critical",
                "identity.enabled",
                &["unused"],
                "CIS AWS Foundations 1.16",
            ),
            rule(
                "unused",
                "medium",
                "identity.enabled",
                &[],
                "CIS AWS Foundations 1.10",
            ),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let mut inventory = Inventory::new();
        inventory.identities.push(
            serde_json::from_value(identity("role", false)).unwrap_or_else(|e| panic!("{e}")),
        );
        let enriched = enrich(inventory, chrono::Utc::now(), &OwnerResolver::default());
        let evaluation = crate::rules::eval::evaluate(&set, &enriched);
        let findings = Findings::new(set.rules.iter().collect(), &enriched, evaluation.matches);
        let mut built: Vec<(String, Vec<String>)> = findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.also_fails.clone()))
            .collect();
        built.sort();
        assert_eq!(
            built,
            [
                ("a-owner".to_string(), vec![]),
                ("z-trust".to_string(), vec!["unused".to_string()])
            ]
        );
    }

    #[test]
    fn a_severity_override_that_would_lower_the_finding_keeps_both() {
        let mut set = RuleSet::from_sources(&[
            rule(
                "broad",
                "high",
                "identity.enabled",
                &["narrow"],
                "CIS AWS Foundations 1.16",
            ),
            rule(
                "narrow",
                "medium",
                "identity.enabled",
                &[],
                "CIS AWS Foundations 1.10",
            ),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        set.apply_overrides(&[crate::rules::load::Override {
            rule: "narrow".into(),
            key: "severity".into(),
            value: crate::rules::load::OverrideValue::Text("critical".into()),
            origin: "--set".into(),
        }])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let mut inventory = Inventory::new();
        inventory
            .identities
            .push(serde_json::from_value(identity("x", false)).unwrap_or_else(|e| panic!("{e}")));
        let enriched = enrich(inventory, chrono::Utc::now(), &OwnerResolver::default());
        let evaluation = crate::rules::eval::evaluate(&set, &enriched);
        let findings = Findings::new(set.rules.iter().collect(), &enriched, evaluation.matches);
        assert_eq!(findings.len(), 2);
    }
}
