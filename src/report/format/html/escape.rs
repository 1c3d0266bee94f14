//! Escaping for the places a value from the inventory lands in the HTML report: element
//! text and attribute values (also inside SVG, which the HTML parser reads the same
//! way). The embedded data needs none: it is base64 ([`super::data`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Bidirectional-text controls ("Trojan Source"): shown as `<U+202E>` rather than
/// obeyed, so that a name cannot reorder what is printed after it.
/// Besides what the terminal output escapes (control characters, embeddings, overrides
/// and isolates: [`crate::report::sanitize::needs_escape`]), the direction marks.
fn is_hidden(c: char) -> bool {
    (crate::report::sanitize::needs_escape(c) && c != '\n' && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A value as it should be seen: bidirectional and other control characters spelled
/// out (`<U+202E>`), everything else as it is.
pub fn visible(value: &str) -> Cow<'_, str> {
    if !value.chars().any(is_hidden) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if is_hidden(c) {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for element content or a quoted attribute value: `& < > " '` as entities, after
/// [`visible`].
pub fn html(value: &str) -> String {
    let value = visible(value);
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_becomes_text() {
        assert_eq!(
            html(r#""><img src=x onerror=alert(1)>'"#),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;"
        );
        assert_eq!(html("a & b"), "a &amp; b");
    }

    #[test]
    fn direction_overrides_and_controls_are_spelled_out() {
        assert_eq!(visible("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        assert_eq!(html("x\u{2066}y\u{0007}"), "x&lt;U+2066&gt;y&lt;U+0007&gt;");
        assert!(matches!(visible("plain name"), Cow::Borrowed(_)));
    }
}
