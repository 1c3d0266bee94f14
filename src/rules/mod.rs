//! Rules as data: YAML files with metadata, a CEL `when` expression, parameters,
//! framework references and examples. See `docs/rules.md`.

pub mod bounds;
pub mod check;
pub mod environment;
pub mod eval;
pub mod findings;
pub mod guards;
pub mod load;
pub mod remediation;
pub mod template;
pub mod texts;
pub mod value;
pub mod values;

use crate::enrich::identity_type::IdentityType;
use crate::frameworks::Framework;
use crate::inventory::{CredentialKind, IdentityKind, Provider};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use strum::VariantArray;

/// How bad a finding is.
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
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, the most severe first.
    pub fn descending() -> impl DoubleEndedIterator<Item = Severity> + ExactSizeIterator {
        Severity::VARIANTS.iter().rev().copied()
    }

    /// One level lower (`info` stays `info`).
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let names = || Severity::VARIANTS.iter().map(|v| v.as_str());
        Severity::VARIANTS
            .iter()
            .copied()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = names().collect();
                format!("`{s}` is not a severity ({})", names.join(", "))
            })
    }
}

/// How sure a match is a real problem.
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
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a rule is evaluated against.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
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
pub enum Target {
    Identity,
    Credential,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A cheap pre-filter checked before the expression.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// Identity kinds or credential kinds, by their snake_case names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Who the identity (for a credential rule: the credential's identity) must be:
    /// `non_human`, `human`, `ambiguous`. Empty means `[non_human]`: rules judge
    /// non-human identities unless they say otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_types: Vec<IdentityType>,
}

impl Filter {
    /// Whether an entity whose identity is of `identity_type` is judged.
    pub fn judges(&self, identity_type: IdentityType) -> bool {
        if self.identity_types.is_empty() {
            identity_type == IdentityType::NonHuman
        } else {
            self.identity_types.contains(&identity_type)
        }
    }
}

/// Framework controls a rule tests, by framework; every id must be in its framework's
/// catalog (`frameworks/`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// OWASP Top 10 Non-Human Identities 2025 (NHI1–NHI10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owasp_nhi: Vec<String>,
    /// OWASP Top 10 for Agentic Applications 2026 (ASI01–ASI10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owasp_agentic: Vec<String>,
    /// CIS benchmark items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cis: Vec<String>,
    /// NIST CSF 2.0 subcategories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nist_csf: Vec<String>,
    /// CSA MAESTRO layers (L1–L7).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maestro: Vec<String>,
    /// NIST AI RMF 1.0 subcategories (`GOVERN 1.6`, `MANAGE 2.4`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nist_ai_rmf: Vec<String>,
    /// Further links (documentation, advisories).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

impl References {
    /// The ids given for `framework`.
    pub fn ids(&self, framework: Framework) -> &[String] {
        match framework {
            Framework::OwaspNhi => &self.owasp_nhi,
            Framework::OwaspAgentic => &self.owasp_agentic,
            Framework::Cis => &self.cis,
            Framework::NistCsf => &self.nist_csf,
            Framework::Maestro => &self.maestro,
            Framework::NistAiRmf => &self.nist_ai_rmf,
        }
    }

    /// Adds `other`'s ids that are not already here.
    pub fn merge(&mut self, other: &References) {
        let lists = [
            (&mut self.owasp_nhi, &other.owasp_nhi),
            (&mut self.owasp_agentic, &other.owasp_agentic),
            (&mut self.cis, &other.cis),
            (&mut self.nist_csf, &other.nist_csf),
            (&mut self.maestro, &other.maestro),
            (&mut self.nist_ai_rmf, &other.nist_ai_rmf),
            (&mut self.links, &other.links),
        ];
        for (mine, theirs) in lists {
            for id in theirs {
                if !mine.contains(id) {
                    mine.push(id.clone());
                }
            }
        }
    }

    /// These references less the controls that do not concern an entity of `provider`
    /// and `kind` with `attributes` (a CIS AWS item on a Kubernetes ServiceAccount, a
    /// CIS Azure RBAC-vault item on an access-policy vault's secret); `None` when every
    /// control concerns it.
    pub fn concerning(
        &self,
        provider: Provider,
        kind: &str,
        attributes: &crate::inventory::Attributes,
    ) -> Option<References> {
        let catalogs = crate::frameworks::catalogs().ok()?;
        let concerns = |framework: Framework, id: &String| {
            catalogs
                .get(framework)
                .get(id)
                .is_none_or(|c| c.concerns_entity(provider, kind, attributes))
        };
        let all = Framework::ALL
            .iter()
            .all(|f| self.ids(*f).iter().all(|id| concerns(*f, id)));
        if all {
            return None;
        }
        let keep = |framework: Framework| -> Vec<String> {
            self.ids(framework)
                .iter()
                .filter(|id| concerns(framework, id))
                .cloned()
                .collect()
        };
        Some(References {
            owasp_nhi: keep(Framework::OwaspNhi),
            owasp_agentic: keep(Framework::OwaspAgentic),
            cis: keep(Framework::Cis),
            nist_csf: keep(Framework::NistCsf),
            maestro: keep(Framework::Maestro),
            nist_ai_rmf: keep(Framework::NistAiRmf),
            links: self.links.clone(),
        })
    }

    /// All ids, prefixed by framework, e.g. `OWASP-NHI:NHI7`.
    pub fn labels(&self) -> Vec<String> {
        Framework::ALL
            .iter()
            .flat_map(|f| self.ids(*f).iter().map(|id| format!("{}:{id}", f.label())))
            .collect()
    }
}

/// A rule file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub applies_to: Target,
    #[serde(default, skip_serializing_if = "is_default_filter")]
    pub filter: Filter,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
    pub when: String,
    /// When this also holds on a matching entity, its finding is one severity level
    /// lower than `severity` (high → medium): e.g. every grant it is about is allowed
    /// only under conditions the scan cannot decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_severity_when: Option<String>,
    pub message: String,
    /// Named expressions evaluated for each finding, shown in the message, remediation
    /// and evidence as `values.<name>` ([`values`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    pub description: String,
    pub remediation: Remediation,
    #[serde(default)]
    pub references: References,
    /// Rules this one replaces on an entity both match: one finding per root cause.
    /// The superseded rules' controls still count in framework reports, and the finding
    /// names them in `also_fails`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<String>,
    #[serde(default)]
    pub examples: Vec<serde_json::Value>,
    #[serde(default)]
    pub negative_examples: Vec<serde_json::Value>,
}

fn is_default_filter(filter: &Filter) -> bool {
    filter == &Filter::default()
}

/// The names a `filter.kinds` entry may take for a target.
pub fn known_kinds(target: Target) -> Vec<&'static str> {
    match target {
        Target::Identity => IdentityKind::VARIANTS.iter().map(|k| k.as_str()).collect(),
        Target::Credential => CredentialKind::VARIANTS
            .iter()
            .map(|k| k.as_str())
            .collect(),
    }
}

pub use load::{Rule, RuleSet};
pub use remediation::Remediation;
