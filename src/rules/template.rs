//! Message templates: `{dotted.path}` placeholders filled from the rule's variables;
//! `{a.b|c.d}` takes the first of the paths that has a value. Plain substitution only;
//! expressions belong in `when`. [`super::texts`] fills them for each finding.

use serde_json::Value;
use std::fmt::Write;

/// A piece of a template, as [`segments`] splits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'t> {
    /// Text between placeholders, as written (possibly empty).
    Text(&'t str),
    /// What a `{...}` holds, trimmed.
    Placeholder(&'t str),
    /// The rest of the template from a `{` that no `}` closes, as written.
    Unclosed(&'t str),
}

/// The template's text and placeholders, in order: the one place that reads braces.
pub fn segments(template: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push(Segment::Text(&rest[..start]));
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push(Segment::Unclosed(&rest[start..]));
            return out;
        };
        out.push(Segment::Placeholder(after[..end].trim()));
        rest = &after[end + 1..];
    }
    out.push(Segment::Text(rest));
    out
}

/// The placeholder paths a template uses, or an error for an unclosed `{`.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    (segments(template).into_iter())
        .filter_map(|segment| match segment {
            Segment::Placeholder(placeholder) => Some(Ok(placeholder)),
            Segment::Unclosed(_) => Some(Err(format!("unclosed `{{` in template: {template:?}"))),
            Segment::Text(_) => None,
        })
        .collect()
}

/// The paths of a placeholder: `identity.attributes.appId|identity.id` has two.
pub fn alternatives(placeholder: &str) -> impl Iterator<Item = &str> {
    placeholder.split('|').map(str::trim)
}

/// Appends `value` as text to `out`: strings bare, lists joined by `, ` (`none` when
/// empty), `-` for null.
pub fn write_display(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Null => out.push('-'),
        Value::Array(items) if items.is_empty() => out.push_str("none"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(item, out);
            }
        }
        other => {
            // Writing to a String cannot fail.
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_listed_and_an_unclosed_one_refused() {
        assert_eq!(placeholders("a {x.y} b {z}"), Ok(vec!["x.y", "z"]));
        assert!(placeholders("a {x").is_err());
        assert_eq!(
            segments("a { x.y }{z} b {x"),
            [
                Segment::Text("a "),
                Segment::Placeholder("x.y"),
                Segment::Text(""),
                Segment::Placeholder("z"),
                Segment::Text(" b "),
                Segment::Unclosed("{x"),
            ]
        );
    }
}
