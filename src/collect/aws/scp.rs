//! Service control policies (`--org`): the SCPs on each account's path from the
//! organisation's root, read once per OU and per policy, as limits on what the account's
//! identities may do (see [`super::effective`]).
//!
//! AWS allows an action in a member account only if an SCP attached at *every* level of
//! its path (the root, each OU down to the account, the account itself) allows it, and
//! no SCP at any level denies it. So each level's SCPs together are one limit. SCPs do
//! not apply to the management account, nor to service-linked roles.
//!
//! Calls: `organizations:ListRoots` once (are SCPs enabled? which account manages the
//! organisation?); per account `ListParents` and `ListPoliciesForTarget`; per OU on the
//! way up the same two, once however many accounts it holds; `DescribePolicy` once per
//! customer SCP (the AWS managed `FullAWSAccess` is known: allow everything).

use super::effective::{self, Statement};
use super::errors::{api_error, ApiError};
use super::iam_policy;
use aws_sdk_organizations::types::{ParentType, PolicyType, PolicyTypeStatus};
use aws_sdk_organizations::Client;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The id of the AWS managed SCP that allows every action.
const FULL_AWS_ACCESS: &str = "p-FullAWSAccess";

/// The SCPs attached at one level of an account's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScpLevel {
    /// `root r-1a2b`, `OU ou-1a2b-3c4d5e6f`, `account 111122223333`.
    pub target: String,
    /// The SCPs' names, as attached.
    pub policies: Vec<String>,
    /// Their statements together.
    pub statements: Arc<Vec<Statement>>,
}

/// The SCP levels that limit one member account's identities, root first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceControl {
    pub levels: Vec<ScpLevel>,
}

impl ServiceControl {
    /// `root r-1a2b: FullAWSAccess, deny-leave` per level, for evidence.
    pub fn describe(&self) -> Vec<String> {
        self.levels
            .iter()
            .map(|l| format!("{}: {}", l.target, l.policies.join(", ")))
            .collect()
    }
}

/// A customer SCP: its name and statements.
#[derive(Clone)]
struct ScpDocument {
    name: String,
    statements: Arc<Vec<Statement>>,
}

/// Values computed at most once per key, however many tasks ask at the same time. A
/// failed computation is not kept: the next task asks again.
struct Memo<T> {
    cells: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T: Clone> Memo<T> {
    fn new() -> Self {
        Memo {
            cells: Mutex::new(HashMap::new()),
        }
    }

    async fn get<F, Fut>(&self, key: &str, compute: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let cell = {
            let mut cells = match self.cells.lock() {
                Ok(cells) => cells,
                Err(poisoned) => poisoned.into_inner(),
            };
            cells.entry(key.to_string()).or_default().clone()
        };
        cell.get_or_try_init(compute).await.cloned()
    }
}

/// Reads the SCPs of the organisation's accounts through one Organizations client,
/// sharing what several accounts have in common.
pub struct ScpReader {
    client: Client,
    /// Whether the SCP policy type is enabled on the root: if not, SCPs limit nothing.
    enabled: bool,
    /// The management account, which SCPs never limit.
    management_account: Option<String>,
    parents: Memo<(String, ChildKind)>,
    attached: Memo<Vec<(String, String, bool)>>,
    documents: Memo<ScpDocument>,
    /// Problems reading a policy document (it then counts as allowing everything, which
    /// can only make findings more, not fewer).
    pub problems: Mutex<Vec<String>>,
}

/// An answer AWS should never give.
fn unexpected(operation: &'static str, detail: String) -> ApiError {
    ApiError {
        operation,
        kind: super::errors::ErrorKind::Other,
        code: None,
        detail,
    }
}

/// What a parent is: the root ends the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChildKind {
    Root,
    Unit,
}

impl ScpReader {
    /// Asks the organisation's root whether SCPs are enabled and who manages it.
    pub async fn new(client: Client) -> Result<ScpReader, ApiError> {
        let roots = client
            .list_roots()
            .send()
            .await
            .map_err(|e| api_error("organizations:ListRoots", e))?;
        let root = roots.roots().first();
        let enabled = root.is_some_and(|r| {
            r.policy_types().iter().any(|t| {
                t.r#type() == Some(&PolicyType::ServiceControlPolicy)
                    && t.status() == Some(&PolicyTypeStatus::Enabled)
            })
        });
        // arn:aws:organizations::<management account>:root/o-.../r-...
        let management_account = root
            .and_then(|r| r.arn())
            .and_then(|arn| arn.split(':').nth(4))
            .filter(|id| !id.is_empty())
            .map(str::to_string);
        Ok(ScpReader {
            client,
            enabled,
            management_account,
            parents: Memo::new(),
            attached: Memo::new(),
            documents: Memo::new(),
            problems: Mutex::new(Vec::new()),
        })
    }

    /// Whether SCPs limit anything in this organisation.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The SCP levels of `account`, root first; `None` when none apply (SCPs are not
    /// enabled, or it is the management account).
    pub async fn for_account(&self, account: &str) -> Result<Option<ServiceControl>, ApiError> {
        if !self.enabled || self.management_account.as_deref() == Some(account) {
            return Ok(None);
        }
        let mut levels = vec![self.level(account, format!("account {account}")).await?];
        let mut child = account.to_string();
        // An organisation nests OUs at most five deep; a longer path is a loop.
        for _ in 0..8 {
            let (parent, kind) = self.parent(&child).await?;
            let label = match kind {
                ChildKind::Root => format!("root {parent}"),
                ChildKind::Unit => format!("OU {parent}"),
            };
            levels.push(self.level(&parent, label).await?);
            if kind == ChildKind::Root {
                levels.reverse();
                return Ok(Some(ServiceControl { levels }));
            }
            child = parent;
        }
        Err(unexpected(
            "organizations:ListParents",
            format!(
                "the path of account {account} to the root is longer than any organisation allows"
            ),
        ))
    }

    async fn parent(&self, child: &str) -> Result<(String, ChildKind), ApiError> {
        self.parents
            .get(child, || async {
                let out = self
                    .client
                    .list_parents()
                    .child_id(child)
                    .send()
                    .await
                    .map_err(|e| api_error("organizations:ListParents", e))?;
                let parent = out.parents().first().ok_or_else(|| {
                    unexpected(
                        "organizations:ListParents",
                        format!("{child} has no parent"),
                    )
                })?;
                let kind = match parent.r#type() {
                    Some(ParentType::OrganizationalUnit) => ChildKind::Unit,
                    _ => ChildKind::Root,
                };
                Ok((parent.id().unwrap_or_default().to_string(), kind))
            })
            .await
    }

    /// One level: the SCPs attached to `target` and their statements together.
    async fn level(&self, target: &str, label: String) -> Result<ScpLevel, ApiError> {
        let attached = self
            .attached
            .get(target, || async {
                let mut found = Vec::new();
                let mut pages = self
                    .client
                    .list_policies_for_target()
                    .target_id(target)
                    .filter(PolicyType::ServiceControlPolicy)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page =
                        page.map_err(|e| api_error("organizations:ListPoliciesForTarget", e))?;
                    for p in page.policies() {
                        found.push((
                            p.id().unwrap_or_default().to_string(),
                            p.name().unwrap_or_default().to_string(),
                            p.aws_managed(),
                        ));
                    }
                }
                Ok(found)
            })
            .await?;
        let mut names = Vec::new();
        let mut statements = Vec::new();
        for (id, name, aws_managed) in attached {
            if aws_managed && id == FULL_AWS_ACCESS {
                names.push(name);
                statements.push(Statement::allow_all());
                continue;
            }
            let document = self.document(&id, &name).await?;
            names.push(document.name);
            statements.extend(document.statements.iter().cloned());
        }
        Ok(ScpLevel {
            target: label,
            policies: names,
            statements: Arc::new(statements),
        })
    }

    async fn document(&self, id: &str, name: &str) -> Result<ScpDocument, ApiError> {
        self.documents
            .get(id, || async {
                let out = self
                    .client
                    .describe_policy()
                    .policy_id(id)
                    .send()
                    .await
                    .map_err(|e| api_error("organizations:DescribePolicy", e))?;
                let content = out.policy().and_then(|p| p.content()).unwrap_or_default();
                let statements = match iam_policy::parse_document(content) {
                    Ok(value) => effective::parse(&value),
                    Err(e) => {
                        self.note(format!(
                            "SCP {name} ({id}) is unreadable, so it was counted as allowing \
                             everything: {e:#}"
                        ));
                        vec![Statement::allow_all()]
                    }
                };
                Ok(ScpDocument {
                    name: name.to_string(),
                    statements: Arc::new(statements),
                })
            })
            .await
    }

    fn note(&self, problem: String) {
        match self.problems.lock() {
            Ok(mut problems) => problems.push(problem),
            Err(poisoned) => poisoned.into_inner().push(problem),
        }
    }
}
