//! The canonical CSV pair, for systems nhiscan does not collect yet.
//!
//! `identities.csv` columns: provider, scope_kind, scope_id, scope_name, id, name, kind,
//! description, created, last_activity, activity_tracked, enabled, tags, owners,
//! interactive_login, admin, wildcard_actions, privileged_actions, policies.
//!
//! `credentials.csv` columns: provider, scope_kind, scope_id, scope_name, id, name, kind,
//! identity_id, created, expires, last_used, usage_tracked, last_rotated,
//! rotation_enabled, rotation_interval_days, status, region, vault, tags.
//!
//! Required: provider, scope_kind, scope_id, id, kind (and name for identities). An
//! empty cell means unknown. Booleans are `true`/`false`; timestamps RFC 3339 or
//! `YYYY-MM-DD`; `tags` are `key=value` pairs joined by `;`; lists are joined by `;`.

use super::{ImportError, Position};
use crate::inventory::{Credential, Identity, Inventory, Location, Permissions, Scope};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub const IDENTITY_COLUMNS: [&str; 19] = [
    "provider",
    "scope_kind",
    "scope_id",
    "scope_name",
    "id",
    "name",
    "kind",
    "description",
    "created",
    "last_activity",
    "activity_tracked",
    "enabled",
    "tags",
    "owners",
    "interactive_login",
    "admin",
    "wildcard_actions",
    "privileged_actions",
    "policies",
];

pub const CREDENTIAL_COLUMNS: [&str; 19] = [
    "provider",
    "scope_kind",
    "scope_id",
    "scope_name",
    "id",
    "name",
    "kind",
    "identity_id",
    "created",
    "expires",
    "last_used",
    "usage_tracked",
    "last_rotated",
    "rotation_enabled",
    "rotation_interval_days",
    "status",
    "region",
    "vault",
    "tags",
];

/// Reads `identities.csv` and, when present, `credentials.csv` from a folder.
pub fn read_folder(dir: &Path) -> Result<Inventory, ImportError> {
    let identities = dir.join("identities.csv");
    if !identities.is_file() {
        return Err(ImportError::invalid(
            dir,
            None,
            None,
            "this folder has no identities.csv; a CSV inventory folder holds \
             identities.csv and optionally credentials.csv",
        ));
    }
    let mut inventory = Inventory::new();
    inventory.identities = read_identities(&identities)?;
    let credentials = dir.join("credentials.csv");
    if credentials.is_file() {
        inventory.credentials = read_credentials(&credentials)?;
    }
    inventory.sources.push(dir.display().to_string());
    Ok(inventory)
}

pub fn read_identities(path: &Path) -> Result<Vec<Identity>, ImportError> {
    read_rows(
        path,
        &IDENTITY_COLUMNS,
        &["provider", "scope_kind", "scope_id", "id", "name", "kind"],
        |row| {
            Ok(Identity {
                provider: row.parse_enum("provider")?,
                scope: row.scope()?,
                id: row.required("id")?.to_string(),
                name: row.required("name")?.to_string(),
                kind: row.parse_enum("kind")?,
                description: row.text("description"),
                created: row.time("created")?,
                last_activity: row.time("last_activity")?,
                activity_tracked: row.boolean("activity_tracked")?.unwrap_or(true),
                enabled: row.boolean("enabled")?.unwrap_or(true),
                tags: row.tags("tags")?,
                owners: row.list("owners"),
                interactive_login: row.boolean("interactive_login")?.unwrap_or(false),
                permissions: Permissions {
                    admin: row.boolean("admin")?.unwrap_or(false),
                    wildcard_actions: row.list("wildcard_actions"),
                    privileged_actions: row.list("privileged_actions"),
                    policies: row.list("policies"),
                },
                trust: Vec::new(),
                attributes: BTreeMap::new(),
            })
        },
    )
}

pub fn read_credentials(path: &Path) -> Result<Vec<Credential>, ImportError> {
    read_rows(
        path,
        &CREDENTIAL_COLUMNS,
        &["provider", "scope_kind", "scope_id", "id", "kind"],
        |row| {
            Ok(Credential {
                provider: row.parse_enum("provider")?,
                scope: row.scope()?,
                id: row.required("id")?.to_string(),
                name: row.text("name"),
                kind: row.parse_enum("kind")?,
                identity_id: row.text("identity_id"),
                created: row.time("created")?,
                expires: row.time("expires")?,
                last_used: row.time("last_used")?,
                usage_tracked: row.boolean("usage_tracked")?.unwrap_or(true),
                last_rotated: row.time("last_rotated")?,
                rotation_enabled: row.boolean("rotation_enabled")?,
                rotation_interval_days: row.number("rotation_interval_days")?,
                status: match row.get("status") {
                    Some(_) => row.parse_enum("status")?,
                    None => Default::default(),
                },
                location: Location {
                    region: row.text("region"),
                    vault: row.text("vault"),
                },
                tags: row.tags("tags")?,
                attributes: BTreeMap::new(),
            })
        },
    )
}

/// Reads a CSV with a header into any deserializable record type (e.g. a roster).
pub fn read_records<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ImportError> {
    let mut reader = open(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let value: T = record
            .deserialize(Some(&headers))
            .map_err(|e| csv_error(path, e))?;
        out.push(value);
    }
    Ok(out)
}

fn open(
    path: &Path,
) -> Result<::csv::Reader<crate::input::LineBounded<std::fs::File>>, ImportError> {
    let file = crate::input::open_lines(path).map_err(|e| ImportError::io(path, e))?;
    Ok(::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_reader(file))
}

fn csv_error(path: &Path, e: ::csv::Error) -> ImportError {
    let position = e.position().map(|p| Position {
        line: p.line(),
        column: None,
    });
    let (field, message) = match e.kind() {
        ::csv::ErrorKind::Deserialize { err, .. } => (
            err.field().map(|f| format!("column {}", f + 1)),
            err.kind().to_string(),
        ),
        ::csv::ErrorKind::Io(io) => (None, io.to_string()),
        _ => (None, e.to_string()),
    };
    ImportError::invalid(path, position, field, message)
}

/// One data row with access by column name; empty cells read as absent.
struct Row<'a> {
    path: &'a Path,
    line: u64,
    columns: &'a HashMap<String, usize>,
    record: &'a ::csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn error(&self, column: &str, message: impl Into<String>) -> ImportError {
        ImportError::invalid(
            self.path,
            Some(Position {
                line: self.line,
                column: self.columns.get(column).map(|&i| i as u64 + 1),
            }),
            Some(column.to_string()),
            message,
        )
    }

    fn required(&self, column: &str) -> Result<&str, ImportError> {
        self.get(column)
            .ok_or_else(|| self.error(column, "this column must not be empty"))
    }

    fn text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn parse_enum<T: DeserializeOwned>(&self, column: &str) -> Result<T, ImportError> {
        let value = self.required(column)?;
        serde_json::from_value(serde_json::Value::String(value.to_string()))
            .map_err(|e| self.error(column, e.to_string()))
    }

    fn scope(&self) -> Result<Scope, ImportError> {
        Ok(Scope {
            kind: self.parse_enum("scope_kind")?,
            id: self.required("scope_id")?.to_string(),
            name: self.text("scope_name"),
        })
    }

    fn time(&self, column: &str) -> Result<Option<DateTime<Utc>>, ImportError> {
        self.get(column).map(|v| parse_time(v).ok_or_else(|| {
            self.error(column, format!("`{v}` is not a time (RFC 3339, e.g. 2025-01-31T00:00:00Z, or YYYY-MM-DD)"))
        })).transpose()
    }

    fn boolean(&self, column: &str) -> Result<Option<bool>, ImportError> {
        self.get(column)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(self.error(column, format!("`{v}` is not true or false"))),
            })
            .transpose()
    }

    fn number(&self, column: &str) -> Result<Option<u32>, ImportError> {
        self.get(column)
            .map(|v| {
                v.parse()
                    .map_err(|_| self.error(column, format!("`{v}` is not a whole number")))
            })
            .transpose()
    }

    fn list(&self, column: &str) -> Vec<String> {
        self.get(column)
            .map(|v| {
                v.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn tags(&self, column: &str) -> Result<BTreeMap<String, String>, ImportError> {
        let mut tags = BTreeMap::new();
        for pair in self.list(column) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(self.error(column, format!("`{pair}` is not key=value")));
            };
            tags.insert(key.trim().to_string(), value.trim().to_string());
        }
        Ok(tags)
    }
}

use crate::inventory::time::parse as parse_time;

fn read_rows<T>(
    path: &Path,
    known: &[&str],
    required: &[&str],
    mut convert: impl FnMut(&Row) -> Result<T, ImportError>,
) -> Result<Vec<T>, ImportError> {
    let mut reader = open(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let mut columns = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}');
        if !known.contains(&name) {
            return Err(ImportError::invalid(
                path,
                Some(Position {
                    line: 1,
                    column: Some(i as u64 + 1),
                }),
                Some(name.to_string()),
                format!(
                    "unknown column; the known columns are: {}",
                    known.join(", ")
                ),
            ));
        }
        columns.insert(name.to_string(), i);
    }
    for column in required {
        if !columns.contains_key(*column) {
            return Err(ImportError::invalid(
                path,
                Some(Position {
                    line: 1,
                    column: None,
                }),
                Some(column.to_string()),
                format!("required column `{column}` is missing from the header"),
            ));
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = Row {
            path,
            line,
            columns: &columns,
            record: &record,
        };
        out.push(convert(&row)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        path
    }

    #[test]
    fn reads_identities_with_tags_and_lists() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = write(
            &dir,
            "identities.csv",
            "provider,scope_kind,scope_id,id,name,kind,tags,wildcard_actions,created\n\
             aws,account,1,arn:a,a,service_user,owner=x@y;team=z,s3:*;iam:*,2025-01-02\n",
        );
        let ids = read_identities(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids[0].tags.get("team").map(String::as_str), Some("z"));
        assert_eq!(ids[0].permissions.wildcard_actions, vec!["s3:*", "iam:*"]);
        assert!(ids[0].created.is_some());
    }

    #[test]
    fn missing_column_and_bad_cell_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = write(
            &dir,
            "identities.csv",
            "provider,scope_kind,scope_id,id,kind\n",
        );
        let err = read_identities(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("required column `name`"), "{err}");

        let path = write(
            &dir,
            "credentials.csv",
            "provider,scope_kind,scope_id,id,kind,created\n\
             aws,account,1,k1,access_key,2025-01-01\n\
             aws,account,1,k2,access_key,yesterday\n",
        );
        let err = read_credentials(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("credentials.csv:3:6"), "{err}");
        assert!(err.contains("`yesterday` is not a time"), "{err}");
    }
}
