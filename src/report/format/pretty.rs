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

fn indent<W: ?Sized + Write>(writer: &mut W, depth: usize) -> io::Result<()> {
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
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        indent(self.out, self.depth + 1)?;
        serde_json::to_writer(&mut *self.out, name).map_err(io::Error::other)?;
        self.out.write_all(b": ")?;
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
    piece.extend_from_slice(b",\n");
    indent(piece, depth + 1)?;
    value_at(piece, depth + 1, value)
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

    #[test]
    fn an_empty_object_is_braces() {
        let got = written(|out| Object::begin(out, 3)?.end());
        assert_eq!(got, "{}");
    }
}
