//! A rule's message, remediation texts and evidence, parsed once when the rule loads.
//! Each distinct path they name is split once ([`Place`]) and numbered, so a finding
//! looks each path up once, by number, and fills its texts without parsing them again.

use super::remediation;
use super::template::{self, Segment};
use super::value::{Place, Roots};
use super::values::Values;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The texts of one rule, ready to fill for each finding.
#[derive(Debug)]
pub struct Texts {
    /// Every path the texts and evidence name, each once: `(path, place)`.
    paths: Vec<(String, Place)>,
    message: Template,
    /// One per remediation text, in the order of `RuleSpec::remediation`'s texts.
    remediation: Vec<Remediation>,
    /// The evidence paths, each once.
    evidence: Vec<usize>,
}

#[derive(Debug)]
enum Remediation {
    /// No placeholders: every finding shares the text.
    Fixed(Arc<str>),
    Filled(Template),
}

/// A text split at its placeholders.
#[derive(Debug, Default)]
struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(Box<str>),
    /// `{a.b|c.d}`: the numbers of its paths, and the last path as written (shown, in
    /// a remediation, when none has a value).
    Placeholder {
        alternatives: Box<[usize]>,
        last: Box<str>,
    },
}

impl Texts {
    /// Parses a rule's message, remediation texts and evidence paths.
    pub fn new<'t>(
        message: &str,
        remediation: impl IntoIterator<Item = &'t str>,
        evidence: &[String],
    ) -> Texts {
        let mut paths = Vec::new();
        let message = Template::new(message, &mut paths);
        let remediation = remediation
            .into_iter()
            .map(|text| {
                let template = Template::new(text, &mut paths);
                if template.has_placeholders() {
                    Remediation::Filled(template)
                } else {
                    Remediation::Fixed(text.into())
                }
            })
            .collect();
        let mut evidence_ids = Vec::new();
        for path in evidence {
            let id = number(path, &mut paths);
            if !evidence_ids.contains(&id) {
                evidence_ids.push(id);
            }
        }
        Texts {
            paths,
            message,
            remediation,
            evidence: evidence_ids,
        }
    }

    /// The texts of one finding, looking paths up in `roots` and `values`.
    pub fn fill<'t>(&'t self, roots: &'t Roots<'t>, values: &'t Values) -> Filling<'t> {
        Filling {
            texts: self,
            roots,
            values,
            found: vec![None; self.paths.len()],
        }
    }
}

/// The number of `path` in `paths`, added when new.
fn number(path: &str, paths: &mut Vec<(String, Place)>) -> usize {
    match paths.iter().position(|(p, _)| p == path) {
        Some(id) => id,
        None => {
            paths.push((path.to_string(), Place::of(path)));
            paths.len() - 1
        }
    }
}

impl Template {
    /// Splits `text` at its placeholders ([`template::segments`]); the text after an
    /// unclosed `{` is kept as written.
    fn new(text: &str, paths: &mut Vec<(String, Place)>) -> Template {
        let parts = (template::segments(text).into_iter())
            .filter_map(|segment| match segment {
                Segment::Text(text) | Segment::Unclosed(text) => {
                    (!text.is_empty()).then(|| Part::Text(text.into()))
                }
                Segment::Placeholder(placeholder) => Some(Part::Placeholder {
                    alternatives: template::alternatives(placeholder)
                        .map(|path| number(path, paths))
                        .collect(),
                    last: template::alternatives(placeholder)
                        .last()
                        .unwrap_or(placeholder)
                        .into(),
                }),
            })
            .collect();
        Template { parts }
    }

    fn has_placeholders(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Placeholder { .. }))
    }

    /// The text with each placeholder's first known value shown by `show`, and
    /// `missing(last path)` where none is known.
    fn render(
        &self,
        filling: &mut Filling<'_>,
        mut show: impl FnMut(&Value, &mut String),
        missing: impl Fn(&str, &mut String),
    ) -> String {
        let mut out = String::with_capacity(self.len_hint());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Placeholder { alternatives, last } => {
                    let known = alternatives.iter().find(|&&id| filling.look_up(id));
                    match known.and_then(|&id| filling.found[id].as_ref()?.as_ref()) {
                        Some(value) => show(value, &mut out),
                        None => missing(last, &mut out),
                    }
                }
            }
        }
        out
    }

    /// The length of the literal text and a little for each placeholder.
    fn len_hint(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.len(),
                Part::Placeholder { .. } => 32,
            })
            .sum()
    }
}

/// One finding's texts being filled: each path is looked up the first time a text
/// names it, and kept for the others.
pub struct Filling<'t> {
    texts: &'t Texts,
    roots: &'t Roots<'t>,
    values: &'t Values,
    /// By path number: `None` until looked up, then the value if it has one.
    found: Vec<Option<Option<Value>>>,
}

impl Filling<'_> {
    /// Looks path `id` up unless done already; whether it has a value.
    fn look_up(&mut self, id: usize) -> bool {
        let found = &mut self.found[id];
        if found.is_none() {
            let (_, place) = &self.texts.paths[id];
            *found = Some(self.roots.get(place, Some(self.values)));
        }
        matches!(found, Some(Some(_)))
    }

    /// The message: a missing value shows as `-`.
    pub fn message(&mut self) -> String {
        let texts = self.texts;
        texts
            .message
            .render(self, template::write_display, |_, out| out.push('-'))
    }

    /// Remediation text `index`: each value as one shell word, a missing one as
    /// `<path>`.
    pub fn remediation(&mut self, index: usize) -> Arc<str> {
        let texts = self.texts;
        let template = match &texts.remediation[index] {
            Remediation::Fixed(text) => return text.clone(),
            Remediation::Filled(template) => template,
        };
        let mut shown = String::new();
        template
            .render(
                self,
                |value, out| {
                    shown.clear();
                    template::write_display(value, &mut shown);
                    remediation::write_shell_word(&shown, out);
                },
                |path, out| out.push_str(&remediation::missing(path)),
            )
            .into()
    }

    /// The evidence: each evidence path that has a value, with it. Last, as it takes
    /// the values the texts looked up instead of copying them.
    pub fn evidence(mut self) -> BTreeMap<String, Value> {
        let texts = self.texts;
        texts
            .evidence
            .iter()
            .filter_map(|&id| {
                self.look_up(id);
                let value = self.found[id].take().flatten()?;
                Some((texts.paths[id].0.clone(), value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `params` holds `id`, `age_days`, `tags` and `name`; `values` holds `unused`.
    fn filled(message: &str, remediation: &[&str], evidence: &[&str]) -> Vec<String> {
        let params = BTreeMap::from([
            ("id".to_string(), json!("k1")),
            ("age_days".to_string(), json!(400)),
            ("tags".to_string(), json!(["a", "b"])),
            ("name".to_string(), json!("evil`id`")),
        ]);
        let values = Values::from([("unused".to_string(), json!(["s3", "sqs"]))]);
        let roots = Roots {
            identity: None,
            credential: None,
            params: &params,
        };
        let evidence: Vec<String> = evidence.iter().map(|p| p.to_string()).collect();
        let texts = Texts::new(message, remediation.iter().copied(), &evidence);
        let mut filling = texts.fill(&roots, &values);
        let mut out = vec![filling.message()];
        out.extend((0..remediation.len()).map(|i| filling.remediation(i).to_string()));
        out.push(serde_json::to_string(&filling.evidence()).unwrap_or_default());
        out
    }

    #[test]
    fn a_message_shows_known_paths_and_dashes_unknown_ones() {
        assert_eq!(
            filled(
                "{params.id} is {params.age_days}d old ({params.nope}) {params.tags}",
                &[],
                &[]
            )[0],
            "k1 is 400d old (-) a, b"
        );
        assert_eq!(
            filled(
                "{params.nope|params.id} {params.nope|x.y} { params.id }",
                &[],
                &[]
            )[0],
            "k1 - k1"
        );
        assert_eq!(
            filled("{values.unused} {values.unused.1} {values.nope}", &[], &[])[0],
            "s3, sqs sqs -"
        );
        // The text after an unclosed `{` is kept as written.
        assert_eq!(filled("a {params.id} b {x", &[], &[])[0], "a k1 b {x");
        assert_eq!(filled("plain", &[], &[])[0], "plain");
    }

    #[test]
    fn a_remediation_shows_values_as_shell_words_and_names_missing_paths() {
        let texts = filled(
            "",
            &[
                "--user-name {params.name} --key {params.id} --vault {credential.vault}",
                "{a.b|c.d} {identity.name}",
                "no placeholders",
            ],
            &[],
        );
        assert_eq!(
            texts[1],
            "--user-name 'evil`id`' --key k1 --vault <credential.vault>"
        );
        assert_eq!(texts[2], "<c.d> <identity.name>");
        assert_eq!(texts[3], "no placeholders");
    }

    #[test]
    fn a_text_without_placeholders_is_shared_by_every_finding() {
        let texts = Texts::new("m", ["fixed"], &[]);
        let params = BTreeMap::new();
        let roots = Roots {
            identity: None,
            credential: None,
            params: &params,
        };
        let values = Values::new();
        let first = texts.fill(&roots, &values).remediation(0);
        let second = texts.fill(&roots, &values).remediation(0);
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn evidence_holds_each_known_path_once_even_when_the_texts_showed_it() {
        let texts = filled(
            "{params.id} {values.unused}",
            &["{params.tags}"],
            &[
                "params.id",
                "params.nope",
                "values.unused",
                "params.tags",
                "params.id",
                "params.age_days",
            ],
        );
        assert_eq!(
            texts[2],
            json!({
                "params.age_days": 400,
                "params.id": "k1",
                "params.tags": ["a", "b"],
                "values.unused": ["s3", "sqs"],
            })
            .to_string()
        );
    }
}
