"""The seeded AWS estate of nhiscan's collector tests, created through the real API.

Every resource is made with boto3 against the moto server at `endpoint`, as a person or a
pipeline would make it. Past dates come from freezegun: the server runs in this same
process, so while the clock is frozen the resources it creates (and the access-key and
role "last used" times it records when a key signs a request) carry the frozen date.

tests/integration/aws.rs asserts on these names; change both together.
"""

from __future__ import annotations

import json

import boto3
from freezegun import freeze_time

ACCOUNT_ID = "123456789012"  # moto's default account
FOREIGN_ACCOUNT = "999988887777"
GITHUB = "token.actions.githubusercontent.com"
REGIONS = ("us-east-1", "eu-west-1")

BULK_USERS = 120  # more than one page (IAM pages hold 100 by default)
BULK_ROLES = 110
BULK_SECRETS = 105  # Secrets Manager pages hold at most 100

SSH_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDXvBwHTzM3B3l8Ia0Cj6J0kSbVPzA8q0WbF2cR3xZ"
    "0NtDkDkO7d4G1v8cJmH3m0T0qWQ6f3Y2vQ1xX9m5tq6Kk0xN2g6V0z8u4hYb0nC2l6B2G8nq8m4oZ7p"
    "nhiscan-test-key"
)


def _client(service: str, endpoint: str, region: str = "us-east-1", key=None):
    access_key, secret_key = key or ("testing", "testing")
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )


def _doc(statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _trust(principal, action="sts:AssumeRole", condition=None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return _doc([statement])


def _tags(**tags):
    return [{"Key": k.replace("_", "-"), "Value": v} for k, v in tags.items()]


def _use_key(endpoint: str, key: dict, region: str) -> None:
    """Signs one harmless request with the key, so moto records it as last used now."""
    sts = _client("sts", endpoint, region, (key["AccessKeyId"], key["SecretAccessKey"]))
    sts.get_caller_identity()


def seed(endpoint: str) -> dict:
    iam = _client("iam", endpoint)
    summary = {"users": 0, "roles": 0, "groups": 0, "secrets": {}}

    # --- policies and groups -------------------------------------------------------
    reporting_read = iam.create_policy(
        PolicyName="reporting-read",
        Description="Read the reports bucket",
        PolicyDocument=_doc(
            [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [
                "arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}]
        ),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="deployers")
    iam.attach_group_policy(
        GroupName="deployers", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    iam.create_group(GroupName="ops")
    iam.put_group_policy(
        GroupName="ops",
        PolicyName="ops-escalation",
        PolicyDocument=_doc(
            [{"Effect": "Allow", "Action": ["iam:PassRole", "iam:CreateAccessKey",
                                            "iam:AttachUserPolicy"], "Resource": "*"}]
        ),
    )
    iam.attach_group_policy(GroupName="ops", PolicyArn=reporting_read)
    summary["groups"] = 2

    # --- users ---------------------------------------------------------------------
    with freeze_time("2022-03-04 05:06:07"):
        iam.create_user(UserName="ci-deployer", Tags=_tags(owner="alice@example.com", team="platform"))
        old_key = iam.create_access_key(UserName="ci-deployer")["AccessKey"]
        iam.create_login_profile(UserName="ci-deployer", Password="Seeded-Passw0rd!")
        mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="ci-deployer-mfa")
        iam.enable_mfa_device(
            UserName="ci-deployer",
            SerialNumber=mfa["VirtualMFADevice"]["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        iam.add_user_to_group(GroupName="deployers", UserName="ci-deployer")
    with freeze_time("2023-05-06 07:08:09"):
        _use_key(endpoint, old_key, "eu-west-1")
    with freeze_time("2025-01-15 10:00:00"):
        iam.create_access_key(UserName="ci-deployer")  # second key, never used

    with freeze_time("2023-01-10 09:00:00"):
        iam.create_user(UserName="backup-svc", Tags=_tags(team="storage"))
        backup_key = iam.create_access_key(UserName="backup-svc")["AccessKey"]
        iam.create_login_profile(UserName="backup-svc", Password="Seeded-Passw0rd!")
        iam.put_user_policy(
            UserName="backup-svc",
            PolicyName="backup-s3",
            PolicyDocument=_doc([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
        )
        iam.create_user(UserName="key-inactive-svc")
        inactive = iam.create_access_key(UserName="key-inactive-svc")["AccessKey"]
        iam.update_access_key(
            UserName="key-inactive-svc", AccessKeyId=inactive["AccessKeyId"], Status="Inactive"
        )
        # Two keys created in the same second: the credential report cannot tell which
        # row is which, so the collector asks GetAccessKeyLastUsed for them.
        iam.create_user(UserName="twin-keys-svc")
        twin = iam.create_access_key(UserName="twin-keys-svc")["AccessKey"]
        iam.create_access_key(UserName="twin-keys-svc")
    with freeze_time("2023-02-01 00:00:00"):
        _use_key(endpoint, backup_key, "us-east-1")
    with freeze_time("2023-03-03 03:03:03"):
        _use_key(endpoint, twin, "us-west-2")

    with freeze_time("2024-06-01 12:00:00"):
        iam.create_user(UserName="reporting-export", Tags=_tags(owner="bob@example.com"))
        reporting_key = iam.create_access_key(UserName="reporting-export")["AccessKey"]
        iam.attach_user_policy(UserName="reporting-export", PolicyArn=reporting_read)
        iam.add_user_to_group(GroupName="ops", UserName="reporting-export")
        iam.upload_ssh_public_key(UserName="reporting-export", SSHPublicKeyBody=SSH_KEY)
    _use_key(endpoint, reporting_key, "us-east-1")  # used today
    summary["users"] += 5

    for i in range(BULK_USERS):
        name = f"svc-bulk-{i:03d}"
        iam.create_user(UserName=name, Path="/bulk/", Tags=_tags(team="bulk"))
        iam.create_access_key(UserName=name)
    summary["users"] += BULK_USERS

    # --- OIDC provider and roles ---------------------------------------------------
    oidc_arn = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )["OpenIDConnectProviderArn"]
    aud = {f"{GITHUB}:aud": "sts.amazonaws.com"}
    roles = {
        "github-deploy-open": _trust(
            {"Federated": oidc_arn}, "sts:AssumeRoleWithWebIdentity", {"StringEquals": aud}
        ),
        "github-deploy-scoped": _trust(
            {"Federated": oidc_arn},
            "sts:AssumeRoleWithWebIdentity",
            {"StringEquals": aud,
             "StringLike": {f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main"}},
        ),
        "public-role": _trust("*"),
        "public-role-org": _trust(
            {"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
        ),
        "vendor-access": _trust(
            {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
            condition={"StringEquals": {"sts:ExternalId": "acme-7f3a"}},
        ),
        "vendor-user-access": _trust({"AWS": [f"arn:aws:iam::{FOREIGN_ACCOUNT}:user/integration"]}),
        "same-account-admin": _trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}),
        "escalator-role": _trust({"Service": "lambda.amazonaws.com"}),
        "poweruser-role": _trust({"Service": ["ec2.amazonaws.com"]}),
    }
    with freeze_time("2023-09-09 09:09:09"):
        for name, trust in roles.items():
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        iam.create_role(
            RoleName="app-ec2",
            AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"}),
            Description="EC2 application role",
            MaxSessionDuration=7200,
            Tags=_tags(owner="carol@example.com"),
        )
    iam.attach_role_policy(RoleName="app-ec2", PolicyArn=reporting_read)
    iam.attach_role_policy(
        RoleName="same-account-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    iam.put_role_policy(
        RoleName="escalator-role",
        PolicyName="deploy-functions",
        PolicyDocument=_doc(
            [{"Effect": "Allow",
              "Action": ["iam:PassRole", "iam:CreatePolicyVersion", "lambda:CreateFunction"],
              "Resource": "*"},
             {"Effect": "Allow", "Action": "sts:AssumeRole",
              "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/app-ec2"}]
        ),
    )
    iam.put_role_policy(
        RoleName="poweruser-role",
        PolicyName="power-user",
        PolicyDocument=_doc(
            [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
              "Resource": "*"}]
        ),
    )
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    # RoleLastUsed: a request signed with the role's temporary credentials.
    creds = _client("sts", endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/app-ec2", RoleSessionName="seed"
    )["Credentials"]
    with freeze_time("2024-01-02 03:04:05"):
        boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        ).get_caller_identity()
    summary["roles"] += len(roles) + 2  # + app-ec2 + the service-linked role

    for i in range(BULK_ROLES):
        iam.create_role(
            RoleName=f"bulk-role-{i:03d}",
            Path="/bulk/",
            AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"}),
        )
    summary["roles"] += BULK_ROLES

    # --- Secrets Manager, two regions ------------------------------------------------
    us = _client("secretsmanager", endpoint, "us-east-1")
    with freeze_time("2021-06-01 00:00:00"):
        us.create_secret(Name="prod/db/password", SecretString="seed-value-1",
                         Tags=_tags(owner="dba@example.com"))
    with freeze_time("2023-01-01 00:00:00"):
        us.rotate_secret(SecretId="prod/db/password",
                         RotationRules={"AutomaticallyAfterDays": 30})
    with freeze_time("2022-02-02 00:00:00"):
        us.create_secret(Name="prod/api/key", SecretString="seed-value-2",
                         Description="Partner API key",
                         Tags=_tags(owner="alice@example.com"))
    for i in range(BULK_SECRETS):
        us.create_secret(Name=f"bulk/secret-{i:03d}", SecretString="seed",
                         Tags=_tags(team="bulk"))
    summary["secrets"]["us-east-1"] = 2 + BULK_SECRETS

    eu = _client("secretsmanager", endpoint, "eu-west-1")
    with freeze_time("2022-08-22 00:00:00"):
        eu.create_secret(Name="eu/payments/stripe", SecretString="seed-value-3",
                         Tags=_tags(owner="elena@example.com", team="payments"))
    with freeze_time("2024-06-01 12:00:00"):
        eu.create_secret(Name="eu/db/rotated", SecretString="seed-value-4")
        eu.rotate_secret(SecretId="eu/db/rotated", RotationRules={"AutomaticallyAfterDays": 7})
    summary["secrets"]["eu-west-1"] = 2
    seed_iam_extras(endpoint, summary)
    seed_ai_agents(endpoint, summary)
    seed_policy_evaluation(endpoint, summary)
    seed_usage(endpoint, summary)
    return summary


# What src/collect/aws/policy.rs TAKEOVER_ACTIONS lists (tests/integration/aws.rs fails if they part).
TAKEOVER_ACTIONS = [
    "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "cloudformation:UpdateStack", "cloudformation:CreateChangeSet", "glue:UpdateDevEndpoint",
    "ssm:SendCommand", "ssm:StartSession", "ec2-instance-connect:SendSSHPublicKey",
    "ec2:ModifyInstanceAttribute", "ecs:ExecuteCommand", "codebuild:StartBuild",
    "sagemaker:CreatePresignedNotebookInstanceUrl", "datapipeline:PutPipelineDefinition",
]


def seed_policy_evaluation(endpoint: str, summary: dict) -> None:
    """Roles whose policies read as AWS evaluates them (issue 13): a Deny in the same
    policy and in another, a permissions boundary, AWS-managed-only resources, conditions
    that never hold for the role (all safe: no privilege finding), NotAction with a Deny
    (no IAM escalation left), PassRole on a pattern of roles, and an escalation allowed
    only under a condition on the request."""
    iam = _client("iam", endpoint)
    lambda_trust = _trust({"Service": "lambda.amazonaws.com"})
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    boundary = iam.create_policy(
        PolicyName="data-only-boundary",
        PolicyDocument=_doc([{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"],
                              "Resource": "*"}]),
    )["Policy"]["Arn"]
    with freeze_time("2024-02-02 02:02:02"):
        for name in ["deny-same-policy", "deny-other-policy", "bounded-admin",
                     "aws-managed-only", "notaction-deny", "scoped-passrole",
                     "never-true-condition", "conditional-escalation"]:
            extra = {"PermissionsBoundary": boundary} if name == "bounded-admin" else {}
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=lambda_trust,
                            Tags=_tags(owner="carol@example.com"), **extra)
    iam.put_role_policy(RoleName="deny-same-policy", PolicyName="iam-allowed-and-denied",
                        PolicyDocument=_doc([
                            {"Effect": "Allow", "Action": ["iam:*", "lambda:CreateFunction"],
                             "Resource": "*"},
                            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]))
    iam.attach_role_policy(RoleName="deny-other-policy", PolicyArn=admin_arn)
    iam.put_role_policy(RoleName="deny-other-policy", PolicyName="deny-everything",
                        PolicyDocument=_doc([{"Effect": "Deny", "Action": "*",
                                              "Resource": "*"}]))
    iam.attach_role_policy(RoleName="bounded-admin", PolicyArn=admin_arn)
    iam.put_role_policy(RoleName="aws-managed-only", PolicyName="aws-policies-only",
                        PolicyDocument=_doc([
                            {"Effect": "Allow",
                             "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
                             "Resource": "arn:aws:iam::aws:policy/*"}]))
    iam.put_role_policy(RoleName="notaction-deny", PolicyName="all-but-iam",
                        PolicyDocument=_doc([
                            {"Effect": "Allow", "NotAction": "organizations:*", "Resource": "*"},
                            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]))
    iam.put_role_policy(RoleName="scoped-passrole", PolicyName="pass-app-roles",
                        PolicyDocument=_doc([
                            {"Effect": "Allow", "Action": "iam:PassRole",
                             "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/app-*"},
                            {"Effect": "Allow", "Action": "lambda:CreateFunction",
                             "Resource": "*"}]))
    # Granted only to another principal, and under a Bool that is neither true nor false.
    iam.put_role_policy(RoleName="never-true-condition", PolicyName="for-someone-else",
                        PolicyDocument=_doc([
                            {"Effect": "Allow", "Action": ["iam:*", "lambda:*"], "Resource": "*",
                             "Condition": {"ArnEquals": {
                                 "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT_ID}:role/other"}}},
                            {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*",
                             "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}]))
    # Escalation only from one network: a condition on the request, which a scan cannot
    # decide; reported one severity level lower (medium), marked conditional.
    iam.put_role_policy(RoleName="conditional-escalation", PolicyName="keys-from-office",
                        PolicyDocument=_doc([
                            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
                             "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]))
    # One role per way of taking over a workload that already runs as a role, each
    # allowed one takeover action on every resource (tests/integration/aws.rs checks that these
    # cover TAKEOVER_ACTIONS), and a twin allowed them all on one named resource only.
    for i, action in enumerate(TAKEOVER_ACTIONS):
        name = f"takes-over-{i:02d}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=lambda_trust,
                        Tags=_tags(owner="carol@example.com"))
        iam.put_role_policy(RoleName=name, PolicyName="one-takeover",
                            PolicyDocument=_doc([{"Effect": "Allow", "Action": action,
                                                  "Resource": "*"}]))
    iam.create_role(RoleName="takes-over-nothing", AssumeRolePolicyDocument=lambda_trust,
                    Tags=_tags(owner="carol@example.com"))
    iam.put_role_policy(RoleName="takes-over-nothing", PolicyName="own-function-only",
                        PolicyDocument=_doc([{"Effect": "Allow", "Action": TAKEOVER_ACTIONS,
                                              "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:own-function"}]))
    summary["roles"] += len(TAKEOVER_ACTIONS) + 1
    # Two agent roles: one may read every secret, its twin only its own.
    bedrock_trust = _trust({"Service": "bedrock.amazonaws.com"})
    with freeze_time("2024-02-02 02:02:02"):
        for name in ["secrets-reader-agent", "own-secret-agent"]:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=bedrock_trust,
                            Tags=_tags(owner="carol@example.com"))
    iam.put_role_policy(RoleName="secrets-reader-agent", PolicyName="read-secrets",
                        PolicyDocument=_doc([{"Effect": "Allow",
                                              "Action": "secretsmanager:GetSecretValue",
                                              "Resource": "*"}]))
    iam.put_role_policy(RoleName="own-secret-agent", PolicyName="read-own-secret",
                        PolicyDocument=_doc([{"Effect": "Allow",
                                              "Action": "secretsmanager:GetSecretValue",
                                              "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT_ID}:secret:faq-agent/*"}]))
    summary["roles"] += 10


def seed_ai_agents(endpoint: str, summary: dict) -> None:
    """AI agents as the AI-agent rules see them: a Bedrock agent's role (trusted by
    bedrock.amazonaws.com, allowed to invoke models, owned) that may assume its
    escalation role, which may assume same-account-admin (the agent's blast radius ends
    at an administrator); and a ticket-triage bot user with a static access key, no
    owner and the right to mint access keys."""
    iam = _client("iam", endpoint)
    with freeze_time("2025-03-01 00:00:00"):
        iam.create_role(
            RoleName="support-agent-llm",
            AssumeRolePolicyDocument=_trust({"Service": "bedrock.amazonaws.com"}),
            Description="Customer-support agent (Bedrock agent)",
            Tags=_tags(owner="carol@example.com", **{"workload-type": "ai-agent"}),
        )
        iam.put_role_policy(
            RoleName="support-agent-llm",
            PolicyName="agent-tools",
            PolicyDocument=_doc([
                {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeAgent"],
                 "Resource": "*"},
                {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/ticket-escalation"}]),
        )
        iam.create_role(
            RoleName="ticket-escalation",
            AssumeRolePolicyDocument=_trust(
                {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:role/support-agent-llm"}),
            Description="Refunds and account changes the support agent escalates to",
            Tags=_tags(owner="carol@example.com"),
        )
        iam.put_role_policy(
            RoleName="ticket-escalation",
            PolicyName="escalate",
            PolicyDocument=_doc([{"Effect": "Allow", "Action": "sts:AssumeRole",
                                  "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/same-account-admin"}]),
        )
        iam.create_user(UserName="ticket-triage-bot", Tags=_tags(**{"workload-type": "ai-agent"}))
        iam.create_access_key(UserName="ticket-triage-bot")
        iam.put_user_policy(
            UserName="ticket-triage-bot",
            PolicyName="triage",
            PolicyDocument=_doc([{"Effect": "Allow", "Action": [
                "bedrock:InvokeModel", "iam:CreateAccessKey"], "Resource": "*"}]),
        )
    summary["roles"] += 2
    summary["users"] += 1


def seed_usage(endpoint: str, summary: dict) -> None:
    """Service use for `--usage` (moto_extras records each request against the principal
    that signed it): `report-builder`, a user that may read the reports bucket, use
    DynamoDB and send to SQS, and has only read S3, ten days ago; its clean twin
    `etl-runner`, a role that used both services it may use, five days ago. Both created
    in 2025, long enough ago to be judged. The dates follow today's, so that the rule's
    90 days hold whenever the tests run."""
    import datetime

    iam = _client("iam", endpoint)
    today = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    with freeze_time("2025-06-01 00:00:00"):
        iam.create_user(UserName="report-builder", Tags=_tags(owner="dana@example.com"))
        iam.put_user_policy(
            UserName="report-builder",
            PolicyName="reports",
            PolicyDocument=_doc([
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]},
                {"Effect": "Allow", "Action": ["dynamodb:*", "sqs:SendMessage"],
                 "Resource": "*"}]),
        )
        key = iam.create_access_key(UserName="report-builder")["AccessKey"]
        iam.create_role(
            RoleName="etl-runner",
            AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}),
            Description="Nightly ETL",
            Tags=_tags(owner="dana@example.com"),
        )
        iam.put_role_policy(
            RoleName="etl-runner",
            PolicyName="etl",
            PolicyDocument=_doc([{"Effect": "Allow", "Action": [
                "s3:ListAllMyBuckets", "secretsmanager:ListSecrets"], "Resource": "*"}]),
        )
    with freeze_time(today - datetime.timedelta(days=10)):
        s3 = _client("s3", endpoint, key=(key["AccessKeyId"], key["SecretAccessKey"]))
        s3.list_buckets()
    with freeze_time(today - datetime.timedelta(days=5)):
        session = _client("sts", endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/etl-runner", RoleSessionName="nightly"
        )["Credentials"]
        temporary = (session["AccessKeyId"], session["SecretAccessKey"])
        boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1",
                     aws_access_key_id=temporary[0], aws_secret_access_key=temporary[1],
                     aws_session_token=session["SessionToken"]).list_buckets()
        boto3.client("secretsmanager", endpoint_url=endpoint, region_name="eu-west-1",
                     aws_access_key_id=temporary[0], aws_secret_access_key=temporary[1],
                     aws_session_token=session["SessionToken"]).list_secrets()
    summary["users"] += 1
    summary["roles"] += 1


LIMITED_AUDITOR_LACKS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "secretsmanager:ListSecrets",
    "ec2:DescribeRegions",
    "iam:GenerateServiceLastAccessedDetails",
)


def create_auditors(endpoint: str, policy_document: str) -> dict:
    """The scanning users: `nhiscan-auditor` with only the shipped read-only policy, and
    `nhiscan-auditor-limited` with that policy minus LIMITED_AUDITOR_LACKS. One access
    key each."""
    limited = json.loads(policy_document)
    statements = limited["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement["Action"]
        actions = actions if isinstance(actions, list) else [actions]
        statement["Action"] = [a for a in actions if a not in LIMITED_AUDITOR_LACKS] or [
            "iam:GetUser"]
    return {
        "full": _auditor(endpoint, "nhiscan-auditor", policy_document),
        "limited": _auditor(endpoint, "nhiscan-auditor-limited", json.dumps(limited)),
    }


def _auditor(endpoint: str, name: str, policy_document: str) -> dict:
    iam = _client("iam", endpoint)
    arn = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=policy_document)[
        "Policy"]["Arn"]
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


# --- IAM extras: identity providers, signing certificates, service credentials --------

EKS_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/5C4A1B2C3D4E5F60718293A4B5C6D7E8"


def _certificate_pem(common_name: str, not_before: str, not_after: str) -> tuple[str, str]:
    """A throwaway self-signed certificate: (PEM, base64 DER body). Public material
    only; the private key is discarded."""
    import base64
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime.fromisoformat(not_before))
        .not_valid_after(datetime.datetime.fromisoformat(not_after))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return pem, der


def _saml_metadata(certificate_body: str) -> str:
    return (
        '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="http://www.okta.com/exk1seed">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{certificate_body}"
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://acme.okta.com/app/amazon_aws/exk1seed/sso/saml"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def seed_iam_extras(endpoint: str, summary: dict) -> None:
    """Identity providers (a second OIDC provider no role trusts, a SAML provider with a
    role trusting it), signing certificates and service-specific credentials. The
    service-specific credential calls need scripts/moto/moto_extras.py installed in the
    server (server.py does it): moto lacks them."""
    iam = _client("iam", endpoint)

    with freeze_time("2024-02-02 02:02:02"):
        iam.create_open_id_connect_provider(
            Url=f"https://{EKS_ISSUER}",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
            Tags=_tags(owner="platform@example.com"),
        )
    _, idp_cert = _certificate_pem("acme.okta.com", "2021-03-01", "2026-03-01")
    with freeze_time("2021-03-03 03:03:03"):
        saml_arn = iam.create_saml_provider(
            Name="corp-okta", SAMLMetadataDocument=_saml_metadata(idp_cert)
        )["SAMLProviderArn"]
        iam.create_role(
            RoleName="okta-readonly",
            AssumeRolePolicyDocument=_trust(
                {"Federated": saml_arn},
                "sts:AssumeRoleWithSAML",
                {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            ),
            Tags=_tags(owner="it@example.com"),
        )
    summary["roles"] += 1
    summary["identity_providers"] = 3  # + the GitHub provider of seed()

    # Signing certificates: one active, one inactive (and expired).
    active_pem, _ = _certificate_pem("cert-signer-svc", "2022-01-01", "2027-01-01")
    old_pem, _ = _certificate_pem("cert-signer-svc-old", "2020-01-01", "2024-06-30")
    with freeze_time("2020-01-02 00:00:00"):
        iam.create_user(UserName="cert-signer-svc", Tags=_tags(owner="carol@example.com"))
        old = iam.upload_signing_certificate(UserName="cert-signer-svc", CertificateBody=old_pem)
    with freeze_time("2022-02-02 02:02:02"):
        iam.upload_signing_certificate(UserName="cert-signer-svc", CertificateBody=active_pem)
    iam.update_signing_certificate(
        UserName="cert-signer-svc", CertificateId=old["Certificate"]["CertificateId"],
        Status="Inactive",
    )

    # Service-specific credentials: a CodeCommit password, an inactive Keyspaces one,
    # and a Bedrock API key that expires. Their secrets are never kept.
    with freeze_time("2021-05-05 05:05:05"):
        iam.create_user(UserName="codecommit-bot", Tags=_tags(team="platform"))
        iam.create_service_specific_credential(
            UserName="codecommit-bot", ServiceName="codecommit.amazonaws.com")
        keyspaces = iam.create_service_specific_credential(
            UserName="codecommit-bot", ServiceName="cassandra.amazonaws.com")
    iam.update_service_specific_credential(
        UserName="codecommit-bot",
        ServiceSpecificCredentialId=keyspaces["ServiceSpecificCredential"][
            "ServiceSpecificCredentialId"],
        Status="Inactive",
    )
    with freeze_time("2025-06-01 00:00:00"):
        iam.create_user(UserName="bedrock-agent")
        iam.create_service_specific_credential(
            UserName="bedrock-agent", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30)
    summary["users"] += 3
    summary["service_specific_credentials"] = 3
    summary["signing_certificates"] = 2


# --- benchmark estate -----------------------------------------------------------------


def seed_scale(endpoint: str, identities: int) -> dict:
    """The benchmark estate (scripts/bench-aws.sh): `identities` IAM identities, half
    users with an access key (every 10th with two, every 20th with a console password),
    half roles (every 4th with an inline policy), and identities/4 secrets in us-east-1.
    Creation times tick one second per clock reading from 2024-01-01, so that no two
    keys share a creation second (as in a real account)."""
    return fill_scale(_client("iam", endpoint), _client("secretsmanager", endpoint, "us-east-1"),
                      identities)


def fill_scale(iam, sm, identities: int) -> dict:
    """seed_scale's estate, through the given IAM and Secrets Manager clients (of any
    account)."""
    users = identities // 2
    roles = identities - users
    secrets = identities // 4
    policy = _doc([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}])
    with freeze_time("2024-01-01 00:00:00", auto_tick_seconds=1):
        for i in range(users):
            name = f"scale-user-{i:05d}"
            iam.create_user(UserName=name, Path="/scale/", Tags=_tags(team="scale"))
            iam.create_access_key(UserName=name)
            if i % 10 == 0:
                iam.create_access_key(UserName=name)
            if i % 20 == 0:
                iam.create_login_profile(UserName=name, Password="Seeded-Passw0rd!")
        for i in range(roles):
            name = f"scale-role-{i:05d}"
            iam.create_role(
                RoleName=name,
                Path="/scale/",
                AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"}),
            )
            if i % 4 == 0:
                iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=policy)
        for i in range(secrets):
            sm.create_secret(Name=f"scale/secret-{i:05d}", SecretString="seed",
                             Tags=_tags(team="scale"))
    return {
        "users": users,
        "roles": roles,
        "users_with_keys": users,
        "access_keys": users + (users + 9) // 10,
        "secrets": {"us-east-1": secrets},
    }
