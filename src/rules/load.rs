//! Loading rules: the embedded pack and user folders, parsed, compiled once and
//! validated statically (ids, fields, variables, placeholders), then parameter overrides.

use super::value::{field_bit, FieldMask, ALL_FIELDS, CREDENTIAL_FIELDS, IDENTITY_FIELDS};
use super::values::Computed;
use super::{bounds, known_kinds, template, RuleSpec, Severity, Target};
use crate::frameworks::{self, Framework};
use crate::inventory::Provider;
use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::Program;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use strum::VariantArray;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// A problem with a rule file or a rule override, naming where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct RuleError {
    /// The rule file (`builtin:<path>` for embedded ones), or the override's origin.
    pub origin: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl RuleError {
    fn new(origin: &str, message: impl Into<String>) -> Self {
        RuleError {
            origin: origin.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// A loaded, compiled rule with its effective parameters.
pub struct Rule {
    pub spec: RuleSpec,
    /// Where it came from: `builtin:<path>` or a file path.
    pub origin: String,
    pub program: Program,
    /// `lower_severity_when`, compiled.
    pub lower_severity: Option<Program>,
    /// How deeply its comprehensions nest (for the evaluation budget, [`bounds`]).
    pub comprehension_depth: u32,
    /// The terms of `when` checked natively before its CEL runs ([`super::guards`]).
    pub guards: super::guards::Guards,
    /// Parameters after overrides.
    pub params: BTreeMap<String, serde_json::Value>,
    /// The fields of `identity` and `credential` the expression reads.
    pub identity_fields: FieldMask,
    pub credential_fields: FieldMask,
    /// `values`, compiled in name order, and the fields they read.
    pub values: Vec<Computed>,
    pub values_identity_fields: FieldMask,
    pub values_credential_fields: FieldMask,
    pub severity: Severity,
    pub enabled: bool,
    /// Rule texts every finding shares.
    pub shared: Shared,
    /// The message, remediation and evidence, ready to fill for each finding.
    pub texts: super::texts::Texts,
}

/// The parts of a rule that every finding of it carries unchanged.
#[derive(Debug, Clone)]
pub struct Shared {
    pub title: std::sync::Arc<str>,
    pub references: std::sync::Arc<super::References>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.spec.id)
            .field("origin", &self.origin)
            .finish()
    }
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Whether guards known true are a match without its CEL: they are the whole of
    /// `when`, and neither `lower_severity_when` nor the evaluation budget needs the
    /// CEL run.
    pub fn decided_by_guards(&self) -> bool {
        self.guards.whole && self.lower_severity.is_none() && self.comprehension_depth == 0
    }

    pub fn builtin(&self) -> bool {
        self.origin.starts_with("builtin:")
    }
}

/// Every rule of a run, in id order.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

/// One parameter override: from `nhiscan.toml` or `--set rule.param=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub rule: String,
    pub key: String,
    pub value: OverrideValue,
    /// Where it was given, for errors.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OverrideValue {
    /// From the command line: converted to the parameter's type.
    Text(String),
    /// From a config file: must already have the parameter's type.
    Json(serde_json::Value),
}

impl RuleSet {
    /// The built-in pack plus every `*.yaml` below each folder in `user_dirs`.
    pub fn load(user_dirs: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        let mut sources: Vec<(String, String)> = builtin::BUILTIN_RULES
            .iter()
            .map(|(path, text)| (format!("builtin:rules/{path}"), text.to_string()))
            .collect();
        let mut errors = Vec::new();
        for dir in user_dirs {
            match read_dir_rules(dir) {
                Ok(found) => sources.extend(found),
                Err(e) => errors.push(e),
            }
        }
        let set = RuleSet::from_sources(&sources);
        if let Ok(set) = &set {
            errors.extend(file_name_errors(&set.rules));
        }
        match set {
            Ok(set) if errors.is_empty() => Ok(set),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    /// Only the rules in `dir` (for `rules check DIR`), with ids checked against the
    /// built-in pack too.
    pub fn load_dir_only(dir: &Path) -> Result<RuleSet, Vec<RuleError>> {
        let sources = read_dir_rules(dir).map_err(|e| vec![e])?;
        let set = RuleSet::from_sources_unchecked(&sources)?;
        let misnamed = file_name_errors(&set.rules);
        if !misnamed.is_empty() {
            return Err(misnamed);
        }
        let builtin_set = RuleSet::from_sources(
            &builtin::BUILTIN_RULES
                .iter()
                .map(|(p, t)| (format!("builtin:rules/{p}"), t.to_string()))
                .collect::<Vec<_>>(),
        );
        {
            let mut known: Vec<&Rule> = set.rules.iter().collect();
            if let Ok(b) = &builtin_set {
                known.extend(
                    b.rules
                        .iter()
                        .filter(|r| set.rules.iter().all(|own| own.spec.id != r.spec.id)),
                );
            }
            let errors = check_supersedes(&set.rules, known);
            if !errors.is_empty() {
                return Err(errors);
            }
        }
        let builtin: HashMap<String, String> = match builtin_set {
            Ok(b) => b
                .rules
                .iter()
                .map(|r| {
                    (
                        r.spec.id.clone(),
                        r.origin.trim_start_matches("builtin:rules/").to_string(),
                    )
                })
                .collect(),
            Err(_) => HashMap::new(),
        };
        // Checking the source folder of the built-in pack itself is not a clash.
        let source_folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let is_source =
            std::fs::canonicalize(dir).ok() == std::fs::canonicalize(&source_folder).ok();
        let same_file = |rule: &Rule, builtin_path: &str| {
            is_source
                && Path::new(&rule.origin)
                    .strip_prefix(dir)
                    .is_ok_and(|relative| relative == Path::new(builtin_path))
        };
        let clashes: Vec<RuleError> = set
            .rules
            .iter()
            .filter(|r| {
                builtin
                    .get(&r.spec.id)
                    .is_some_and(|path| !same_file(r, path))
            })
            .map(|r| {
                RuleError::new(
                    &r.origin,
                    format!("rule id `{}` is already used by a built-in rule", r.spec.id),
                )
            })
            .collect();
        if clashes.is_empty() {
            Ok(set)
        } else {
            Err(clashes)
        }
    }

    /// Parses, compiles and validates rule texts given as (origin, YAML).
    pub fn from_sources(sources: &[(String, String)]) -> Result<RuleSet, Vec<RuleError>> {
        let set = RuleSet::from_sources_unchecked(sources)?;
        let errors = check_supersedes(&set.rules, &set.rules);
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// [`RuleSet::from_sources`] without checking `supersedes` against the set (a user
    /// folder may supersede built-in rules).
    fn from_sources_unchecked(sources: &[(String, String)]) -> Result<RuleSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for (origin, text) in sources {
            match parse_rule(origin, text) {
                Ok(rule) => {
                    if let Some(first) = seen.get(&rule.spec.id) {
                        errors.push(RuleError::new(
                            origin,
                            format!("duplicate rule id `{}` (also in {first})", rule.spec.id),
                        ));
                        continue;
                    }
                    seen.insert(rule.spec.id.clone(), origin.clone());
                    rules.push(rule);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        rules.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
        Ok(RuleSet { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }

    /// Applies overrides in order: `enabled`, `severity`, or a declared parameter.
    pub fn apply_overrides(&mut self, overrides: &[Override]) -> Result<(), Vec<RuleError>> {
        let mut errors = Vec::new();
        for o in overrides {
            if let Err(message) = self.apply_one(o) {
                errors.push(RuleError::new(&o.origin, message));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn apply_one(&mut self, o: &Override) -> Result<(), String> {
        let Some(rule) = self.rules.iter_mut().find(|r| r.spec.id == o.rule) else {
            return Err(format!(
                "no rule `{}`; `nhiscan rules list` shows the rule ids",
                o.rule
            ));
        };
        match o.key.as_str() {
            "enabled" => {
                rule.enabled = match &o.value {
                    OverrideValue::Json(serde_json::Value::Bool(b)) => *b,
                    OverrideValue::Text(t) if t == "true" || t == "false" => t == "true",
                    _ => return Err(format!("`{}.enabled` must be true or false", o.rule)),
                };
            }
            "severity" => {
                let text = match &o.value {
                    OverrideValue::Json(serde_json::Value::String(s)) | OverrideValue::Text(s) => s,
                    _ => return Err(format!("`{}.severity` must be a severity name", o.rule)),
                };
                rule.severity = text.parse()?;
            }
            key => {
                let Some(default) = rule.spec.params.get(key) else {
                    let known: Vec<&str> = rule.spec.params.keys().map(String::as_str).collect();
                    return Err(format!(
                        "rule `{}` has no parameter `{key}` (it has: {}; and `enabled`, `severity`)",
                        o.rule,
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ));
                };
                let value = convert_param(default, &o.value)
                    .map_err(|e| format!("`{}.{key}`: {e}", o.rule))?;
                rule.params.insert(key.to_string(), value);
            }
        }
        Ok(())
    }
}

/// Converts an override to the type of the parameter's default.
fn convert_param(
    default: &serde_json::Value,
    value: &OverrideValue,
) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    let same_type = |v: &J| {
        std::mem::discriminant(v) == std::mem::discriminant(default)
            && (default.is_i64() == v.is_i64() || default.is_f64())
    };
    match value {
        OverrideValue::Json(v) if same_type(v) => Ok(v.clone()),
        OverrideValue::Json(J::Number(n)) if default.is_f64() => {
            Ok(J::from(n.as_f64().unwrap_or_default()))
        }
        OverrideValue::Json(v) => Err(format!("expected {}, got {v}", type_name(default))),
        OverrideValue::Text(t) => match default {
            J::Number(n) if n.is_i64() || n.is_u64() => t
                .trim()
                .parse::<i64>()
                .map(J::from)
                .map_err(|_| format!("`{t}` is not a whole number")),
            J::Number(_) => t
                .trim()
                .parse::<f64>()
                .map(J::from)
                .map_err(|_| format!("`{t}` is not a number")),
            J::Bool(_) => match t.trim() {
                "true" => Ok(J::Bool(true)),
                "false" => Ok(J::Bool(false)),
                _ => Err(format!("`{t}` is not true or false")),
            },
            J::Array(_) => Ok(J::Array(
                t.split(',')
                    .map(|s| J::String(s.trim().to_string()))
                    .filter(|s| s.as_str() != Some(""))
                    .collect(),
            )),
            _ => Ok(J::String(t.clone())),
        },
    }
}

fn type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => "a number",
        serde_json::Value::Number(_) => "a whole number",
        serde_json::Value::Bool(_) => "true or false",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a table",
        serde_json::Value::Null => "null",
    }
}

/// A rule file is named after its rule: `rules/aws/aws-role-trusts-anyone.yaml` holds
/// `aws-role-trusts-anyone`, so that an id in a finding leads to its file.
fn file_name_errors(rules: &[Rule]) -> Vec<RuleError> {
    rules
        .iter()
        .filter_map(|rule| {
            let stem = Path::new(&rule.origin).file_stem()?.to_str()?;
            (stem != rule.spec.id).then(|| {
                RuleError::new(
                    &rule.origin,
                    format!(
                        "rule `{id}` is in a file named `{stem}`: name the file `{id}.yaml`",
                        id = rule.spec.id
                    ),
                )
            })
        })
        .collect()
}

fn read_dir_rules(dir: &Path) -> Result<Vec<(String, String)>, RuleError> {
    let origin = dir.display().to_string();
    if !dir.is_dir() {
        return Err(RuleError::new(&origin, "not a folder of rule files"));
    }
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    walk(dir, &mut files, &mut seen)
        .map_err(|e| RuleError::new(&origin, format!("cannot read: {e}")))?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            crate::input::read_to_string(&path)
                .map(|text| (path.display().to_string(), text))
                .map_err(|e| {
                    RuleError::new(&path.display().to_string(), format!("cannot read: {e}"))
                })
        })
        .collect()
}

/// Every `*.yaml`/`*.yml` below `dir`, following links to folders but entering each
/// folder once (`seen`: their real paths), so that a link loop ends.
fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    seen: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files, seen)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}

/// Parses and statically validates one rule file.
pub fn parse_rule(origin: &str, text: &str) -> Result<Rule, Vec<RuleError>> {
    let de = serde_norway::Deserializer::from_str(text);
    let spec: RuleSpec = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let location = inner.location();
        let mut message = inner.to_string();
        if let Some(i) = message.find(" at line ") {
            message.truncate(i);
        }
        if !path.is_empty() && path != "." {
            message = format!("{message} (field `{path}`)");
        }
        vec![RuleError {
            origin: origin.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }]
    })?;

    let mut errors = Vec::new();
    let mut fail =
        |m: String| errors.push(RuleError::new(origin, format!("rule `{}`: {m}", spec.id)));

    if !is_kebab(&spec.id) {
        fail("the id must be lower-case kebab-case (a-z, 0-9, -)".into());
    }
    if spec.title.trim().is_empty() {
        fail("the title is empty".into());
    }
    let known = known_kinds(spec.applies_to);
    for kind in &spec.filter.kinds {
        if !known.contains(&kind.as_str()) {
            fail(format!(
                "filter kind `{kind}` is not a {} kind (known: {})",
                spec.applies_to.as_str(),
                known.join(", ")
            ));
        }
    }
    let reference_errors = check_references(origin, text, &spec);
    let program = match bounds::compile(&spec.when) {
        Ok(p) => Some(p),
        Err(e) => {
            fail(format!("`when` {e}"));
            None
        }
    };
    let lower_severity = match spec.lower_severity_when.as_deref().map(bounds::compile) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            fail(format!("`lower_severity_when` {e}"));
            None
        }
    };
    let mut values = Vec::new();
    for (name, expression) in &spec.values {
        if !is_identifier(name) {
            fail(format!(
                "`values.{name}`: a name must be lower-case snake_case (a-z, 0-9, _)"
            ));
        }
        match bounds::compile(expression) {
            Ok(program) => values.push(Computed {
                name: name.clone(),
                program,
            }),
            Err(e) => fail(format!("`values.{name}` {e}")),
        }
    }
    let comprehension_depth = program
        .iter()
        .chain(&lower_severity)
        .chain(values.iter().map(|v| &v.program))
        .map(|p| bounds::comprehension_depth(p.expression()))
        .max()
        .unwrap_or(0);
    let vars = Variables::for_target(spec.applies_to, &spec.params);
    let mut uses = Uses::default();
    for (field, program) in [("when", &program), ("lower_severity_when", &lower_severity)] {
        let Some(program) = program else { continue };
        vars.walk(program.expression(), &mut Vec::new(), &mut uses);
        uses.problems.sort();
        uses.problems.dedup();
        for problem in std::mem::take(&mut uses.problems) {
            fail(format!("`{field}`: {problem}"));
        }
    }
    let mut value_uses = Uses::default();
    for computed in &values {
        vars.walk(
            computed.program.expression(),
            &mut Vec::new(),
            &mut value_uses,
        );
        value_uses.problems.sort();
        value_uses.problems.dedup();
        for problem in std::mem::take(&mut value_uses.problems) {
            fail(format!("`values.{}`: {problem}", computed.name));
        }
    }
    // Messages, remediation and evidence may also show the computed values.
    let mut vars = vars;
    vars.roots
        .push(("values", spec.values.keys().map(String::as_str).collect()));
    for (field, placeholders) in [
        ("message", template::placeholders(&spec.message)),
        ("remediation", spec.remediation.placeholders()),
    ] {
        match placeholders {
            Ok(placeholders) => {
                for placeholder in placeholders {
                    for path in template::alternatives(placeholder) {
                        if let Some(problem) = vars.check_path(path) {
                            fail(format!(
                                "`{field}` placeholder {{{placeholder}}}: {problem}"
                            ));
                        }
                    }
                }
            }
            Err(e) => fail(e),
        }
    }
    for kind in spec.remediation.kinds() {
        if !known.contains(&kind) {
            fail(format!(
                "`remediation` key kind `{kind}` is not a {} kind (known: {})",
                spec.applies_to.as_str(),
                known.join(", ")
            ));
        }
    }
    let providers: &[Provider] = if spec.filter.providers.is_empty() {
        Provider::VARIANTS
    } else {
        &spec.filter.providers
    };
    let kinds: Vec<&str> = if spec.filter.kinds.is_empty() {
        known.clone()
    } else {
        spec.filter.kinds.iter().map(String::as_str).collect()
    };
    let uncovered = spec.remediation.uncovered(providers, &kinds);
    if !uncovered.is_empty() {
        fail(format!(
            "`remediation` has no text for {} (add them, or `default`)",
            uncovered.join(", ")
        ));
    }
    for path in &spec.evidence {
        if let Some(problem) = vars.check_path(path) {
            fail(format!("`evidence` {path}: {problem}"));
        }
    }
    for (name, value) in &spec.params {
        if value.is_null() || value.is_object() {
            fail(format!(
                "`params.{name}` must be a number, string, boolean or list"
            ));
        }
    }

    errors.extend(reference_errors);
    match program {
        Some(program) if errors.is_empty() => Ok(Rule {
            params: spec.params.clone(),
            identity_fields: uses.mask("identity", &IDENTITY_FIELDS),
            credential_fields: uses.mask("credential", &CREDENTIAL_FIELDS),
            values_identity_fields: value_uses.mask("identity", &IDENTITY_FIELDS),
            values_credential_fields: value_uses.mask("credential", &CREDENTIAL_FIELDS),
            values,
            severity: spec.severity,
            origin: origin.to_string(),
            guards: super::guards::Guards::of(program.expression()),
            program,
            lower_severity,
            comprehension_depth,
            enabled: true,
            texts: super::texts::Texts::new(
                &spec.message,
                spec.remediation
                    .texts()
                    .iter()
                    .map(|(_, text)| text.as_str()),
                &spec.evidence,
            ),
            shared: Shared {
                title: spec.title.as_str().into(),
                references: std::sync::Arc::new(spec.references.clone()),
            },
            spec,
        }),
        _ => Err(errors),
    }
}

/// Every reference id must be in its framework's catalog; an error names the line of
/// the id in the rule file.
fn check_references(origin: &str, text: &str, spec: &RuleSpec) -> Vec<RuleError> {
    let catalogs = match frameworks::catalogs() {
        Ok(c) => c,
        Err(e) => return vec![RuleError::new(origin, format!("framework catalogs: {e}"))],
    };
    let mut errors = Vec::new();
    for framework in Framework::ALL {
        let catalog = catalogs.get(framework);
        for id in spec.references.ids(framework) {
            if catalog.get(id).is_some() {
                continue;
            }
            let known: Vec<&str> = catalog.controls.iter().map(|c| c.id.as_str()).collect();
            errors.push(RuleError {
                origin: origin.to_string(),
                line: reference_line(text, id),
                column: None,
                message: format!(
                    "rule `{}`: `references.{}`: `{id}` is not a control of {} (frameworks/{}.yaml: {})",
                    spec.id,
                    framework.key(),
                    catalog.full_name(),
                    framework.name(),
                    known.join(", ")
                ),
            });
        }
    }
    errors
}

/// The 1-based line of `id` within the top-level `references:` block of a rule file.
fn reference_line(text: &str, id: &str) -> Option<usize> {
    let start = text.lines().position(|l| l.starts_with("references:"))?;
    text.lines()
        .enumerate()
        .skip(start)
        .take_while(|(n, l)| *n == start || !l.starts_with(|c: char| c.is_alphanumeric()))
        .find(|(_, line)| contains_token(line, id))
        .map(|(n, _)| n + 1)
}

/// Whether `id` occurs in `line` as a whole list item (not as part of a longer id).
fn contains_token(line: &str, id: &str) -> bool {
    let boundary = |c: Option<char>| c.is_none_or(|c| " \t[],\"':".contains(c));
    line.match_indices(id).any(|(at, _)| {
        boundary(line[..at].chars().next_back()) && boundary(line[at + id.len()..].chars().next())
    })
}

/// A `values` name: lower-case snake_case, starting with a letter.
fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The variables a rule may use and their known top-level fields.
struct Variables<'a> {
    roots: Vec<(&'static str, Vec<&'a str>)>,
}

impl<'a> Variables<'a> {
    fn for_target(target: Target, params: &'a BTreeMap<String, serde_json::Value>) -> Self {
        let mut roots = vec![
            ("identity", IDENTITY_FIELDS.to_vec()),
            ("params", params.keys().map(String::as_str).collect()),
        ];
        if target == Target::Credential {
            roots.push(("credential", CREDENTIAL_FIELDS.to_vec()));
        }
        Variables { roots }
    }

    fn fields(&self, root: &str) -> Option<&[&'a str]> {
        self.roots
            .iter()
            .find(|(name, _)| *name == root)
            .map(|(_, f)| f.as_slice())
    }

    fn names(&self) -> String {
        self.roots
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks a dotted path like `credential.age_days`.
    fn check_path(&self, path: &str) -> Option<String> {
        let mut parts = path.split('.');
        let root = parts.next().unwrap_or_default();
        let Some(fields) = self.fields(root) else {
            return Some(format!(
                "unknown variable `{root}` (known: {})",
                self.names()
            ));
        };
        match parts.next() {
            Some(field) if !fields.contains(&field) => Some(unknown_field(root, field, fields)),
            _ => None,
        }
    }

    /// Walks an expression: records the fields it reads and every unknown variable or
    /// field.
    fn walk(&self, e: &IdedExpr, bound: &mut Vec<String>, out: &mut Uses) {
        match &e.expr {
            Expr::Ident(name) => {
                if !bound.contains(name) {
                    match self.fields(name) {
                        Some(_) => out.whole.push(name.clone()),
                        None => out.problems.push(format!(
                            "unknown variable `{name}` (known: {})",
                            self.names()
                        )),
                    }
                }
            }
            Expr::Select(select) => match &select.operand.expr {
                Expr::Ident(root) if !bound.contains(root) => match self.fields(root) {
                    Some(fields) if fields.contains(&select.field.as_str()) => {
                        out.fields.push((root.clone(), select.field.clone()));
                    }
                    Some(fields) => out
                        .problems
                        .push(unknown_field(root, &select.field, fields)),
                    None => out.problems.push(format!(
                        "unknown variable `{root}` (known: {})",
                        self.names()
                    )),
                },
                _ => self.walk(&select.operand, bound, out),
            },
            Expr::Call(call) => {
                if let Some(target) = &call.target {
                    self.walk(target, bound, out);
                }
                for arg in &call.args {
                    self.walk(arg, bound, out);
                }
            }
            Expr::List(list) => {
                for item in &list.elements {
                    self.walk(item, bound, out);
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(m) = &entry.expr {
                        self.walk(&m.key, bound, out);
                        self.walk(&m.value, bound, out);
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        self.walk(&f.value, bound, out);
                    }
                }
            }
            Expr::Comprehension(c) => {
                self.walk(&c.iter_range, bound, out);
                self.walk(&c.accu_init, bound, out);
                let depth = bound.len();
                bound.push(c.iter_var.clone());
                if let Some(v) = &c.iter_var2 {
                    bound.push(v.clone());
                }
                bound.push(c.accu_var.clone());
                self.walk(&c.loop_cond, bound, out);
                self.walk(&c.loop_step, bound, out);
                self.walk(&c.result, bound, out);
                bound.truncate(depth);
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

/// What an expression reads, and what it gets wrong.
#[derive(Default)]
struct Uses {
    /// (variable, top-level field) pairs.
    fields: Vec<(String, String)>,
    /// Variables used whole (not through a field).
    whole: Vec<String>,
    problems: Vec<String>,
}

impl Uses {
    /// The fields of `root` the expression needs, as a mask over `fields`.
    fn mask(&self, root: &str, fields: &[&str]) -> FieldMask {
        if self.whole.iter().any(|w| w == root) {
            return ALL_FIELDS;
        }
        self.fields
            .iter()
            .filter(|(r, _)| r == root)
            .filter_map(|(_, field)| field_bit(fields, field))
            .fold(0, |mask, bit| mask | bit)
    }
}

fn unknown_field(root: &str, field: &str, fields: &[&str]) -> String {
    format!(
        "`{root}` has no field `{field}` (known: {})",
        if fields.is_empty() {
            "none".to_string()
        } else {
            fields.join(", ")
        }
    )
}

/// The number of embedded rule files.
pub fn builtin_count() -> usize {
    builtin::BUILTIN_RULES.len()
}

/// Checks each rule's `supersedes` against `known` (every rule of the run): the ids
/// exist, are not the rule itself, judge the same target, are not more severe, and no
/// chain of `supersedes` comes back to where it started.
fn check_supersedes<'a>(
    rules: &[Rule],
    known: impl IntoIterator<Item = &'a Rule>,
) -> Vec<RuleError> {
    let known: HashMap<&str, &Rule> = known.into_iter().map(|r| (r.id(), r)).collect();
    let mut errors = Vec::new();
    for rule in rules {
        let before = errors.len();
        for id in &rule.spec.supersedes {
            let problem = match known.get(id.as_str()) {
                None => Some(format!(
                    "`supersedes` names `{id}`, which is no rule; `nhiscan rules list` shows the ids"
                )),
                Some(_) if id == rule.id() => Some("a rule cannot supersede itself".to_string()),
                Some(other) if other.spec.applies_to != rule.spec.applies_to => Some(format!(
                    "`supersedes` names `{id}`, which judges {}: a {} rule can only replace findings on the same entities",
                    plural(other.spec.applies_to),
                    rule.spec.applies_to.as_str()
                )),
                Some(other) if other.spec.severity > rule.spec.severity => Some(format!(
                    "`supersedes` names `{id}` ({}), more severe than this rule ({}): folding it in would lower the finding's severity",
                    other.spec.severity, rule.spec.severity
                )),
                Some(_) => None,
            };
            if let Some(message) = problem {
                errors.push(RuleError::new(&rule.origin, message));
            }
        }
        if errors.len() == before && superseded_by_chain(rule.id(), &known).contains(rule.id()) {
            errors.push(RuleError::new(
                &rule.origin,
                "`supersedes` makes a cycle: this rule is superseded by a rule it supersedes",
            ));
        }
    }
    errors
}

fn plural(target: Target) -> &'static str {
    match target {
        Target::Identity => "identities",
        Target::Credential => "credentials",
    }
}

/// Every rule `id` supersedes, directly or through others.
pub fn superseded_by_chain<'a>(
    id: &str,
    known: &HashMap<&'a str, &'a Rule>,
) -> std::collections::BTreeSet<&'a str> {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack: Vec<&str> = known
        .get(id)
        .map(|r| r.spec.supersedes.iter().map(String::as_str).collect())
        .unwrap_or_default();
    while let Some(next) = stack.pop() {
        let Some((&key, rule)) = known.get_key_value(next) else {
            continue;
        };
        if seen.insert(key) {
            stack.extend(rule.spec.supersedes.iter().map(String::as_str));
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id: test-rule
title: Test
severity: high
confidence: high
applies_to: credential
params: { max_age_days: 90 }
when: has(credential.age_days) && credential.age_days > params.max_age_days
message: "{credential.id} is {credential.age_days} days old"
description: d
remediation: r
"#;

    /// A minimal rule with an id, severity, target and `supersedes` list.
    fn ruled(id: &str, severity: &str, target: &str, supersedes: &[&str]) -> (String, String) {
        let subject = if target == "identity" {
            "identity.enabled"
        } else {
            "credential.status == \"active\""
        };
        (
            format!("{id}.yaml"),
            format!(
                "id: {id}\ntitle: T\nseverity: {severity}\nconfidence: high\napplies_to: {target}\n\
                 when: {subject}\nmessage: m\ndescription: d\nremediation: r\nsupersedes: {supersedes:?}\n"
            ),
        )
    }

    #[test]
    fn supersedes_must_name_a_same_target_rule_no_more_severe_and_make_no_cycle() {
        let ok = RuleSet::from_sources(&[
            ruled("broad", "high", "identity", &["narrow"]),
            ruled("narrow", "medium", "identity", &[]),
        ]);
        assert!(ok.is_ok(), "{:?}", ok.err());
        let errors = |sources: &[(String, String)]| {
            RuleSet::from_sources(sources)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        };
        let unknown = errors(&[ruled("a", "high", "identity", &["nope"])]);
        assert!(
            unknown[0].starts_with("a.yaml: `supersedes` names `nope`, which is no rule"),
            "{unknown:?}"
        );
        let target = errors(&[
            ruled("a", "high", "identity", &["b"]),
            ruled("b", "low", "credential", &[]),
        ]);
        assert!(target[0].contains("which judges credentials"), "{target:?}");
        let severity = errors(&[
            ruled("a", "low", "identity", &["b"]),
            ruled("b", "critical", "identity", &[]),
        ]);
        assert!(
            severity[0].contains("more severe than this rule"),
            "{severity:?}"
        );
        let cycle = errors(&[
            ruled("a", "high", "identity", &["b"]),
            ruled("b", "high", "identity", &["a"]),
        ]);
        assert!(
            cycle.iter().all(|e| e.contains("makes a cycle")) && cycle.len() == 2,
            "{cycle:?}"
        );
    }

    #[test]
    fn good_rule_parses_and_overrides_apply() {
        let mut set = RuleSet::from_sources(&[("t.yaml".into(), GOOD.into())])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let o = |key: &str, value: &str| Override {
            rule: "test-rule".into(),
            key: key.into(),
            value: OverrideValue::Text(value.into()),
            origin: "--set".into(),
        };
        set.apply_overrides(&[o("max_age_days", "30"), o("severity", "low")])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let rule = set.get("test-rule").unwrap_or_else(|| panic!("missing"));
        assert_eq!(rule.params["max_age_days"], serde_json::json!(30));
        assert_eq!(rule.severity, Severity::Low);
        let errs = set
            .apply_overrides(&[o("max_age_days", "soon"), o("nope", "1")])
            .err()
            .unwrap_or_default();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].message.contains("not a whole number"));
        assert!(errs[1].message.contains("has no parameter `nope`"));
    }

    #[test]
    fn unknown_field_typo_and_bad_expression_are_reported() {
        let typo = GOOD.replace("credential.age_days >", "credential.age_dayz >");
        let errs = RuleSet::from_sources(&[("t.yaml".into(), typo)])
            .err()
            .unwrap_or_default();
        assert!(
            errs[0].message.contains("has no field `age_dayz`"),
            "{errs:?}"
        );

        let broken = GOOD.replace("params.max_age_days", "params.max_age_days &&& (");
        let errs = RuleSet::from_sources(&[("t.yaml".into(), broken)])
            .err()
            .unwrap_or_default();
        assert!(errs[0].message.contains("does not compile"), "{errs:?}");

        let unknown = format!("{GOOD}colour: red\n");
        let errs = RuleSet::from_sources(&[("t.yaml".into(), unknown)])
            .err()
            .unwrap_or_default();
        assert!(
            errs[0].message.contains("unknown field `colour`"),
            "{errs:?}"
        );
        assert!(errs[0].line.is_some());

        let dup = RuleSet::from_sources(&[
            ("a.yaml".into(), GOOD.into()),
            ("b.yaml".into(), GOOD.into()),
        ])
        .err()
        .unwrap_or_default();
        assert!(dup[0].message.contains("duplicate rule id"), "{dup:?}");
    }

    #[test]
    fn values_are_checked_like_expressions_and_only_texts_may_show_them() {
        let with = |values: &str, message: &str| {
            let rule = GOOD.replace(
                "message: \"{credential.id} is {credential.age_days} days old\"",
                &format!("values:\n{values}\nmessage: \"{message}\"\nevidence: [values.over]"),
            );
            RuleSet::from_sources(&[("t.yaml".into(), rule)])
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
        };
        let over = "  over: credential.age_days - params.max_age_days";
        assert_eq!(with(over, "{values.over} days over"), Vec::<String>::new());
        let set = RuleSet::from_sources(&[(
            "t.yaml".into(),
            GOOD.replace("message:", &format!("values:\n{over}\nmessage:")),
        )])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let rule = set.get("test-rule").unwrap_or_else(|| panic!("missing"));
        assert_eq!(rule.values.len(), 1);
        assert_ne!(
            rule.values_credential_fields, 0,
            "reads credential.age_days"
        );

        let errors = with("  over: credential.age_dayz", "{values.over}");
        assert!(
            errors
                .iter()
                .any(|e| e.contains("`values.over`: `credential` has no field `age_dayz`")),
            "{errors:?}"
        );
        let errors = with("  Over: 1", "{values.Over}");
        assert!(
            errors.iter().any(|e| e.contains("snake_case")),
            "{errors:?}"
        );
        let errors = with(over, "{values.under}");
        assert!(
            errors.iter().any(|e| e.contains("has no field `under`")),
            "{errors:?}"
        );
        let errors = with("  over: 1 +", "{values.over}");
        assert!(
            errors
                .iter()
                .any(|e| e.contains("`values.over` does not compile")),
            "{errors:?}"
        );
        // `when` decides before any value is computed: it cannot read them.
        let rule = GOOD.replace(
            "when: has(",
            "values: { over: \"1\" }\nwhen: values.over == 1 && has(",
        );
        let errors = RuleSet::from_sources(&[("t.yaml".into(), rule)])
            .err()
            .unwrap_or_default();
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("unknown variable `values`")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_reference_outside_its_catalog_is_an_error_at_its_line() {
        let rule = format!(
            "{GOOD}references:\n  owasp_nhi: [NHI7, NHI11]\n  cis:\n    - \"CIS AWS Foundations 1.14\"\n    - \"CIS AWS Foundations 9.99\"\n"
        );
        let errs = RuleSet::from_sources(&[("t.yaml".into(), rule.clone())])
            .err()
            .unwrap_or_default();
        let line_of = |needle: &str| rule.lines().position(|l| l.contains(needle)).map(|n| n + 1);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].line, line_of("NHI11"));
        assert!(
            errs[0].to_string().starts_with(&format!(
                "t.yaml:{}: rule `test-rule`: `references.owasp_nhi`: `NHI11` is not a control of OWASP Top 10 Non-Human Identities Risks 2025",
                line_of("NHI11").unwrap_or_default()
            )),
            "{}",
            errs[0]
        );
        assert_eq!(errs[1].line, line_of("9.99"));
        assert!(errs[1].message.contains("`references.cis`"), "{errs:?}");

        let inline = format!("{GOOD}references: {{ maestro: [L4, L8] }}\n");
        let errs = RuleSet::from_sources(&[("t.yaml".into(), inline.clone())])
            .err()
            .unwrap_or_default();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].line, Some(inline.lines().count()));
    }

    #[test]
    fn builtin_rule_ids_carry_their_provider_and_name_their_file() {
        let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e:?}"));
        let prefix = |p: Provider| match p {
            Provider::Kubernetes => "k8s-".to_string(),
            other => format!("{other}-"),
        };
        for rule in &set.rules {
            let id = &rule.spec.id;
            let folder = rule.origin.trim_start_matches("builtin:rules/");
            let folder = folder.split('/').next().unwrap_or_default();
            match rule.spec.filter.providers.as_slice() {
                [one] => {
                    assert!(id.starts_with(&prefix(*one)), "{id}: judges {one} only");
                    assert_eq!(folder, one.as_str(), "{id} is in rules/{folder}/");
                }
                _ => {
                    let prefixed = Provider::VARIANTS
                        .iter()
                        .find(|p| id.starts_with(&prefix(**p)));
                    assert!(prefixed.is_none(), "{id}: a prefix, but no single provider");
                }
            }
        }
        assert!(file_name_errors(&set.rules).is_empty());
        let misnamed = parse_rule(
            "rules/aws/role-trusts-anyone.yaml",
            builtin::BUILTIN_RULES
                .iter()
                .find(|(path, _)| path.ends_with("/aws-role-trusts-anyone.yaml"))
                .map(|(_, text)| *text)
                .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let errors = file_name_errors(&[misnamed]);
        assert!(
            errors.len() == 1
                && errors[0]
                    .message
                    .contains("name the file `aws-role-trusts-anyone.yaml`"),
            "{errors:?}"
        );
    }

    #[test]
    fn builtin_rules_reference_owasp_nhi_and_test_every_nhi_risk() {
        let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e:?}"));
        for rule in &set.rules {
            assert!(
                !rule.spec.references.owasp_nhi.is_empty(),
                "{} has no OWASP NHI reference",
                rule.origin
            );
        }
        for n in 1..=10 {
            let id = format!("NHI{n}");
            assert!(
                set.rules
                    .iter()
                    .any(|r| r.spec.references.owasp_nhi.contains(&id)),
                "no built-in rule tests {id} (docs/frameworks.md says which do)"
            );
        }
    }

    #[test]
    fn remediation_texts_must_cover_every_provider_the_rule_applies_to() {
        let split = GOOD.replace(
            "remediation: r",
            "remediation:\n  aws: \"aws iam update-access-key --access-key-id {credential.id}\"\n  azure: a",
        );
        let errs = RuleSet::from_sources(&[("t.yaml".into(), split.clone())])
            .err()
            .unwrap_or_default();
        assert!(
            errs[0]
                .message
                .contains("`remediation` has no text for gcp, kubernetes, github, other"),
            "{errs:?}"
        );
        let by_kind = GOOD.replace(
            "remediation: r",
            "remediation:\n  aws/access_key: a\n  aws/vault_scret: s\n  default: d",
        );
        let errs = RuleSet::from_sources(&[("t.yaml".into(), by_kind)])
            .err()
            .unwrap_or_default();
        assert!(
            errs[0]
                .message
                .contains("`remediation` key kind `vault_scret` is not a credential kind"),
            "{errs:?}"
        );
        let bad_path = split.replace("azure: a", "default: \"{identity.nam|identity.id}\"");
        let errs = RuleSet::from_sources(&[("t.yaml".into(), bad_path)])
            .err()
            .unwrap_or_default();
        assert!(
            errs[0]
                .message
                .contains("placeholder {identity.nam|identity.id}"),
            "{errs:?}"
        );
        let typo = GOOD.replace("remediation: r", "remediation:\n  amazon: a");
        let errs = RuleSet::from_sources(&[("t.yaml".into(), typo)])
            .err()
            .unwrap_or_default();
        assert!(errs[0].line.is_some(), "{errs:?}");
        assert!(errs[0].message.contains("amazon"), "{errs:?}");
    }

    #[test]
    fn comprehension_variables_are_not_unknown() {
        let rule = GOOD.replace(
            "when: has(credential.age_days) && credential.age_days > params.max_age_days",
            "when: credential.tags.exists(k, k == 'x') && identity.trust.all(t, t.principal != '*')",
        );
        RuleSet::from_sources(&[("t.yaml".into(), rule)]).unwrap_or_else(|e| panic!("{e:?}"));
    }
}
