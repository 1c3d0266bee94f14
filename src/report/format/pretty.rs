//! Pretty JSON written a piece at a time, byte for byte as `serde_json::to_writer_pretty`
//! writes the whole: a formatter that starts at any depth, an object written field by
//! field, and arrays whose elements are rendered on all cores and written in order.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// One level of indentation, as `serde_json`'s pretty printer uses.
const INDENT: &[u8] = b"  ";

/// `serde_json`'s `PrettyFormatter`, starting `depth` levels in.
#[derive(Debug, Clone, Copy)]
pub struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    pub fn at(depth: usize) -> Self {
        Nested {
            depth,
            has_value: false,
        }
    }
}

pub(crate) fn indent<W: ?Sized + Write>(writer: &mut W, depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        writer.write_all(INDENT)?;
    }
    Ok(())
}

impl Nested {
    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            indent(writer, self.depth)?;
        }
        writer.write_all(bracket)
    }

    fn next_line<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        indent(writer, self.depth)
    }
}

impl Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next_line(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next_line(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Writes `value` as pretty JSON whose first line is already `depth` levels in.
pub fn value_at<W: ?Sized + Write, T: ?Sized + Serialize>(
    out: &mut W,
    depth: usize,
    value: &T,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, Nested::at(depth));
    value.serialize(&mut serializer).map_err(io::Error::other)
}

/// A JSON object written one field at a time, `depth` levels in.
pub struct Object<'w, W: ?Sized + Write> {
    out: &'w mut W,
    depth: usize,
    first: bool,
}

impl<'w, W: ?Sized + Write> Object<'w, W> {
    pub fn begin(out: &'w mut W, depth: usize) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Object {
            out,
            depth,
            first: true,
        })
    }

    /// Writes `"name": ` on its own line; the caller writes the value, `depth + 1` in.
    pub fn key(&mut self, name: &str) -> io::Result<&mut W> {
        key(self.out, self.first, self.depth + 1, name)?;
        self.first = false;
        Ok(self.out)
    }

    pub fn field<T: ?Sized + Serialize>(&mut self, name: &str, value: &T) -> io::Result<()> {
        let depth = self.depth + 1;
        let out = self.key(name)?;
        value_at(out, depth, value)
    }

    pub fn end(self) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b"\n")?;
            indent(self.out, self.depth)?;
        }
        self.out.write_all(b"}")
    }
}

/// A JSON array `depth` levels in whose elements arrive as rendered pieces, in order;
/// each piece is one or more elements, each written by [`element`].
pub struct Array<'w, W: ?Sized + Write> {
    out: &'w mut W,
    depth: usize,
    first: bool,
}

impl<'w, W: ?Sized + Write> Array<'w, W> {
    pub fn begin(out: &'w mut W, depth: usize) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(Array {
            out,
            depth,
            first: true,
        })
    }

    /// Writes a piece made by [`element`] calls (each element begins with a comma).
    pub fn piece(&mut self, piece: &[u8]) -> io::Result<()> {
        let piece = match (self.first, piece.first()) {
            (_, None) => return Ok(()),
            (true, Some(b',')) => &piece[1..],
            _ => piece,
        };
        self.first = false;
        self.out.write_all(piece)
    }

    pub fn end(self) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b"\n")?;
            indent(self.out, self.depth)?;
        }
        self.out.write_all(b"]")
    }
}

/// Renders one element of an array `depth` levels in onto `piece`, for [`Array::piece`].
pub fn element<T: ?Sized + Serialize>(
    piece: &mut Vec<u8>,
    depth: usize,
    value: &T,
) -> io::Result<()> {
    let depth = element_start(piece, depth)?;
    value_at(piece, depth, value)
}

/// Begins an element of an array `depth` levels in, as [`element`] does; the caller
/// writes the value, whose first line is the depth returned.
pub fn element_start(piece: &mut Vec<u8>, depth: usize) -> io::Result<usize> {
    piece.extend_from_slice(b",\n");
    indent(piece, depth + 1)?;
    Ok(depth + 1)
}

/// Writes `"key": ` on a line of its own `depth` levels in, as the first field of its
/// object or a later one. `key` is one of nhiscan's own field names: it needs no escape.
pub fn key<W: ?Sized + Write>(out: &mut W, first: bool, depth: usize, key: &str) -> io::Result<()> {
    debug_assert!(next_to_escape(key.as_bytes(), 0).is_none(), "{key}");
    out.write_all(if first { b"\n" } else { b",\n" })?;
    indent(out, depth)?;
    out.write_all(b"\"")?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\": ")
}

/// Writes `text` as a JSON string, byte for byte as serde_json does: `"` and `\`
/// escaped, control characters as `\n`, `\t`... or `\u00XX`, everything else as it is,
/// the runs between escapes copied whole.
pub fn string(out: &mut Vec<u8>, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    while let Some(at) = next_to_escape(bytes, start) {
        out.extend_from_slice(&bytes[start..at]);
        escape(out, bytes[at]);
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
    Ok(())
}

/// The first byte at or after `from` that a JSON string escapes: `"`, `\` or a control
/// character (below 0x20). Tests 16 bytes at a time with no branch per byte, which the
/// compiler turns into a few vector compares, then the rest one byte at a time.
fn next_to_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const BLOCK: usize = 16;
    let escaped = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut at = from;
    while let Some(block) = bytes.get(at..at + BLOCK) {
        // A fixed-size array, so that the test below has no loop bound to check.
        let Ok(block) = <&[u8; BLOCK]>::try_from(block) else {
            break;
        };
        if block.iter().fold(false, |any, &b| any | escaped(b)) {
            break;
        }
        at += BLOCK;
    }
    bytes
        .get(at..)?
        .iter()
        .position(|&b| escaped(b))
        .map(|p| at + p)
}

/// Writes the escape of `byte` (one [`next_to_escape`] found), as serde_json writes it.
fn escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            let (high, low) = (usize::from(byte >> 4), usize::from(byte & 0xf));
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[high], HEX[low]]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn pieces_make_what_serde_json_writes_whole() {
        let items = [
            json!({"a": [1, {"b": []}], "c": {}}),
            json!("x"),
            json!({"d": {"e": [null]}}),
        ];
        for items in [&items[..], &items[..1], &[]] {
            // serde_json's maps are sorted: the fields are written in that order.
            let whole = json!({"inner": {"list": items, "m": {"k": "v"}}, "last": [], "n": 1});
            let expected = serde_json::to_string_pretty(&whole).unwrap_or_default();
            let got = written(|out| {
                let mut top = Object::begin(out, 0)?;
                {
                    let mut inner = Object::begin(top.key("inner")?, 1)?;
                    {
                        let mut list = Array::begin(inner.key("list")?, 2)?;
                        // One piece per pair of elements, and an empty piece.
                        for pair in items.chunks(2) {
                            let mut piece = Vec::new();
                            for item in pair {
                                element(&mut piece, 2, item)?;
                            }
                            list.piece(&piece)?;
                            list.piece(&[])?;
                        }
                        list.end()?;
                    }
                    inner.field("m", &json!({"k": "v"}))?;
                    inner.end()?;
                }
                top.field("last", &json!([]))?;
                top.field("n", &1)?;
                top.end()
            });
            assert_eq!(got, expected);
        }
    }

    /// Plain and escaped texts, short and long, as serde_json writes them.
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let long = "arn:aws:iam::111111111111:role/".repeat(5);
        for text in [
            "",
            "plain",
            long.as_str(),
            "say \"hi\"",
            "back\\slash",
            "line\nbreak\ttab\u{1}\u{1f}",
            "ünïcödé ✓ and / slash",
            &format!("{long}\"{long}"),
        ] {
            let got = written(|out| string(out, text));
            assert_eq!(
                got,
                serde_json::to_string(text).unwrap_or_default(),
                "{text:?}"
            );
        }
        // Each character that needs an escape, and some that do not, at every place of
        // a 20-byte text (within the 16-byte block and after it).
        let specials = [
            '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\u{b}', '\u{0}', '\u{1f}', ' ',
            '\u{7f}', '!', '#', '[', ']', 'é',
        ];
        for special in specials {
            for at in 0..20 {
                let mut text: String = "abcdefghijklmnopqrst".into();
                text.replace_range(at..=at, special.encode_utf8(&mut [0; 4]));
                let got = written(|out| string(out, &text));
                assert_eq!(
                    got,
                    serde_json::to_string(&text).unwrap_or_default(),
                    "{text:?}"
                );
                let needs_escape = special < ' ' || special == '"' || special == '\\';
                assert_eq!(
                    next_to_escape(text.as_bytes(), 0).is_none(),
                    !needs_escape,
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn an_empty_object_is_braces() {
        let got = written(|out| Object::begin(out, 3)?.end());
        assert_eq!(got, "{}");
    }
}
