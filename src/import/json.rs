//! Our own JSON inventory document, and its JSON Lines variant.
//!
//! JSON Lines: one object per line, each with a `type` of `header` (optional, first:
//! `schema_version`, `generated_at`, `sources`), `identity`, `credential` or `coverage`;
//! the other keys are those of the JSON document's entries.

use super::{ImportError, Position};
use crate::inventory::{Coverage, Credential, Identity, Inventory};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Reads a whole JSON inventory document (a regular file within the size limit).
pub fn read_document(path: &Path) -> Result<Inventory, ImportError> {
    let bytes = crate::input::read(path).map_err(|e| ImportError::io(path, e))?;
    parse_document(path, &bytes)
}

/// Parses a JSON inventory document; `path` only names the input in errors.
pub fn parse_document(path: &Path, bytes: &[u8]) -> Result<Inventory, ImportError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let inventory: Inventory =
        serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(path, None, e))?;
    de.end().map_err(|e| {
        ImportError::invalid(
            path,
            Some(Position {
                line: e.line() as u64,
                column: Some(e.column() as u64),
            }),
            None,
            "unexpected content after the inventory document",
        )
    })?;
    Ok(inventory)
}

fn json_error(
    path: &Path,
    line_offset: Option<u64>,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> ImportError {
    let field = e.path().to_string();
    let inner = e.into_inner();
    let position = match line_offset {
        Some(line) => Position {
            line,
            column: Some(inner.column() as u64),
        },
        None => Position {
            line: inner.line() as u64,
            column: Some(inner.column() as u64),
        },
    };
    ImportError::invalid(path, Some(position), Some(field), strip_position(&inner))
}

/// serde_json appends " at line L column C"; we print the position ourselves.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Header(Header),
    Identity(Identity),
    Credential(Credential),
    Coverage(Coverage),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    schema_version: u32,
    #[serde(default)]
    generated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    api_calls: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    shards: Vec<crate::inventory::ShardRecord>,
}

/// How much of a JSON Lines file is parsed at a time (in parallel, line by line).
const BLOCK: usize = 32 << 20;

/// Reads a JSON Lines inventory, one entry per line; blank lines are skipped. Blocks of
/// lines are parsed on all cores; the result keeps the file's order.
pub fn read_lines(path: &Path) -> Result<Inventory, ImportError> {
    let file_size = crate::input::check_regular(path).map_err(|e| ImportError::io(path, e))?;
    let file = crate::input::open_lines(path).map_err(|e| ImportError::io(path, e))?;
    read_lines_from(path, file, file_size)
}

/// Parses JSON Lines held in memory (stdin); `label` names the input in errors.
pub fn parse_lines(label: &Path, bytes: &[u8]) -> Result<Inventory, ImportError> {
    let reader = crate::input::LineBounded::new(bytes);
    read_lines_from(label, reader, bytes.len() as u64)
}

/// Reads JSON Lines from `source` (`file_size` bytes long, to reserve room ahead).
fn read_lines_from(
    path: &Path,
    source: impl std::io::Read,
    file_size: u64,
) -> Result<Inventory, ImportError> {
    let mut reader = BufReader::with_capacity(1 << 20, source);
    let mut inventory = Inventory::new();
    let mut next_line = 1u64;
    let mut bytes_read = 0u64;
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK + (1 << 16));
    loop {
        block.clear();
        // A block of whole lines: BLOCK bytes, then up to the end of that line.
        while block.len() < BLOCK {
            let read = reader
                .read_until(b'\n', &mut block)
                .map_err(|e| ImportError::io(path, e))?;
            if read == 0 {
                break;
            }
        }
        if block.is_empty() {
            break;
        }
        let first_block = bytes_read == 0;
        bytes_read += block.len() as u64;
        let mut lines: Vec<(u64, &mut [u8])> = Vec::new();
        for (i, line) in block.split_mut(|&b| b == b'\n').enumerate() {
            lines.push((next_line + i as u64, line));
        }
        // split_mut yields an empty piece after the final newline: not a line.
        if block_ends_with_newline(&lines) {
            lines.pop();
        }
        let first_line = next_line;
        next_line += lines.len() as u64;
        let parsed: Vec<Result<Option<Line>, ImportError>> = lines
            .into_par_iter()
            .map(|(number, bytes)| parse_line(path, number, bytes))
            .collect();
        for (offset, entry) in parsed.into_iter().enumerate() {
            match entry? {
                None => {}
                Some(Line::Header(header)) => {
                    let number = first_line + offset as u64;
                    if number != 1 {
                        return Err(ImportError::invalid(
                            path,
                            Some(Position {
                                line: number,
                                column: None,
                            }),
                            Some("type".into()),
                            "the header must be the first line",
                        ));
                    }
                    inventory.schema_version = header.schema_version;
                    inventory.generated_at = header.generated_at;
                    inventory.sources = header.sources;
                    inventory.api_calls = header.api_calls;
                    inventory.shards = header.shards;
                }
                Some(Line::Identity(identity)) => inventory.identities.push(identity),
                Some(Line::Credential(credential)) => inventory.credentials.push(credential),
                Some(Line::Coverage(coverage)) => inventory.coverage.push(coverage),
            }
        }
        if first_block {
            reserve_for_rest(&mut inventory, bytes_read, file_size);
        }
    }
    Ok(inventory)
}

/// Reserves room for the rest of the file at the first block's density, so the
/// vectors are not regrown (and copied, and left half empty) many times over.
fn reserve_for_rest(inventory: &mut Inventory, read: u64, total: u64) {
    if read == 0 || total <= read {
        return;
    }
    let scale =
        |count: usize| ((count as f64) * (total - read) as f64 / read as f64 * 1.02) as usize;
    let identities = scale(inventory.identities.len());
    let credentials = scale(inventory.credentials.len());
    inventory.identities.reserve_exact(identities);
    inventory.credentials.reserve_exact(credentials);
}

fn block_ends_with_newline(lines: &[(u64, &mut [u8])]) -> bool {
    lines.len() > 1 && lines.last().is_some_and(|(_, l)| l.is_empty())
}

/// Parses one line. Lines that start `{"type":"identity",` or `{"type":"credential",`
/// (what nhiscan writes) are read straight into their type, without buffering the
/// object first; any other key order goes through the tagged enum.
fn parse_line(path: &Path, number: u64, bytes: &mut [u8]) -> Result<Option<Line>, ImportError> {
    let start = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let trimmed_len = bytes.len()
        - bytes
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if start >= trimmed_len {
        return Ok(None);
    }
    let bytes = &mut bytes[..trimmed_len];
    const IDENTITY: &[u8] = br#"{"type":"identity","#;
    const CREDENTIAL: &[u8] = br#"{"type":"credential","#;
    for (prefix, is_identity) in [(IDENTITY, true), (CREDENTIAL, false)] {
        if bytes[start..].starts_with(prefix) {
            // Overwrite the comma after the tag with `{`: the rest is the entity.
            let body = start + prefix.len() - 1;
            bytes[body] = b'{';
            let mut de = serde_json::Deserializer::from_slice(&bytes[body..]);
            let shift = body as u64;
            let shifted = |e| shift_column(json_error(path, Some(number), e), shift);
            let line = if is_identity {
                Line::Identity(serde_path_to_error::deserialize(&mut de).map_err(shifted)?)
            } else {
                Line::Credential(serde_path_to_error::deserialize(&mut de).map_err(shifted)?)
            };
            de.end().map_err(|e| {
                ImportError::invalid(
                    path,
                    Some(Position {
                        line: number,
                        column: Some(e.column() as u64 + shift),
                    }),
                    None,
                    "unexpected content after the object",
                )
            })?;
            return Ok(Some(line));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(&bytes[start..]);
    let line: Line = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| shift_column(json_error(path, Some(number), e), start as u64))?;
    Ok(Some(line))
}

fn shift_column(mut error: ImportError, by: u64) -> ImportError {
    if let ImportError::Invalid {
        position: Some(Position {
            column: Some(column),
            ..
        }),
        ..
    } = &mut error
    {
        *column += by;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_errors_name_line_column_and_field() {
        let text = br#"{"schema_version": 1, "identities": [
            {"provider": "aws", "scope": {"kind": "account", "id": "1"},
             "id": "a", "name": "a", "kind": "robot"}]}"#;
        let err = parse_document(Path::new("inv.json"), text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("inv.json:3:"), "{err}");
        assert!(err.contains("identities[0].kind"), "{err}");
        assert!(err.contains("unknown variant `robot`"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = br#"{"schema_version": 1, "identites": []}"#;
        let err = parse_document(Path::new("x.json"), text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown field `identites`"), "{err}");
    }

    fn lines(text: &str) -> Result<Inventory, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("inv.jsonl");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        read_lines(&path).map_err(|e| e.to_string())
    }

    const ID: &str =
        r#""provider":"aws","scope":{"kind":"account","id":"1"},"id":"a","name":"a","kind":"role""#;

    #[test]
    fn json_lines_read_in_any_key_order() {
        let text = format!(
            "{{\"type\":\"header\",\"schema_version\":1,\"sources\":[\"s\"]}}\n\n\
             {{\"type\":\"identity\",{ID}}}\n  {{{ID},\"type\":\"identity\"}}  \n\
             {{\"type\":\"credential\",\"provider\":\"aws\",\"scope\":{{\"kind\":\"account\",\"id\":\"1\"}},\"id\":\"k\",\"kind\":\"access_key\"}}"
        );
        let inventory = lines(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(inventory.identities.len(), 2);
        assert_eq!(inventory.identities[0], inventory.identities[1]);
        assert_eq!(inventory.credentials.len(), 1);
        assert_eq!(inventory.sources, vec!["s"]);
    }

    #[test]
    fn json_lines_errors_point_at_line_and_column() {
        let bad = format!("{{\"type\":\"identity\",{ID},\"enabled\":\"yes\"}}\n");
        let err = lines(&format!("{{\"type\":\"identity\",{ID}}}\n{bad}"))
            .err()
            .unwrap_or_default();
        // The column is that of the original line, fast path or not.
        let column = bad.find("\"yes\"").unwrap_or(0) + 5;
        assert!(
            err.contains(&format!("inv.jsonl:2:{column}")),
            "{err} (expected column {column})"
        );
        assert!(err.contains("field `enabled`"), "{err}");

        let err = lines(&format!(
            "{{\"type\":\"identity\",{ID}}}\n{{\"type\":\"header\",\"schema_version\":1}}\n"
        ))
        .err()
        .unwrap_or_default();
        assert!(
            err.contains("inv.jsonl:2: the header must be the first line"),
            "{err}"
        );
    }
}
