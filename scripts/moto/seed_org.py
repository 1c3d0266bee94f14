"""The seeded AWS Organization of nhiscan's `--org` tests (server.py --seed org), created
through the real API like seed.py's estate.

moto keeps every account in its own backends, keyed by account id: the management
account is moto's default (123456789012); member accounts made with CreateAccount get
random ids, and CreateAccount's RoleName is created in the new account trusting the
management account. Resources are put into a member account with the credentials of a
role assumed there (moto's AssumeRole works for any role ARN; server.py makes it refuse
a role that does not exist, as AWS does).

The organisation:
* management (123456789012): the user `mgmt-deployer` with an access key; no
  `nhiscan-audit` role, so nhiscan reads it with the caller's own credentials;
* alpha, beta: the audit role, and a few users, a role and secrets;
* gamma: no audit role (only OrganizationAccountAccessRole) and a user that must never
  be collected;
* delta: the audit role, then closed (SUSPENDED): skipped;
* bulk-00..bulk-16: the audit role only, so that ListAccounts has two pages of 20.

Service control policies (enabled on the root, with AWS's FullAWSAccess on every root,
OU and account as AWS attaches it):
* `deny-function-code` on the root: Deny lambda:UpdateFunctionCode everywhere. The
  management account is not limited by SCPs: `mgmt-deployer` keeps the action; beta's
  `beta-deployer`, with the same policy, does not.
* `deny-iam-but-break-glass` on the OU `restricted`, which holds alpha: Deny iam:* to
  every principal but roles named `break-glass`. alpha's `alpha-iam-admin` (iam:* on *)
  can escalate nothing; alpha's role `break-glass` and beta's `beta-iam-admin`, with the
  same policy, can.

tests/integration/aws.rs asserts on these names; change both together.
"""

from __future__ import annotations

import json

from freezegun import freeze_time

from seed import ACCOUNT_ID, _client, _tags, _trust

AUDIT_ROLE = "nhiscan-audit"
BULK_ACCOUNTS = 17  # with the 5 named accounts: 22, more than one ListAccounts page (20)


def _assumed(endpoint: str, account: str, role: str) -> tuple[str, str, str]:
    creds = _client("sts", endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="seed"
    )["Credentials"]
    return creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]


def _in(endpoint: str, service: str, key, region: str = "us-east-1"):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        aws_session_token=key[2],
    )


def seed_org(endpoint: str) -> dict:
    org = _client("organizations", endpoint)
    org.create_organization(FeatureSet="ALL")
    iam = _client("iam", endpoint)
    with freeze_time("2023-01-01 00:00:00"):
        iam.create_user(UserName="mgmt-deployer", Tags=_tags(owner="root@example.com"))
        iam.create_access_key(UserName="mgmt-deployer")

    accounts = {"management": ACCOUNT_ID}
    named = [("alpha", AUDIT_ROLE), ("beta", AUDIT_ROLE), ("gamma", None), ("delta", AUDIT_ROLE)]
    bulk = [(f"bulk-{i:02d}", AUDIT_ROLE) for i in range(BULK_ACCOUNTS)]
    for name, role in named + bulk:
        request = {"Email": f"{name}@example.com", "AccountName": name}
        if role:
            request["RoleName"] = role
        accounts[name] = org.create_account(**request)["CreateAccountStatus"]["AccountId"]

    _seed_scps(org, accounts)
    grants = {
        "lambda-code": _policy("lambda:UpdateFunctionCode"),
        "iam-admin": _policy("iam:*"),
    }
    iam.put_user_policy(UserName="mgmt-deployer", PolicyName="lambda-code",
                        PolicyDocument=grants["lambda-code"])

    alpha = _assumed(endpoint, accounts["alpha"], AUDIT_ROLE)
    alpha_iam = _in(endpoint, "iam", alpha)
    with freeze_time("2022-05-05 05:05:05"):
        for user in ("alpha-etl", "alpha-backup"):
            alpha_iam.create_user(UserName=user, Tags=_tags(team="alpha"))
            alpha_iam.create_access_key(UserName=user)
        _in(endpoint, "secretsmanager", alpha).create_secret(
            Name="alpha/db", SecretString="seed", Tags=_tags(owner="alpha@example.com"))
        alpha_iam.create_user(UserName="alpha-iam-admin", Tags=_tags(team="alpha"))
        alpha_iam.put_user_policy(UserName="alpha-iam-admin", PolicyName="iam-admin",
                                  PolicyDocument=grants["iam-admin"])
        alpha_iam.create_role(RoleName="break-glass",
                              AssumeRolePolicyDocument=_trust(ACCOUNT_ID))
        alpha_iam.put_role_policy(RoleName="break-glass", PolicyName="iam-admin",
                                  PolicyDocument=grants["iam-admin"])

    beta = _assumed(endpoint, accounts["beta"], AUDIT_ROLE)
    beta_iam = _in(endpoint, "iam", beta)
    with freeze_time("2024-04-04 04:04:04"):
        beta_iam.create_user(UserName="beta-ci")
        beta_iam.create_access_key(UserName="beta-ci")
        beta_iam.create_role(
            RoleName="beta-public", AssumeRolePolicyDocument=_trust("*"))
        _in(endpoint, "secretsmanager", beta, "eu-west-1").create_secret(
            Name="beta/api", SecretString="seed")
        for user, grant in (("beta-deployer", "lambda-code"), ("beta-iam-admin", "iam-admin")):
            beta_iam.create_user(UserName=user)
            beta_iam.put_user_policy(UserName=user, PolicyName=grant,
                                     PolicyDocument=grants[grant])

    gamma = _assumed(endpoint, accounts["gamma"], "OrganizationAccountAccessRole")
    _in(endpoint, "iam", gamma).create_user(UserName="gamma-never-collected")

    org.close_account(AccountId=accounts["delta"])
    return {
        "org": {
            "management": ACCOUNT_ID,
            "audit_role": AUDIT_ROLE,
            "accounts": accounts,
        }
    }


def seed_org_scale(endpoint: str, accounts: int, identities: int) -> dict:
    """The benchmark organisation (scripts/bench-aws-org.sh): `accounts` member accounts,
    each with the audit role and seed.seed_scale's estate of `identities` identities
    (and identities/4 secrets); the management account holds nothing else."""
    from seed import fill_scale

    org = _client("organizations", endpoint)
    org.create_organization(FeatureSet="ALL")
    ids = {}
    for i in range(accounts):
        name = f"scale-{i:03d}"
        ids[name] = org.create_account(
            Email=f"{name}@example.com", AccountName=name, RoleName=AUDIT_ROLE
        )["CreateAccountStatus"]["AccountId"]
    for account in ids.values():
        key = _assumed(endpoint, account, AUDIT_ROLE)
        fill_scale(_in(endpoint, "iam", key), _in(endpoint, "secretsmanager", key), identities)
    return {
        "org": {"management": ACCOUNT_ID, "audit_role": AUDIT_ROLE, "accounts": ids},
        "identities_per_account": identities,
    }


def _policy(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})


def _seed_scps(org, accounts: dict) -> None:
    """SCPs enabled; `deny-function-code` on the root; alpha moved into the OU
    `restricted` with `deny-iam-but-break-glass`."""
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")

    def scp(name: str, statements: list) -> str:
        return org.create_policy(
            Name=name, Description=name, Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )["Policy"]["PolicySummary"]["Id"]

    org.attach_policy(TargetId=root, PolicyId=scp("deny-function-code", [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "lambda:UpdateFunctionCode", "Resource": "*"}]))
    restricted = org.create_organizational_unit(
        ParentId=root, Name="restricted")["OrganizationalUnit"]["Id"]
    org.attach_policy(TargetId=restricted, PolicyId=scp("deny-iam-but-break-glass", [
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {
            "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}}]))
    org.move_account(AccountId=accounts["alpha"], SourceParentId=root,
                     DestinationParentId=restricted)


def create_org_scanner(endpoint: str, readonly_policy: str, org_policy: str,
                       accounts: dict) -> dict:
    """For IAM enforcement: the management-account user `nhiscan-org-scanner` with the
    shipped read-only and organisation policies, and the read-only policy on the audit
    role of every member account that has one. Returns the scanner's access key."""
    iam = _client("iam", endpoint)
    iam.create_user(UserName="nhiscan-org-scanner")
    for name, document in (("readonly", readonly_policy), ("org", org_policy)):
        arn = iam.create_policy(
            PolicyName=f"nhiscan-org-scanner-{name}", PolicyDocument=document
        )["Policy"]["Arn"]
        iam.attach_user_policy(UserName="nhiscan-org-scanner", PolicyArn=arn)
    for name, account in accounts.items():
        if name in ("management", "gamma"):
            continue
        role_iam = _in(endpoint, "iam", _assumed(endpoint, account, AUDIT_ROLE))
        role_iam.put_role_policy(
            RoleName=AUDIT_ROLE, PolicyName="nhiscan-readonly", PolicyDocument=readonly_policy)
    key = iam.create_access_key(UserName="nhiscan-org-scanner")["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


SCP_READS = {"organizations:ListRoots", "organizations:ListParents",
             "organizations:ListPoliciesForTarget", "organizations:DescribePolicy"}


def create_org_scanner_without_scp_reads(endpoint: str, readonly_policy: str,
                                         org_policy: str) -> dict:
    """The user `nhiscan-org-scanner-no-scps`: the read-only policy and the organisation
    policy without the SCP reads (as deployed before nhiscan read SCPs). Returns its key."""
    iam = _client("iam", endpoint)
    user = "nhiscan-org-scanner-no-scps"
    iam.create_user(UserName=user)
    document = json.loads(org_policy)
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]
        statement["Action"] = [a for a in actions if a not in SCP_READS]
    for name, text in (("readonly", readonly_policy), ("org", json.dumps(document))):
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=text)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}

