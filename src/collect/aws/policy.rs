//! IAM policy documents: decoding, and what a set of policies grants.
//!
//! Documents arrive URL-encoded JSON from IAM (`%7B%22Version%22...`), sometimes plain
//! JSON (emulators, some fields); [`parse_document`] accepts both. `Statement`,
//! `Action`, `NotAction`, `Resource` may each be one value or a list.
//!
//! The analysis is deliberately conservative (it over-reports rather than under-reports):
//! * only `Allow` statements are read; `Deny` statements and conditions are not
//!   subtracted, so a grant limited by a Deny or a condition is still reported;
//! * `admin`: `Action: "*"` on `Resource: "*"`, the AWS managed `AdministratorAccess`,
//!   or a `NotAction` grant on `*` that leaves every privilege-escalation action allowed
//!   ("everything except ...");
//! * `wildcard_actions`: `*` and whole-service grants (`s3:*`); a `NotAction` grant is
//!   recorded as `* except <actions>`. Partial wildcards such as `s3:Get*` are not
//!   counted: they are usually read-only families;
//! * `privileged_actions`: the [`ESCALATION_ACTIONS`] an `Allow` grants (by exact name or
//!   wildcard, case-insensitively) on a broad resource: `*`, or an ARN ending in `*`
//!   (`arn:aws:iam::*:role/*`), or any `NotResource`. Granted on a specific resource
//!   (`iam:PassRole` on one role) they are normal and not reported. `iam:PassRole`
//!   escalates only together with a way to start compute that runs as the passed role
//!   ([`COMPUTE_LAUNCH_ACTIONS`], on any resource, in any of the identity's policies):
//!   [`Grants::finish`] drops it otherwise;
//! * `assume_role_targets`: the `Resource` patterns of every `Allow` that grants
//!   `sts:AssumeRole` (by name, `sts:*`, `*`, or a `NotAction` that leaves it in); `*`
//!   for a `NotResource` grant. Which roles they open depends on the roles' trust
//!   policies: the delegation graph ([`crate::graph`]) joins the two.

use anyhow::{anyhow, Context, Result};
use serde_json::Value;
use std::collections::BTreeSet;

/// The AWS managed policy that grants everything.
pub const ADMINISTRATOR_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// IAM actions that let a holder raise its own privileges (or another's): create
/// credentials for others, attach or write policies, change who may assume a role,
/// hand a role to a compute service.
pub const ESCALATION_ACTIONS: &[&str] = &[
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:PassRole",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
];

/// Actions that start compute running as a role handed over with `iam:PassRole`: with
/// both, a holder gets the role's rights.
pub const COMPUTE_LAUNCH_ACTIONS: &[&str] = &[
    "autoscaling:CreateLaunchConfiguration",
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "codebuild:CreateProject",
    "codebuild:UpdateProject",
    "datapipeline:CreatePipeline",
    "ec2:RunInstances",
    "ecs:RegisterTaskDefinition",
    "ecs:RunTask",
    "ecs:StartTask",
    "glue:CreateDevEndpoint",
    "glue:CreateJob",
    "glue:UpdateDevEndpoint",
    "glue:UpdateJob",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionConfiguration",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
];

/// Action prefixes of the services that run models and agents: what an identity is
/// allowed there is recorded (`ai_actions`) for AI-agent classification.
pub const AI_ACTION_PREFIXES: &[&str] = &[
    "bedrock:",
    "bedrock-agentcore:",
    "bedrock-agent:",
    "bedrock-runtime:",
    "sagemaker:invokeendpoint",
    "q:",
];
/// The action that lets an identity act as a role.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// What one or more policies grant, in the inventory's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub admin: bool,
    pub wildcard_actions: BTreeSet<String>,
    pub privileged_actions: BTreeSet<String>,
    /// Some [`COMPUTE_LAUNCH_ACTIONS`] action is allowed (on any resource).
    pub compute_launch: bool,
    /// Allowed actions (as written) in AI services ([`AI_ACTION_PREFIXES`]).
    pub ai_actions: BTreeSet<String>,
    /// Resource patterns on which `sts:AssumeRole` is allowed (`*`, ARNs, ARN globs).
    pub assume_role_targets: BTreeSet<String>,
}

impl Grants {
    pub fn merge(&mut self, other: &Grants) {
        self.admin |= other.admin;
        self.compute_launch |= other.compute_launch;
        self.wildcard_actions
            .extend(other.wildcard_actions.iter().cloned());
        self.privileged_actions
            .extend(other.privileged_actions.iter().cloned());
        self.ai_actions.extend(other.ai_actions.iter().cloned());
        self.assume_role_targets
            .extend(other.assume_role_targets.iter().cloned());
    }

    /// Once every policy of an identity is merged: `iam:PassRole` without a way to
    /// launch compute is not an escalation.
    pub fn finish(&mut self) {
        if !self.compute_launch {
            self.privileged_actions.remove("iam:PassRole");
        }
    }

    /// What the AWS managed `AdministratorAccess` grants.
    pub fn administrator() -> Grants {
        Grants {
            admin: true,
            compute_launch: true,
            wildcard_actions: BTreeSet::from(["*".to_string()]),
            privileged_actions: ESCALATION_ACTIONS.iter().map(|a| a.to_string()).collect(),
            ai_actions: BTreeSet::new(),
            assume_role_targets: BTreeSet::from(["*".to_string()]),
        }
    }
}

/// Decodes a policy document: plain JSON, or URL-encoded JSON as IAM returns it.
pub fn parse_document(raw: &str) -> Result<Value> {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(value) = serde_json::from_str(trimmed) {
            return Ok(value);
        }
    }
    let decoded = percent_decode(raw)?;
    serde_json::from_str(&decoded).context("policy document is not valid JSON")
}

/// RFC 3986 percent-decoding (IAM encodes spaces as `%20`; `+` is left as it is).
pub fn percent_decode(input: &str) -> Result<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| anyhow!("bad percent-encoding at byte {i} of a policy document"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("policy document is not UTF-8 after URL-decoding")
}

/// The statements of a policy document (`Statement` may be one object or a list).
pub fn statements(document: &Value) -> Vec<&serde_json::Map<String, Value>> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(one)) => vec![one],
        _ => Vec::new(),
    }
}

/// A field that may be one string or a list of strings.
pub fn string_list(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// What a permissions policy document grants.
pub fn analyze(document: &Value) -> Grants {
    let mut grants = Grants::default();
    for statement in statements(document) {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let broad = match statement.get("Resource") {
            Some(resource) => string_list(Some(resource))
                .iter()
                .any(|r| broad_resource(r)),
            None => statement.contains_key("NotResource"),
        };
        let everywhere = string_list(statement.get("Resource")).contains(&"*");
        let assumes = match statement.get("NotAction") {
            Some(not_action) => !string_list(Some(not_action))
                .iter()
                .any(|p| action_matches(p, ASSUME_ROLE)),
            None => string_list(statement.get("Action"))
                .iter()
                .any(|a| action_matches(a, ASSUME_ROLE)),
        };
        if assumes {
            match statement.get("Resource") {
                Some(resource) => grants
                    .assume_role_targets
                    .extend(string_list(Some(resource)).iter().map(|r| r.to_string())),
                None if statement.contains_key("NotResource") => {
                    grants.assume_role_targets.insert("*".to_string());
                }
                None => {}
            }
        }
        if let Some(not_action) = statement.get("NotAction") {
            let excluded = string_list(Some(not_action));
            let allowed: Vec<&str> = ESCALATION_ACTIONS
                .iter()
                .copied()
                .filter(|a| !excluded.iter().any(|p| action_matches(p, a)))
                .collect();
            let mut excluded_sorted: Vec<&str> = excluded.clone();
            excluded_sorted.sort_unstable();
            grants
                .wildcard_actions
                .insert(format!("* except {}", excluded_sorted.join(", ")));
            if broad {
                grants
                    .privileged_actions
                    .extend(allowed.iter().map(|a| a.to_string()));
            }
            if everywhere && allowed.len() == ESCALATION_ACTIONS.len() {
                grants.admin = true;
            }
            grants.compute_launch |= COMPUTE_LAUNCH_ACTIONS
                .iter()
                .any(|a| !excluded.iter().any(|p| action_matches(p, a)));
            continue;
        }
        for action in string_list(statement.get("Action")) {
            let lower = action.to_ascii_lowercase();
            if AI_ACTION_PREFIXES.iter().any(|p| lower.starts_with(p)) {
                grants.ai_actions.insert(action.to_string());
            }
            grants.compute_launch |= COMPUTE_LAUNCH_ACTIONS
                .iter()
                .any(|a| action_matches(action, a));
            if action == "*" || action.ends_with(":*") {
                grants.wildcard_actions.insert(action.to_ascii_lowercase());
            }
            if action == "*" && everywhere {
                grants.admin = true;
            }
            if broad {
                grants.privileged_actions.extend(
                    ESCALATION_ACTIONS
                        .iter()
                        .filter(|a| action_matches(action, a))
                        .map(|a| a.to_string()),
                );
            }
        }
    }
    grants
}

fn broad_resource(resource: &str) -> bool {
    resource == "*" || resource.ends_with('*')
}

/// Whether an IAM action pattern (`iam:*`, `iam:Put*Policy`, `*`) matches an action;
/// case-insensitive, `*` for any run of characters and `?` for one.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let action: Vec<char> = action.to_ascii_lowercase().chars().collect();
    glob(&pattern, &action)
}

/// Whether an IAM resource pattern (`arn:aws:iam::*:role/deploy-*`, `*`) matches an ARN;
/// case-sensitive, as IAM compares resources, `*` for any run of characters and `?`
/// for one.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let arn: Vec<char> = arn.chars().collect();
    glob(&pattern, &arn)
}

fn glob(pattern: &[char], text: &[char]) -> bool {
    // Iterative wildcard matching with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_url_encoded_and_plain_documents() {
        let plain = r#"{"Version": "2012-10-17", "Statement": []}"#;
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D";
        assert_eq!(
            parse_document(plain).unwrap_or_default(),
            parse_document(encoded).unwrap_or_default()
        );
        assert!(parse_document("%7B%2").is_err());
        assert!(parse_document("not json").is_err());
    }

    #[test]
    fn ai_service_actions_are_recorded_as_written() {
        let g = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "s3:GetObject", "Bedrock-AgentCore:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "bedrock:InvokeAgent", "Resource": "*"}
        ]}));
        let recorded: Vec<&str> = g.ai_actions.iter().map(String::as_str).collect();
        assert_eq!(recorded, ["Bedrock-AgentCore:*", "bedrock:InvokeModel"]);
    }

    #[test]
    fn star_on_star_is_admin() {
        let g = analyze(&json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
        assert!(g.admin);
        assert!(g.wildcard_actions.contains("*"));
        assert_eq!(g.privileged_actions.len(), ESCALATION_ACTIONS.len());
    }

    #[test]
    fn service_wildcard_and_escalation() {
        let g = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "iam:Put*Policy"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/app"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"}
        ]}));
        assert!(!g.admin);
        assert_eq!(g.wildcard_actions, BTreeSet::from(["s3:*".to_string()]));
        assert_eq!(
            g.privileged_actions,
            BTreeSet::from([
                "iam:PutGroupPolicy".to_string(),
                "iam:PutRolePolicy".to_string(),
                "iam:PutUserPolicy".to_string()
            ])
        );
    }

    #[test]
    fn action_on_limited_resource_is_not_broad() {
        let g = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::1:user/me"}
        ]}));
        assert!(g.privileged_actions.is_empty());
        assert!(g.wildcard_actions.contains("iam:*"));
        let g = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*"}
        ]}));
        assert!(g.privileged_actions.contains("iam:PassRole"));
    }

    #[test]
    fn pass_role_escalates_only_with_a_way_to_launch_compute() {
        let pass = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["iam:PassRole", "iam:CreateAccessKey"], "Resource": "*"}
        ]}));
        let mut alone = pass.clone();
        alone.finish();
        assert_eq!(
            alone.privileged_actions,
            BTreeSet::from(["iam:CreateAccessKey".to_string()])
        );

        // The launch right may come from another policy of the same identity.
        let launch = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": "lambda:Create*", "Resource": "arn:aws:lambda:*:1:function:x"}
        ]}));
        assert!(launch.compute_launch);
        let mut both = pass.clone();
        both.merge(&launch);
        both.finish();
        assert!(both.privileged_actions.contains("iam:PassRole"));

        let power_user = analyze(&json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
        ]}));
        assert!(power_user.compute_launch);
        let mut admin = Grants::administrator();
        admin.finish();
        assert!(admin.privileged_actions.contains("iam:PassRole"));
    }

    #[test]
    fn not_action_is_conservative() {
        let power = analyze(&json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
        ]}));
        assert!(!power.admin);
        assert!(power.privileged_actions.is_empty());
        assert!(power
            .wildcard_actions
            .contains("* except iam:*, organizations:*"));
        let almost_all = analyze(&json!({"Statement": [
            {"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}
        ]}));
        assert!(almost_all.admin);
    }

    #[test]
    fn assume_role_targets_are_the_resources_of_sts_assume_role_grants() {
        let g = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": ["arn:aws:iam::222233334444:role/deploy", "arn:aws:iam::*:role/ci-*"]},
            {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "arn:x"},
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}
        ]}));
        assert_eq!(
            g.assume_role_targets,
            BTreeSet::from([
                "arn:aws:iam::*:role/ci-*".to_string(),
                "arn:aws:iam::222233334444:role/deploy".to_string()
            ])
        );
        let wildcard = analyze(&json!({"Statement":
            {"Effect": "Allow", "Action": ["sts:*"], "NotResource": "arn:aws:iam::1:role/x"}}));
        assert_eq!(
            wildcard.assume_role_targets,
            BTreeSet::from(["*".to_string()])
        );
        let power = analyze(&json!({"Statement":
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}}));
        assert_eq!(power.assume_role_targets, BTreeSet::from(["*".to_string()]));
        let no_sts = analyze(&json!({"Statement":
            {"Effect": "Allow", "NotAction": ["sts:*"], "Resource": "*"}}));
        assert!(no_sts.assume_role_targets.is_empty());
        assert!(Grants::administrator().assume_role_targets.contains("*"));

        let mut merged = g.clone();
        merged.merge(&power);
        assert_eq!(merged.assume_role_targets.len(), 3);
    }

    #[test]
    fn resource_patterns_are_case_sensitive_globs() {
        assert!(resource_matches("*", "arn:aws:iam::1:role/x"));
        assert!(resource_matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::1:role/ci-deploy"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::1:role/CI-deploy"
        ));
        assert!(resource_matches(
            "arn:aws:iam::1:role/x",
            "arn:aws:iam::1:role/x"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::1:role/x",
            "arn:aws:iam::1:role/xy"
        ));
    }

    #[test]
    fn patterns() {
        assert!(action_matches("iam:*", "iam:PassRole"));
        assert!(action_matches("IAM:passrole", "iam:PassRole"));
        assert!(action_matches("*", "iam:PassRole"));
        assert!(action_matches("iam:Pass?ole", "iam:PassRole"));
        assert!(action_matches("iam:*Access*", "iam:CreateAccessKey"));
        assert!(!action_matches("iam:Get*", "iam:PassRole"));
        assert!(!action_matches("s3:*", "iam:PassRole"));
    }
}
