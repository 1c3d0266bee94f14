//! Which granted services each user and role used, and when (`--usage`): IAM's service
//! last accessed data (the console's "Access Advisor").
//!
//! Per identity, one `GenerateServiceLastAccessedDetails` starts a job (it changes
//! nothing: it only asks IAM to compile its own records), then
//! `GetServiceLastAccessedDetails` is polled until the job completes (pages of 100
//! services). Every job is started first, with bounded concurrency, then all are polled
//! together, pausing between rounds (250 ms, doubling to 5 s) until the last completes or
//! [`AwsOptions::usage_timeout`](crate::collect::aws::AwsOptions) passes: AWS compiles
//! jobs side by side, so the whole account waits about as long as its slowest job.
//!
//! A denied call stops the collection at once (one coverage gap, not one per identity).
//! AWS records use for 400 days (`tracking_days`); a service not used in that window
//! has no `last_used`.
//!
//! [`narrow`] then keeps, for each service, the identity's policy statements restricted
//! to that service's actions: the material of a policy narrowed to the services in use.

use crate::collect::aws::effective::{Names, Statement};
use crate::collect::aws::errors::{api_error, ApiError, ErrorKind};
use crate::collect::aws::time;
use crate::inventory::{ServiceUse, Usage};
use aws_sdk_iam::types::{AccessAdvisorUsageGranularityType, JobStatusType};
use aws_sdk_iam::Client;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const GENERATE: &str = "iam:GenerateServiceLastAccessedDetails";
const GET: &str = "iam:GetServiceLastAccessedDetails";

/// How many days back AWS records service use.
pub const TRACKING_DAYS: u32 = 400;

/// What was read: usage by identity ARN, and what went wrong.
#[derive(Debug, Default)]
pub(super) struct UsageOutcome {
    pub by_arn: HashMap<String, Usage>,
    pub problems: Vec<String>,
}

/// Reads the service last accessed data of every ARN.
pub(super) async fn collect(
    iam: &Client,
    arns: Vec<String>,
    limit: &Arc<Semaphore>,
    timeout: Duration,
) -> UsageOutcome {
    let mut outcome = UsageOutcome::default();
    let (jobs, denied) = start_jobs(iam, arns, limit, &mut outcome.problems).await;
    if denied {
        return outcome;
    }
    let started = Instant::now();
    let mut pending = jobs;
    let mut pause = Duration::from_millis(250);
    while !pending.is_empty() {
        if started.elapsed() + pause > timeout {
            outcome.problems.push(format!(
                "service last accessed data of {} identities was not ready after {} s \
                 (their unused permissions are unknown): raise --usage-timeout",
                pending.len(),
                timeout.as_secs()
            ));
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
        let mut tasks = JoinSet::new();
        for (arn, job) in pending.drain() {
            let (iam, limit) = (iam.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire().await;
                let read = read_job(&iam, &job).await;
                (arn, job, read)
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((arn, job, Ok(None))) => {
                    pending.insert(arn, job);
                }
                Ok((arn, _, Ok(Some(usage)))) => {
                    outcome.by_arn.insert(arn, usage);
                }
                Ok((arn, _, Err(e))) => outcome
                    .problems
                    .push(format!("the service use of {arn} is unknown: {e}")),
                Err(e) => outcome
                    .problems
                    .push(format!("reading service last accessed data failed: {e}")),
            }
        }
    }
    outcome
}

/// Starts a job per ARN: the job ids by ARN, and whether a call was denied (then the
/// problem says so once, and nothing more is asked).
async fn start_jobs(
    iam: &Client,
    arns: Vec<String>,
    limit: &Arc<Semaphore>,
    problems: &mut Vec<String>,
) -> (HashMap<String, String>, bool) {
    let mut tasks = JoinSet::new();
    for arn in arns {
        let (iam, limit) = (iam.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let started = iam
                .generate_service_last_accessed_details()
                .arn(&arn)
                .granularity(AccessAdvisorUsageGranularityType::ServiceLevel)
                .send()
                .await
                .map_err(|e| api_error(GENERATE, e));
            (arn, started)
        });
    }
    let mut jobs = HashMap::new();
    let mut denied = false;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((arn, Ok(started))) => match started.job_id() {
                Some(id) => {
                    jobs.insert(arn, id.to_string());
                }
                None => problems.push(format!("{GENERATE} returned no job id for {arn}")),
            },
            Ok((_, Err(e))) if e.kind == ErrorKind::AccessDenied => {
                if !denied {
                    problems.push(format!(
                        "service last accessed data was not read, so unused permissions are \
                         unknown: {e}"
                    ));
                }
                denied = true;
                tasks.abort_all();
            }
            Ok((arn, Err(e))) => problems.push(format!("the service use of {arn} is unknown: {e}")),
            // Aborted after a denial, or a task that died.
            Err(e) if e.is_cancelled() => {}
            Err(e) => problems.push(format!("starting service last accessed jobs failed: {e}")),
        }
    }
    (jobs, denied)
}

/// The job's result once it completed (every page), `None` while it runs.
async fn read_job(iam: &Client, job: &str) -> Result<Option<Usage>, ApiError> {
    let mut services = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .get_service_last_accessed_details()
            .job_id(job)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| api_error(GET, e))?;
        match page.job_status() {
            JobStatusType::Completed => {}
            JobStatusType::Failed => {
                let why = page
                    .error()
                    .map(|e| format!("{}: {}", e.code(), e.message()))
                    .unwrap_or_else(|| "no reason given".into());
                return Err(ApiError {
                    operation: GET,
                    kind: ErrorKind::Other,
                    code: None,
                    detail: format!("the job failed ({why})"),
                });
            }
            _ => return Ok(None),
        }
        services.extend(page.services_last_accessed().iter().map(|s| ServiceUse {
            service: s.service_namespace().to_string(),
            name: Some(s.service_name().to_string()),
            last_used: s.last_authenticated().and_then(time::from_aws),
            used_within_days: None,
            region: s.last_authenticated_region().map(str::to_string),
            statements: Vec::new(),
        }));
        match page.marker() {
            Some(next) if page.is_truncated() => marker = Some(next.to_string()),
            _ => {
                return Ok(Some(Usage {
                    as_of: time::from_aws(page.job_completion_date()).unwrap_or_default(),
                    tracking_days: Some(TRACKING_DAYS),
                    services,
                }))
            }
        }
    }
}

/// Fills each service's `statements` from the identity's policies: every statement
/// that names the service's actions, with `Action` restricted to them (`*` becomes
/// `<service>:*`). A `NotAction` statement that excludes some of the service's actions
/// is kept as written (narrowing it would need the service's list of actions); one
/// that excludes none becomes `Action: <service>:*`, and one that excludes all of it is
/// left out. `Deny`s are kept alongside, so
/// that the narrowed policy never allows more than the identity's policies did.
pub(super) fn narrow(usage: &mut Usage, policies: &[&[Statement]]) {
    for service in &mut usage.services {
        let mut kept: Vec<Value> = Vec::new();
        for statement in policies.iter().flat_map(|p| p.iter()) {
            if let Some(narrowed) = for_service(statement, &service.service) {
                if !kept.contains(&narrowed) {
                    kept.push(narrowed);
                }
            }
        }
        service.statements = kept;
    }
}

/// `statement` restricted to `service`'s actions, as policy JSON; `None` when it names
/// none of them.
fn for_service(statement: &Statement, service: &str) -> Option<Value> {
    let touches = |pattern: &str| {
        let prefix = pattern.split(':').next().unwrap_or(pattern);
        crate::glob::matches_ignore_case(prefix, service)
    };
    let mut out = Map::new();
    out.insert(
        "Effect".into(),
        json!(if statement.allow { "Allow" } else { "Deny" }),
    );
    match &statement.actions {
        Names::Only(patterns) => {
            let actions: Vec<String> = patterns
                .iter()
                .filter(|p| touches(p))
                .map(|p| match p.split_once(':') {
                    Some((_, action)) => format!("{service}:{action}"),
                    None => format!("{service}:*"),
                })
                .collect();
            if actions.is_empty() {
                return None;
            }
            out.insert("Action".into(), json!(actions));
        }
        Names::AllBut(patterns) => {
            let whole_service = |p: &&String| {
                touches(p) && p.split_once(':').is_none_or(|(_, action)| action == "*")
            };
            if patterns.iter().any(|p| whole_service(&p)) {
                return None;
            }
            if patterns.iter().any(|p| touches(p)) {
                out.insert("NotAction".into(), json!(patterns));
            } else {
                out.insert("Action".into(), json!([format!("{service}:*")]));
            }
        }
    }
    match &statement.resources {
        Names::Only(patterns) => out.insert("Resource".into(), json!(patterns)),
        Names::AllBut(patterns) => out.insert("NotResource".into(), json!(patterns)),
    };
    if let Some(condition) = &statement.condition {
        out.insert("Condition".into(), Value::Object(condition.clone()));
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::aws::effective::parse;

    fn usage(services: &[&str]) -> Usage {
        Usage {
            as_of: chrono::DateTime::UNIX_EPOCH,
            tracking_days: Some(TRACKING_DAYS),
            services: services
                .iter()
                .map(|s| ServiceUse {
                    service: s.to_string(),
                    name: None,
                    last_used: None,
                    used_within_days: None,
                    region: None,
                    statements: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn each_service_keeps_only_its_own_actions_with_their_resources_and_conditions() {
        let reports = parse(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:Query", "S3:List*"],
             "Resource": "arn:aws:s3:::reports/*"},
            {"Effect": "Allow", "Action": "*", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ]}));
        let mut used = usage(&["s3", "sqs"]);
        narrow(&mut used, &[&reports]);
        assert_eq!(
            used.services[0].statements,
            vec![
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"],
                       "Resource": ["arn:aws:s3:::reports/*"]}),
                json!({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"],
                       "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
                json!({"Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["*"]}),
            ]
        );
        assert_eq!(
            used.services[1].statements,
            vec![
                json!({"Effect": "Allow", "Action": ["sqs:*"], "Resource": ["*"],
                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
            ]
        );
    }

    #[test]
    fn a_not_action_is_narrowed_only_when_it_spares_the_whole_service() {
        let policy = parse(&json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"], "NotResource": "arn:x"},
        ]}));
        let mut used = usage(&["sqs", "s3", "iam"]);
        narrow(&mut used, &[&policy]);
        assert_eq!(
            used.services[0].statements,
            vec![json!({"Effect": "Allow", "Action": ["sqs:*"], "NotResource": ["arn:x"]})]
        );
        // Written out, S3 minus Delete* would need S3's list of actions: kept as it was.
        assert_eq!(
            used.services[1].statements,
            vec![
                json!({"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"],
                        "NotResource": ["arn:x"]})
            ]
        );
        // `NotAction: iam:*` grants nothing of IAM.
        assert_eq!(used.services[2].statements, Vec::<Value>::new());
    }
}
