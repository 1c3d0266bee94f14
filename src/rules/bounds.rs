//! Bounds on rule expressions, which users write and share: what a rule file may ask of
//! the parser (length, nesting, operators: checked before parsing, since the parser
//! recurses and would overflow the stack) and of the evaluator (nested comprehensions
//! over large lists: checked per entity, against a budget of iterations).

use crate::inventory::{Credential, Identity};
use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::Program;
use serde_json::Value;

/// The longest `when` (or `lower_severity_when`) expression, in characters.
pub const MAX_CHARS: usize = 10_000;
/// The deepest nesting of brackets (`(`, `[`, `{`).
pub const MAX_NESTING: usize = 32;
/// The most operators and member accesses (`&&`, `+`, `==`, `.`, `!`, `?` ...) in one
/// expression: each is one level of the parsed tree in a chain like `1 + 1 + ...`.
pub const MAX_OPERATORS: usize = 200;
/// The stack of each thread that evaluates rules (`main` builds the pool with it): the
/// evaluator recurses once per level of the parsed tree, up to [`MAX_OPERATORS`] deep.
pub const EVALUATION_STACK_BYTES: usize = 16 << 20;
/// The most loop iterations one rule may cost on one entity: its comprehensions'
/// nesting depth as a power of the entity's largest list or map.
pub const ITERATION_BUDGET: u64 = 1_000_000;

/// Parses an expression within the bounds; a parser failure of any kind, a panic
/// included, is an error message.
pub fn compile(expression: &str) -> Result<Program, String> {
    check_text(expression)?;
    let outcome = std::panic::catch_unwind(|| Program::compile(expression));
    match outcome {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(e)) => Err(format!("does not compile: {e}")),
        Err(_) => Err("does not compile: the CEL parser failed on it".into()),
    }
}

/// Length, bracket nesting and operator count, outside string literals.
pub fn check_text(expression: &str) -> Result<(), String> {
    let chars = expression.chars().count();
    if chars > MAX_CHARS {
        return Err(format!(
            "is {chars} characters long; an expression may have at most {MAX_CHARS}"
        ));
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut operators = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = expression.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            match c {
                '\\' => {
                    chars.next();
                }
                c if c == q => quote = None,
                _ => {}
            }
            previous = c;
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            // A member access, not a decimal point.
            '.' if !previous.is_ascii_digit() => operators += 1,
            '+' | '-' | '*' | '/' | '%' | '?' | '<' | '>' => operators += 1,
            '!' => {
                if chars.peek() == Some(&'=') {
                    chars.next();
                }
                operators += 1;
            }
            '=' | '&' | '|' => {
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                operators += 1;
            }
            _ => {}
        }
        previous = c;
    }
    if deepest > MAX_NESTING {
        return Err(format!(
            "nests brackets {deepest} deep; an expression may nest at most {MAX_NESTING}"
        ));
    }
    if operators > MAX_OPERATORS {
        return Err(format!(
            "has {operators} operators and member accesses; an expression may have at most \
             {MAX_OPERATORS} (split the rule, or use a list and `exists`)"
        ));
    }
    Ok(())
}

/// How deeply comprehensions (`exists`, `all`, `map`, `filter`...) nest in `e`.
pub fn comprehension_depth(e: &IdedExpr) -> u32 {
    let children: Vec<&IdedExpr> = match &e.expr {
        Expr::Select(select) => vec![&select.operand],
        Expr::Call(call) => call.target.iter().map(|t| &**t).chain(&call.args).collect(),
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => map
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
                EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Struct(s) => s
            .entries
            .iter()
            .filter_map(|entry| match &entry.expr {
                EntryExpr::StructField(f) => Some(&f.value),
                EntryExpr::MapEntry(_) => None,
            })
            .collect(),
        Expr::Comprehension(c) => {
            let range = comprehension_depth(&c.iter_range);
            let body = [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
                .into_iter()
                .map(comprehension_depth)
                .max()
                .unwrap_or(0);
            return range.max(1 + body);
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    };
    children
        .into_iter()
        .map(comprehension_depth)
        .max()
        .unwrap_or(0)
}

/// The most elements of any list or map an identity holds (its permissions, trust,
/// owners, tags and attributes, at any depth).
pub fn largest_in_identity(identity: &Identity) -> usize {
    let p = &identity.permissions;
    [
        p.wildcard_actions.len(),
        p.privileged_actions.len(),
        p.policies.len(),
        identity.trust.len(),
        identity.owners.len(),
        identity.tags.len(),
        identity
            .trust
            .iter()
            .map(|t| t.conditions.len())
            .max()
            .unwrap_or(0),
        largest_in_map(&identity.attributes),
        identity.usage.as_ref().map_or(0, |u| {
            u.services
                .iter()
                .map(|s| s.statements.len())
                .max()
                .unwrap_or(0)
                .max(u.services.len())
        }),
    ]
    .into_iter()
    .max()
    .unwrap_or(0)
}

/// The same for a credential (its tags and attributes).
pub fn largest_in_credential(credential: &Credential) -> usize {
    credential
        .tags
        .len()
        .max(largest_in_map(&credential.attributes))
}

fn largest_in_map(map: &crate::inventory::Attributes) -> usize {
    map.values()
        .map(largest_in_json)
        .max()
        .unwrap_or(0)
        .max(map.len())
}

fn largest_in_json(value: &Value) -> usize {
    match value {
        Value::Array(items) => items
            .iter()
            .map(largest_in_json)
            .max()
            .unwrap_or(0)
            .max(items.len()),
        Value::Object(map) => map
            .values()
            .map(largest_in_json)
            .max()
            .unwrap_or(0)
            .max(map.len()),
        _ => 0,
    }
}

/// Whether `depth` nested comprehensions over collections of up to `largest`
/// elements stay within [`ITERATION_BUDGET`].
pub fn within_budget(depth: u32, largest: usize) -> bool {
    depth == 0
        || (largest as u64)
            .checked_pow(depth)
            .is_some_and(|n| n <= ITERATION_BUDGET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_deep_or_operator_heavy_expressions_are_refused_before_parsing() {
        assert!(compile("identity.enabled && has(identity.created)").is_ok());
        let long = format!("'{}' == 'x'", "a".repeat(MAX_CHARS));
        assert!(compile(&long)
            .err()
            .unwrap_or_default()
            .contains("characters"));
        let chain = vec!["1"; 3000].join("+") + " > 0";
        let error = compile(&chain).err().unwrap_or_default();
        assert!(error.contains("operators"), "{error}");
        let nested = format!("{}true{}", "(".repeat(100), ")".repeat(100));
        assert!(compile(&nested).err().unwrap_or_default().contains("nest"));
        // Operators inside strings do not count; decimals are no member access.
        assert!(check_text(&format!("'{}' == 'x' && 1.5 > 1.0", "+".repeat(1000))).is_ok());
        // A syntax error far along a long line is an error, not a panic.
        let far = format!("'{}' == 'x' &&", "a".repeat(9_000));
        assert!(compile(&far).is_err());
    }

    #[test]
    fn the_deepest_chain_allowed_still_parses_and_evaluates() {
        let chain = vec!["1"; MAX_OPERATORS].join(" + ") + " > 0";
        let program = compile(&chain).unwrap_or_else(|e| panic!("{e}"));
        // On a thread with the stack the evaluating threads have.
        let outcome = std::thread::Builder::new()
            .stack_size(EVALUATION_STACK_BYTES)
            .spawn(move || {
                matches!(
                    program.execute(&cel::Context::default()),
                    Ok(cel::Value::Bool(true))
                )
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .join();
        assert!(matches!(outcome, Ok(true)));
    }

    #[test]
    fn the_budget_counts_nested_comprehensions_over_the_largest_list() {
        let depth = |text: &str| {
            compile(text)
                .map(|p| comprehension_depth(p.expression()))
                .unwrap_or(99)
        };
        assert_eq!(depth("identity.enabled"), 0);
        assert_eq!(depth("identity.tags.exists(k, k == 'x')"), 1);
        assert_eq!(
            depth("identity.trust.exists(t, identity.trust.exists(u, u == t))"),
            2
        );
        assert_eq!(
            depth("identity.trust.map(t, t).exists(u, u == 1)"),
            1,
            "a comprehension over another's result runs after it, not inside"
        );
        assert!(within_budget(0, usize::MAX));
        assert!(within_budget(1, 1_000_000));
        assert!(within_budget(2, 1_000));
        assert!(!within_budget(2, 10_000));
        assert!(!within_budget(3, 1_000));
    }
}
