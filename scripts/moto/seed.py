"""The seeded AWS estate of nhiscan's collector tests, created through the real API.

Every resource is made with boto3 against the moto server at `endpoint`, as a person or a
pipeline would make it. Past dates come from freezegun: the server runs in this same
process, so while the clock is frozen the resources it creates (and the access-key and
role "last used" times it records when a key signs a request) carry the frozen date.

tests/aws.rs asserts on these names; change both together.
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
              "Resource": "*"}]
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
    return summary


LIMITED_AUDITOR_LACKS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "secretsmanager:ListSecrets",
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
