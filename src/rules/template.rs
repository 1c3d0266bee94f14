//! Message templates: `{dotted.path}` placeholders filled from the rule's variables;
//! `{a.b|c.d}` takes the first of the paths that has a value. Plain substitution only;
//! expressions belong in `when`.

use serde_json::Value;
use std::borrow::Borrow;
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

/// Fills every `{path}` with `lookup(path)`; a missing value renders as `-`.
pub fn render<V: Borrow<Value>>(template: &str, lookup: impl Fn(&str) -> Option<V>) -> String {
    render_with(template, lookup, |_| "-".to_string())
}

/// Fills every `{path}` with `lookup(path)`, and a missing value with `missing(path)`
/// (of the last alternative).
pub fn render_with<V: Borrow<Value>>(
    template: &str,
    lookup: impl Fn(&str) -> Option<V>,
    missing: impl Fn(&str) -> String,
) -> String {
    fill(template, |placeholder, out| {
        match alternatives(placeholder).find_map(&lookup) {
            Some(value) => write_display(value.borrow(), out),
            None => out.push_str(&missing(
                alternatives(placeholder).last().unwrap_or(placeholder),
            )),
        }
    })
}

/// The template with each `{placeholder}` (trimmed) replaced by what `put` appends
/// for it; the text after an unclosed `{` is kept as written.
pub fn fill(template: &str, mut put: impl FnMut(&str, &mut String)) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        put(after[..end].trim(), &mut out);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
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
    fn fills_known_paths_and_dashes_unknown_ones() {
        let value = serde_json::json!({"id": "k1", "age_days": 400, "tags": ["a", "b"]});
        let lookup = |path: &str| {
            path.strip_prefix("credential.")
                .and_then(|field| value.get(field).cloned())
        };
        assert_eq!(
            render(
                "{credential.id} is {credential.age_days}d old ({credential.nope}) {credential.tags}",
                lookup
            ),
            "k1 is 400d old (-) a, b"
        );
        assert_eq!(
            render_with(
                "--user-name {identity.name}",
                |_| None::<Value>,
                |p| format!("<{p}>")
            ),
            "--user-name <identity.name>"
        );
        assert_eq!(
            render(
                "{credential.nope|credential.id} {credential.nope|x.y}",
                lookup
            ),
            "k1 -"
        );
        assert_eq!(
            render_with("{a.b|c.d}", |_| None::<Value>, |p| format!("<{p}>")),
            "<c.d>"
        );
        assert_eq!(placeholders("a {x.y} b {z}"), Ok(vec!["x.y", "z"]));
        assert!(placeholders("a {x").is_err());
    }
}
