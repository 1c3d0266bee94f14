//! Importers: read an inventory from files, so every rule works offline.
//!
//! Formats: our JSON document (`.json`), its JSON Lines variant for large estates
//! (`.jsonl` / `.ndjson`), and the canonical CSV pair (`identities.csv`,
//! `credentials.csv`, or a folder holding them).

pub mod csv;
pub mod json;
pub mod leaks;
pub mod shards;

use crate::inventory::{Inventory, Provider, SCHEMA_VERSION};
use rayon::prelude::*;
use std::fmt;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

/// A position in an input file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub column: Option<u64>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}:{}", self.line, column),
            None => write!(f, "{}", self.line),
        }
    }
}

/// Why an input file could not be read. Always names the file, and the position and
/// field when they are known.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: cannot read: {reason}", path.display())]
    Io {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{}{}: {message}{}", path.display(), at(position), field_hint(field))]
    Invalid {
        path: PathBuf,
        position: Option<Position>,
        field: Option<String>,
        message: String,
    },
}

fn at(position: &Option<Position>) -> String {
    position.map(|p| format!(":{p}")).unwrap_or_default()
}

fn field_hint(field: &Option<String>) -> String {
    match field.as_deref() {
        Some(f) if !f.is_empty() && f != "." => format!(" (field `{f}`)"),
        _ => String::new(),
    }
}

impl ImportError {
    pub fn invalid(
        path: &Path,
        position: Option<Position>,
        field: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ImportError::Invalid {
            path: path.to_path_buf(),
            position,
            field,
            message: message.into(),
        }
    }

    pub fn io(path: &Path, reason: std::io::Error) -> Self {
        ImportError::Io {
            path: path.to_path_buf(),
            reason,
        }
    }
}

/// The formats an inventory input can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Json,
    JsonLines,
    /// A folder with `identities.csv` and (optionally) `credentials.csv`.
    CsvFolder,
    CsvIdentities,
    CsvCredentials,
}

impl InputFormat {
    /// Picks the format from the path: a folder is a CSV pair; files by extension and,
    /// for CSV, by their name (`identities*.csv` or `credentials*.csv`).
    pub fn detect(path: &Path) -> Result<Self, ImportError> {
        if path.is_dir() {
            return Ok(InputFormat::CsvFolder);
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "json" => Ok(InputFormat::Json),
            "jsonl" | "ndjson" => Ok(InputFormat::JsonLines),
            "csv" if name.starts_with("identities") => Ok(InputFormat::CsvIdentities),
            "csv" if name.starts_with("credentials") => Ok(InputFormat::CsvCredentials),
            "csv" => Err(ImportError::invalid(
                path,
                None,
                None,
                "a CSV inventory file must be named identities*.csv or credentials*.csv \
                 (or pass the folder that holds them)",
            )),
            _ => Err(ImportError::invalid(
                path,
                None,
                None,
                "unknown inventory format: use .json, .jsonl/.ndjson, identities.csv / \
                 credentials.csv, or a folder holding the CSV pair",
            )),
        }
    }
}

/// Reads one input in whatever format it has; `-` is stdin (a JSON document or JSON
/// Lines).
pub fn read_path(path: &Path) -> Result<Inventory, ImportError> {
    if path.as_os_str() == "-" {
        return read_stdin();
    }
    let inventory = match InputFormat::detect(path)? {
        InputFormat::Json => json::read_document(path)?,
        InputFormat::JsonLines => json::read_lines(path)?,
        InputFormat::CsvFolder => csv::read_folder(path)?,
        InputFormat::CsvIdentities => {
            let mut inv = Inventory::new();
            inv.identities = csv::read_identities(path)?;
            inv
        }
        InputFormat::CsvCredentials => {
            let mut inv = Inventory::new();
            inv.credentials = csv::read_credentials(path)?;
            inv
        }
    };
    check_schema_version(path, inventory.schema_version)?;
    Ok(inventory)
}

/// An inventory on stdin: JSON Lines when its first line is an entry with a `type`,
/// else a JSON document.
fn read_stdin() -> Result<Inventory, ImportError> {
    let label = Path::new("<stdin>");
    let mut bytes = Vec::new();
    crate::input::read_bounded(std::io::stdin().lock(), &mut bytes)
        .map_err(|e| ImportError::io(label, e))?;
    let first_line = bytes
        .split(|&b| b == b'\n')
        .find(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or_default();
    let is_entry = serde_json::from_slice::<serde_json::Value>(first_line)
        .is_ok_and(|v| v.get("type").is_some());
    let inventory = if is_entry {
        json::parse_lines(label, &bytes)?
    } else {
        json::parse_document(label, &bytes)?
    };
    check_schema_version(label, inventory.schema_version)?;
    Ok(inventory)
}

/// Reads and joins several inputs (`scan -i`, `merge`), refusing duplicate ids across
/// them and shards of an organisation that are not one run's complete set.
pub fn read_all(paths: &[PathBuf]) -> Result<Inventory, ImportError> {
    let mut all = Inventory::new();
    let mut shards = Vec::new();
    for path in paths {
        let mut inventory = read_path(path)?;
        shards.push((path.display().to_string(), inventory.shards.clone()));
        if inventory.sources.is_empty() {
            inventory.sources.push(if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                path.display().to_string()
            });
        }
        all.extend(inventory);
    }
    shards::check(&shards)
        .map_err(|e| ImportError::invalid(Path::new(&inputs_label(paths)), None, None, e))?;
    check_unique_ids(&all, paths)?;
    Ok(all)
}

fn check_schema_version(path: &Path, version: u32) -> Result<(), ImportError> {
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    Err(ImportError::invalid(
        path,
        None,
        Some("schema_version".into()),
        format!(
            "inventory schema version {version} is not supported; this nhiscan reads \
             version {SCHEMA_VERSION}"
        ),
    ))
}

/// Refuses an inventory where two identities (or two credentials) of one provider share
/// an id; `paths` name the inputs in the error.
pub fn check_unique_ids(inventory: &Inventory, paths: &[PathBuf]) -> Result<(), ImportError> {
    let identities = &inventory.identities;
    let credentials = &inventory.credentials;
    first_duplicate(identities.len(), |k| {
        (identities[k].provider, identities[k].id.as_str())
    })
    .map(|d| ("identity", "identities.id", d))
    .or_else(|| {
        first_duplicate(credentials.len(), |k| {
            (credentials[k].provider, credentials[k].id.as_str())
        })
        .map(|d| ("credential", "credentials.id", d))
    })
    .map_or(Ok(()), |(what, field, (provider, id))| {
        Err(ImportError::invalid(
            Path::new(&inputs_label(paths)),
            None,
            Some(field.into()),
            format!(
                "{what} `{id}` ({provider}) appears twice; ids must be unique per provider \
                 (the inputs overlap: the same account collected twice, e.g. by two runs \
                 with the same --shard or with different shard counts?)"
            ),
        ))
    })
}

/// The inputs, as an error names them.
fn inputs_label(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// The first of the `len` keys `key(0..len)` that equals an earlier one, found on all
/// cores: the keys' hashes are sorted, and only keys whose hashes are equal are compared.
fn first_duplicate<'a>(
    len: usize,
    key: impl Fn(usize) -> (Provider, &'a str) + Sync,
) -> Option<(Provider, &'a str)> {
    let state = crate::hash::FastState::default();
    let mut hashed: Vec<(u64, usize)> = (0..len)
        .into_par_iter()
        .map(|k| (state.hash_one(key(k)), k))
        .collect();
    hashed.par_sort_unstable();
    // Each run of equal hashes is in key order; its first key equal to an earlier one.
    let first_in_run = |run: &[(u64, usize)]| {
        (1..run.len())
            .find(|&later| run[..later].iter().any(|e| key(e.1) == key(run[later].1)))
            .map(|later| run[later].1)
    };
    hashed
        .par_chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
        .filter_map(first_in_run)
        .min()
        .map(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_of(keys: &[(Provider, &'static str)]) -> Option<(Provider, &'static str)> {
        first_duplicate(keys.len(), |k| keys[k])
    }

    #[test]
    fn the_first_key_seen_twice_is_the_duplicate() {
        let (aws, gcp) = (Provider::Aws, Provider::Gcp);
        assert_eq!(first_of(&[]), None);
        assert_eq!(first_of(&[(aws, "a"), (aws, "b"), (aws, "c")]), None);
        // The same id under two providers is two identities.
        assert_eq!(first_of(&[(aws, "a"), (gcp, "a")]), None);
        // "b" is the first key that repeats an earlier one, though "a" repeats too.
        let keys = [(aws, "a"), (aws, "b"), (aws, "c"), (aws, "b"), (aws, "a")];
        assert_eq!(first_of(&keys), Some((aws, "b")));
        // Many copies of one id among many distinct ones.
        let ids: Vec<String> = (0..50_000).map(|k| format!("id-{k}")).collect();
        let mut keys: Vec<(Provider, &str)> = ids.iter().map(|i| (aws, i.as_str())).collect();
        keys.extend(std::iter::repeat_n((aws, "id-7"), 3));
        keys.push((aws, "id-3"));
        assert_eq!(
            first_duplicate(keys.len(), |k| keys[k]),
            Some((aws, "id-7"))
        );
    }
}
