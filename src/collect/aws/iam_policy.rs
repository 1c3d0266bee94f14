//! IAM policy documents: decoding, and what a set of policies grants.
//!
//! Documents arrive URL-encoded JSON from IAM (`%7B%22Version%22...`), sometimes plain
//! JSON (emulators, some fields); [`parse_document`] accepts both. `Statement`,
//! `Action`, `NotAction`, `Resource` may each be one value or a list.
//!
//! What an identity's policies effectively grant is [`crate::collect::aws::effective`]'s
//! job; this module holds the vocabulary: [`Grants`] (the inventory's terms: `admin`,
//! `wildcard_actions`, `privileged_actions`, `assume_role_targets`, `ai_actions`), the
//! actions that matter ([`ESCALATION_ACTIONS`], [`COMPUTE_LAUNCH_ACTIONS`]) and the
//! action and resource matchers. `iam:PassRole` escalates only together with a way to
//! start compute that runs as the passed role ([`Grants::finish`]); which roles
//! `assume_role_targets` open depends on the roles' trust policies: the delegation graph
//! ([`crate::enrich::graph`]) joins the two.

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

/// Actions that take over something already running as a role, without `iam:PassRole`:
/// changing its code, configuration or session gives the holder that role's rights.
/// Each with what it takes over (public research on AWS privilege escalation: Rhino
/// Security Labs, Bishop Fox, pathfinding.cloud).
pub const TAKEOVER_ACTIONS: &[(&str, &str)] = &[
    ("lambda:UpdateFunctionCode", "the code of Lambda functions, which run as their roles"),
    ("lambda:UpdateFunctionConfiguration", "the layers and environment of Lambda functions, which run as their roles"),
    ("cloudformation:UpdateStack", "CloudFormation stacks, which change resources as their service roles"),
    ("cloudformation:CreateChangeSet", "CloudFormation stacks (through change sets), which change resources as their service roles"),
    ("glue:UpdateDevEndpoint", "Glue development endpoints (SSH keys), which run as their roles"),
    ("ssm:SendCommand", "commands on EC2 instances, which run as their instance roles"),
    ("ssm:StartSession", "shells on EC2 instances, which run as their instance roles"),
    ("ec2-instance-connect:SendSSHPublicKey", "SSH into EC2 instances, which run as their instance roles"),
    ("ec2:ModifyInstanceAttribute", "the user data of EC2 instances (run at boot as their instance roles)"),
    ("ecs:ExecuteCommand", "shells in ECS tasks, which run as their task roles"),
    ("codebuild:StartBuild", "CodeBuild builds (with a buildspec override), which run as their service roles"),
    ("sagemaker:CreatePresignedNotebookInstanceUrl", "SageMaker notebooks, which run as their execution roles"),
    ("datapipeline:PutPipelineDefinition", "Data Pipeline activities, which run as their roles"),
];

/// Actions that are not escalation but that an agent or a workload rarely needs on every
/// resource: reading every secret, decrypting with every key, exporting data, paying.
/// Each with what it does.
pub const SENSITIVE_ACTIONS: &[(&str, &str)] = &[
    ("secretsmanager:GetSecretValue", "reads secrets"),
    (
        "ssm:GetParameter",
        "reads parameters, SecureString ones too",
    ),
    (
        "ssm:GetParameters",
        "reads parameters, SecureString ones too",
    ),
    (
        "ssm:GetParametersByPath",
        "reads parameters, SecureString ones too",
    ),
    ("kms:Decrypt", "decrypts with keys"),
    ("s3:GetObject", "reads objects of buckets"),
    ("dynamodb:Scan", "reads whole tables"),
    (
        "ec2:ModifySnapshotAttribute",
        "shares disk snapshots with other accounts",
    ),
    (
        "rds:ModifyDBSnapshotAttribute",
        "shares database snapshots with other accounts",
    ),
    ("aws-portal:ModifyPaymentMethods", "changes payment methods"),
    (
        "payments:UpdatePaymentPreferences",
        "changes payment preferences",
    ),
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
    /// Once every policy of an identity is evaluated: `iam:PassRole` without a way to
    /// launch compute is not an escalation.
    pub fn finish(&mut self) {
        if !self.compute_launch {
            self.privileged_actions.remove("iam:PassRole");
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

/// Whether an IAM action pattern (`iam:*`, `iam:Put*Policy`, `*`) matches an action;
/// case-insensitive, `*` for any run of characters and `?` for one.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    crate::glob::matches_ignore_case(pattern, action)
}

/// Whether an IAM resource pattern (`arn:aws:iam::*:role/deploy-*`, `*`) matches an ARN;
/// case-sensitive, as IAM compares resources.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    crate::glob::matches(pattern, arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one document grants, evaluated as an identity's only policy.
    fn analyze(document: &Value) -> Grants {
        use crate::collect::aws::effective;
        let statements = effective::parse(document);
        let mut grants = effective::evaluate(&[&statements], &[]).grants;
        grants.ai_actions = effective::ai_actions(&[&statements], &[&statements], &[]);
        grants
    }
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
        assert_eq!(
            g.privileged_actions.len(),
            ESCALATION_ACTIONS.len() + TAKEOVER_ACTIONS.len()
        );
    }

    #[test]
    fn service_wildcard_and_escalation() {
        let g = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "iam:Put*Policy"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/app"}
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
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*"},
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}
        ]}));
        assert!(g.privileged_actions.contains("iam:PassRole"));
    }

    #[test]
    fn pass_role_escalates_only_with_a_way_to_launch_compute() {
        let pass = crate::collect::aws::effective::parse(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["iam:PassRole", "iam:CreateAccessKey"], "Resource": "*"}
        ]}));
        let alone = crate::collect::aws::effective::evaluate(&[&pass], &[]).grants;
        assert_eq!(
            alone.privileged_actions,
            BTreeSet::from(["iam:CreateAccessKey".to_string()])
        );

        // The launch right may come from another policy of the same identity.
        let launch = crate::collect::aws::effective::parse(&json!({"Statement": [
            {"Effect": "Allow", "Action": "lambda:Create*", "Resource": "arn:aws:lambda:*:1:function:x"}
        ]}));
        let both = crate::collect::aws::effective::evaluate(&[&pass, &launch], &[]).grants;
        assert!(both.compute_launch);
        assert!(both.privileged_actions.contains("iam:PassRole"));

        let power_user = analyze(&json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
        ]}));
        assert!(power_user.compute_launch);
        let admin = analyze(&json!({"Statement":
            {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
        assert!(admin.admin && admin.privileged_actions.contains("iam:PassRole"));
    }

    #[test]
    fn not_action_leaves_what_it_does_not_name() {
        let power = analyze(&json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
        ]}));
        assert!(!power.admin);
        // PowerUser-like: no IAM, but every running workload can be taken over.
        assert!(power
            .privileged_actions
            .iter()
            .all(|a| !a.starts_with("iam:")));
        assert!(power
            .privileged_actions
            .contains("lambda:UpdateFunctionCode"));
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
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/admin-*"}
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
