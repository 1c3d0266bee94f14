//! Service-specific credentials: CodeCommit Git (HTTPS) passwords, Amazon Keyspaces
//! passwords, and long-term API keys for services such as Amazon Bedrock.
//!
//! Neither the credential report nor `GetAccountAuthorizationDetails` says which users
//! have them, so asking user by user would cost one call per user. Instead one
//! `ListServiceSpecificCredentials` with `AllUsers=true` (paginated, 1,000 a page) lists
//! them for the whole account. Only if that form is refused as invalid (an endpoint
//! that predates `AllUsers`) does the collector fall back to one call per user (the
//! cost then shows in `api_calls`).
//!
//! Each becomes a credential of kind `password` (CodeCommit, Keyspaces: a user name and
//! password) or `token` (API keys), with `attributes.service_name`,
//! `service_user_name` (the login name, not a secret) and `user_name`, its status,
//! creation and (API keys) expiry. AWS does not report their last use.

use crate::collect::aws::errors::{api_error, ApiError, ErrorKind};
use crate::collect::aws::time;
use crate::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Location, Provider, Scope, Tags,
};
use aws_sdk_iam::types::{ServiceSpecificCredentialMetadata, StatusType};
use aws_sdk_iam::Client;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const OPERATION: &str = "iam:ListServiceSpecificCredentials";

/// Services whose service-specific credential is a user name and password.
const PASSWORD_SERVICES: &[&str] = &["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

/// Every user's service-specific credentials, by user name, and what went wrong.
pub(super) async fn collect(
    iam: &Client,
    users: &[String],
    limit: &Arc<Semaphore>,
) -> ServiceCredentials {
    let mut problems = Vec::new();
    match list(iam, None).await {
        Ok(found) => {
            return ServiceCredentials {
                by_user: by_user(found),
                problems,
                unread: Unread::Nobody,
            }
        }
        Err(e) if !falls_back(&e) => {
            problems.push(format!("service-specific credentials unknown: {e}"));
            return ServiceCredentials {
                by_user: HashMap::new(),
                problems,
                unread: Unread::Everyone,
            };
        }
        // Refused as invalid: ask user by user below.
        Err(_) => {}
    }
    let mut tasks = JoinSet::new();
    for user in users {
        let (iam, limit, name) = (iam.clone(), limit.clone(), user.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let result = list(&iam, Some(&name)).await;
            (name, result)
        });
    }
    let mut out = HashMap::new();
    let mut unread = Unread::Nobody;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((_, Ok(found))) => {
                for (user, creds) in by_user(found) {
                    out.entry(user).or_insert_with(Vec::new).extend(creds);
                }
            }
            Ok((name, Err(e))) => {
                problems.push(format!(
                    "service-specific credentials of {name} unknown: {e}"
                ));
                unread.add(name);
            }
            Err(e) => {
                problems.push(format!("a per-user task failed: {e}"));
                unread = Unread::Everyone;
            }
        }
    }
    ServiceCredentials {
        by_user: out,
        problems,
        unread,
    }
}

/// The service-specific credentials of an account's users, as far as they were read.
#[derive(Debug, Default)]
pub(super) struct ServiceCredentials {
    pub(super) by_user: HashMap<String, Vec<ServiceSpecificCredentialMetadata>>,
    pub(super) problems: Vec<String>,
    pub(super) unread: Unread,
}

/// Whose credentials could not be read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) enum Unread {
    #[default]
    Nobody,
    /// These users (by name).
    Users(std::collections::HashSet<String>),
    Everyone,
}

impl Unread {
    fn add(&mut self, user: String) {
        match self {
            Unread::Nobody => *self = Unread::Users([user].into()),
            Unread::Users(users) => {
                users.insert(user);
            }
            Unread::Everyone => {}
        }
    }

    /// Whether `user`'s credentials may be missing.
    pub(super) fn includes(&self, user: &str) -> bool {
        match self {
            Unread::Nobody => false,
            Unread::Users(users) => users.contains(user),
            Unread::Everyone => true,
        }
    }
}

/// Whether a failed account-wide listing is worth retrying user by user: only when the
/// request itself was refused as invalid, not for missing permissions (the per-user
/// form needs the same one), throttling or unreachable endpoints.
fn falls_back(e: &ApiError) -> bool {
    e.kind == ErrorKind::Other
        && e.code.as_deref().is_some_and(|c| {
            matches!(
                c,
                "ValidationError"
                    | "InvalidInput"
                    | "InvalidParameterValue"
                    | "InvalidParameterCombination"
                    | "MalformedInput"
            )
        })
}

/// One user's credentials (`Some(name)`) or every user's (`None`), all pages.
async fn list(
    iam: &Client,
    user: Option<&str>,
) -> Result<Vec<ServiceSpecificCredentialMetadata>, ApiError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let request = iam
            .list_service_specific_credentials()
            .set_marker(marker.take())
            .max_items(1000);
        let request = match user {
            Some(name) => request.user_name(name),
            None => request.all_users(true),
        };
        let page = request.send().await.map_err(|e| api_error(OPERATION, e))?;
        out.extend(page.service_specific_credentials().iter().cloned());
        match page.marker() {
            Some(next) if page.is_truncated() && !next.is_empty() => {
                marker = Some(next.to_string());
            }
            _ => break,
        }
    }
    Ok(out)
}

fn by_user(
    found: Vec<ServiceSpecificCredentialMetadata>,
) -> HashMap<String, Vec<ServiceSpecificCredentialMetadata>> {
    let mut out: HashMap<String, Vec<ServiceSpecificCredentialMetadata>> = HashMap::new();
    for credential in found {
        out.entry(credential.user_name().to_string())
            .or_default()
            .push(credential);
    }
    out
}

/// The inventory credential for one service-specific credential of `user_arn`.
pub(super) fn credential(
    scope: &Scope,
    user_arn: &str,
    meta: &ServiceSpecificCredentialMetadata,
) -> Credential {
    let service = meta.service_name();
    let kind = if PASSWORD_SERVICES.contains(&service) {
        CredentialKind::Password
    } else {
        CredentialKind::Token
    };
    let mut attributes = Attributes::new();
    attributes.insert("user_name", json!(meta.user_name()));
    attributes.insert("service_name", json!(service));
    if !meta.service_user_name().is_empty() {
        attributes.insert("service_user_name", json!(meta.service_user_name()));
    }
    Credential {
        provider: Provider::Aws,
        scope: scope.clone(),
        id: meta.service_specific_credential_id().to_string(),
        name: meta.service_credential_alias().map(str::to_string),
        kind,
        identity_id: Some(user_arn.to_string()),
        created: time::from_aws(meta.create_date()),
        expires: meta.expiration_date().and_then(time::from_aws),
        last_used: None,
        usage_tracked: false,
        last_rotated: None,
        rotation_enabled: None,
        rotation_interval_days: None,
        status: match meta.status() {
            StatusType::Active => CredentialStatus::Active,
            _ => CredentialStatus::Inactive,
        },
        location: Location::default(),
        tags: Tags::new(),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ScopeKind;
    use aws_sdk_iam::primitives::DateTime;

    fn meta(service: &str, expires: Option<i64>) -> ServiceSpecificCredentialMetadata {
        ServiceSpecificCredentialMetadata::builder()
            .user_name("git-bot")
            .status(StatusType::Inactive)
            .service_user_name("git-bot-at-111122223333")
            .create_date(DateTime::from_secs(1_600_000_000))
            .set_expiration_date(expires.map(DateTime::from_secs))
            .service_specific_credential_id("ACCAEXAMPLE")
            .service_name(service)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn kinds_status_and_attributes() {
        let scope = Scope {
            kind: ScopeKind::Account,
            id: "111122223333".into(),
            name: None,
        };
        let arn = "arn:aws:iam::111122223333:user/git-bot";
        let git = credential(&scope, arn, &meta("codecommit.amazonaws.com", None));
        assert_eq!(git.kind, CredentialKind::Password);
        assert_eq!(git.status, CredentialStatus::Inactive);
        assert_eq!(git.identity_id.as_deref(), Some(arn));
        assert_eq!(git.attributes["service_name"], "codecommit.amazonaws.com");
        assert_eq!(
            git.attributes["service_user_name"],
            "git-bot-at-111122223333"
        );
        assert!(!git.usage_tracked && git.expires.is_none());
        let key = credential(
            &scope,
            arn,
            &meta("bedrock.amazonaws.com", Some(1_700_000_000)),
        );
        assert_eq!(key.kind, CredentialKind::Token);
        assert_eq!(key.expires.map(|t| t.timestamp()), Some(1_700_000_000));
    }

    #[test]
    fn only_invalid_requests_fall_back() {
        let error = |kind, code: &str| ApiError {
            operation: OPERATION,
            kind,
            code: Some(code.into()),
            detail: String::new(),
        };
        assert!(falls_back(&error(ErrorKind::Other, "ValidationError")));
        assert!(!falls_back(&error(ErrorKind::AccessDenied, "AccessDenied")));
        assert!(!falls_back(&error(ErrorKind::Throttled, "Throttling")));
        assert!(!falls_back(&error(ErrorKind::Other, "ServiceFailure")));
    }
}
