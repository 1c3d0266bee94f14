//! The top of the Google Cloud collection: its options and the run that fills an inventory.

use super::{ancestry, api, auth, build, errors, rest, usage, workloads};
use crate::collect::counter::CallCounter;
use crate::collect::coverage::not_fully_read;
use crate::collect::progress::Progress;
use crate::inventory::{Coverage, CoverageStatus, Inventory, Provider};
use ancestry::{Ancestry, Inherited};
use anyhow::{anyhow, Context, Result};
use api::ActivityType;
use auth::AuthMethod;
use build::{AccountData, ProjectData};
use errors::ApiError;
use rest::{Rest, RetryPolicy};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct GcpOptions {
    pub auth: AuthMethod,
    /// Project ids or numbers; empty: every active project the login can list.
    pub projects: Vec<String>,
    /// Projects read at once. Default 4.
    pub concurrency: usize,
    /// Service accounts read at once within a project. Default 8.
    pub account_concurrency: usize,
    /// Also read which role bindings each account used (`--usage`: the IAM Recommender's
    /// policy insights, one call per project and page).
    pub usage: bool,
    pub retry: RetryPolicy,
    pub progress: Progress,
}

impl Default for GcpOptions {
    fn default() -> Self {
        GcpOptions {
            auth: AuthMethod::Auto,
            projects: Vec::new(),
            concurrency: 4,
            account_concurrency: 8,
            usage: false,
            retry: RetryPolicy::default(),
            progress: Progress::hidden(),
        }
    }
}

/// Collects the projects.
pub async fn collect(options: &GcpOptions) -> Result<Inventory> {
    let counter = CallCounter::default();
    let login = {
        let _phase = options.progress.spinner("gcp: signing in");
        auth::login(options.auth).await?
    };
    let description = login.description.clone();
    let rest = Rest::new(login, counter.clone(), options.retry)
        .context("cannot set up the HTTP client for Google Cloud")?;
    let mut inventory = Inventory::new();
    inventory.generated_at = Some(chrono::Utc::now());

    let projects = {
        let _phase = options.progress.spinner("gcp: listing projects");
        if options.projects.is_empty() {
            let projects = api::projects(&rest).await.map_err(|e| {
                anyhow!(
                    "cannot list the Google Cloud projects: {e}; or name them with \
                     --gcp-project ID"
                )
            })?;
            if projects.is_empty() {
                return Err(anyhow!(
                    "the Google Cloud login ({description}) sees no active project; name one \
                     with --gcp-project ID, or grant the login resourcemanager.projects.get"
                ));
            }
            projects
        } else {
            let mut found: Vec<api::Project> = Vec::new();
            for id in &options.projects {
                match api::project(&rest, id.trim()).await {
                    // A project named twice (by id and by number) is read once.
                    Ok(project) if found.iter().any(|p| p.name == project.name) => {}
                    Ok(project) => found.push(project),
                    Err(e) => inventory.coverage.push(Coverage {
                        target: format!("gcp:project:{}", id.trim()),
                        provider: Provider::Gcp,
                        status: CoverageStatus::Failed,
                        detail: Some(format!("the project could not be read: {e}")),
                    }),
                }
            }
            found
        }
    };

    let ancestry = {
        let _phase = options
            .progress
            .spinner("gcp: folders and organisation policies");
        Ancestry::read(&rest, &projects).await
    };
    let phase = options.progress.bar("gcp: projects", projects.len() as u64);
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, project) in projects.into_iter().enumerate() {
        let (rest, limit) = (rest.clone(), limit.clone());
        let account_concurrency = options.account_concurrency;
        let read_usage = options.usage;
        let inherited = ancestry.of(project.parent.as_deref());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let collected =
                collect_project(&rest, project, inherited, account_concurrency, read_usage).await;
            (index, collected)
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        phase.inc();
        match joined {
            Ok(outcome) => done.push(outcome),
            Err(e) => return Err(anyhow!("a GCP project task failed: {e}")),
        }
    }
    done.sort_by_key(|(index, _)| *index);
    let scanned = done.len();
    for (_, (data, coverage)) in done {
        let (identities, credentials) = build::build(&data);
        inventory.identities.extend(identities);
        inventory.credentials.extend(credentials);
        inventory.coverage.push(coverage);
    }
    inventory.sources.push(format!(
        "gcp: {scanned} project{} (signed in with {description})",
        if scanned == 1 { "" } else { "s" }
    ));
    inventory.api_calls = counter.snapshot();
    Ok(inventory)
}

/// Reads one project; what failed is in the coverage.
async fn collect_project(
    rest: &Rest,
    project: api::Project,
    inherited: Inherited,
    account_concurrency: usize,
    read_usage: bool,
) -> (ProjectData, Coverage) {
    let id = project.project_id.clone();
    let insights = async {
        match read_usage {
            true => Some(usage::policy_insights(rest, &id).await),
            false => None,
        }
    };
    let (policy, accounts, workloads, account_activity, key_activity, insights) = tokio::join!(
        api::project_policy(rest, &id),
        api::service_accounts(rest, &id),
        workloads::list_workloads(rest, &project),
        api::activities(rest, &id, ActivityType::ServiceAccount),
        api::activities(rest, &id, ActivityType::Key),
        insights,
    );
    let mut problems = Vec::new();
    // Asked for with --usage: a denial is a gap in what was asked, not a note.
    let insights = match insights {
        Some(Ok(insights)) => Some(insights),
        Some(Err(e)) => {
            problems.push(format!(
                "which roles each account used was not read (IAM policy insights, \
                 --usage): {e}"
            ));
            None
        }
        None => None,
    };
    let mut notes = inherited.notes;
    let policy = policy
        .map_err(|e| {
            problems.push(format!(
                "the project's IAM policy was not read (roles and project-wide \
                 impersonation unknown): {e}"
            ))
        })
        .ok();
    let (workloads, workload_notes) = workloads;
    notes.extend(workload_notes);
    let mut activity = |result: Result<Vec<api::Activity>, ApiError>, what: &str| match result {
        Ok(list) => Some(list),
        Err(e) => {
            notes.push(format!(
                "{what} last authentication not read (Activity Analyzer): {e}"
            ));
            None
        }
    };
    let account_activity = activity(account_activity, "service accounts'");
    let key_activity = activity(key_activity, "keys'");

    let accounts = match accounts {
        Ok(accounts) => accounts,
        Err(e) => {
            problems.insert(0, format!("the service accounts could not be listed: {e}"));
            let detail = problems
                .into_iter()
                .chain(notes)
                .collect::<Vec<_>>()
                .join("; ");
            return (
                ProjectData {
                    project,
                    policy,
                    inherited: inherited.policies,
                    accounts: Vec::new(),
                    workloads,
                    account_activity,
                    key_activity,
                    insights,
                },
                Coverage {
                    target: format!("gcp:project:{id}"),
                    provider: Provider::Gcp,
                    status: CoverageStatus::Failed,
                    detail: Some(detail),
                },
            );
        }
    };

    let limit = Arc::new(Semaphore::new(account_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, account) in accounts.into_iter().enumerate() {
        let (rest, limit, id) = (rest.clone(), limit.clone(), id.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let (keys, policy) = tokio::join!(
                api::keys(&rest, &id, &account.email),
                api::service_account_policy(&rest, &id, &account.email),
            );
            (index, account, keys, policy)
        });
    }
    let mut read = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(outcome) = joined {
            read.push(outcome);
        }
    }
    read.sort_by_key(|(index, ..)| *index);
    let mut account_problems = Vec::new();
    let mut data = Vec::new();
    for (_, account, keys, account_policy) in read {
        let mut errors = Vec::new();
        let keys = keys.map_err(|e| errors.push(format!("keys: {e}"))).ok();
        let account_policy = account_policy
            .map_err(|e| errors.push(format!("who may act as it: {e}")))
            .ok();
        if !errors.is_empty() {
            account_problems.push(format!("{}: {}", account.email, errors.join("; ")));
        }
        data.push(AccountData {
            account,
            keys,
            policy: account_policy,
        });
    }
    if !account_problems.is_empty() {
        problems.push(not_fully_read(
            &account_problems,
            data.len(),
            "service accounts",
        ));
    }
    let status = if problems.is_empty() {
        CoverageStatus::Scanned
    } else {
        CoverageStatus::Partial
    };
    let detail = problems.into_iter().chain(notes).collect::<Vec<_>>();
    (
        ProjectData {
            project,
            policy,
            inherited: inherited.policies,
            accounts: data,
            workloads,
            account_activity,
            key_activity,
            insights,
        },
        Coverage {
            target: format!("gcp:project:{id}"),
            provider: Provider::Gcp,
            status,
            detail: (!detail.is_empty()).then(|| detail.join("; ")),
        },
    )
}

/// [`collect`] for callers without an async runtime: builds one and waits. Must not be
/// called from inside a tokio runtime.
pub fn collect_blocking(options: &GcpOptions) -> Result<Inventory> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for the GCP collector")?;
    runtime.block_on(collect(options))
}
