//! A whole AWS Organization (`--org`): list its accounts, pick some, and collect each
//! one with the single-account collector in a role assumed there.
//!
//! 1. `sts:GetCallerIdentity`, then `organizations:ListAccounts` (pages of 20), as the
//!    caller: the management account or a delegated administrator of AWS
//!    Organizations, with `examples/aws/nhiscan-org-policy.json`.
//! 2. Selection ([`select`]): the listed accounts, sorted by id; only those named by
//!    `--accounts` when given (an id the organisation does not list is an error);
//!    then, with `--shard K/N`, those whose position `i` in that sorted list (counted
//!    from 0) satisfies `i mod N = K - 1`. The N shards are disjoint and together hold
//!    every account, so N CI jobs that each take one shard and `nhiscan merge` their
//!    inventories see the whole organisation once. (The jobs must list the same
//!    accounts: run them together, not across an account being added.)
//! 3. Per selected account, at most [`OrgOptions::concurrency`] at a time: an account
//!    that is not `ACTIVE` (suspended, closing) is skipped, with a `skipped` coverage
//!    entry; otherwise `sts:AssumeRole` into `arn:<partition>:iam::<account>:role/<role>`
//!    (session name `nhiscan`, optional external id) and the single-account collection
//!    ([`super::collect`]) with those credentials, which are renewed by assuming the
//!    role again should a scan outlast them, and with the SCPs on the account's path
//!    ([`super::scp`]) as limits on its identities' permissions.
//!
//! The caller's own account: nhiscan assumes the role there too, so that every account
//! is read with the same permissions; if that fails (the stack sets that deploy the role
//! skip the management account), that one account is read with the caller's own
//! credentials instead, and its source line says so.
//!
//! Failures: if the caller cannot be identified or the accounts cannot be listed, the
//! whole collection fails with a message saying what to do. One account whose role
//! cannot be assumed (AccessDenied: the role is missing, does not trust the caller, or
//! the caller may not assume it) or whose collection fails becomes one `failed`
//! coverage entry `aws:<account>` naming the role and the fix; every other account's
//! inventory is kept. SCPs that cannot be read make a `failed` coverage entry
//! `aws:<account>:service-control-policies` (the caller's account when the root cannot
//! be read): the accounts are still collected, without the limits.

use super::calls::CallCounter;
use super::config::Session;
use super::errors::{api_error, ApiError, ErrorKind};
use super::regions::partition_of_arn;
use super::scp::ScpReader;
use super::AwsOptions;
use crate::inventory::{Coverage, CoverageStatus, Inventory, Provider, ShardRecord};
use anyhow::{bail, Context, Result};
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The role nhiscan assumes in each account unless told otherwise: the one
/// `examples/aws/audit-role.cfn.yaml` creates.
pub const DEFAULT_ROLE_NAME: &str = "nhiscan-audit";
/// The management-account policy: `organizations:ListAccounts` and `sts:AssumeRole`.
pub const ORG_POLICY_PATH: &str = "examples/aws/nhiscan-org-policy.json";
/// The template that deploys the audit role to every account.
pub const ROLE_TEMPLATE_PATH: &str = "examples/aws/audit-role.cfn.yaml";
/// The session name in the member accounts' CloudTrail.
pub const SESSION_NAME: &str = "nhiscan";

/// What to scan of the organisation, and how.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// The role to assume in each account. Default [`DEFAULT_ROLE_NAME`].
    pub role_name: String,
    /// `sts:ExternalId` to present, when the role's trust policy asks for one.
    pub external_id: Option<String>,
    /// Only these account ids (12 digits each); empty: every account.
    pub accounts: Vec<String>,
    /// Only this shard of the (selected) accounts.
    pub shard: Option<Shard>,
    /// Accounts collected at once. Default 4.
    pub concurrency: usize,
}

impl Default for OrgOptions {
    fn default() -> Self {
        OrgOptions {
            role_name: DEFAULT_ROLE_NAME.to_string(),
            external_id: None,
            accounts: Vec::new(),
            shard: None,
            concurrency: 4,
        }
    }
}

pub use super::{is_account_id, Shard};

/// The state of an account `ListAccounts` said nothing about.
const UNKNOWN_STATE: &str = "UNKNOWN";

/// One account as `ListAccounts` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    /// `arn:aws:organizations::MANAGEMENT:account/o-ORG/ID`.
    pub arn: Option<String>,
    pub name: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`...
    pub state: String,
}

impl OrgAccount {
    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({})", self.id, name.escape_debug()),
            None => self.id.clone(),
        }
    }
}

/// The accounts to scan: see the module documentation for the rule. Sorted by id.
pub fn select(
    accounts: &[OrgAccount],
    wanted: &[String],
    shard: Option<Shard>,
) -> Result<Vec<OrgAccount>> {
    let mut sorted: Vec<OrgAccount> = accounts.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    sorted.dedup_by(|a, b| a.id == b.id);
    if !wanted.is_empty() {
        let unknown: Vec<&str> = wanted
            .iter()
            .filter(|w| !sorted.iter().any(|a| &a.id == *w))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            bail!(
                "--accounts names {} that the organisation does not list \
                 (organizations:ListAccounts returned {} accounts): check the ids",
                unknown.join(", "),
                sorted.len()
            );
        }
        sorted.retain(|a| wanted.contains(&a.id));
    }
    Ok(match shard {
        Some(shard) => sorted
            .into_iter()
            .enumerate()
            .filter(|(position, _)| shard.holds(*position))
            .map(|(_, account)| account)
            .collect(),
        None => sorted,
    })
}

/// What `merge` needs to know of this shard: the organisation (its id from the accounts'
/// ARNs, else the listing account), and the account list it was cut from.
fn shard_record(
    listed: &[OrgAccount],
    basis: &[OrgAccount],
    shard: Shard,
    caller_account: &str,
) -> ShardRecord {
    let organization = listed
        .iter()
        .filter_map(|a| a.arn.as_deref())
        .find_map(|arn| arn.split('/').find(|part| part.starts_with("o-")))
        .map_or_else(
            || format!("aws:listed by {caller_account}"),
            |o| format!("aws:{o}"),
        );
    let ids: Vec<&str> = basis.iter().map(|a| a.id.as_str()).collect();
    let digest = Sha256::digest(ids.join("\n").as_bytes());
    ShardRecord {
        organization,
        index: shard.index,
        count: shard.count,
        accounts: ids.len(),
        accounts_digest: digest.iter().take(8).map(|b| format!("{b:02x}")).collect(),
    }
}

/// What every account's task needs.
struct Shared {
    options: AwsOptions,
    org: OrgOptions,
    sts: aws_sdk_sts::Client,
    caller_account: String,
    partition: String,
    /// The organisation's SCPs, unless they could not be read.
    scps: Option<ScpReader>,
}

/// Collects the organisation's selected accounts into one inventory: each account's
/// inventory, one coverage entry per account that was skipped or failed, and the API
/// calls of all of them plus the listing's.
pub async fn collect(options: &AwsOptions, org: &OrgOptions) -> Result<Inventory> {
    for id in &org.accounts {
        if !is_account_id(id) {
            bail!(
                "--accounts: `{}` is not an AWS account id (12 digits)",
                id.escape_debug()
            );
        }
    }
    let counter = CallCounter::default();
    let session = Session::load(options, &counter).await?;
    let listing = options
        .progress
        .spinner("aws organization: listing accounts");
    let caller = session
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| api_error("sts:GetCallerIdentity", e))
        .context("cannot identify the AWS account to list the organisation from")?;
    let caller_account = caller
        .account()
        .context("sts:GetCallerIdentity returned no account id")?
        .to_string();
    let caller_arn = caller.arn().unwrap_or_default().to_string();
    let accounts = list_accounts(&session.organizations())
        .await
        .map_err(|e| anyhow::anyhow!(listing_error(&e, &caller_arn)))?;
    drop(listing);
    let selected = select(&accounts, &org.accounts, org.shard)?;
    let shard = match org.shard {
        Some(shard) => Some(shard_record(
            &accounts,
            &select(&accounts, &org.accounts, None)?,
            shard,
            &caller_account,
        )),
        None => None,
    };

    let mut inventory = Inventory::new();
    inventory.generated_at = Some(chrono::Utc::now());
    inventory.shards.extend(shard);
    let scps = match ScpReader::new(session.organizations()).await {
        Ok(reader) => Some(reader),
        Err(e) => {
            inventory.coverage.push(Coverage {
                target: format!("aws:{caller_account}:service-control-policies"),
                provider: Provider::Aws,
                status: CoverageStatus::Failed,
                detail: Some(scp_error(&e, "the organisation")),
            });
            None
        }
    };
    let scp_note = match &scps {
        Some(reader) if reader.enabled() => "SCPs applied",
        Some(_) => "SCPs not enabled",
        None => "SCPs not read",
    };
    inventory.sources.push(format!(
        "aws organization (accounts listed as {caller_arn}): {} of {} accounts{}, role {}, {scp_note}",
        selected.len(),
        accounts.len(),
        org.shard
            .map(|s| format!(" in shard {s}"))
            .unwrap_or_default(),
        org.role_name
    ));

    let mut per_account = options.clone();
    per_account.org = None;
    per_account.progress = options
        .progress
        .per_scope("aws organization", selected.len() as u64);
    let context = Arc::new(Shared {
        options: per_account,
        org: org.clone(),
        sts: session.sts.clone(),
        caller_account,
        partition: partition_of_arn(&caller_arn).to_string(),
        scps,
    });
    let bar = options
        .progress
        .bar("aws organization: accounts", selected.len() as u64);
    let limit = Arc::new(Semaphore::new(org.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (position, account) in selected.iter().enumerate() {
        let (context, limit, account) = (context.clone(), limit.clone(), account.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let started = Instant::now();
            let account_inventory = collect_account(&account, &context).await;
            context.options.progress.note(&account_note(
                &account,
                &account_inventory,
                started.elapsed(),
            ));
            (position, account_inventory)
        });
    }
    let mut done: Vec<(usize, Inventory)> = Vec::with_capacity(selected.len());
    let mut failed = 0;
    while let Some(joined) = tasks.join_next().await {
        bar.inc();
        let (position, account_inventory) = match joined {
            Ok(result) => result,
            Err(e) => (usize::MAX, failed_task(&e)),
        };
        if account_inventory
            .coverage
            .iter()
            .any(|c| c.status == CoverageStatus::Failed)
        {
            failed += 1;
            bar.set_message(format!("{failed} failed"));
        }
        done.push((position, account_inventory));
    }
    drop(bar);
    done.sort_by_key(|(position, _)| *position);
    for (_, account_inventory) in done {
        inventory.extend(account_inventory);
    }
    if let Some(reader) = &context.scps {
        let problems = match reader.problems.lock() {
            Ok(problems) => problems.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        if let Some(source) = inventory.sources.first_mut() {
            for problem in problems {
                source.push_str(&format!("; {problem}"));
            }
        }
    }
    for (call, count) in counter.snapshot() {
        *inventory.api_calls.entry(call).or_default() += count;
    }
    Ok(inventory)
}

/// Every account of the organisation, following the pages.
async fn list_accounts(
    client: &aws_sdk_organizations::Client,
) -> Result<Vec<OrgAccount>, ApiError> {
    let mut accounts = Vec::new();
    let mut pages = client
        .list_accounts()
        .max_results(20)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("organizations:ListAccounts", e))?;
        for account in page.accounts() {
            let Some(id) = account.id() else { continue };
            // `State` replaces the deprecated `Status`; read whichever is there.
            #[allow(deprecated)]
            let state = account
                .state()
                .map(|s| s.as_str().to_string())
                .or_else(|| account.status().map(|s| s.as_str().to_string()))
                .unwrap_or_else(|| UNKNOWN_STATE.to_string());
            accounts.push(OrgAccount {
                id: id.to_string(),
                arn: account.arn().map(str::to_string),
                name: account.name().map(str::to_string),
                state,
            });
        }
    }
    Ok(accounts)
}

/// What to tell the user when the organisation's accounts cannot be listed.
fn listing_error(e: &ApiError, caller_arn: &str) -> String {
    let code = e.code.as_deref().unwrap_or("error");
    match (e.kind, code) {
        (_, "AWSOrganizationsNotInUseException") => format!(
            "--org: the account of {caller_arn} is not in an AWS Organization \
             ({code}); drop --org to scan this account alone"
        ),
        (ErrorKind::AccessDenied, _) => format!(
            "--org: organizations:ListAccounts was denied ({code}: {}): run nhiscan as \
             the organisation's management account or a delegated administrator of AWS \
             Organizations, with the permissions in {ORG_POLICY_PATH}",
            e.detail
        ),
        _ => format!("--org: the organisation's accounts could not be listed: {e}"),
    }
}

/// The `-v` line of one finished account: what was collected, with how many calls, how
/// long it took, and what is missing; or why the account was not scanned.
fn account_note(account: &OrgAccount, inventory: &Inventory, took: Duration) -> String {
    let target = format!("aws:{}", account.id);
    let label = match &account.name {
        Some(name) => format!("{target} ({name})"),
        None => target.clone(),
    };
    if let [only] = inventory.coverage.as_slice() {
        let outcome = match only.status {
            CoverageStatus::Skipped => "skipped",
            CoverageStatus::Failed => "not scanned",
            CoverageStatus::Partial | CoverageStatus::Scanned => "",
        };
        if only.target == target && !outcome.is_empty() {
            let detail = only.detail.as_deref().unwrap_or("no detail");
            return format!("{label}: {outcome} after {took:.2?}: {detail}");
        }
    }
    let calls: u64 = inventory.api_calls.values().sum();
    let gaps: Vec<&str> = inventory
        .coverage
        .iter()
        .filter(|c| c.status.is_incomplete())
        .map(|c| c.target.as_str())
        .collect();
    let outcome = if gaps.is_empty() {
        "complete".to_string()
    } else {
        format!("incomplete: {}", gaps.join(", "))
    };
    format!(
        "{label}: {} identities, {} credentials, {calls} API calls in {took:.2?}; {outcome}",
        inventory.identities.len(),
        inventory.credentials.len(),
    )
}

/// One account: skipped, failed, or its inventory. Never an error: the other accounts
/// go on.
async fn collect_account(account: &OrgAccount, context: &Shared) -> Inventory {
    let target = format!("aws:{}", account.id);
    // An account whose state was not given is tried, not skipped unseen.
    if account.state != "ACTIVE" && account.state != UNKNOWN_STATE {
        return coverage_only(
            target,
            CoverageStatus::Skipped,
            format!(
                "account {} is {} in the organisation, so it was not scanned",
                account.label(),
                account.state
            ),
        );
    }
    if !is_account_id(&account.id) {
        return coverage_only(
            target,
            CoverageStatus::Failed,
            format!(
                "organizations:ListAccounts returned `{}`, which is not an account id",
                account.id.escape_debug()
            ),
        );
    }
    let org = &context.org;
    let role_arn = format!(
        "arn:{}:iam::{}:role/{}",
        context.partition, account.id, org.role_name
    );
    let mut options = context.options.clone();
    let mut own_credentials_because = None;
    let assuming = options.progress.step(&target, "assuming the audit role");
    match assume(&context.sts, &role_arn, org.external_id.as_deref()).await {
        Ok(first) => {
            options.credentials = Some(SharedCredentialsProvider::new(AssumedRole {
                sts: context.sts.clone(),
                role_arn: role_arn.clone(),
                external_id: org.external_id.clone(),
                first: Mutex::new(Some(first)),
            }));
        }
        // The caller's own account: its own credentials will do.
        Err(e) if account.id == context.caller_account => own_credentials_because = Some(e),
        Err(e) => {
            return coverage_only(
                target,
                CoverageStatus::Failed,
                assume_error(account, &role_arn, &e),
            )
        }
    }
    drop(assuming);
    let mut scp_failure = None;
    if let Some(reader) = &context.scps {
        match reader.for_account(&account.id).await {
            Ok(control) => options.service_control = control.map(Arc::new),
            Err(e) => {
                scp_failure = Some(Coverage {
                    target: format!("{target}:service-control-policies"),
                    provider: Provider::Aws,
                    status: CoverageStatus::Failed,
                    detail: Some(scp_error(&e, &format!("account {}", account.label()))),
                })
            }
        }
    }
    match super::collect(&options).await {
        Ok(mut inventory) => {
            inventory.coverage.extend(scp_failure);
            if let Some(e) = own_credentials_because {
                for source in &mut inventory.sources {
                    source.push_str(&format!(
                        "; the caller's own account, read with its own credentials because \
                         {role_arn} could not be assumed ({})",
                        e.code.as_deref().unwrap_or("error")
                    ));
                }
            }
            inventory
        }
        Err(e) => coverage_only(
            target,
            CoverageStatus::Failed,
            format!(
                "account {} could not be scanned with the role {role_arn}: {e:#}",
                account.label()
            ),
        ),
    }
}

/// What to tell the user when the SCPs over `what` cannot be read.
fn scp_error(e: &ApiError, what: &str) -> String {
    let code = e.code.as_deref().unwrap_or("error");
    format!(
        "the service control policies over {what} could not be read ({}: {code}: {}), so \
         privilege findings there do not account for them (they may report grants an SCP \
         denies); grant the caller the organizations: permissions in {ORG_POLICY_PATH}",
        e.operation, e.detail
    )
}

/// What to tell the user when the role of one account cannot be assumed.
fn assume_error(account: &OrgAccount, role_arn: &str, e: &ApiError) -> String {
    let code = e.code.as_deref().unwrap_or("error");
    let role = role_arn.rsplit('/').next().unwrap_or(role_arn);
    match e.kind {
        ErrorKind::AccessDenied => format!(
            "account {} was not scanned: sts:AssumeRole on {role_arn} was denied ({code}: \
             {}). The role is missing there, does not trust the scanner, or the scanner \
             may not assume it: deploy the audit role to the account \
             ({ROLE_TEMPLATE_PATH}, role name {role}, or pass --role-name) with the \
             scanner as AuditPrincipalArn, and grant the scanner sts:AssumeRole on it \
             ({ORG_POLICY_PATH})",
            account.label(),
            e.detail
        ),
        _ => format!(
            "account {} was not scanned: the role {role_arn} could not be assumed: {e}",
            account.label()
        ),
    }
}

fn coverage_only(target: String, status: CoverageStatus, detail: String) -> Inventory {
    let mut inventory = Inventory::new();
    inventory.coverage.push(Coverage {
        target,
        provider: Provider::Aws,
        status,
        detail: Some(detail),
    });
    inventory
}

fn failed_task(e: &tokio::task::JoinError) -> Inventory {
    coverage_only(
        "aws:unknown-account".into(),
        CoverageStatus::Failed,
        format!("an account's collection failed unexpectedly: {e}"),
    )
}

/// `sts:AssumeRole` through the caller's counted, read-only-guarded STS client.
async fn assume(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    external_id: Option<&str>,
) -> Result<Credentials, ApiError> {
    let out = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME)
        .set_external_id(external_id.map(str::to_string))
        .send()
        .await
        .map_err(|e| api_error("sts:AssumeRole", e))?;
    let Some(c) = out.credentials() else {
        return Err(ApiError {
            operation: "sts:AssumeRole",
            kind: ErrorKind::Other,
            code: None,
            detail: "the response held no credentials".into(),
        });
    };
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        SystemTime::try_from(*c.expiration()).ok(),
        "nhiscan-assume-role",
    ))
}

/// The credentials of a role assumed in a member account: the ones obtained up front,
/// then, should they expire during a long scan, new ones from `sts:AssumeRole` again
/// (the SDK's identity cache asks only when the ones it holds are about to expire).
#[derive(Debug)]
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    first: Mutex<Option<Credentials>>,
}

impl AssumedRole {
    async fn credentials(&self) -> provider::Result {
        let first = match self.first.lock() {
            Ok(mut first) => first.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(credentials) = first {
            let fresh = credentials.expiry().is_none_or(|expiry| {
                expiry
                    .duration_since(SystemTime::now())
                    .is_ok_and(|left| left > Duration::from_secs(60))
            });
            if fresh {
                return Ok(credentials);
            }
        }
        assume(&self.sts, &self.role_arn, self.external_id.as_deref())
            .await
            .map_err(CredentialsError::provider_error)
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.credentials())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(ids: &[&str]) -> Vec<OrgAccount> {
        ids.iter()
            .map(|id| OrgAccount {
                id: id.to_string(),
                arn: None,
                name: None,
                state: "ACTIVE".into(),
            })
            .collect()
    }

    fn ids(selected: &[OrgAccount]) -> Vec<&str> {
        selected.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn shards_take_every_nth_account_of_the_sorted_list() {
        // Listed out of order: the position is in the list sorted by id.
        let all = accounts(&[
            "555555555555",
            "111111111111",
            "444444444444",
            "222222222222",
            "333333333333",
        ]);
        let shard = |k, n| {
            ids(&select(&all, &[], Some(Shard { index: k, count: n })).unwrap_or_default())
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shard(1, 2),
            ["111111111111", "333333333333", "555555555555"]
        );
        assert_eq!(shard(2, 2), ["222222222222", "444444444444"]);
        assert_eq!(shard(3, 3), ["333333333333"]);
        assert!(shard(5, 7).len() == 1 && shard(6, 7).is_empty());
        // The shards are disjoint and cover everything, for any N.
        for n in 1..=7 {
            let mut union: Vec<String> = (1..=n).flat_map(|k| shard(k, n)).collect();
            union.sort();
            assert_eq!(union.len(), all.len(), "N = {n}");
            union.dedup();
            assert_eq!(union.len(), all.len(), "N = {n}");
        }
    }

    #[test]
    fn accounts_pick_then_shard_and_unknown_ids_are_refused() {
        let all = accounts(&["333333333333", "111111111111", "222222222222"]);
        let wanted = vec!["333333333333".to_string(), "111111111111".to_string()];
        let picked = select(&all, &wanted, None).unwrap_or_default();
        assert_eq!(ids(&picked), ["111111111111", "333333333333"]);
        let second = select(&all, &wanted, Some(Shard { index: 2, count: 2 })).unwrap_or_default();
        assert_eq!(ids(&second), ["333333333333"]);
        let err = match select(&all, &["999999999999".to_string()], None) {
            Ok(_) => panic!("an unknown account was accepted"),
            Err(e) => e,
        };
        assert!(err.to_string().contains("999999999999"), "{err}");
        assert_eq!(ids(&select(&all, &[], None).unwrap_or_default()).len(), 3);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("123456789012"));
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "",
            "../12345678",
        ] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_denied_role_names_the_role_the_template_and_the_policy() {
        let account = OrgAccount {
            id: "444455556666".into(),
            arn: None,
            name: Some("gamma".into()),
            state: "ACTIVE".into(),
        };
        let e = ApiError {
            operation: "sts:AssumeRole",
            kind: ErrorKind::AccessDenied,
            code: Some("AccessDenied".into()),
            detail: "not authorized".into(),
        };
        let text = assume_error(&account, "arn:aws:iam::444455556666:role/nhiscan-audit", &e);
        for part in [
            "444455556666 (gamma)",
            "arn:aws:iam::444455556666:role/nhiscan-audit",
            ROLE_TEMPLATE_PATH,
            ORG_POLICY_PATH,
            "--role-name",
        ] {
            assert!(text.contains(part), "{part} missing from: {text}");
        }
    }
}
