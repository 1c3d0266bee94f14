//! The frameworks rules reference, and their control catalogs: data files under
//! `frameworks/` (id, title, an optional note and the providers a control concerns),
//! embedded at build time like the rules.

use crate::inventory::{CredentialKind, IdentityKind, Provider};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use strum::VariantArray;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_frameworks.rs"));
}

/// A framework whose control ids rules may reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    /// OWASP Top 10 Non-Human Identities Risks 2025 (NHI1–NHI10).
    OwaspNhi,
    /// OWASP Top 10 for Agentic Applications 2026 (ASI01–ASI10).
    OwaspAgentic,
    /// CIS benchmark items (AWS and Azure Foundations).
    Cis,
    /// NIST Cybersecurity Framework 2.0 subcategories.
    NistCsf,
    /// CSA MAESTRO agentic AI threat-modelling layers (L1–L7).
    Maestro,
    /// NIST AI Risk Management Framework 1.0 subcategories (GOVERN, MAP, MEASURE, MANAGE).
    NistAiRmf,
}

impl Framework {
    pub const ALL: [Framework; 6] = [
        Framework::OwaspNhi,
        Framework::OwaspAgentic,
        Framework::Cis,
        Framework::NistCsf,
        Framework::Maestro,
        Framework::NistAiRmf,
    ];

    /// The name on the command line and of its catalog file: `owasp-nhi`.
    pub fn name(self) -> &'static str {
        match self {
            Framework::OwaspNhi => "owasp-nhi",
            Framework::OwaspAgentic => "owasp-agentic",
            Framework::Cis => "cis",
            Framework::NistCsf => "nist-csf",
            Framework::Maestro => "maestro",
            Framework::NistAiRmf => "nist-ai-rmf",
        }
    }

    /// The key rules list its ids under, in `references`: `owasp_nhi`.
    pub fn key(self) -> &'static str {
        match self {
            Framework::OwaspNhi => "owasp_nhi",
            Framework::OwaspAgentic => "owasp_agentic",
            Framework::Cis => "cis",
            Framework::NistCsf => "nist_csf",
            Framework::Maestro => "maestro",
            Framework::NistAiRmf => "nist_ai_rmf",
        }
    }

    /// The prefix of its ids in reports: `OWASP-NHI:NHI7`.
    pub fn label(self) -> &'static str {
        match self {
            Framework::OwaspNhi => "OWASP-NHI",
            Framework::OwaspAgentic => "OWASP-AGENTIC",
            Framework::Cis => "CIS",
            Framework::NistCsf => "NIST-CSF",
            Framework::Maestro => "MAESTRO",
            Framework::NistAiRmf => "NIST-AI-RMF",
        }
    }
}

/// One framework's controls, as its catalog file lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub name: String,
    pub version: String,
    /// Where the control ids and titles come from.
    pub source: String,
    pub controls: Vec<Control>,
    /// Each control's position in `controls`, by id (filled by [`Catalog::parse`]): a
    /// report looks up the controls of every finding.
    #[serde(skip)]
    positions: crate::hash::FastMap<String, usize>,
}

/// One control (risk, benchmark item, subcategory, layer) of a framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The providers whose entities the control concerns; empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// The identity or credential kinds it concerns; empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Attribute values an entity must have to fall under the control, e.g.
    /// `vault_rbac: true` for items of Key Vaults that use Azure RBAC.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

impl Control {
    /// Whether an entity of `provider` and `kind` falls under the control, before its
    /// [`Control::attributes`] are looked at.
    pub fn concerns(&self, provider: Provider, kind: &str) -> bool {
        (self.providers.is_empty() || self.providers.contains(&provider))
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }

    /// Whether an entity with `attributes` has every value [`Control::attributes`] asks.
    pub fn concerns_attributes(&self, attributes: &crate::inventory::Attributes) -> bool {
        self.attributes
            .iter()
            .all(|(key, value)| attributes.get(key.as_str()) == Some(value))
    }

    /// Whether an entity of `provider` and `kind` with `attributes` falls under the
    /// control: [`Control::concerns`] and [`Control::concerns_attributes`].
    pub fn concerns_entity(
        &self,
        provider: Provider,
        kind: &str,
        attributes: &crate::inventory::Attributes,
    ) -> bool {
        self.concerns(provider, kind) && self.concerns_attributes(attributes)
    }
}

impl Catalog {
    /// Parses and checks a catalog file: at least one control, no empty or duplicate id.
    pub fn parse(origin: &str, text: &str) -> Result<Catalog, String> {
        let mut catalog: Catalog =
            serde_norway::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        if catalog.controls.is_empty() {
            return Err(format!("{origin}: the catalog lists no controls"));
        }
        let mut seen = HashSet::new();
        for control in &catalog.controls {
            if control.id.trim().is_empty() || control.title.trim().is_empty() {
                return Err(format!("{origin}: a control has an empty id or title"));
            }
            if !seen.insert(control.id.as_str()) {
                return Err(format!(
                    "{origin}: control `{}` is listed twice",
                    control.id
                ));
            }
            let known = |kind: &String| {
                IdentityKind::VARIANTS.iter().any(|k| k.as_str() == kind)
                    || CredentialKind::VARIANTS.iter().any(|k| k.as_str() == kind)
            };
            if let Some(kind) = control.kinds.iter().find(|k| !known(k)) {
                return Err(format!(
                    "{origin}: control `{}`: `{kind}` is not an identity or credential kind",
                    control.id
                ));
            }
        }
        catalog.positions = (catalog.controls.iter().enumerate())
            .map(|(position, control)| (control.id.clone(), position))
            .collect();
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&Control> {
        self.positions
            .get(id)
            .map(|&position| &self.controls[position])
    }

    /// `name version`, e.g. `OWASP Top 10 Non-Human Identities Risks 2025`.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.name, self.version)
    }
}

/// The catalog of every framework, in the order of [`Framework::ALL`].
#[derive(Debug)]
pub struct Catalogs {
    catalogs: [Catalog; 6],
}

impl Catalogs {
    /// The catalog of `framework`.
    pub fn get(&self, framework: Framework) -> &Catalog {
        &self.catalogs[framework as usize]
    }

    /// Parses the embedded catalog files (`frameworks/<name>.yaml`), one per framework.
    fn load(files: &[(&str, &str)]) -> Result<Catalogs, String> {
        let catalogs = Framework::ALL
            .iter()
            .map(|framework| {
                let file = format!("{}.yaml", framework.name());
                let (_, text) = files
                    .iter()
                    .find(|(path, _)| *path == file)
                    .ok_or_else(|| format!("frameworks/{file} is missing"))?;
                Catalog::parse(&format!("frameworks/{file}"), text)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let catalogs = catalogs
            .try_into()
            .map_err(|_| "one catalog per framework expected".to_string())?;
        Ok(Catalogs { catalogs })
    }
}

/// The built-in catalogs, parsed once.
pub fn catalogs() -> Result<&'static Catalogs, String> {
    static CATALOGS: OnceLock<Result<Catalogs, String>> = OnceLock::new();
    CATALOGS
        .get_or_init(|| Catalogs::load(builtin::BUILTIN_FRAMEWORKS))
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_framework_has_a_catalog_with_its_controls() {
        let catalogs = catalogs().unwrap_or_else(|e| panic!("{e}"));
        for (i, framework) in Framework::ALL.iter().enumerate() {
            assert_eq!(*framework as usize, i, "Catalogs::get indexes by position");
        }
        let ids = |f: Framework| -> Vec<String> {
            catalogs
                .get(f)
                .controls
                .iter()
                .map(|c| c.id.clone())
                .collect()
        };
        let nhi: Vec<String> = (1..=10).map(|n| format!("NHI{n}")).collect();
        assert_eq!(ids(Framework::OwaspNhi), nhi);
        let asi: Vec<String> = (1..=10).map(|n| format!("ASI{n:02}")).collect();
        assert_eq!(ids(Framework::OwaspAgentic), asi);
        let layers: Vec<String> = (1..=7).map(|n| format!("L{n}")).collect();
        assert_eq!(ids(Framework::Maestro), layers);
        let nhi7 = catalogs.get(Framework::OwaspNhi).get("NHI7");
        assert_eq!(nhi7.map(|c| c.title.as_str()), Some("Long-Lived Secrets"));
        let cis = catalogs.get(Framework::Cis);
        let item = cis.get("CIS AWS Foundations 1.14");
        assert!(item.is_some_and(|c| c.concerns(Provider::Aws, "access_key")
            && !c.concerns(Provider::Aws, "vault_secret")
            && !c.concerns(Provider::Azure, "access_key")));
        assert!(catalogs.get(Framework::NistCsf).get("PR.AA-05").is_some());
    }

    #[test]
    fn a_broken_catalog_is_refused_with_its_file() {
        let duplicate = "name: n\nversion: v\nsource: s\ncontrols:\n  - { id: A, title: t }\n  - { id: A, title: u }\n";
        let err = Catalog::parse("frameworks/x.yaml", duplicate).err();
        assert_eq!(
            err.as_deref(),
            Some("frameworks/x.yaml: control `A` is listed twice")
        );
        let typo = "name: n\nversion: v\nsource: s\ncontrols:\n  - { id: A, titel: t }\n";
        let err = Catalog::parse("frameworks/x.yaml", typo)
            .err()
            .unwrap_or_default();
        assert!(
            err.starts_with("frameworks/x.yaml:") && err.contains("titel"),
            "{err}"
        );
        let kind = "name: n\nversion: v\nsource: s\ncontrols:\n  - { id: A, title: t, kinds: [acess_key] }\n";
        assert_eq!(
            Catalog::parse("x.yaml", kind).err().as_deref(),
            Some("x.yaml: control `A`: `acess_key` is not an identity or credential kind")
        );
        let missing = Catalogs::load(&[(
            "owasp-nhi.yaml",
            "name: n\nversion: v\nsource: s\ncontrols: [{ id: A, title: t }]\n",
        )]);
        assert_eq!(
            missing.err().as_deref(),
            Some("frameworks/owasp-agentic.yaml is missing")
        );
    }
}
