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
use crate::inventory::{
    Attributes, Credential, Identity, Inventory, Location, Permissions, Scope, Tags,
};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::Path;
use strum::VariantArray;

/// The columns of one CSV file of an inventory: their names, in order, and the three
/// that make the scope.
pub trait Column: Copy + Into<&'static str> + VariantArray + 'static {
    /// `scope_kind`, `scope_id`, `scope_name`.
    const SCOPE: [Self; 3];

    fn name(self) -> &'static str {
        self.into()
    }
}

/// The columns of `identities.csv`, in their documented order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum IdentityColumn {
    Provider,
    ScopeKind,
    ScopeId,
    ScopeName,
    Id,
    Name,
    Kind,
    Description,
    Created,
    LastActivity,
    ActivityTracked,
    Enabled,
    Tags,
    Owners,
    InteractiveLogin,
    Admin,
    WildcardActions,
    PrivilegedActions,
    Policies,
}

impl Column for IdentityColumn {
    const SCOPE: [Self; 3] = [Self::ScopeKind, Self::ScopeId, Self::ScopeName];
}

/// The columns of `credentials.csv`, in their documented order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum CredentialColumn {
    Provider,
    ScopeKind,
    ScopeId,
    ScopeName,
    Id,
    Name,
    Kind,
    IdentityId,
    Created,
    Expires,
    LastUsed,
    UsageTracked,
    LastRotated,
    RotationEnabled,
    RotationIntervalDays,
    Status,
    Region,
    Vault,
    Tags,
}

impl Column for CredentialColumn {
    const SCOPE: [Self; 3] = [Self::ScopeKind, Self::ScopeId, Self::ScopeName];
}

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
    use IdentityColumn as C;
    read_rows(
        path,
        &[
            C::Provider,
            C::ScopeKind,
            C::ScopeId,
            C::Id,
            C::Name,
            C::Kind,
        ],
        |row| {
            Ok(Identity {
                provider: row.parse_enum(C::Provider)?,
                scope: row.scope()?,
                id: row.required(C::Id)?.to_string(),
                name: row.required(C::Name)?.to_string(),
                kind: row.parse_enum(C::Kind)?,
                description: row.text(C::Description),
                created: row.time(C::Created)?,
                last_activity: row.time(C::LastActivity)?,
                activity_tracked: row.boolean(C::ActivityTracked)?.unwrap_or(true),
                enabled: row.boolean(C::Enabled)?.unwrap_or(true),
                tags: row.tags(C::Tags)?,
                owners: row.list(C::Owners),
                interactive_login: row.boolean(C::InteractiveLogin)?.unwrap_or(false),
                permissions: Permissions {
                    admin: row.boolean(C::Admin)?.unwrap_or(false),
                    wildcard_actions: row.list(C::WildcardActions),
                    privileged_actions: row.list(C::PrivilegedActions),
                    policies: row.list(C::Policies),
                },
                trust: Vec::new(),
                attributes: Attributes::new(),
                usage: None,
            })
        },
    )
}

pub fn read_credentials(path: &Path) -> Result<Vec<Credential>, ImportError> {
    use CredentialColumn as C;
    read_rows(
        path,
        &[C::Provider, C::ScopeKind, C::ScopeId, C::Id, C::Kind],
        |row| {
            Ok(Credential {
                provider: row.parse_enum(C::Provider)?,
                scope: row.scope()?,
                id: row.required(C::Id)?.to_string(),
                name: row.text(C::Name),
                kind: row.parse_enum(C::Kind)?,
                identity_id: row.text(C::IdentityId),
                created: row.time(C::Created)?,
                expires: row.time(C::Expires)?,
                last_used: row.time(C::LastUsed)?,
                usage_tracked: row.boolean(C::UsageTracked)?.unwrap_or(true),
                last_rotated: row.time(C::LastRotated)?,
                rotation_enabled: row.boolean(C::RotationEnabled)?,
                rotation_interval_days: row.number(C::RotationIntervalDays)?,
                status: match row.get(C::Status) {
                    Some(_) => row.parse_enum(C::Status)?,
                    None => Default::default(),
                },
                location: Location {
                    region: row.text(C::Region).map(Into::into),
                    vault: row.text(C::Vault).map(Into::into),
                },
                tags: row.tags(C::Tags)?,
                attributes: Attributes::new(),
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
struct Row<'a, C> {
    path: &'a Path,
    line: u64,
    columns: &'a HashMap<String, usize>,
    record: &'a ::csv::StringRecord,
    column: std::marker::PhantomData<C>,
}

impl<C: Column> Row<'_, C> {
    fn get(&self, column: C) -> Option<&str> {
        self.columns
            .get(column.name())
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn error(&self, column: C, message: impl Into<String>) -> ImportError {
        ImportError::invalid(
            self.path,
            Some(Position {
                line: self.line,
                column: self.columns.get(column.name()).map(|&i| i as u64 + 1),
            }),
            Some(column.name().to_string()),
            message,
        )
    }

    fn required(&self, column: C) -> Result<&str, ImportError> {
        self.get(column)
            .ok_or_else(|| self.error(column, "this column must not be empty"))
    }

    fn text(&self, column: C) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn parse_enum<T: DeserializeOwned>(&self, column: C) -> Result<T, ImportError> {
        let value = self.required(column)?;
        serde_json::from_value(serde_json::Value::String(value.to_string()))
            .map_err(|e| self.error(column, e.to_string()))
    }

    fn scope(&self) -> Result<Scope, ImportError> {
        let [kind, id, name] = C::SCOPE;
        Ok(Scope {
            kind: self.parse_enum(kind)?,
            id: self.required(id)?.to_string().into(),
            name: self.text(name).map(Into::into),
        })
    }

    fn time(&self, column: C) -> Result<Option<DateTime<Utc>>, ImportError> {
        self.get(column).map(|v| parse_time(v).ok_or_else(|| {
            self.error(column, format!("`{v}` is not a time (RFC 3339, e.g. 2025-01-31T00:00:00Z, or YYYY-MM-DD)"))
        })).transpose()
    }

    fn boolean(&self, column: C) -> Result<Option<bool>, ImportError> {
        self.get(column)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(self.error(column, format!("`{v}` is not true or false"))),
            })
            .transpose()
    }

    fn number(&self, column: C) -> Result<Option<u32>, ImportError> {
        self.get(column)
            .map(|v| {
                v.parse()
                    .map_err(|_| self.error(column, format!("`{v}` is not a whole number")))
            })
            .transpose()
    }

    fn list(&self, column: C) -> Vec<String> {
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

    fn tags(&self, column: C) -> Result<Tags, ImportError> {
        let mut tags = Tags::new();
        for pair in self.list(column) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(self.error(column, format!("`{pair}` is not key=value")));
            };
            tags.insert(key.trim(), value.trim());
        }
        Ok(tags)
    }
}

use crate::inventory::time::parse as parse_time;

fn read_rows<T, C: Column>(
    path: &Path,
    required: &[C],
    mut convert: impl FnMut(&Row<C>) -> Result<T, ImportError>,
) -> Result<Vec<T>, ImportError> {
    let known: Vec<&str> = C::VARIANTS.iter().map(|c| c.name()).collect();
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
    for column in required.iter().map(|c| c.name()) {
        if !columns.contains_key(column) {
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
            column: std::marker::PhantomData,
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
        assert_eq!(ids[0].tags.get("team").map(|v| v.as_str()), Some("z"));
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
