//! Message templates: `{dotted.path}` placeholders filled from the rule's variables.
//! Plain substitution only; expressions belong in `when`.

use super::value::lookup;
use cel::Value;

/// The placeholder paths a template uses, or an error for an unclosed `{`.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed `{{` in message template: {template:?}"));
        };
        out.push(after[..end].trim());
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// Fills every `{path}`; a missing value renders as `-`.
pub fn render(template: &str, roots: &[(&str, &Value)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        match lookup(roots, after[..end].trim()) {
            Some(value) => out.push_str(&display(value)),
            None => out.push('-'),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "-".to_string(),
        Value::List(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        other => super::value::to_json(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_paths_and_dashes_unknown_ones() {
        let value =
            cel::to_value(serde_json::json!({"id": "k1", "age_days": 400, "tags": ["a", "b"]}))
                .unwrap_or(Value::Null);
        let roots = [("credential", &value)];
        assert_eq!(
            render("{credential.id} is {credential.age_days}d old ({credential.nope}) {credential.tags}", &roots),
            "k1 is 400d old (-) a, b"
        );
        assert_eq!(placeholders("a {x.y} b {z}"), Ok(vec!["x.y", "z"]));
        assert!(placeholders("a {x").is_err());
    }
}
