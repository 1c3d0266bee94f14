//! Making inventory-controlled text safe for where it is shown.

use std::borrow::Cow;

/// The longest text a terminal table cell shows (longer is cut, with a marker).
pub const TERMINAL_CHARS: usize = 4096;
/// The longest text a CSV or XLSX cell holds: a spreadsheet cell holds 32,767
/// characters, and the marker must fit too.
pub const SPREADSHEET_CHARS: usize = 32_000;

/// `text` cut to `limit` characters, followed by a marker that says how many were
/// left out (`…[truncated 1,048,576 chars]`); as it is when it fits.
pub fn truncate(text: &str, limit: usize) -> Cow<'_, str> {
    // Cheap for the common case: a text of at most `limit` bytes has at most that
    // many characters.
    if text.len() <= limit {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(limit) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let left_out = text[cut..].chars().count();
            Cow::Owned(format!(
                "{}…[truncated {} chars]",
                &text[..cut],
                thousands(left_out)
            ))
        }
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Text safe for a terminal: control characters (ESC, CSI, BEL, DEL, C1) and
/// bidirectional overrides are shown escaped (`\u{1b}`), never interpreted;
/// newlines and tabs become spaces.
pub fn terminal(text: &str) -> String {
    let text = truncate(text, TERMINAL_CHARS);
    if !text.chars().any(needs_escape) {
        return text.into_owned();
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

/// A message for stderr that may quote input (an error, a warning): like [`terminal`],
/// but its line breaks stay, so that a multi-line message still reads as one.
pub fn message(text: &str) -> String {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return text.to_string();
    }
    text.split('\n')
        .map(|line| {
            line.chars()
                .map(|c| {
                    if needs_escape(c) {
                        format!("\\u{{{:x}}}", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text safe for a spreadsheet cell: a value that a spreadsheet would read as a
/// formula (first character `=`, `+`, `-`, `@`, tab or carriage return, also after
/// leading spaces) gets a leading `'`, as OWASP's CSV-injection guidance advises.
pub fn spreadsheet(text: &str) -> String {
    let text = truncate(text, SPREADSHEET_CHARS);
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
        text.into_owned()
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
    fn long_cells_are_cut_with_a_marker_that_counts_what_was_left_out() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("ééééé", 5), "ééééé");
        assert_eq!(truncate("abcdef", 4), "abcd…[truncated 2 chars]");
        let name = "n".repeat(1_048_576 + 10);
        assert_eq!(
            truncate(&name, 10),
            format!("{}…[truncated 1,048,576 chars]", "n".repeat(10))
        );
        let cell = spreadsheet(&name);
        assert!(cell.chars().count() <= 32_767, "{}", cell.len());
        assert!(
            cell.ends_with("…[truncated 1,016,586 chars]"),
            "{}",
            &cell[32_000..]
        );
        assert!(terminal(&name).ends_with("…[truncated 1,044,490 chars]"));
    }

    #[test]
    fn messages_keep_their_lines_and_escape_the_rest() {
        assert_eq!(message("two\nlines"), "two\nlines");
        assert_eq!(
            message("bad date `\u{1b}]52;c;aGk=\u{7}` \u{1b}[2J\u{202e}x\r\ny"),
            "bad date `\\u{1b}]52;c;aGk=\\u{7}` \\u{1b}[2J\\u{202e}x\\u{d}\ny"
        );
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
