//! Our own JSON inventory document, and its JSON Lines variant.
//!
//! JSON Lines: one object per line, each with a `type` of `header` (optional, first:
//! `schema_version`, `generated_at`, `sources`), `identity`, `credential` or `coverage`;
//! the other keys are those of the JSON document's entries.

use super::{ImportError, Position};
use crate::inventory::{Coverage, Credential, Identity, Inventory, SCHEMA_VERSION};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Reads a whole JSON inventory document.
pub fn read_document(path: &Path) -> Result<Inventory, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
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
}

/// Reads a JSON Lines inventory, one entry per line; blank lines are skipped.
pub fn read_lines(path: &Path) -> Result<Inventory, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    let mut inventory = Inventory::new();
    let mut line = String::new();
    let mut reader = reader;
    let mut number = 0u64;
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| ImportError::io(path, e))?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(&line);
        let entry: Line = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| json_error(path, Some(number), e))?;
        match entry {
            Line::Header(header) => {
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
            }
            Line::Identity(identity) => inventory.identities.push(identity),
            Line::Credential(credential) => inventory.credentials.push(credential),
            Line::Coverage(coverage) => inventory.coverage.push(coverage),
        }
    }
    if inventory.schema_version == 0 {
        inventory.schema_version = SCHEMA_VERSION;
    }
    Ok(inventory)
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
}
