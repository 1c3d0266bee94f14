//! IAM users and roles, their policies, trust and credentials.
//!
//! Calls, in order of cost:
//! * `GetAccountAuthorizationDetails` (pages of 1,000): every user, group, role and
//!   managed policy with its documents, tags, trust and RoleLastUsed;
//! * `GenerateCredentialReport` + `GetCredentialReport`: password, MFA and access-key
//!   usage of every user;
//! * `ListRoles` (pages of 1,000): description and maximum session duration, which the
//!   bulk call lacks;
//! * per user that has access keys (the report says which): `ListAccessKeys`, for the
//!   key ids; a key's usage comes from the report row whose `last_rotated` time equals
//!   the key's creation time, and only when that is ambiguous (two keys created in the
//!   same second) or the report is unavailable, from `GetAccessKeyLastUsed`;
//! * per user, when [`AwsOptions::ssh_keys`] is on: `ListSSHPublicKeys`;
//! * per user whose report row shows a signing certificate (active, or with an upload
//!   date): `ListSigningCertificates`. Without the report (or the user's row) every
//!   user is asked: one more call per user;
//! * once per account: `ListServiceSpecificCredentials` with `AllUsers`
//!   ([`service_credentials`]: CodeCommit / Keyspaces passwords, service API keys);
//! * once per account plus one per provider: the OIDC and SAML identity providers
//!   ([`providers`]);
//! * with `--usage` only, per user and role: `GenerateServiceLastAccessedDetails`, then
//!   `GetServiceLastAccessedDetails` until the job completes ([`usage`]).
//!
//! Per-user and per-provider calls run with bounded concurrency
//! (`AwsOptions::concurrency`); the account-wide ones run side by side. A user whose
//! calls were throttled even after the SDK's retries is read again once the others are
//! done (up to two more passes, 1 s and 2 s later): under a sustained rate limit the
//! last few calls then find the rate free.
//!
//! Modelling choices:
//! * every IAM user is a `service_user`; a console password (login profile) is
//!   `interactive_login: true` with `attributes.password_last_used` /
//!   `password_last_changed`, not a separate credential (as in the example estate);
//! * a role's `last_activity` is RoleLastUsed; a user's is the latest of password and
//!   access-key use, and `activity_tracked` is false when it also has an active
//!   credential whose use AWS does not record (SSH key, signing certificate,
//!   service-specific credential);
//! * service-linked roles (path `/aws-service-role/`) are kept, with
//!   `attributes.service_linked = true`;
//! * signing certificates are `certificate` credentials whose `expires` is the
//!   certificate's own `notAfter` (read from its public body, [`certificate`]);
//! * identity providers are identities of kind `other` (why: [`providers`]).
//!
//! This module fetches; [`build`] turns what was fetched into inventory entries.

mod build;
mod certificate;
mod providers;
mod service_credentials;
mod usage;

use super::credential_report::{self, KeySlot, ReportRow};
use super::errors::{api_error, ApiError, ErrorKind};
use super::{time, AwsOptions};
use crate::inventory::{Credential, Identity, Scope};
use aws_sdk_iam::types::{
    AccessKeyMetadata, GroupDetail, ManagedPolicyDetail, ReportStateType, RoleDetail,
    ServiceSpecificCredentialMetadata, SigningCertificate, SshPublicKeyMetadata, UserDetail,
};
use aws_sdk_iam::Client;
use build::{build_role, build_user, PolicyBook};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What IAM yielded, and what went wrong without stopping it.
#[derive(Debug, Default)]
pub struct IamOutcome {
    pub identities: Vec<Identity>,
    pub credentials: Vec<Credential>,
    /// Problems that left part of IAM unseen (each one sentence).
    pub problems: Vec<String>,
}

/// Everything `GetAccountAuthorizationDetails` returned.
#[derive(Debug, Default)]
struct AuthDetails {
    users: Vec<UserDetail>,
    roles: Vec<RoleDetail>,
    groups: HashMap<String, GroupDetail>,
    policies: HashMap<String, ManagedPolicyDetail>,
}

/// Collects IAM. Fails only when the bulk call fails (nothing could be seen); any other
/// failure becomes a problem in the outcome and the rest is kept.
pub async fn collect(
    iam: &Client,
    scope: &Scope,
    options: &AwsOptions,
) -> Result<IamOutcome, ApiError> {
    let details = authorization_details(iam).await?;
    let user_names: Vec<String> = details
        .users
        .iter()
        .filter_map(|u| u.user_name().map(str::to_string))
        .collect();
    // One bound for every per-item call (per user, per provider).
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let usage_of = details
        .users
        .iter()
        .filter_map(|u| u.arn())
        .chain(details.roles.iter().filter_map(|r| r.arn()))
        .map(str::to_string)
        .collect::<Vec<_>>();
    let usage = async {
        match options.usage {
            true => Some(usage::collect(iam, usage_of, &limit, options.usage_timeout).await),
            false => None,
        }
    };
    let (report, role_extras, mut providers, service_creds, usage) = tokio::join!(
        credential_report(iam, options.credential_report_timeout),
        role_extras(iam),
        providers::collect(iam, scope, &limit),
        service_credentials::collect(iam, &user_names, &limit),
        usage
    );
    let mut problems = Vec::new();
    let report = report.unwrap_or_else(|e| {
        problems.push(format!(
            "credential report unavailable, so password use and MFA are unknown and key \
             usage was asked key by key: {e}"
        ));
        HashMap::new()
    });
    let report_ok = problems.is_empty();
    let role_extras = role_extras.unwrap_or_else(|e| {
        problems.push(format!("role descriptions and session limits unknown: {e}"));
        HashMap::new()
    });

    let users: Vec<UserWork> = details
        .users
        .iter()
        .enumerate()
        .filter_map(|(index, u)| {
            let arn = u.arn()?.to_string();
            let name = u.user_name()?.to_string();
            let row = report.get(&arn).cloned();
            // Without a row, unknown: ask.
            let has_keys = row
                .as_ref()
                .is_none_or(|row| row.keys.iter().any(KeySlot::exists));
            let has_certs = row.as_ref().is_none_or(ReportRow::may_have_certificates);
            Some(UserWork {
                index,
                arn,
                name,
                row,
                has_keys,
                has_certs,
            })
        })
        .collect();
    let (mut fetched, task_problems) = user_credentials(iam, &users, options, &limit).await;
    // A task that died leaves someone's credentials unknown, and we cannot tell whose.
    let tasks_died = !task_problems.is_empty();
    problems.extend(task_problems);
    problems.extend(service_creds.problems);
    let service_unread = service_creds.unread;
    problems.extend(providers.problems);
    let arns: HashMap<&str, &str> = users
        .iter()
        .map(|u| (u.name.as_str(), u.arn.as_str()))
        .collect();
    for (name, creds) in service_creds.by_user {
        // A user created after the bulk call has no identity to attach them to.
        if let Some(arn) = arns.get(name.as_str()) {
            fetched
                .entry(arn.to_string())
                .or_default()
                .service_credentials = creds;
        }
    }

    let mut book = PolicyBook::new(&details.policies, options.service_control.clone());
    if let Some(usage) = usage {
        problems.extend(usage.problems);
        book.usage = usage.by_arn;
    }
    let mut outcome = IamOutcome::default();
    for user in &users {
        let Some(detail) = details.users.get(user.index) else {
            continue;
        };
        let keys = fetched.get(&user.arn);
        // Credentials that could not all be listed: no recorded use then means
        // "unknown", not "never used" (an unlisted signing certificate may be in use).
        let credentials_read = !tasks_died
            && !service_unread.includes(&user.name)
            && keys.is_none_or(|k| k.problems.is_empty());
        build_user(
            scope,
            user,
            detail,
            &details.groups,
            &mut book,
            keys,
            report_ok && credentials_read,
            &mut outcome,
        );
    }
    for role in &details.roles {
        if let Some(identity) = build_role(scope, role, &role_extras, &mut book) {
            outcome.identities.push(identity);
        }
    }
    providers::link(&mut providers.identities, &outcome.identities);
    outcome.identities.extend(providers.identities);
    for fetched in fetched.values() {
        problems.extend(fetched.problems.iter().cloned());
    }
    problems.extend(book.problems);
    outcome.problems = summarize(problems);
    Ok(outcome)
}

/// Keeps the first few problems verbatim and counts the rest.
fn summarize(mut problems: Vec<String>) -> Vec<String> {
    const KEEP: usize = 5;
    if problems.len() > KEEP {
        let more = problems.len() - KEEP;
        problems.truncate(KEEP);
        problems.push(format!("and {more} more problems of the same kinds"));
    }
    problems
}

async fn authorization_details(iam: &Client) -> Result<AuthDetails, ApiError> {
    let mut details = AuthDetails::default();
    let mut pages = iam
        .get_account_authorization_details()
        .max_items(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("iam:GetAccountAuthorizationDetails", e))?;
        details
            .users
            .extend(page.user_detail_list().iter().cloned());
        details
            .roles
            .extend(page.role_detail_list().iter().cloned());
        for group in page.group_detail_list() {
            if let Some(name) = group.group_name() {
                details.groups.insert(name.to_string(), group.clone());
            }
        }
        for policy in page.policies() {
            if let Some(arn) = policy.arn() {
                details.policies.insert(arn.to_string(), policy.clone());
            }
        }
    }
    Ok(details)
}

/// Asks IAM to generate the credential report, waits for it (polling with growing
/// pauses, at most `timeout`), and parses it.
async fn credential_report(
    iam: &Client,
    timeout: Duration,
) -> Result<HashMap<String, ReportRow>, ApiError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let state = iam
            .generate_credential_report()
            .send()
            .await
            .map_err(|e| api_error("iam:GenerateCredentialReport", e))?;
        if matches!(state.state(), Some(ReportStateType::Complete)) {
            break;
        }
        if started.elapsed() + pause > timeout {
            return Err(ApiError {
                operation: "iam:GenerateCredentialReport",
                kind: ErrorKind::Other,
                code: None,
                detail: format!("the report was not ready after {}s", timeout.as_secs()),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
    let report = iam
        .get_credential_report()
        .send()
        .await
        .map_err(|e| api_error("iam:GetCredentialReport", e))?;
    let content = report.content().map(|b| b.as_ref()).unwrap_or_default();
    credential_report::parse(content).map_err(|e| ApiError {
        operation: "iam:GetCredentialReport",
        kind: ErrorKind::Other,
        code: None,
        detail: format!("unreadable report: {e:#}"),
    })
}

/// Role facts that only ListRoles has: (description, max session duration), by ARN.
async fn role_extras(
    iam: &Client,
) -> Result<HashMap<String, (Option<String>, Option<i32>)>, ApiError> {
    let mut out = HashMap::new();
    let mut pages = iam.list_roles().max_items(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("iam:ListRoles", e))?;
        for role in page.roles() {
            out.insert(
                role.arn().to_string(),
                (
                    role.description().map(str::to_string),
                    role.max_session_duration(),
                ),
            );
        }
    }
    Ok(out)
}

pub(super) struct UserWork {
    /// Position in `AuthDetails::users`.
    index: usize,
    pub(super) arn: String,
    pub(super) name: String,
    pub(super) row: Option<ReportRow>,
    has_keys: bool,
    /// The report shows a signing certificate (or there is no report row).
    has_certs: bool,
}

/// A user's keys and SSH keys, as fetched.
#[derive(Debug, Default)]
pub(super) struct UserKeys {
    /// Each key with its usage: (metadata, last used, region, service, usage known).
    pub(super) access_keys: Vec<KeyFacts>,
    pub(super) ssh_keys: Vec<SshPublicKeyMetadata>,
    pub(super) signing_certificates: Vec<SigningCertificate>,
    pub(super) service_credentials: Vec<ServiceSpecificCredentialMetadata>,
    problems: Vec<String>,
    /// A call was throttled out: another pass may read it all.
    throttled: bool,
}

#[derive(Debug, Clone)]
pub(super) struct KeyFacts {
    pub(super) meta: AccessKeyMetadata,
    pub(super) last_used: Option<DateTime<Utc>>,
    pub(super) region: Option<String>,
    pub(super) service: Option<String>,
    pub(super) usage_known: bool,
}

/// Fetches every user's access keys (when it has any), SSH keys (when asked for) and
/// signing certificates (when it may have any), bounded. Returns them by user ARN, and
/// the failures of tasks that died.
/// Passes over the users a throttled call left unread, after the first: once the
/// other calls are done, the account's request rate has room for them.
const THROTTLED_PASSES: u32 = 2;

/// What to read of one user.
#[derive(Debug, Clone)]
struct UserJob {
    arn: String,
    name: String,
    row: Option<ReportRow>,
    has_keys: bool,
    ssh: bool,
    certs: bool,
}

async fn user_credentials(
    iam: &Client,
    users: &[UserWork],
    options: &AwsOptions,
    limit: &Arc<Semaphore>,
) -> (HashMap<String, UserKeys>, Vec<String>) {
    let mut pending: Vec<UserJob> = users
        .iter()
        .filter(|user| user.has_keys || options.ssh_keys || user.has_certs)
        .map(|user| UserJob {
            arn: user.arn.clone(),
            name: user.name.clone(),
            row: user.row.clone(),
            has_keys: user.has_keys,
            ssh: options.ssh_keys,
            certs: user.has_certs,
        })
        .collect();
    let mut out = HashMap::new();
    let mut failures = Vec::new();
    for pass in 0..=THROTTLED_PASSES {
        if pending.is_empty() {
            break;
        }
        if pass > 0 {
            tokio::time::sleep(Duration::from_secs(pass.into())).await;
        }
        let mut tasks = JoinSet::new();
        for job in pending.drain(..) {
            let (iam, limit) = (iam.clone(), limit.clone());
            tasks.spawn(async move {
                let keys = read_user(&iam, &limit, &job).await;
                (job, keys)
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((job, keys)) if keys.throttled && pass < THROTTLED_PASSES => pending.push(job),
                Ok((job, keys)) => {
                    out.insert(job.arn, keys);
                }
                // A task that panicked: keep the rest, but say that something is missing.
                Err(e) => failures.push(format!("a per-user task failed: {e}")),
            }
        }
    }
    (out, failures)
}

/// One user's access keys (with their usage), SSH keys and signing certificates.
async fn read_user(iam: &Client, limit: &Semaphore, job: &UserJob) -> UserKeys {
    let name = &job.name;
    let mut keys = UserKeys::default();
    let note = |keys: &mut UserKeys, e: &ApiError, what: String| {
        keys.throttled |= e.kind == ErrorKind::Throttled;
        keys.problems.push(format!("{what}: {e}"));
    };
    if job.has_keys {
        match list_access_keys(iam, limit, name).await {
            Ok(listed) => {
                let mut throttled = false;
                keys.access_keys = key_usage(
                    iam,
                    limit,
                    listed,
                    job.row.as_ref(),
                    &mut keys.problems,
                    &mut throttled,
                )
                .await;
                keys.throttled |= throttled;
            }
            Err(e) => note(&mut keys, &e, format!("access keys of {name} unknown")),
        }
    }
    if job.ssh {
        match list_ssh_keys(iam, limit, name).await {
            Ok(listed) => keys.ssh_keys = listed,
            Err(e) => note(&mut keys, &e, format!("SSH keys of {name} unknown")),
        }
    }
    if job.certs {
        match list_signing_certificates(iam, limit, name).await {
            Ok(listed) => keys.signing_certificates = listed,
            Err(e) => note(
                &mut keys,
                &e,
                format!("signing certificates of {name} unknown"),
            ),
        }
    }
    keys
}

async fn list_access_keys(
    iam: &Client,
    limit: &Semaphore,
    user: &str,
) -> Result<Vec<AccessKeyMetadata>, ApiError> {
    let _permit = limit.acquire().await;
    let mut out = Vec::new();
    let mut pages = iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("iam:ListAccessKeys", e))?;
        out.extend(page.access_key_metadata().iter().cloned());
    }
    Ok(out)
}

async fn list_ssh_keys(
    iam: &Client,
    limit: &Semaphore,
    user: &str,
) -> Result<Vec<SshPublicKeyMetadata>, ApiError> {
    let _permit = limit.acquire().await;
    let mut out = Vec::new();
    let mut pages = iam
        .list_ssh_public_keys()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("iam:ListSSHPublicKeys", e))?;
        out.extend(page.ssh_public_keys().iter().cloned());
    }
    Ok(out)
}

async fn list_signing_certificates(
    iam: &Client,
    limit: &Semaphore,
    user: &str,
) -> Result<Vec<SigningCertificate>, ApiError> {
    let _permit = limit.acquire().await;
    let mut out = Vec::new();
    let mut pages = iam
        .list_signing_certificates()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("iam:ListSigningCertificates", e))?;
        out.extend(page.certificates().iter().cloned());
    }
    Ok(out)
}

/// Usage of each key: from the report slot created in the same second, else asked.
async fn key_usage(
    iam: &Client,
    limit: &Semaphore,
    keys: Vec<AccessKeyMetadata>,
    row: Option<&ReportRow>,
    problems: &mut Vec<String>,
    throttled: &mut bool,
) -> Vec<KeyFacts> {
    let mut out = Vec::new();
    for meta in keys {
        let created = meta.create_date().and_then(time::from_aws);
        let slot = row.and_then(|row| unique_slot(row, created));
        let facts = match slot {
            Some(slot) => KeyFacts {
                last_used: slot.last_used,
                region: slot.last_used_region.clone(),
                service: slot.last_used_service.clone(),
                usage_known: true,
                meta,
            },
            None => match last_used(iam, limit, meta.access_key_id().unwrap_or_default()).await {
                Ok((last_used, region, service)) => KeyFacts {
                    last_used,
                    region,
                    service,
                    usage_known: true,
                    meta,
                },
                Err(e) => {
                    *throttled |= e.kind == ErrorKind::Throttled;
                    problems.push(format!(
                        "usage of access key {} unknown: {e}",
                        meta.access_key_id().unwrap_or("?")
                    ));
                    KeyFacts {
                        last_used: None,
                        region: None,
                        service: None,
                        usage_known: false,
                        meta,
                    }
                }
            },
        };
        out.push(facts);
    }
    out
}

/// The report slot for a key created at `created`, when exactly one slot matches.
fn unique_slot(row: &ReportRow, created: Option<DateTime<Utc>>) -> Option<&KeySlot> {
    let created = created?.timestamp();
    let mut matching = row
        .keys
        .iter()
        .filter(|slot| slot.last_rotated.map(|t| t.timestamp()) == Some(created));
    let first = matching.next()?;
    match matching.next() {
        None => Some(first),
        Some(_) => None,
    }
}

type LastUsed = (Option<DateTime<Utc>>, Option<String>, Option<String>);

async fn last_used(iam: &Client, limit: &Semaphore, key_id: &str) -> Result<LastUsed, ApiError> {
    let _permit = limit.acquire().await;
    let out = iam
        .get_access_key_last_used()
        .access_key_id(key_id)
        .send()
        .await
        .map_err(|e| api_error("iam:GetAccessKeyLastUsed", e))?;
    let Some(used) = out.access_key_last_used() else {
        return Ok((None, None, None));
    };
    let known = |s: &str| (!s.is_empty() && s != "N/A").then(|| s.to_string());
    Ok((
        used.last_used_date().and_then(time::from_aws),
        known(used.region()),
        known(used.service_name()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        Utc.timestamp_opt(secs, 0).single()
    }

    #[test]
    fn key_slots_match_by_creation_second() {
        let mut row = ReportRow::default();
        row.keys[0].last_rotated = at(100);
        row.keys[1].last_rotated = at(200);
        assert!(std::ptr::eq(
            unique_slot(&row, at(200)).unwrap_or_else(|| panic!("no slot")),
            &row.keys[1]
        ));
        assert!(unique_slot(&row, at(300)).is_none());
        row.keys[1].last_rotated = at(100);
        assert!(unique_slot(&row, at(100)).is_none(), "ambiguous");
    }
}
