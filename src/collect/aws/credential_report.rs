//! The IAM credential report (GenerateCredentialReport / GetCredentialReport): one CSV
//! row per user with password and access-key usage, so that usage needs no per-user or
//! per-key calls.
//!
//! Columns are found by name, so added columns are harmless. Cells that are `N/A`,
//! `not_supported`, `no_information` or empty mean "unknown" and become `None`.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One user's row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportRow {
    pub user: String,
    pub arn: String,
    pub password_enabled: Option<bool>,
    pub password_last_used: Option<DateTime<Utc>>,
    pub password_last_changed: Option<DateTime<Utc>>,
    pub password_next_rotation: Option<DateTime<Utc>>,
    pub mfa_active: Option<bool>,
    /// Access keys 1 and 2, as the report lists them.
    pub keys: [KeySlot; 2],
    /// Whether signing certificates 1 and 2 are active.
    pub certs_active: [Option<bool>; 2],
    /// When signing certificates 1 and 2 were uploaded (set for inactive ones too).
    pub certs_last_rotated: [Option<DateTime<Utc>>; 2],
}

impl ReportRow {
    /// Whether the user may have signing certificates: one is active or has a date.
    /// (Some emulators leave the dates out, so the active flags count too.)
    pub fn may_have_certificates(&self) -> bool {
        self.certs_active.contains(&Some(true))
            || self.certs_last_rotated.iter().any(Option::is_some)
    }
}

/// What the report says about one access-key slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeySlot {
    pub active: Option<bool>,
    /// Creation (or last rotation) time: identifies the key among the user's keys.
    pub last_rotated: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
    pub last_used_region: Option<String>,
    pub last_used_service: Option<String>,
}

impl KeySlot {
    pub fn exists(&self) -> bool {
        self.last_rotated.is_some()
    }
}

/// Parses the report's CSV text; rows are keyed by user ARN. The root account's row
/// (`<root_account>`) is left out: it is not an IAM user.
pub fn parse(csv_text: &[u8]) -> Result<HashMap<String, ReportRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text);
    let headers = reader
        .headers()
        .context("credential report has no header line")?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let columns: HashMap<&str, Option<usize>> = [
        "user",
        "arn",
        "password_enabled",
        "password_last_used",
        "password_last_changed",
        "password_next_rotation",
        "mfa_active",
        "access_key_1_active",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
        "access_key_1_last_used_region",
        "access_key_1_last_used_service",
        "access_key_2_active",
        "access_key_2_last_rotated",
        "access_key_2_last_used_date",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
        "cert_1_active",
        "cert_1_last_rotated",
        "cert_2_active",
        "cert_2_last_rotated",
    ]
    .into_iter()
    .map(|name| (name, col(name)))
    .collect();
    if columns["arn"].is_none() {
        anyhow::bail!("credential report has no `arn` column");
    }

    let mut rows = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("credential report line {}", index + 2))?;
        let get = |name: &str| -> Option<&str> {
            let value = columns
                .get(name)
                .copied()
                .flatten()
                .and_then(|i| record.get(i))?;
            match value.trim() {
                "" | "N/A" | "not_supported" | "no_information" => None,
                v => Some(v),
            }
        };
        let date = |name: &str| get(name).and_then(parse_time);
        let flag = |name: &str| get(name).map(|v| v.eq_ignore_ascii_case("true"));
        let text = |name: &str| get(name).map(str::to_string);
        let user = text("user").unwrap_or_default();
        if user == "<root_account>" {
            continue;
        }
        let slot = |n: u8| KeySlot {
            active: flag(&format!("access_key_{n}_active")),
            last_rotated: date(&format!("access_key_{n}_last_rotated")),
            last_used: date(&format!("access_key_{n}_last_used_date")),
            last_used_region: text(&format!("access_key_{n}_last_used_region")),
            last_used_service: text(&format!("access_key_{n}_last_used_service")),
        };
        let row = ReportRow {
            user,
            arn: text("arn").unwrap_or_default(),
            password_enabled: flag("password_enabled"),
            password_last_used: date("password_last_used"),
            password_last_changed: date("password_last_changed"),
            password_next_rotation: date("password_next_rotation"),
            mfa_active: flag("mfa_active"),
            keys: [slot(1), slot(2)],
            certs_active: [flag("cert_1_active"), flag("cert_2_active")],
            certs_last_rotated: [date("cert_1_last_rotated"), date("cert_2_last_rotated")],
        };
        if !row.arn.is_empty() {
            rows.insert(row.arn.clone(), row);
        }
    }
    Ok(rows)
}

fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,2024-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
ci,arn:aws:iam::1:user/ci,2022-03-04T05:06:07+00:00,true,no_information,2022-03-04T05:06:07+00:00,N/A,true,true,2022-03-04T05:06:07+00:00,2023-05-06T07:08:09+00:00,eu-west-1,sts,false,2025-01-15T10:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A
";

    #[test]
    fn parses_rows_and_unknowns() {
        let rows = parse(REPORT.as_bytes()).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(rows.len(), 1, "root row left out");
        let ci = &rows["arn:aws:iam::1:user/ci"];
        assert_eq!(ci.user, "ci");
        assert_eq!(ci.password_enabled, Some(true));
        assert_eq!(ci.password_last_used, None);
        assert_eq!(ci.mfa_active, Some(true));
        assert!(ci.keys[0].exists() && ci.keys[1].exists());
        assert_eq!(ci.keys[0].last_used_region.as_deref(), Some("eu-west-1"));
        assert_eq!(ci.keys[0].last_used_service.as_deref(), Some("sts"));
        assert_eq!(
            ci.keys[0].last_used.map(|t| t.to_rfc3339()),
            Some("2023-05-06T07:08:09+00:00".into())
        );
        assert_eq!(ci.keys[1].active, Some(false));
        assert_eq!(ci.keys[1].last_used, None);
        assert!(!ci.may_have_certificates());
    }

    #[test]
    fn signing_certificates_active_or_dated() {
        let header = "user,arn,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
        let text = format!(
            "{header}\nnone,arn:a:none,false,N/A,false,N/A\n\
             inactive,arn:a:inactive,false,2022-01-01T00:00:00+00:00,false,N/A\n\
             active,arn:a:active,false,N/A,true,N/A\n"
        );
        let rows = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(!rows["arn:a:none"].may_have_certificates());
        assert!(rows["arn:a:inactive"].may_have_certificates());
        assert!(rows["arn:a:active"].may_have_certificates());
    }

    #[test]
    fn refuses_a_report_without_arn() {
        assert!(parse(b"user,foo\nx,y\n").is_err());
    }
}
