//! The top of the GitHub collection: its options and the run that fills an inventory.

use super::{api, auth, build, errors, rest};
use crate::collect::counter::CallCounter;
use crate::collect::coverage::not_fully_read;
use crate::collect::progress::Progress;
use crate::inventory::{Coverage, CoverageStatus, Inventory, Provider, Scope, ScopeKind};
use anyhow::{anyhow, Context, Result};
use build::{OrgData, RepoData};
use errors::{ApiError, ErrorKind};
use rest::{Rest, RetryPolicy};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct GithubOptions {
    /// The organisation's login.
    pub org: String,
    /// The REST API: `https://api.github.com`, or `https://HOST/api/v3` for GitHub
    /// Enterprise Server.
    pub api: String,
    /// Repositories read at once. Default 8.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub progress: Progress,
}

impl Default for GithubOptions {
    fn default() -> Self {
        GithubOptions {
            org: String::new(),
            api: rest::DEFAULT_API.into(),
            concurrency: 8,
            retry: RetryPolicy::default(),
            progress: Progress::hidden(),
        }
    }
}

/// Collects the organisation.
pub async fn collect(options: &GithubOptions) -> Result<Inventory> {
    let org_login = options.org.trim();
    if org_login.is_empty() {
        return Err(anyhow!(
            "no GitHub organisation: give --github-org ORG (or NHISCAN_GITHUB_ORG)"
        ));
    }
    let counter = CallCounter::default();
    let login = auth::login(&options.api)?;
    let rest = Rest::new(
        login.token.clone(),
        &options.api,
        counter.clone(),
        options.retry,
    )
    .context("cannot set up the HTTP client for GitHub")?;
    let organization = {
        let _phase = options
            .progress
            .spinner(format!("github: organisation {org_login}"));
        api::organization(&rest, org_login)
            .await
            .map_err(|e| organization_error(e, org_login, &options.api))?
    };
    let org = organization.login.clone();
    let scope = Scope {
        kind: ScopeKind::Organization,
        id: org.clone().into(),
        name: organization
            .name
            .clone()
            .filter(|n| n != &org)
            .map(Into::into),
    };

    let (org_part, repos_part) = tokio::join!(
        async {
            let _phase = options
                .progress
                .spinner("github: apps, organisation secrets, token grants");
            collect_org(&rest, &org).await
        },
        collect_repos(&rest, &org, options),
    );
    let mut inventory = Inventory::new();
    inventory.generated_at = Some(chrono::Utc::now());
    let OrgPart {
        installations,
        secrets,
        variables: org_variables,
        grants,
        coverage: org_coverage,
    } = org_part;
    let RepoPart {
        repos,
        variables: repo_variables,
        coverage: repos_coverage,
    } = repos_part;
    inventory.sources.push(format!(
        "github:{org} ({} with a token from {}; {} repositories; Actions variables, names \
         only: {} organisation, {} repository)",
        rest.base(),
        login.source,
        repos.len(),
        org_variables,
        repo_variables
    ));
    inventory.coverage.push(Coverage {
        target: format!("github:{org}:organization"),
        ..org_coverage
    });
    inventory.coverage.push(Coverage {
        target: format!("github:{org}:repositories"),
        ..repos_coverage
    });
    let built = build::build(
        &scope,
        &OrgData {
            installations,
            secrets,
            grants,
            repos,
        },
    );
    inventory.identities = built.identities;
    inventory.credentials = built.credentials;
    inventory.api_calls = counter.snapshot();
    Ok(inventory)
}

/// The organisation itself could not be read: nothing else can be.
fn organization_error(error: ApiError, org: &str, api: &str) -> anyhow::Error {
    match error.kind {
        ErrorKind::NotFound => anyhow!(
            "GitHub organisation `{org}` not found at {api}, or not visible to the token \
             ({error}); check --github-org and --github-api"
        ),
        _ => anyhow!("cannot read the GitHub organisation `{org}`: {error}"),
    }
}

/// What the organisation-level calls gave.
struct OrgPart {
    installations: Vec<api::Installation>,
    secrets: Vec<api::Secret>,
    variables: usize,
    grants: Vec<api::TokenGrant>,
    /// Target filled in by the caller.
    coverage: Coverage,
}

async fn collect_org(rest: &Rest, org: &str) -> OrgPart {
    let (installations, secrets, variables, grants) = tokio::join!(
        api::installations(rest, org),
        api::org_secrets(rest, org),
        api::org_variables(rest, org),
        api::token_grants(rest, org),
    );
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut part = OrgPart {
        installations: Vec::new(),
        secrets: Vec::new(),
        variables: 0,
        grants: Vec::new(),
        coverage: Coverage {
            target: String::new(),
            provider: Provider::Github,
            status: CoverageStatus::Scanned,
            detail: None,
        },
    };
    let mut read = 0;
    match installations {
        Ok(v) => {
            part.installations = v;
            read += 1;
        }
        Err(e) => problems.push(format!("GitHub App installations were not listed: {e}")),
    }
    match secrets {
        Ok(v) => {
            part.secrets = v;
            read += 1;
        }
        Err(e) => problems.push(format!("organisation Actions secrets were not listed: {e}")),
    }
    match variables {
        Ok(v) => {
            part.variables = v.len();
            read += 1;
        }
        Err(e) => problems.push(format!(
            "organisation Actions variables were not listed: {e}"
        )),
    }
    match grants {
        Ok(v) => part.grants = v,
        // Only a GitHub App may list them: a personal token's denial is expected.
        Err(e) if e.is_denied() => notes.push(format!(
            "fine-grained personal access tokens granted to the organisation are not listed \
             (only a GitHub App with Personal access tokens: read may list them): {e}"
        )),
        Err(e) => problems.push(format!(
            "fine-grained personal access token grants were not listed: {e}"
        )),
    }
    part.coverage.status = match (read, problems.is_empty()) {
        (0, _) => CoverageStatus::Failed,
        (_, true) => CoverageStatus::Scanned,
        _ => CoverageStatus::Partial,
    };
    problems.extend(notes);
    part.coverage.detail = (!problems.is_empty()).then(|| problems.join("; "));
    part
}

/// What the repositories gave.
struct RepoPart {
    repos: Vec<RepoData>,
    variables: usize,
    coverage: Coverage,
}

async fn collect_repos(rest: &Rest, org: &str, options: &GithubOptions) -> RepoPart {
    let listing = {
        let _phase = options.progress.spinner("github: listing repositories");
        api::repositories(rest, org).await
    };
    let repositories = match listing {
        Ok(repositories) => repositories,
        Err(e) => {
            return RepoPart {
                repos: Vec::new(),
                variables: 0,
                coverage: Coverage {
                    target: String::new(),
                    provider: Provider::Github,
                    status: CoverageStatus::Failed,
                    detail: Some(format!("the repositories could not be listed: {e}")),
                },
            }
        }
    };
    let phase = options
        .progress
        .bar("github: repositories", repositories.len() as u64);
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, repo) in repositories.into_iter().enumerate() {
        let (rest, limit) = (rest.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let (keys, secrets, variables) = tokio::join!(
                api::deploy_keys(&rest, &repo),
                api::repo_secrets(&rest, &repo),
                api::repo_variables(&rest, &repo),
            );
            (index, repo, keys, secrets, variables)
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        phase.inc();
        if let Ok(outcome) = joined {
            done.push(outcome);
        }
    }
    done.sort_by_key(|(index, ..)| *index);
    let mut repos = Vec::new();
    let mut variables = 0;
    let mut problems = Vec::new();
    for (_, repo, keys, secrets, listed_variables) in done {
        let mut errors = Vec::new();
        let keys = keys.map_err(|e| errors.push(e)).ok();
        let secrets = secrets.map_err(|e| errors.push(e)).ok();
        match listed_variables {
            Ok(v) => variables += v.len(),
            Err(e) => errors.push(e),
        }
        if !errors.is_empty() {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            problems.push(format!("{}: {}", repo.full_name, errors.join("; ")));
        }
        repos.push(RepoData {
            repo,
            keys,
            secrets,
        });
    }
    let status = if problems.is_empty() {
        CoverageStatus::Scanned
    } else {
        CoverageStatus::Partial
    };
    let detail =
        (!problems.is_empty()).then(|| not_fully_read(&problems, repos.len(), "repositories"));
    RepoPart {
        repos,
        variables,
        coverage: Coverage {
            target: String::new(),
            provider: Provider::Github,
            status,
            detail,
        },
    }
}

/// [`collect`] for callers without an async runtime: builds one and waits. Must not be
/// called from inside a tokio runtime.
pub fn collect_blocking(options: &GithubOptions) -> Result<Inventory> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for the GitHub collector")?;
    runtime.block_on(collect(options))
}
