//! `nhiscan.toml`: owner tag keys, a default roster, scan defaults and rule overrides.

use crate::rules::load::{Override, OverrideValue};
use crate::rules::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `[output]` in `nhiscan.toml`: defaults for `scan`'s reports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Reports when no `-f` is given: `FORMAT` or `FORMAT:PATH`, paths relative to the
    /// config file.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Default for `--csv-delimiter`.
    pub csv_delimiter: Option<String>,
    /// Default for `--csv-bom`.
    pub csv_bom: Option<bool>,
    /// Default for `--top`.
    pub markdown_top: Option<usize>,
}

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "nhiscan.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub owners: OwnersConfig,
    #[serde(default)]
    pub scan: ScanConfig,
    /// `[output]`: default report formats and format options of `scan`.
    #[serde(default)]
    pub output: OutputConfig,
    /// `[ai]`: the AI-agent classifier's word, tag, permission and service lists.
    #[serde(default)]
    pub ai: crate::enrich::ai::AiConfig,
    /// `[identities]`: which user accounts are people (name patterns, service words).
    #[serde(default)]
    pub identities: crate::enrich::identity_type::IdentityTypeConfig,
    /// `[rules.<id>]` tables: parameter values, `enabled`, `severity`.
    #[serde(default)]
    pub rules: BTreeMap<String, toml::Table>,
    /// Where this config was read from (not a config key).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnersConfig {
    /// Tag keys naming an owner, most specific first.
    pub tag_keys: Option<Vec<String>>,
    /// HR/directory roster CSV, relative to the config file.
    pub roster: Option<PathBuf>,
    /// Teams and their people (`payments = ["alice@acme.example", ...]`): an owner tag
    /// naming a team is judged by its people against the roster.
    #[serde(default)]
    pub teams: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Default for `--fail-on`.
    pub fail_on: Option<Severity>,
    /// Extra rule folders, relative to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {reason}", path.display())]
    Io {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads `explicit`, or `nhiscan.toml` in the working directory when it exists.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit {
            Some(path) => Config::read(path),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                Config::read(Path::new(DEFAULT_CONFIG_FILE))
            }
            None => Ok(Config::default()),
        }
    }

    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::input::read_to_string(path).map_err(|reason| ConfigError::Io {
            path: path.to_path_buf(),
            reason,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: toml_message(&text, &e),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.owners.roster = config.owners.roster.map(|p| base.join(p));
        config.scan.rules = config.scan.rules.iter().map(|p| base.join(p)).collect();
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// The `[rules.<id>]` tables as overrides, in file order of rule then key.
    pub fn overrides(&self) -> Vec<Override> {
        let origin = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| DEFAULT_CONFIG_FILE.into());
        let mut out = Vec::new();
        for (rule, table) in &self.rules {
            for (key, value) in table {
                out.push(Override {
                    rule: rule.clone(),
                    key: key.clone(),
                    value: OverrideValue::Json(toml_to_json(value)),
                    origin: format!("{origin} [rules.{rule}] {key}"),
                });
            }
        }
        out
    }
}

/// toml's message with "line L, column C" kept in front, on one line.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before
                .rfind('\n')
                .map(|i| before.len() - i)
                .unwrap_or(before.len() + 1);
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => J::from(*f),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Parses `--set rule.param=value`.
pub fn parse_set(text: &str) -> Result<Override, String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("--set {text}: expected RULE.PARAM=VALUE"))?;
    let (rule, param) = key
        .trim()
        .split_once('.')
        .ok_or_else(|| format!("--set {text}: expected RULE.PARAM=VALUE"))?;
    Ok(Override {
        rule: rule.to_string(),
        key: param.to_string(),
        value: OverrideValue::Text(value.to_string()),
        origin: format!("--set {text}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("nhiscan.toml");
        std::fs::write(&path, "[owners]\ntag_keys = [\"owner\"]\ncolour = 1\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let err = Config::read(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("line 3, column 1"), "{err}");
        assert!(err.contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn rule_tables_become_overrides() {
        let config: Config =
            toml::from_str("[rules.old-key]\nmax_age_days = 30\nenabled = false\n")
                .unwrap_or_else(|e| panic!("{e}"));
        let overrides = config.overrides();
        assert_eq!(overrides.len(), 2);
        assert_eq!(overrides[0].rule, "old-key");
        assert_eq!(parse_set("a.b=3").map(|o| o.key), Ok("b".to_string()));
        assert!(parse_set("ab=3").is_err());
    }
}
