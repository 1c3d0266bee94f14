//! The top of the Azure collection: its options and the run that fills an inventory.

use super::{arm, auth, build, errors, keyvault, msgraph, rest};
use crate::collect::counter::CallCounter;
use crate::collect::progress::Progress;
use crate::inventory::{Coverage, CoverageStatus, Inventory, Provider, Scope, ScopeKind};
use anyhow::{Context, Result};
pub use auth::AuthMethod;
use build::{Directory, SubscriptionData};
use errors::ApiError;
use rest::{Endpoints, Rest, RetryPolicy};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to log in and what to scan.
#[derive(Debug, Clone)]
pub struct AzureOptions {
    pub auth: AuthMethod,
    /// The tenant to log in to; default the login's own.
    pub tenant: Option<String>,
    /// Subscriptions to scan; empty: every subscription the login can list.
    pub subscriptions: Vec<String>,
    /// List Key Vault secrets, keys and certificates (properties only). Default true.
    pub key_vault: bool,
    /// Record which kind of its permissions each application used (`--usage`: from the
    /// sign-in activity report already read; no extra call).
    pub usage: bool,
    pub endpoints: Endpoints,
    /// Subscriptions and vaults read at once. Default 8.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub progress: Progress,
}

impl Default for AzureOptions {
    fn default() -> Self {
        AzureOptions {
            auth: AuthMethod::Auto,
            tenant: None,
            subscriptions: Vec::new(),
            key_vault: true,
            usage: false,
            endpoints: Endpoints::default(),
            concurrency: 8,
            // Graph throttles readily: one attempt more than the other REST collectors.
            retry: RetryPolicy {
                max_attempts: 6,
                ..RetryPolicy::default()
            },
            progress: Progress::hidden(),
        }
    }
}

/// Collects the tenant of the login and the subscriptions it can see.
pub async fn collect(options: &AzureOptions) -> Result<Inventory> {
    let counter = CallCounter::default();
    let signing_in = options.progress.spinner("azure: signing in");
    let arm_scope = format!("{}/.default", options.endpoints.arm.trim_end_matches('/'));
    let login = auth::login(options.auth, options.tenant.as_deref(), &arm_scope).await?;
    drop(signing_in);
    let rest = Rest::new(
        login.credential.clone(),
        options.endpoints.clone(),
        counter.clone(),
        options.retry,
    )
    .context("cannot set up the HTTP client for Azure")?;

    let organization = msgraph::organization(&rest).await;
    let (directory, subscriptions) = tokio::join!(
        async {
            let _phase = options
                .progress
                .spinner("azure: applications and service principals");
            collect_directory(&rest, options.usage).await
        },
        collect_subscriptions(&rest, options),
    );
    let (listed_subscriptions, subscription_results) = subscriptions;

    let tenant_id = match &organization {
        Ok(org) => org.id.clone(),
        Err(_) => options
            .tenant
            .clone()
            .or_else(|| {
                subscription_results
                    .iter()
                    .find_map(|(s, _)| s.data.subscription.tenant_id.clone())
            })
            .unwrap_or_else(|| "unknown-tenant".into()),
    };
    let scope = Scope {
        kind: ScopeKind::Tenant,
        id: tenant_id.clone().into(),
        name: organization
            .as_ref()
            .ok()
            .and_then(msgraph::Organization::label)
            .map(Into::into),
    };
    let mut inventory = Inventory::new();
    inventory.generated_at = Some(chrono::Utc::now());
    inventory.sources.push(format!(
        "azure:{tenant_id} (signed in with {})",
        login.method.as_str()
    ));

    let (directory, directory_coverage) = directory;
    inventory.coverage.push(Coverage {
        target: format!("azure:{tenant_id}:directory"),
        ..directory_coverage
    });
    if let Err(e) = &listed_subscriptions {
        inventory.coverage.push(Coverage {
            target: format!("azure:{tenant_id}:subscriptions"),
            provider: Provider::Azure,
            status: CoverageStatus::Failed,
            detail: Some(format!("the subscriptions could not be listed: {e}")),
        });
    }
    let mut data = Vec::new();
    for (subscription, contents) in subscription_results {
        inventory.coverage.push(subscription.coverage);
        data.push((subscription.data, contents));
    }
    let vaults: Vec<(arm::Vault, String)> = data
        .iter()
        .flat_map(|(d, vaults)| {
            vaults
                .iter()
                .map(move |v| (v.clone(), d.subscription.subscription_id.clone()))
        })
        .collect();
    let data: Vec<SubscriptionData> = data.into_iter().map(|(d, _)| d).collect();

    let usage_as_of = options.usage.then(chrono::Utc::now);
    let built = build::build(&scope, &directory, &data, usage_as_of);
    if built.first_party_skipped > 0 {
        if let Some(coverage) = inventory
            .coverage
            .iter_mut()
            .find(|c| c.target.ends_with(":directory"))
        {
            let note = format!(
                "{} Microsoft first-party service principals without credentials or role \
                 assignments left out",
                built.first_party_skipped
            );
            coverage.detail = Some(match coverage.detail.take() {
                Some(detail) => format!("{detail}; {note}"),
                None => note,
            });
        }
    }
    inventory.identities = built.identities;
    inventory.credentials = built.credentials;

    if options.key_vault {
        let results = collect_vaults(&vaults, &scope, &login, &counter, options).await;
        for (coverage, credentials) in results {
            inventory.coverage.push(coverage);
            inventory.credentials.extend(credentials);
        }
    }
    inventory.api_calls = counter.snapshot();
    Ok(inventory)
}

/// Applications, service principals, Graph permissions and sign-in activity, with the
/// directory's coverage (target filled in by the caller). With `usage` (`--usage`), sign-in
/// activity not read is a gap, not a note: what was asked for is missing.
async fn collect_directory(rest: &Rest, usage: bool) -> (Directory, Coverage) {
    let (applications, service_principals, grants, sign_ins) = tokio::join!(
        msgraph::applications(rest),
        msgraph::service_principals(rest),
        msgraph::graph_grants(rest),
        msgraph::sign_in_activities(rest),
    );
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut directory = Directory::default();
    let mut listed = 0;
    match applications {
        Ok(v) => {
            directory.applications = v;
            listed += 1;
        }
        Err(e) => problems.push(format!("app registrations were not listed: {e}")),
    }
    match service_principals {
        Ok(v) => {
            directory.service_principals = v;
            listed += 1;
        }
        Err(e) => problems.push(format!("service principals were not listed: {e}")),
    }
    directory.listed = listed == 2;
    match grants {
        Ok(g) => directory.grants = Some(g),
        Err(e) => problems.push(format!(
            "application permissions on Microsoft Graph are unknown: {e}"
        )),
    }
    match sign_ins {
        Ok(s) => directory.sign_ins = Some(s),
        Err(e) if usage => problems.push(format!(
            "sign-in activity is not available, so last use and which permissions each \
             application used (--usage) are unknown: {e}"
        )),
        // Not a gap in the inventory: activity is then unknown, and said so.
        Err(e) => notes.push(format!(
            "sign-in activity is not available, so last use is unknown: {e}"
        )),
    }
    let status = match (listed, problems.is_empty()) {
        (0, _) => CoverageStatus::Failed,
        (2, true) => CoverageStatus::Scanned,
        _ => CoverageStatus::Partial,
    };
    problems.extend(notes);
    let coverage = Coverage {
        target: String::new(),
        provider: Provider::Azure,
        status,
        detail: (!problems.is_empty()).then(|| problems.join("; ")),
    };
    (directory, coverage)
}

/// One subscription's result: its data and coverage.
struct SubscriptionOutcome {
    data: SubscriptionData,
    coverage: Coverage,
}

type SubscriptionsResult = (
    Result<Vec<arm::Subscription>, ApiError>,
    Vec<(SubscriptionOutcome, Vec<arm::Vault>)>,
);

/// The subscriptions to scan, each read concurrently (bounded).
async fn collect_subscriptions(rest: &Rest, options: &AzureOptions) -> SubscriptionsResult {
    let listing = {
        let _phase = options.progress.spinner("azure: listing subscriptions");
        arm::subscriptions(rest).await
    };
    let mut chosen: Vec<arm::Subscription> = match &listing {
        Ok(all) if options.subscriptions.is_empty() => all.clone(),
        Ok(all) => options
            .subscriptions
            .iter()
            .map(|wanted| {
                all.iter()
                    .find(|s| {
                        s.subscription_id.eq_ignore_ascii_case(wanted)
                            || s.display_name.as_deref() == Some(wanted.as_str())
                    })
                    .cloned()
                    .unwrap_or_else(|| named(wanted))
            })
            .collect(),
        Err(_) => options.subscriptions.iter().map(|s| named(s)).collect(),
    };
    chosen.sort_by(|a, b| a.subscription_id.cmp(&b.subscription_id));
    chosen.dedup_by(|a, b| a.subscription_id == b.subscription_id);

    let phase = options
        .progress
        .bar("azure: subscriptions", chosen.len() as u64);
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, subscription) in chosen.into_iter().enumerate() {
        let (rest, limit) = (rest.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            (index, read_subscription(&rest, subscription).await)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        phase.inc();
        if let Ok(outcome) = joined {
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by_key(|(index, _)| *index);
    (
        listing,
        outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
    )
}

fn named(id: &str) -> arm::Subscription {
    arm::Subscription {
        subscription_id: id.to_string(),
        display_name: None,
        state: None,
        tenant_id: None,
    }
}

async fn read_subscription(
    rest: &Rest,
    subscription: arm::Subscription,
) -> (SubscriptionOutcome, Vec<arm::Vault>) {
    let id = subscription.subscription_id.clone();
    let label = match &subscription.display_name {
        Some(name) => format!("{id} ({name})"),
        None => id.clone(),
    };
    let target = format!("azure:subscription:{id}");
    if let Some(state) = subscription.state.as_deref() {
        if !matches!(state, "Enabled" | "PastDue" | "Warned") {
            let coverage = Coverage {
                target,
                provider: Provider::Azure,
                status: CoverageStatus::Skipped,
                detail: Some(format!("subscription {label} is {state}")),
            };
            return (empty(subscription, coverage), Vec::new());
        }
    }
    let contents = arm::subscription_contents(rest, &id).await;
    let status = match contents.errors.len() {
        0 => CoverageStatus::Scanned,
        4 => CoverageStatus::Failed,
        _ => CoverageStatus::Partial,
    };
    let detail = (!contents.errors.is_empty()).then(|| {
        let errors: Vec<String> = contents.errors.iter().map(ToString::to_string).collect();
        format!("subscription {label}: {}", errors.join("; "))
    });
    let outcome = SubscriptionOutcome {
        data: SubscriptionData {
            subscription,
            identities: contents.identities,
            assignments: contents.assignments,
            roles: contents.roles,
        },
        coverage: Coverage {
            target,
            provider: Provider::Azure,
            status,
            detail,
        },
    };
    (outcome, contents.vaults)
}

fn empty(subscription: arm::Subscription, coverage: Coverage) -> SubscriptionOutcome {
    SubscriptionOutcome {
        data: SubscriptionData {
            subscription,
            identities: Vec::new(),
            assignments: Vec::new(),
            roles: Vec::new(),
        },
        coverage,
    }
}

/// Every vault's items, vaults concurrently (bounded), in the order given.
async fn collect_vaults(
    vaults: &[(arm::Vault, String)],
    scope: &Scope,
    login: &auth::Login,
    counter: &CallCounter,
    options: &AzureOptions,
) -> Vec<(Coverage, Vec<crate::inventory::Credential>)> {
    let phase = options
        .progress
        .bar("azure: Key Vaults", vaults.len() as u64);
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, (vault, subscription)) in vaults.iter().cloned().enumerate() {
        let (scope, credential, counter, limit) = (
            scope.clone(),
            login.credential.clone(),
            counter.clone(),
            limit.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let target = format!("azure:keyvault:{}", vault.name);
            let Some(uri) = vault.properties.as_ref().and_then(|p| p.vault_uri.clone()) else {
                let coverage = Coverage {
                    target,
                    provider: Provider::Azure,
                    status: CoverageStatus::Skipped,
                    detail: Some("ARM gave no vault URI".into()),
                };
                return (index, (coverage, Vec::new()));
            };
            let result =
                keyvault::collect_vault(&vault, &uri, &subscription, &scope, credential, &counter)
                    .await;
            let status = match result.errors.len() {
                0 => CoverageStatus::Scanned,
                3 => CoverageStatus::Failed,
                _ => CoverageStatus::Partial,
            };
            let detail = (!result.errors.is_empty()).then(|| {
                let errors: Vec<String> = result.errors.iter().map(ToString::to_string).collect();
                format!("vault {} ({uri}): {}", vault.name, errors.join("; "))
            });
            let coverage = Coverage {
                target,
                provider: Provider::Azure,
                status,
                detail,
            };
            (index, (coverage, result.credentials))
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        phase.inc();
        if let Ok(outcome) = joined {
            done.push(outcome);
        }
    }
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, outcome)| outcome).collect()
}

/// [`collect`] for callers without an async runtime: builds one and waits. Must not be
/// called from inside a tokio runtime.
pub fn collect_blocking(options: &AzureOptions) -> Result<Inventory> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for the Azure collector")?;
    runtime.block_on(collect(options))
}
