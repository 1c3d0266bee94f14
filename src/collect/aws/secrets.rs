//! Secrets Manager: one `ListSecrets` pagination (100 per page) per region, metadata
//! only. `ListSecrets` already carries every field used (dates, rotation, tags, owning
//! service), so no `DescribeSecret`; and never `GetSecretValue` (the client's
//! interceptor refuses it anyway).
//!
//! A secret becomes a `vault_secret` credential with `location.region` and
//! `location.vault = "secretsmanager"`. Secrets Manager omits `RotationEnabled` for a
//! secret that was never set up for rotation, so a missing flag is recorded as
//! `rotation_enabled: false`.

use super::errors::{api_error, ApiError};
use super::time;
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Location, Provider, Scope,
};
use aws_sdk_secretsmanager::types::SecretListEntry;
use aws_sdk_secretsmanager::Client;
use serde_json::json;

/// The secrets of one region.
pub async fn collect_region(
    client: &Client,
    scope: &Scope,
    region: &str,
) -> Result<Vec<Credential>, ApiError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_secrets()
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("secretsmanager:ListSecrets", e))?;
        out.extend(
            page.secret_list()
                .iter()
                .filter_map(|entry| credential(entry, scope, region)),
        );
    }
    Ok(out)
}

fn credential(entry: &SecretListEntry, scope: &Scope, region: &str) -> Option<Credential> {
    let arn = entry.arn()?;
    let mut attributes = Attributes::new();
    let mut put = |key: &str, value: Option<serde_json::Value>| {
        if let Some(value) = value {
            attributes.insert(key.to_string(), value);
        }
    };
    put("description", entry.description().map(|d| json!(d)));
    put("owning_service", entry.owning_service().map(|s| json!(s)));
    put("primary_region", entry.primary_region().map(|r| json!(r)));
    put(
        "last_changed",
        entry
            .last_changed_date()
            .and_then(time::from_aws)
            .map(|t| json!(t)),
    );
    put(
        "next_rotation",
        entry
            .next_rotation_date()
            .and_then(time::from_aws)
            .map(|t| json!(t)),
    );
    put("kms_key_id", entry.kms_key_id().map(|k| json!(k)));
    put(
        "rotation_lambda_arn",
        entry
            .rotation_lambda_arn()
            .filter(|a| !a.is_empty())
            .map(|a| json!(a)),
    );
    let rules = entry.rotation_rules();
    put(
        "rotation_schedule",
        rules
            .and_then(|r| r.schedule_expression())
            .map(|s| json!(s)),
    );
    let tags = entry
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    Some(Credential {
        provider: Provider::Aws,
        scope: scope.clone(),
        id: arn.to_string(),
        name: entry.name().map(str::to_string),
        kind: CredentialKind::VaultSecret,
        identity_id: None,
        created: entry.created_date().and_then(time::from_aws),
        expires: None,
        last_used: entry.last_accessed_date().and_then(time::from_aws),
        usage_tracked: true,
        last_rotated: entry.last_rotated_date().and_then(time::from_aws),
        rotation_enabled: Some(entry.rotation_enabled().unwrap_or(false)),
        rotation_interval_days: rules
            .and_then(|r| r.automatically_after_days())
            .and_then(|d| u32::try_from(d).ok()),
        status: if entry.deleted_date().is_some() {
            CredentialStatus::Inactive
        } else {
            CredentialStatus::Active
        },
        location: Location {
            region: Some(region.to_string().into()),
            vault: Some("secretsmanager".to_string().into()),
        },
        tags,
        attributes,
    })
}
