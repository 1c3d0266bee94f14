//! The findings of a scan, kept as compact matches and built into [`Finding`]s only
//! when they are reported, in parallel batches: a million findings never sit in
//! memory at once.

use super::eval::Match;
use super::value::Roots;
use super::{remediation, template, Rule, Severity, Target};
use crate::enrich::owner::ResolvedOwner;
use crate::enrich::Enriched;
use crate::finding::{finding_id, EntityRef, Finding};
use crate::inventory::Provider;
use crate::report::Summary;
use rayon::prelude::*;
use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// How many findings are built at a time while reporting.
const BATCH: usize = 8192;

/// The matches of a scan with what is needed to turn them into findings.
pub struct Findings<'a> {
    rules: Vec<&'a Rule>,
    enriched: &'a Enriched,
    matches: Vec<Match>,
}

impl<'a> Findings<'a> {
    /// `matches[..].rule` must index `rules`.
    pub fn new(rules: Vec<&'a Rule>, enriched: &'a Enriched, matches: Vec<Match>) -> Self {
        Findings {
            rules,
            enriched,
            matches,
        }
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
        self.rule(m).severity
    }

    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.matches.iter().map(|m| self.severity(m)).max()
    }

    /// Leaves out findings below `min`.
    pub fn retain_at_least(&mut self, min: Severity) {
        let rules = &self.rules;
        self.matches
            .retain(|m| rules[m.rule as usize].severity >= min);
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

    /// Most severe first, then by rule, provider and entity id: a stable order.
    pub fn sort(&mut self) {
        let mut matches = std::mem::take(&mut self.matches);
        matches.par_sort_unstable_by(|a, b| self.compare(a, b));
        self.matches = matches;
    }

    fn compare(&self, a: &Match, b: &Match) -> Ordering {
        let (ra, rb) = (self.rule(a), self.rule(b));
        rb.severity
            .cmp(&ra.severity)
            .then_with(|| ra.spec.id.cmp(&rb.spec.id))
            .then_with(|| self.provider_and_id(a).cmp(&self.provider_and_id(b)))
    }

    /// Counts by severity, provider and rule.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            findings: self.matches.len(),
            ..Default::default()
        };
        for m in &self.matches {
            let rule = self.rule(m);
            *summary.by_severity.entry(rule.severity).or_default() += 1;
            *summary
                .by_provider
                .entry(self.provider_and_id(m).0)
                .or_default() += 1;
            *summary.by_rule.entry(rule.spec.id.clone()).or_default() += 1;
        }
        summary
    }

    /// Each finding's entity, rule and severity, without building the finding.
    pub fn hits(&self) -> Vec<crate::report::owners::Hit<'a>> {
        self.matches
            .iter()
            .map(|m| {
                let rule = self.rule(m);
                crate::report::owners::Hit {
                    target: m.target,
                    index: m.index as usize,
                    rule_id: rule.spec.id.as_str(),
                    severity: rule.severity,
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
        self.matches.chunks(BATCH).flat_map(move |chunk| {
            let batch: Vec<Finding> = chunk.par_iter().map(|m| self.build(m)).collect();
            batch
        })
    }

    /// The finding for one match.
    pub fn build(&self, m: &Match) -> Finding {
        let rule = self.rule(m);
        let enriched = self.enriched;
        match m.target {
            Target::Identity => {
                let view = enriched.identity_view(m.index as usize);
                let (identity, facts) = (view.identity, view.facts);
                let roots = Roots {
                    identity: Some(view),
                    credential: None,
                    params: &rule.params,
                };
                let entity = EntityRef {
                    target: Target::Identity,
                    provider: identity.provider,
                    scope: identity.scope.clone(),
                    kind: identity.kind.as_str().to_string(),
                    id: identity.id.clone(),
                    name: Some(identity.name.clone()),
                    identity_id: None,
                };
                finding(rule, &roots, entity, &facts.owner)
            }
            Target::Credential => {
                let index = m.index as usize;
                let (credential, facts) = enriched.credential(index);
                let roots = Roots {
                    identity: enriched.credential_owner[index].map(|i| enriched.identity_view(i)),
                    credential: Some((credential, facts)),
                    params: &rule.params,
                };
                let entity = EntityRef {
                    target: Target::Credential,
                    provider: credential.provider,
                    scope: credential.scope.clone(),
                    kind: credential.kind.as_str().to_string(),
                    id: credential.id.clone(),
                    name: credential.name.clone(),
                    identity_id: credential.identity_id.clone(),
                };
                finding(rule, &roots, entity, &facts.owner)
            }
        }
    }
}

impl Serialize for Findings<'_> {
    /// Streams the findings as a JSON array without holding them all.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The rule's remediation text for the entity, its placeholders filled.
fn remediation(rule: &Rule, roots: &Roots, entity: &EntityRef) -> std::sync::Arc<str> {
    let texts = rule.spec.remediation.texts();
    match rule
        .spec
        .remediation
        .index_for(entity.provider, &entity.kind)
    {
        Some(i) => match &rule.shared.remediation[i] {
            Some(text) => text.clone(),
            None => remediation::fill(&texts[i].1, |p| roots.lookup(p)).into(),
        },
        None => "".into(),
    }
}

fn finding(rule: &Rule, roots: &Roots, entity: EntityRef, owner: &ResolvedOwner) -> Finding {
    let evidence: BTreeMap<String, serde_json::Value> = rule
        .spec
        .evidence
        .iter()
        .filter_map(|path| roots.lookup(path).map(|v| (path.clone(), v)))
        .collect();
    Finding {
        id: finding_id(&rule.spec.id, entity.provider, &entity.id),
        rule_id: rule.spec.id.clone(),
        title: rule.shared.title.clone(),
        severity: rule.severity,
        confidence: rule.spec.confidence,
        owner: owner.owner.as_deref().map(String::from),
        owner_status: owner.status,
        message: template::render(&rule.spec.message, |p| roots.lookup(p)),
        evidence,
        remediation: remediation(rule, roots, &entity),
        references: rule.shared.references.clone(),
        entity,
    }
}
