//! Making inventory-controlled text safe for where it is shown.

/// Text safe for a terminal: control characters (ESC, CSI, BEL, DEL, C1) and
/// bidirectional overrides are shown escaped (`\u{1b}`), never interpreted;
/// newlines and tabs become spaces.
pub fn terminal(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text safe for a spreadsheet cell: a value that a spreadsheet would read as a
/// formula (first character `=`, `+`, `-`, `@`, tab or carriage return, also after
/// leading spaces) gets a leading `'`, as OWASP's CSV-injection guidance advises.
pub fn spreadsheet(text: &str) -> String {
    let first_raw = text.chars().next();
    let first = text.trim_start_matches(' ').chars().next();
    let risky = matches!(first_raw, Some('\t' | '\r'))
        || matches!(
            first,
            Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
        );
    if risky {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_control_sequences() {
        assert_eq!(terminal("ok"), "ok");
        assert_eq!(terminal("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(terminal("x\u{9b}y\u{7}"), "x\\u{9b}y\\u{7}");
        assert_eq!(terminal("l1\nl2"), "l1 l2");
        assert_eq!(terminal("a\u{202e}b"), "a\\u{202e}b");
    }

    #[test]
    fn spreadsheet_neutralises_formulas() {
        for hostile in [
            "=HYPERLINK(\"http://x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "  =1",
        ] {
            assert!(spreadsheet(hostile).starts_with('\''), "{hostile}");
        }
        assert_eq!(spreadsheet("alice@example.com"), "alice@example.com");
        assert_eq!(spreadsheet("high"), "high");
    }
}
