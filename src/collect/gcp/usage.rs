//! Which of its role bindings each service account used (`--usage`): the IAM
//! Recommender's policy insights (`google.iam.policy.Insight`, subtype
//! `PERMISSIONS_USAGE`), one per binding of a role to a member on the project, with the
//! permissions the member exercised in the observation period (90 days).
//!
//! Each binding becomes one [`ServiceUse`] named by its role: used when any permission was
//! exercised (`used_within_days`: the observation period; Google does not say when), else
//! unused for the whole period. Its statement lists the permissions exercised and those
//! the recommender infers are needed: what a custom role narrowed to the use would hold.
//! Only the project's own bindings have project insights; roles inherited from folders and
//! the organisation are not judged. Policy insights need the Recommender API and, since
//! 2024, Security Command Center Premium or Enterprise on the project or organisation.

use super::api::segment;
use super::errors::ApiError;
use super::rest::{Rest, RECOMMENDER};
use crate::inventory::{ServiceUse, Usage};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// One policy insight, the parts read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInsight {
    #[serde(default)]
    pub content: InsightContent,
    /// When the recommender last computed it: the end of the observation period.
    #[serde(default)]
    pub last_refresh_time: Option<String>,
    /// A protobuf duration, `7776000s`.
    #[serde(default)]
    pub observation_period: Option<String>,
    /// The resource the binding is on (`//cloudresourcemanager.googleapis.com/projects/123`).
    #[serde(default)]
    pub target_resources: Vec<String>,
    #[serde(default)]
    pub insight_subtype: Option<String>,
}

/// The binding an insight is about and what of it was used.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightContent {
    #[serde(default)]
    pub role: String,
    /// `serviceAccount:EMAIL`, `user:...`.
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub condition: Option<InsightCondition>,
    #[serde(default)]
    pub exercised_permissions: Vec<Permission>,
    #[serde(default)]
    pub inferred_permissions: Vec<Permission>,
    /// A decimal string (an int64 in JSON).
    #[serde(default)]
    pub current_total_permissions_count: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InsightCondition {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub expression: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Permission {
    pub permission: String,
}

#[derive(Debug, Deserialize)]
struct InsightsPage {
    #[serde(default)]
    insights: Vec<PolicyInsight>,
}

/// Every permissions-usage insight of the project's bindings.
pub async fn policy_insights(
    rest: &Rest,
    project_id: &str,
) -> Result<Vec<PolicyInsight>, ApiError> {
    let pages: Vec<InsightsPage> = rest
        .pages(
            "recommender:insights.list",
            &format!(
                "{RECOMMENDER}/v1/projects/{}/locations/global/insightTypes/google.iam.policy.Insight/insights?filter=insightSubtype%20%3D%20PERMISSIONS_USAGE&pageSize=1000",
                segment(project_id)
            ),
        )
        .await?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.insights)
        .filter(|i| {
            i.insight_subtype.as_deref().unwrap_or("PERMISSIONS_USAGE") == "PERMISSIONS_USAGE"
        })
        .collect())
}

/// The usage of each service account (by lower-case email) that has insights.
pub fn usage_by_account(insights: &[PolicyInsight]) -> HashMap<String, Usage> {
    let mut by_account: HashMap<String, Usage> = HashMap::new();
    for insight in insights {
        let Some(email) = insight
            .content
            .member
            .split_once(':')
            .filter(|(kind, _)| kind.eq_ignore_ascii_case("serviceAccount"))
            .map(|(_, email)| email.to_lowercase())
        else {
            continue;
        };
        let Some(refreshed) = insight
            .last_refresh_time
            .as_deref()
            .and_then(crate::inventory::time::parse)
        else {
            continue;
        };
        let days = insight.observation_period.as_deref().and_then(period_days);
        let usage = by_account.entry(email).or_insert_with(|| Usage {
            as_of: refreshed,
            tracking_days: days,
            services: Vec::new(),
        });
        usage.as_of = usage.as_of.max(refreshed);
        // The shortest period any insight covers is what all of them cover.
        usage.tracking_days = match (usage.tracking_days, days) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        usage.services.push(binding_use(insight, days));
    }
    for usage in by_account.values_mut() {
        usage
            .services
            .sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
    }
    by_account
}

/// One binding as a granted "service": its role, where it is granted, whether it was used.
fn binding_use(insight: &PolicyInsight, days: Option<u32>) -> ServiceUse {
    let content = &insight.content;
    let resource = insight
        .target_resources
        .first()
        .map(|r| r.trim_start_matches("//cloudresourcemanager.googleapis.com/"))
        .unwrap_or_default();
    let condition = content
        .condition
        .as_ref()
        .filter(|c| !c.expression.is_empty());
    let mut name = format!("{} on {resource}", content.role);
    if let Some(c) = condition {
        name.push_str(&format!(
            " (if {})",
            non_empty(&c.title).unwrap_or(&c.expression)
        ));
    }
    let exercised: Vec<&str> = permissions(&content.exercised_permissions);
    let mut statement = json!({
        "role": content.role,
        "resource": resource,
        "exercisedPermissions": exercised,
        "inferredPermissions": permissions(&content.inferred_permissions),
    });
    if let Some(total) = content
        .current_total_permissions_count
        .as_deref()
        .and_then(|t| t.parse::<u64>().ok())
    {
        statement["grantedPermissionsCount"] = json!(total);
    }
    if let Some(c) = condition {
        statement["condition"] = json!({"title": c.title, "expression": c.expression});
    }
    ServiceUse {
        service: content.role.clone(),
        name: Some(name),
        last_used: None,
        used_within_days: if exercised.is_empty() { None } else { days },
        region: None,
        statements: vec![statement],
    }
}

fn permissions(list: &[Permission]) -> Vec<&str> {
    list.iter().map(|p| p.permission.as_str()).collect()
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.trim().is_empty())
}

/// Whole days of a protobuf duration (`7776000s`, `7779600.5s`), rounded down.
fn period_days(duration: &str) -> Option<u32> {
    let seconds: f64 = duration.strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| (seconds / 86_400.0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insight(member: &str, role: &str, exercised: &[&str], refreshed: &str) -> PolicyInsight {
        serde_json::from_value(json!({
            "content": {
                "role": role,
                "member": member,
                "condition": {"expression": "", "title": "", "description": "", "location": ""},
                "exercisedPermissions": exercised.iter().map(|p| json!({"permission": p})).collect::<Vec<_>>(),
                "inferredPermissions": [],
                "currentTotalPermissionsCount": "37"
            },
            "lastRefreshTime": refreshed,
            "observationPeriod": "7779600s",
            "targetResources": ["//cloudresourcemanager.googleapis.com/projects/111111111111"],
            "insightSubtype": "PERMISSIONS_USAGE"
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_binding_of_an_account_is_one_service_used_or_not() {
        let insights = [
            insight(
                "serviceAccount:ETL@p.iam.gserviceaccount.com",
                "roles/bigquery.dataEditor",
                &["bigquery.tables.getData"],
                "2026-11-30T07:00:00Z",
            ),
            insight(
                "serviceAccount:etl@p.iam.gserviceaccount.com",
                "roles/pubsub.editor",
                &[],
                "2026-12-01T07:00:00Z",
            ),
            insight(
                "user:ana@acme.example",
                "roles/viewer",
                &[],
                "2026-12-01T07:00:00Z",
            ),
        ];
        let by_account = usage_by_account(&insights);
        assert_eq!(by_account.len(), 1, "users are not service accounts");
        let usage = &by_account["etl@p.iam.gserviceaccount.com"];
        assert_eq!(usage.as_of.to_rfc3339(), "2026-12-01T07:00:00+00:00");
        assert_eq!(usage.tracking_days, Some(90));
        let services: Vec<(&str, Option<u32>)> = usage
            .services
            .iter()
            .map(|s| (s.service.as_str(), s.used_within_days))
            .collect();
        assert_eq!(
            services,
            [
                ("roles/bigquery.dataEditor", Some(90)),
                ("roles/pubsub.editor", None)
            ]
        );
        let used = &usage.services[0];
        assert_eq!(
            used.name.as_deref(),
            Some("roles/bigquery.dataEditor on projects/111111111111")
        );
        assert_eq!(used.last_used, None, "Google does not say when");
        assert_eq!(
            used.statements[0],
            json!({"role": "roles/bigquery.dataEditor", "resource": "projects/111111111111",
                   "exercisedPermissions": ["bigquery.tables.getData"],
                   "inferredPermissions": [], "grantedPermissionsCount": 37})
        );
    }

    #[test]
    fn a_conditional_binding_is_named_with_its_condition() {
        let mut conditional = insight(
            "serviceAccount:etl@p.iam.gserviceaccount.com",
            "roles/bigquery.admin",
            &[],
            "2026-12-01T07:00:00Z",
        );
        conditional.content.condition = Some(InsightCondition {
            title: "until 2027".into(),
            expression: "request.time < timestamp(\"2027-01-01T00:00:00Z\")".into(),
        });
        let usage = &usage_by_account(&[conditional])["etl@p.iam.gserviceaccount.com"];
        assert_eq!(
            usage.services[0].name.as_deref(),
            Some("roles/bigquery.admin on projects/111111111111 (if until 2027)")
        );
        assert_eq!(
            usage.services[0].statements[0]["condition"]["title"],
            "until 2027"
        );
    }

    #[test]
    fn observation_periods_are_whole_days() {
        assert_eq!(period_days("7776000s"), Some(90));
        assert_eq!(period_days("7779600s"), Some(90));
        assert_eq!(period_days("86399.9s"), Some(0));
        assert_eq!(period_days("90d"), None);
        assert_eq!(period_days("-1s"), None);
    }
}
