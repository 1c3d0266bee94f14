//! Message templates: `{dotted.path}` placeholders filled from the rule's variables;
//! `{a.b|c.d}` takes the first of the paths that has a value. Plain substitution only;
//! expressions belong in `when`. [`super::texts`] fills them for each finding.

use serde_json::Value;
use std::fmt::Write;

/// The placeholder paths a template uses, or an error for an unclosed `{`.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed `{{` in template: {template:?}"));
        };
        out.push(after[..end].trim());
        rest = &after[end + 1..];
    }
    Ok(out)
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
    }
}
