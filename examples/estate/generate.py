#!/usr/bin/env python3
"""Generates the "Acme" example estate used by nhiscan's examples, docs and tests.

Writes, relative to this file:

* ``inventory.json``        the whole estate as one inventory document (schema 1);
* ``clean-twins.json``      the clean twins (below): ``entity`` (identity or credential
  id), ``type``, ``twin_of`` (rule ids) and ``why``, in the order they are made;
* ``../roster.csv``         the HR export the owners are checked against;
* ``../csv/identities.csv`` and ``../csv/credentials.csv``: a small subset of the
  estate in the canonical CSV import format.

Everything is deterministic: "now" is fixed at ``NOW`` below and every date is written
as "N days before/after NOW" (plus a stable time of day derived from the entity id), so
re-running the script reproduces the committed files byte for byte. Python 3.8+,
standard library only::

    python3 examples/estate/generate.py

Acme runs AWS (acme-prod 111122223333, acme-dev 444455556666), an Entra tenant with one
Azure subscription, the GCP projects acme-data-prod and acme-web-prod, the EKS cluster
prod-eks and the GitHub organisation acme-corp. Most of the estate is healthy (owned, in
use, recently rotated, expiring credentials); the deliberate problems a security review
should surface are, among others:

* access keys 2-4 years old and never rotated, some still in daily use
  (ci-deployer-legacy, sandbox-admin, dev-ci-user, jenkins-svc, bq-exporter key);
* credentials unused for more than 45 days or never used (legacy-ftp-sync,
  ml-experiments, the default compute service-account key, sandbox-admin's 2nd key);
* identities with two active static keys (reporting-export, sandbox-admin,
  bq-exporter, customer-portal-b2c);
* admin identities (AdministratorAccess, Azure/GCP Owner, cluster-admin);
* in GCP: user-managed service-account keys, basic roles on service accounts (the
  Compute Engine default account is Editor, terraform-gcp Owner), the default account
  running three VMs (two with full access to all Cloud APIs), and terraform-gcp
  impersonable by four members;
* wildcard actions (s3:*, iam:*, *) and privileged actions (iam:PassRole,
  iam:CreateAccessKey, ...);
* a service user with console login (jenkins-svc);
* a GitHub OIDC role without a ``sub`` condition (github-actions-terraform, admin),
  a role trusting ``*`` (partner-upload-role), cross-account trust without external id;
* a delegation chain across accounts to an administrator: the dev user qa-loadtest may
  assume prod's dev-to-prod-deploy, which may assume incident-response (admin, trusts
  its account);
* Entra client secrets that never expire, expire within 30 days, or expired but are
  still listed as active (data-lake-ingest); a third-party multi-tenant service
  principal with mail access and no owner;
* an AI support agent (support-agent-llm, owner active) that may assume its escalation
  role, which may assume incident-response (admin): the agent reaches admin in two hops;
  a pilot chatbot whose owner has left (pilot-chatbot, kevin.brooks@acme.example) and
  whose Bedrock role serves dev and prod alike;
* on GitHub: deploy keys that may push (one nobody claims), an app with contents and
  workflows write on every repository, Actions secrets not updated for two years, and a
  fine-grained token without expiry whose owner has left (kevin.brooks@acme.example);
* owners missing, departed (roster status) or unknown to the roster
  (alex.turner@acme.example, build-team@acme.example);
* retired, never-used and disabled identities; vault secrets without rotation or
  expiry, and one whose rotation is enabled but overdue.

Key Vault items record their vault's permission model (``vault_rbac``): kv-acme-prod uses
access policies, kv-acme-platform Azure RBAC (CIS Azure 8.1-8.4 judge them apart).

People have IAM users too, and the NHI rules must leave them alone: lukas.weber, an
engineer with AdministratorAccess, and nina.petrova, a read-only analyst whose inline
policy may list and read Bedrock models (not invoke them), both sign in with a console
password and MFA and have no access key; irene.kowalski left (roster: departed) and her
user was disabled, its password removed and its key deactivated. Enrichment classifies
all three as human; the rules that judge every user (MFA, unused passwords and keys)
find nothing wrong with them.

Every rule also has at least one **clean twin**: an identity or credential that looks like
what the rule catches but must get no finding from any rule, preferably at the rule's
boundary (a key unused for exactly 44 days, one exactly 90 days old, a client secret issued
for exactly 180 days, a secret rotated 90 days ago, a role trusted by lambda and
edgelambda, a GitHub OIDC role pinned to ``repo:acme-corp/infra:ref:refs/heads/main``, an AI
agent that may invoke one model and has an active owner (faq-agent-bedrock), the Compute
Engine default account of a second project, acme-web-prod, with no role and no VM...).
``twin()`` marks each where it is made and ``clean-twins.json`` lists them;
tests/integration/governance.rs checks that the estate's scan reports nothing on any of them and that
every built-in rule has one. A new rule needs a twin here.
"""

import csv
import hashlib
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 1, 0, 0, 0, tzinfo=timezone.utc)

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.dirname(HERE)
SOURCE = "examples/estate/generate.py"

# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

# (person, email, status, end_date): the HR export written to examples/roster.csv.
ROSTER = [
    ("Priya Shah", "priya.shah@acme.example", "active", ""),
    ("Marcus Chen", "marcus.chen@acme.example", "active", ""),
    ("Elena Rossi", "elena.rossi@acme.example", "active", ""),
    ("Tom Okafor", "tom.okafor@acme.example", "active", ""),
    ("Aisha Rahman", "aisha.rahman@acme.example", "active", ""),
    ("Lukas Weber", "lukas.weber@acme.example", "active", ""),
    ("Sofia Alvarez", "sofia.alvarez@acme.example", "active", ""),
    ("Daniel Kim", "daniel.kim@acme.example", "active", ""),
    ("Hannah Berg", "hannah.berg@acme.example", "active", ""),
    ("Ravi Patel", "ravi.patel@acme.example", "active", ""),
    ("Grace O'Neill", "grace.oneill@acme.example", "active", ""),
    ("Jonas Lindqvist", "jonas.lindqvist@acme.example", "active", ""),
    ("Maya Cohen", "maya.cohen@acme.example", "active", ""),
    ("Omar Haddad", "omar.haddad@acme.example", "active", ""),
    ("Chloe Martin", "chloe.martin@acme.example", "active", ""),
    ("Ben Carter", "ben.carter@acme.example", "active", ""),
    ("Yuki Tanaka", "yuki.tanaka@acme.example", "active", ""),
    ("Nina Petrova", "nina.petrova@acme.example", "active", ""),
    ("Samuel Adeyemi", "samuel.adeyemi@acme.example", "active", ""),
    ("Laura Fischer", "laura.fischer@acme.example", "active", ""),
    ("Diego Santos", "diego.santos@acme.example", "active", ""),
    ("Kevin Brooks", "kevin.brooks@acme.example", "departed", "2026-03-31"),
    ("Rachel Moore", "rachel.moore@acme.example", "departed", "2025-09-12"),
    ("Victor Nguyen", "victor.nguyen@acme.example", "departed", "2024-11-29"),
    ("Irene Kowalski", "irene.kowalski@acme.example", "departed", "2026-09-30"),
]

# Owners named in the estate that the roster does not know (a contractor who was never
# in the HR system, and a group mailbox).
UNKNOWN_OWNERS = {"alex.turner@acme.example", "build-team@acme.example"}


def _email(first):
    for person, email, _status, _end in ROSTER:
        if person.split()[0].lower() == first:
            return email
    raise KeyError(first)


PRIYA, MARCUS, ELENA, TOM = _email("priya"), _email("marcus"), _email("elena"), _email("tom")
AISHA, LUKAS, SOFIA, DANIEL = _email("aisha"), _email("lukas"), _email("sofia"), _email("daniel")
HANNAH, RAVI, GRACE, JONAS = _email("hannah"), _email("ravi"), _email("grace"), _email("jonas")
MAYA, OMAR, CHLOE, BEN = _email("maya"), _email("omar"), _email("chloe"), _email("ben")
YUKI, NINA, SAMUEL, LAURA = _email("yuki"), _email("nina"), _email("samuel"), _email("laura")
DIEGO = _email("diego")
KEVIN, RACHEL, VICTOR, IRENE = _email("kevin"), _email("rachel"), _email("victor"), _email("irene")
ALEX_CONTRACTOR, BUILD_TEAM = "alex.turner@acme.example", "build-team@acme.example"

# --------------------------------------------------------------------------------------
# Scopes
# --------------------------------------------------------------------------------------

AWS_PROD_ID, AWS_DEV_ID = "111122223333", "444455556666"
AWS_PROD = {"kind": "account", "id": AWS_PROD_ID, "name": "acme-prod"}
AWS_DEV = {"kind": "account", "id": AWS_DEV_ID, "name": "acme-dev"}
VENDOR_ACCOUNT = "999988887777"  # a monitoring vendor's AWS account

NS = uuid.UUID("6f1c1d2e-4b7a-5c3d-9e8f-0a1b2c3d4e5f")


def guid(label):
    """A stable GUID for an Azure object, derived from a label."""
    return str(uuid.uuid5(NS, label))


AZ_TENANT_ID = guid("tenant:acme")
AZ_SUB_ID = guid("subscription:acme-production")
AZ_TENANT = {"kind": "tenant", "id": AZ_TENANT_ID, "name": "acme.onmicrosoft.com"}
AZ_SUB = {"kind": "subscription", "id": AZ_SUB_ID, "name": "acme-production"}
CONTOSO_TENANT_ID = guid("tenant:contoso-analytics")

GCP_PROJECT = "acme-data-prod"
GCP_PROJECT_NUMBER = "715034528641"
GCP = {"kind": "project", "id": GCP_PROJECT, "name": "Acme Data (prod)"}

K8S = {"kind": "cluster", "id": "prod-eks", "name": "prod-eks"}
# A second EKS cluster, in Frankfurt, for the claims agent's EU deployment.
K8S_EU = {"kind": "cluster", "id": "eu-eks", "name": "eu-eks"}
GH = {"kind": "organization", "id": "acme-corp", "name": "Acme Corp"}
EKS_OIDC = (
    "arn:aws:iam::111122223333:oidc-provider/"
    "oidc.eks.eu-west-1.amazonaws.com/id/5C7E1B2A9D3F4E6A8B0C1D2E3F4A5B6C"
)
EKS_EU_OIDC = (
    "arn:aws:iam::111122223333:oidc-provider/"
    "oidc.eks.eu-central-1.amazonaws.com/id/9A1B2C3D4E5F60718293A4B5C6D7E8F9"
)
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"

# --------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------


def _h(label, n):
    return int(hashlib.sha256(label.encode()).hexdigest(), 16) % n


def _fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def when(days_ago, label):
    """A timestamp `days_ago` whole days before NOW (at a stable time of that day).

    Negative values are in the future (expiry dates). Whole-day arithmetic from NOW
    gives back exactly `days_ago` (and `-days_ago` days to expiry)."""
    if days_ago is None:
        return None
    seconds = _h(label, 86400)
    if days_ago >= 0:
        t = NOW - timedelta(days=days_ago, seconds=seconds)
    else:
        t = NOW + timedelta(days=-days_ago, seconds=seconds)
    return _fmt(t)


# --------------------------------------------------------------------------------------
# Builders: dicts in the same field order and with the same omissions as the Rust
# serializer (src/inventory.rs), so a read/write round trip is an identity.
# --------------------------------------------------------------------------------------

identities = []
credentials = []

# Clean twins (examples/estate/clean-twins.json): entities that look like what a rule
# catches but must get no finding from any rule. Marked with twin() where they are made.
twins = []


def twin(entity, twin_of, why):
    """Marks `entity` (an identity or credential dict) as a clean twin of the rules
    `twin_of`; `why` says in one line what makes it similar and why it must not fire."""
    kind = "credential" if "status" in entity else "identity"
    twins.append({"entity": entity["id"], "type": kind, "twin_of": list(twin_of), "why": why})
    return entity


# Key ids in the leak report one character off the clean twins' (see build_aws_prod).
NEAR_MISSES = []


def one_off(key_id):
    """`key_id` with its last character changed: a leaked id that is not this key's."""
    last = key_id[-1]
    return key_id[:-1] + ("A" if last != "A" else "B")


def identity_of(provider, id):
    """The identity dict with this provider and id."""
    return next(i for i in identities if (i["provider"], i["id"]) == (provider, id))


def credentials_of(identity):
    """The credentials made for `identity` (an identity dict), in creation order."""
    return [c for c in credentials
            if c.get("identity_id") == identity["id"] and c["provider"] == identity["provider"]]


def pin_lifetime(cred, days):
    """Sets `expires` to exactly `days` days after `created` (so that `lifetime_days` is
    `days` whatever the times of day)."""
    created = datetime.strptime(cred["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    cred["expires"] = _fmt(created + timedelta(days=days))
    return cred


def trust(principal, principal_type, *conditions):
    t = {"principal": principal, "principal_type": principal_type}
    if conditions:
        t["conditions"] = list(conditions)
    return t


def svc(service):
    return trust(service, "service")


def github_oidc(account, sub=None):
    conditions = [f"{GITHUB_OIDC_HOST}:aud StringEquals sts.amazonaws.com"]
    if sub:
        conditions.append(f"{GITHUB_OIDC_HOST}:sub StringLike {sub}")
    return trust(
        f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}", "federated", *conditions
    )


def eks_irsa(namespace, name, provider=EKS_OIDC):
    host = provider.split("oidc-provider/")[1]
    return trust(
        provider,
        "federated",
        f"{host}:aud StringEquals sts.amazonaws.com",
        f"{host}:sub StringEquals system:serviceaccount:{namespace}:{name}",
    )


def add_identity(
    provider,
    scope,
    id,
    name,
    kind,
    *,
    description=None,
    created=None,
    last_activity=None,
    activity_tracked=True,
    enabled=True,
    tags=None,
    owners=None,
    interactive_login=False,
    admin=False,
    wildcard=(),
    privileged=(),
    policies=(),
    trusts=(),
    attributes=None,
):
    ident = {"provider": provider, "scope": dict(scope), "id": id, "name": name, "kind": kind}
    if description is not None:
        ident["description"] = description
    if created is not None:
        ident["created"] = when(created, id + "|created")
    if last_activity is not None:
        ident["last_activity"] = when(last_activity, id + "|last_activity")
    if not activity_tracked:
        ident["activity_tracked"] = False
    if not enabled:
        ident["enabled"] = False
    if tags:
        ident["tags"] = dict(sorted(tags.items()))
    if owners:
        ident["owners"] = list(owners)
    if interactive_login:
        ident["interactive_login"] = True
    permissions = {}
    if admin:
        permissions["admin"] = True
    if wildcard:
        permissions["wildcard_actions"] = list(wildcard)
    if privileged:
        permissions["privileged_actions"] = list(privileged)
    if policies:
        permissions["policies"] = list(policies)
    if permissions:
        ident["permissions"] = permissions
    if trusts:
        ident["trust"] = list(trusts)
    if attributes:
        ident["attributes"] = dict(sorted(attributes.items()))
    identities.append(ident)
    return ident


def add_credential(
    provider,
    scope,
    id,
    kind,
    *,
    name=None,
    identity_id=None,
    created=None,
    expires=None,
    last_used=None,
    usage_tracked=True,
    last_rotated=None,
    rotation_enabled=None,
    rotation_interval_days=None,
    status="active",
    region=None,
    vault=None,
    tags=None,
    attributes=None,
):
    """`expires` is in days from NOW (negative: already expired)."""
    cred = {"provider": provider, "scope": dict(scope), "id": id}
    if name is not None:
        cred["name"] = name
    cred["kind"] = kind
    if identity_id is not None:
        cred["identity_id"] = identity_id
    if created is not None:
        cred["created"] = when(created, id + "|created")
    if expires is not None:
        cred["expires"] = when(-expires, id + "|expires")
    if last_used is not None:
        cred["last_used"] = when(last_used, id + "|last_used")
    if not usage_tracked:
        cred["usage_tracked"] = False
    if last_rotated is not None:
        cred["last_rotated"] = when(last_rotated, id + "|last_rotated")
    if rotation_enabled is not None:
        cred["rotation_enabled"] = rotation_enabled
    if rotation_interval_days is not None:
        cred["rotation_interval_days"] = rotation_interval_days
    cred["status"] = status
    location = {}
    if region is not None:
        location["region"] = region
    if vault is not None:
        location["vault"] = vault
    if location:
        cred["location"] = location
    if tags:
        cred["tags"] = dict(sorted(tags.items()))
    if attributes:
        cred["attributes"] = dict(sorted(attributes.items()))
    credentials.append(cred)
    return cred


def owner_tags(owner=None, team=None, **extra):
    tags = {}
    if owner:
        tags["owner"] = owner
    if team:
        tags["team"] = team
    for key, value in extra.items():
        tags[key.replace("_", "-")] = value
    return tags


# ---- AWS -----------------------------------------------------------------------------

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def access_key_id(label):
    digest = hashlib.sha256(("akid:" + label).encode()).digest()
    return "AKIA" + "".join(B32[b % 32] for b in digest[:16])


def key(created, last_used=None, status="active", **attributes):
    return dict(created=created, last_used=last_used, status=status, attributes=attributes)


def aws_user(scope, name, *, keys=(), created, last_activity="auto", **kw):
    account = scope["id"]
    arn = f"arn:aws:iam::{account}:user/{name}"
    if last_activity == "auto":
        used = [k["last_used"] for k in keys if k["last_used"] is not None]
        last_activity = min(used) if used else None
    ident = add_identity("aws", scope, arn, name, "service_user", created=created,
                         last_activity=last_activity, **kw)
    for i, k in enumerate(keys, 1):
        add_credential(
            "aws", scope, access_key_id(f"{arn}#{i}"), "access_key",
            identity_id=arn, created=k["created"], last_used=k["last_used"],
            status=k["status"], attributes=k["attributes"] or None,
        )
    return ident


def aws_role(scope, name, *, trusts, created, last_activity=None, path="", **kw):
    account = scope["id"]
    arn = f"arn:aws:iam::{account}:role/{path}{name}"
    return add_identity("aws", scope, arn, name, "role", created=created,
                        last_activity=last_activity, trusts=trusts, **kw)


def allow(actions, resources):
    """One `Allow` policy statement, as the collector records it per service."""
    return {"Action": list(actions), "Effect": "Allow", "Resource": list(resources)}


def usage(services):
    """Service last accessed data as `--usage` records it: (namespace, name, days since
    last use or None, region, statements) per granted service, read at NOW."""
    out = []
    for namespace, name, days, region, statements in services:
        entry = {"service": namespace, "name": name}
        if days is not None:
            entry["last_used"] = when(days, f"usage|{namespace}|{name}")
            entry["region"] = region
        entry["statements"] = statements
        out.append(entry)
    return {"as_of": _fmt(NOW), "tracking_days": 400, "services": out}


def gcp_usage(bindings, project_number=None):
    """Policy insights as `scan gcp --usage` records them: (role, exercised permissions,
    inferred permissions) per project role binding, observed for 90 days up to the day
    before NOW; a binding with no exercised permission is unused in that window."""
    project_number = project_number or GCP_PROJECT_NUMBER
    out = []
    for role, exercised, inferred in sorted(bindings):
        entry = {"service": role, "name": f"{role} on projects/{project_number}"}
        if exercised:
            entry["used_within_days"] = 90
        entry["statements"] = [{"role": role, "resource": f"projects/{project_number}",
                                "exercisedPermissions": list(exercised),
                                "inferredPermissions": list(inferred)}]
        out.append(entry)
    return {"as_of": _fmt(NOW - timedelta(days=1)), "tracking_days": 90, "services": out}


def azure_usage(identity, app_only_days, delegated_days):
    """The sign-in activity `scan azure --usage` records: the application's permissions (its
    policies) with its last app-only sign-in, and its last delegated one, days before NOW."""
    services = [{"service": "application permissions", "name": "app-only sign-ins as a client",
                 "last_used": when(app_only_days, identity["id"] + "|app-only"),
                 "statements": [{"grant": g} for g in identity["permissions"]["policies"]]}]
    if delegated_days is not None:
        services.append({"service": "delegated permissions",
                         "name": "sign-ins on behalf of a user",
                         "last_used": when(delegated_days, identity["id"] + "|delegated")})
    identity["usage"] = {"as_of": _fmt(NOW), "services": services}
    return identity


def secrets_manager(scope, name, *, created, region="eu-west-1", rotation=None,
                    interval=None, last_rotated=None, last_used=None, tags=None, **kw):
    account = scope["id"]
    suffix = "".join(B32[b % 26].lower() if b % 3 else B32[b % 26] for b in
                     hashlib.sha256(name.encode()).digest()[:6])
    arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}"
    return add_credential(
        "aws", scope, arn, "vault_secret", name=name, created=created, last_used=last_used,
        last_rotated=last_rotated, rotation_enabled=rotation, rotation_interval_days=interval,
        region=region, vault="secretsmanager", tags=tags, **kw,
    )


# ---- Azure ---------------------------------------------------------------------------

GRAPH = "Microsoft Graph"


def secret(name, created, expires=None, status="active"):
    return dict(kind="client_secret", name=name, created=created, expires=expires, status=status)


def cert(name, created, expires, status="active"):
    return dict(kind="certificate", name=name, created=created, expires=expires, status=status)


def azure_app(name, *, created, creds=(), owners=(), last_activity=None, audience="AzureADMyOrg",
              **kw):
    object_id = guid("app:" + name)
    attributes = {"appId": guid("appid:" + name), "signInAudience": audience}
    attributes.update(kw.pop("attributes", {}))
    add_identity("azure", AZ_TENANT, object_id, name, "app_registration", created=created,
                 last_activity=last_activity, owners=owners, attributes=attributes, **kw)
    for c in creds:
        add_credential(
            "azure", AZ_TENANT, guid(f"key:{name}:{c['name']}"), c["kind"], name=c["name"],
            identity_id=object_id, created=c["created"], expires=c["expires"],
            usage_tracked=False, status=c["status"],
        )
    return object_id


def azure_sp(name, *, created, creds=(), owners=(), attributes=None, **kw):
    object_id = guid("sp:" + name)
    attrs = {"appId": guid("appid:" + name), "servicePrincipalType": "Application"}
    attrs.update(attributes or {})
    add_identity("azure", AZ_TENANT, object_id, name, "service_principal", created=created,
                 owners=owners, attributes=attrs, **kw)
    for c in creds:
        add_credential(
            "azure", AZ_TENANT, guid(f"key:{name}:{c['name']}"), c["kind"], name=c["name"],
            identity_id=object_id, created=c["created"], expires=c["expires"],
            usage_tracked=False, status=c["status"],
        )
    return object_id


def managed_identity(name, *, resource_group, created, system_assigned_to=None, **kw):
    principal = guid("mi:" + name)
    if system_assigned_to:
        resource = (f"/subscriptions/{AZ_SUB_ID}/resourceGroups/{resource_group}"
                    f"/providers/{system_assigned_to}")
        attributes = {"assignment": "system", "resourceId": resource}
    else:
        resource = (f"/subscriptions/{AZ_SUB_ID}/resourceGroups/{resource_group}/providers/"
                    f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
        attributes = {"assignment": "user", "resourceId": resource,
                      "clientId": guid("mi-client:" + name)}
    attributes.update(kw.pop("attributes", {}))
    return add_identity("azure", AZ_SUB, principal, name, "managed_identity", created=created,
                        attributes=attributes, **kw)


# Each vault's permission model: Azure RBAC (True) or access policies (False). The
# collector records it on every item as `vault_rbac`; CIS Azure 8.1-8.4 judge the two
# kinds of vault separately.
VAULT_RBAC = {
    "kv-acme-prod": False,      # the 2022 vault, still on access policies
    "kv-acme-platform": True,   # platform signing keys and tooling secrets
}


def key_vault(vault, name, *, created, kind="vault_secret", expires=None, last_rotated=None,
              tags=None, region="westeurope", status="active"):
    collection = {"certificate": "certificates", "vault_key": "keys"}.get(kind, "secrets")
    return add_credential(
        "azure", AZ_SUB, f"https://{vault}.vault.azure.net/{collection}/{name}", kind, name=name,
        created=created, expires=expires, usage_tracked=False, last_rotated=last_rotated,
        status=status, region=region, vault=vault, tags=tags,
        attributes={"vault_rbac": VAULT_RBAC[vault]},
    )


# ---- GCP -----------------------------------------------------------------------------


GCP_PRIMITIVE_ROLES = ("roles/owner", "roles/editor")
GCP_COMPUTE_DEFAULT = f"{GCP_PROJECT_NUMBER}-compute@developer.gserviceaccount.com"


def gcp_is_admin_role(role):
    """CIS GCP 1.5's admin roles, as src/collect/gcp/build.rs judges them: Owner,
    Editor, or a role whose id contains `admin` / `Admin`."""
    role_id = role.rsplit("roles/", 1)[-1]
    return role in GCP_PRIMITIVE_ROLES or "admin" in role_id or "Admin" in role_id


def gcp_member_trust(member, role):
    """A policy member as src/collect/gcp/build.rs writes it into `trust`."""
    if member.startswith("serviceAccount:"):
        principal, kind = member.split(":", 1)[1].lower(), "identity"
    elif member in ("allUsers", "allAuthenticatedUsers"):
        principal, kind = member, "any"
    elif member.startswith(("principal://", "principalSet://")):
        principal, kind = member, "federated"
    else:
        principal, kind = member, "other"
    return trust(principal, kind, f"role = {role}")


def impersonator(member, role):
    """A grant of an impersonation role on the service account itself."""
    return {"granted_on": "service_account", "member": member, "role": role}


def gcp_sa(account_id, *, created, keys=(), email=None, display=None, last_activity="auto",
           impersonators=(), workloads=None, full_api_scope=(), project=GCP,
           project_number=GCP_PROJECT_NUMBER, **kw):
    """A service account as the GCP collector writes it when it could read the project's
    and the account's IAM policies and list the project's workloads: `workloads` are the
    `zone/name` of the instances running as it (or a label with its kind, such as
    `cloud-run-service REGION/NAME`), `full_api_scope` those of them with the
    cloud-platform scope."""
    email = email or f"{account_id}@{project['id']}.iam.gserviceaccount.com"
    if last_activity == "auto":
        used = [k["last_used"] for k in keys if k["last_used"] is not None]
        last_activity = min(used) if used else None
    attributes = {"uniqueId": str(100000000000000000000 + _h("gcp:" + email, 10**20)),
                  "projectNumber": project_number}
    if display:
        attributes["displayName"] = display
    roles = sorted(kw.get("policies", ()))
    attributes["project_roles"] = roles
    attributes["primitive_roles"] = [r for r in roles if r in GCP_PRIMITIVE_ROLES]
    attributes["admin_roles"] = [r for r in roles if gcp_is_admin_role(r)]
    attributes["impersonators"] = list(impersonators)
    attributes["impersonator_count"] = len({i["member"] for i in impersonators})
    def label(workload):
        return workload if " " in workload else f"instance {workload}"
    attributes["workloads"] = sorted(label(w) for w in workloads or ())
    attributes["full_api_scope_instances"] = sorted(label(w) for w in full_api_scope)
    if email == f"{project_number}-compute@developer.gserviceaccount.com":
        attributes["default_service_account"] = "compute"
    attributes.update(kw.pop("attributes", {}))
    trusts = [gcp_member_trust(i["member"], i["role"]) for i in impersonators]
    trusts += list(kw.pop("trusts", ()))
    add_identity("gcp", project, email, account_id, "service_account", created=created,
                 last_activity=last_activity, attributes=attributes, trusts=trusts, **kw)
    for i, k in enumerate(keys, 1):
        key_id = hashlib.sha1(f"{email}#{i}".encode()).hexdigest()
        key_attributes = {"keyType": "USER_MANAGED", "keyOrigin": "GOOGLE_PROVIDED",
                          "keyAlgorithm": "KEY_ALG_RSA_2048"}
        expires = k["attributes"].pop("expires", None)
        key_attributes.update(k["attributes"])
        add_credential(
            "gcp", project, f"projects/{project['id']}/serviceAccounts/{email}/keys/{key_id}",
            "service_account_key", identity_id=email, created=k["created"],
            expires=expires, last_used=k["last_used"],
            status=k["status"], attributes=key_attributes,
        )
    return email


# ---- Kubernetes ----------------------------------------------------------------------


def k8s_sa(namespace, name, *, created, tokens=(), workloads=None, bindings=(),
           reads_all_secrets=False, automount_token=True, cluster=K8S, **kw):
    """A ServiceAccount as src/collect/kubernetes/build.rs writes it: `bindings` are
    (binding, role, subject) triples; `workloads` None means the workloads were not listed."""
    sa_id = f"system:serviceaccount:{namespace}:{name}"
    attributes = {"namespace": namespace, "service_account": name,
                  "automount_token": automount_token}
    attributes.update(kw.pop("attributes", {}))
    if workloads is not None:
        attributes["workloads"] = list(workloads)
    attributes["bindings"] = [{"binding": b, "role": r, "subject": s} for b, r, s in bindings]
    attributes["reads_all_secrets"] = reads_all_secrets
    add_identity("kubernetes", cluster, sa_id, f"{namespace}/{name}", "service_account",
                 created=created, activity_tracked=False, attributes=attributes, **kw)
    for token_name, token_created in tokens:
        add_credential(
            "kubernetes", cluster, f"{namespace}/{token_name}", "token", name=token_name,
            identity_id=sa_id, created=token_created, usage_tracked=False,
            attributes={"namespace": namespace,
                        "secretType": "kubernetes.io/service-account-token"},
        )
    return sa_id


def crb(name, role, subject="ServiceAccount"):
    return (f"ClusterRoleBinding/{name}", f"ClusterRole/{role}", subject)


def rb(namespace, name, role, kind="Role", subject="ServiceAccount"):
    return (f"RoleBinding/{namespace}/{name}", f"{kind}/{role}", subject)


# --------------------------------------------------------------------------------------
# The estate
# --------------------------------------------------------------------------------------


def build_aws_prod():
    P = AWS_PROD
    # -- deliberate problems ----------------------------------------------------------
    aws_user(P, "ci-deployer-legacy", created=1290,
             description="Jenkins-era deploy user; replaced by GitHub OIDC but still used",
             keys=[key(1285, 2, last_used_service="cloudformation")],
             tags=owner_tags(team="platform", created_by=VICTOR),
             admin=True, policies=["AdministratorAccess"])
    aws_user(P, "reporting-export", created=560,
             description="Nightly finance exports to the reporting bucket",
             keys=[key(410, 300), key(31, 0)],
             tags=owner_tags(MARCUS, "data"),
             wildcard=["s3:*"], policies=["reporting-export-s3"])
    aws_user(P, "legacy-ftp-sync", created=205,
             keys=[key(200)],
             policies=["ftp-sync-s3-put"])
    aws_user(P, "jenkins-svc", created=815, last_activity=1,
             description="Self-hosted Jenkins; console password used for the plugin UI",
             keys=[key(800, 3, last_used_service="ecr")],
             tags=owner_tags(ALEX_CONTRACTOR, "platform"),
             interactive_login=True, wildcard=["ec2:*"],
             privileged=["iam:PassRole"], policies=["jenkins-build", "AmazonEC2FullAccess"],
             attributes={"password_last_used": when(1, "jenkins-svc|pw"), "mfa_active": False})
    aws_user(P, "terraform-bootstrap", created=640,
             description="Creates the Terraform state bucket and CI roles",
             keys=[key(420, 95, status="inactive"), key(28, 9)],
             tags=owner_tags(LUKAS, "platform"),
             wildcard=["iam:*"],
             privileged=["iam:CreateAccessKey", "iam:PassRole", "iam:CreateRole"],
             policies=["terraform-bootstrap"])
    aws_user(P, "ses-smtp-sender", created=505,
             description="SMTP credentials for the legacy mailer",
             keys=[key(500, 0, last_used_service="ses")],
             tags=owner_tags(ELENA, "payments"), policies=["AmazonSesSendingAccess"])
    aws_user(P, "old-analytics-user", created=1210,
             description="Redshift loader from the 2023 analytics stack",
             keys=[key(1200, 700, status="inactive")],
             tags=owner_tags(RACHEL, "data"), policies=["AmazonRedshiftFullAccess"])
    aws_user(P, "ops-breakglass", created=900, last_activity=120,
             description="Emergency access user; keys must stay disabled",
             keys=[key(890, 400, status="inactive")],
             tags=owner_tags(AISHA, "security"), interactive_login=True,
             admin=True, policies=["AdministratorAccess"],
             attributes={"mfa_active": True})

    aws_role(P, "github-actions-terraform", created=380, last_activity=0,
             description="Terraform apply from GitHub Actions",
             trusts=[github_oidc(AWS_PROD_ID)],  # no `sub`: any repository may assume it
             tags=owner_tags(LUKAS, "platform"), admin=True, policies=["AdministratorAccess"])
    aws_role(P, "dev-to-prod-deploy", created=720, last_activity=15,
             description="Lets the dev account push artefacts to prod",
             trusts=[trust(AWS_DEV_ID, "account")],
             wildcard=["s3:*"], privileged=["iam:PassRole"], policies=["cross-account-deploy"],
             attributes={"assume_role_targets": [f"arn:aws:iam::{AWS_PROD_ID}:role/*"]})
    aws_role(P, "partner-upload-role", created=1100, last_activity=250,
             description="Partner file drop (2023 pilot)",
             trusts=[trust("*", "any")],
             tags=owner_tags(RACHEL), policies=["partner-upload-s3-put"])
    aws_role(P, "legacy-etl-role", created=1095,
             trusts=[svc("ec2.amazonaws.com")],
             wildcard=["s3:*", "glue:*"], policies=["legacy-etl"])
    aws_role(P, "support-agent-llm", created=210, last_activity=0,
             description="Customer-support AI agent (Bedrock agent + action-group Lambdas)",
             trusts=[svc("bedrock.amazonaws.com"), svc("lambda.amazonaws.com"),
                     eks_irsa("support", "support-agent-llm-worker")],
             tags=owner_tags(SOFIA, "customer-support", workload_type="ai-agent",
                             data_classification="customer-pii"),
             wildcard=["dynamodb:*"],
             policies=["support-agent-bedrock", "support-agent-tickets-rw"],
             # What it may do in AI services goes to `ai_actions`, as the collector
             # records it: invoking a model is no privilege escalation.
             attributes={"ai_actions": ["bedrock:InvokeModel",
                                        "bedrock:InvokeModelWithResponseStream"],
                         "ai_models": ["anthropic.claude-3-5-sonnet-20241022-v2:0"],
                         "bedrock_agent_id": "SUPPAGT7Q2",
                         # Raised to 12 hours for a long-running batch experiment.
                         "max_session_duration": 43200,
                         # Its escalation tool: the agent hands its authority on.
                         "assume_role_targets": [
                             f"arn:aws:iam::{AWS_PROD_ID}:role/support-escalation"]})
    aws_role(P, "support-escalation", created=200, last_activity=3,
             description="Refunds and account changes the support agent escalates to",
             trusts=[trust(f"arn:aws:iam::{AWS_PROD_ID}:role/support-agent-llm", "identity")],
             tags=owner_tags(SOFIA, "customer-support"),
             privileged=["iam:PassRole"], policies=["support-escalation"],
             # "incident-*" was meant for incident tooling; it reaches incident-response.
             attributes={"assume_role_targets": [f"arn:aws:iam::{AWS_PROD_ID}:role/incident-*"]})
    aws_role(P, "incident-response", created=600, last_activity=130,
             description="Assumed by the security team during incidents",
             trusts=[trust(f"arn:aws:iam::{AWS_PROD_ID}:user/ops-breakglass", "identity",
                           "aws:MultiFactorAuthPresent Bool true"),
                     trust(AWS_PROD_ID, "account")],
             tags=owner_tags(AISHA, "security"), admin=True, policies=["AdministratorAccess"])
    twin(aws_role(P, "AWSServiceRoleForECS", path="aws-service-role/ecs.amazonaws.com/",
                  created=1400, last_activity=0, description="Service-linked role for Amazon ECS",
                  trusts=[svc("ecs.amazonaws.com")], policies=["AmazonECSServiceRolePolicy"],
                  attributes={"service_linked": True}),
         ["identity-without-owner"],
         "a role nobody tags with an owner, but a service-linked role AWS makes and manages "
         "(provider_managed): there is no owner to name")

    twin(aws_role(P, "kb-summarizer-agent", created=90, last_activity=0,
                  description="Bedrock agent that summarises knowledge-base articles",
                  trusts=[svc("bedrock.amazonaws.com")],
                  tags=owner_tags(SOFIA, "customer-support", workload_type="ai-agent",
                                  environment="prod"),
                  policies=["kb-summarizer-read"],
                  attributes={"ai_actions": ["bedrock:InvokeModel"],
                              "bedrock_agent_id": "KBSUMM4X1",
                              "max_session_duration": 3600}),
         ["aws-ai-agent-session-too-long", "ai-agent-without-owner",
          "ai-agent-excessive-privileges", "ai-agent-shared-across-environments"],
         "an AI agent role like support-agent-llm, but its sessions last at most the one-hour "
         "default, it has an owner, read-only rights and one environment")

    # One agent identity for two clusters' deployments (EU and US), and its twin, whose
    # workloads (an EKS pod and a Lambda function) run in one account.
    aws_role(P, "claims-triage-agent", created=150, last_activity=0,
             description="Insurance-claims triage agent (Bedrock), US and EU deployments",
             trusts=[eks_irsa("claims", "triage-worker"),
                     eks_irsa("claims", "triage-worker-eu", provider=EKS_EU_OIDC)],
             tags=owner_tags(SOFIA, "claims", workload_type="ai-agent", environment="prod"),
             policies=["claims-triage-read"],
             attributes={"ai_actions": ["bedrock:InvokeModel"], "max_session_duration": 3600})
    twin(aws_role(P, "claims-intake-agent", created=150, last_activity=0,
                  description="Insurance-claims intake agent (Bedrock): an EKS worker and its "
                              "Lambda tools",
                  trusts=[eks_irsa("claims", "intake-worker"),
                          trust(f"arn:aws:iam::{AWS_PROD_ID}:role/claims-intake-tools", "identity")],
                  tags=owner_tags(SOFIA, "claims", workload_type="ai-agent", environment="prod"),
                  policies=["claims-intake-read"],
                  attributes={"ai_actions": ["bedrock:InvokeModel"],
                              "max_session_duration": 3600}),
         ["ai-agent-shared-across-scopes"],
         "an AI agent role like claims-triage-agent, used by two workloads, but of one "
         "account: a pod of prod-eks and a Lambda function of acme-prod")
    aws_role(P, "claims-intake-tools", created=150, last_activity=0,
             description="Lambda tools of the claims intake agent",
             trusts=[svc("lambda.amazonaws.com")], tags=owner_tags(SOFIA, "claims"),
             policies=["claims-intake-tools"])

    # -- healthy -----------------------------------------------------------------------
    healthy_users = [
        ("backup-agent", TOM, "sre", 330, 60, 1, ["acme-backup-s3-write"]),
        ("payments-reconciler", ELENA, "payments", 480, 45, 0, ["payments-reconciler"]),
        ("s3-log-shipper", TOM, "sre", 700, 80, 0, ["log-shipper"]),
        ("metrics-pusher", SAMUEL, "observability", 260, 22, 0, ["cloudwatch-put-metrics"]),
        ("cdn-invalidator", CHLOE, "web", 300, 37, 2, ["cloudfront-invalidate"]),
        ("email-bounce-processor", RAVI, "messaging", 410, 51, 0, ["ses-bounce-sqs"]),
        ("pdf-renderer", OMAR, "documents", 190, 12, 1, ["pdf-renderer-s3"]),
        ("search-indexer", JONAS, "search", 520, 64, 0, ["opensearch-write"]),
        ("webhook-relay", ELENA, "payments", 275, 19, 0, ["webhook-relay-sqs"]),
        ("invoice-archiver", RAVI, "finance-eng", 360, 70, 3, ["invoice-archive-glacier"]),
    ]
    for name, owner, team, created, key_age, used, policies in healthy_users:
        previous = key_age + 90
        aws_user(P, name, created=created,
                 keys=[key(previous, key_age + 1, status="inactive"), key(key_age, used)],
                 tags=owner_tags(owner, team, environment="prod"), policies=policies)
    # Service last accessed data (as `scan aws --usage` reads it) for two of them.
    indexer = identity_of("aws", f"arn:aws:iam::{AWS_PROD_ID}:user/search-indexer")
    indexer["usage"] = usage([
        ("es", "Amazon OpenSearch Service", 2, "us-east-1",
         [allow(["es:ESHttpPost", "es:ESHttpPut"], [f"arn:aws:es:us-east-1:{AWS_PROD_ID}:domain/search/*"])]),
        ("s3", "Amazon Simple Storage Service", 200, "us-east-1",
         [allow(["s3:PutObject", "s3:GetObject"], ["arn:aws:s3:::acme-search-snapshots/*"])]),
        ("sqs", "Amazon Simple Queue Service", None, None,
         [allow(["sqs:ReceiveMessage", "sqs:DeleteMessage"], ["*"])]),
    ])
    pusher = identity_of("aws", f"arn:aws:iam::{AWS_PROD_ID}:user/metrics-pusher")
    pusher["usage"] = usage([
        ("cloudwatch", "Amazon CloudWatch", 0, "eu-west-1",
         [allow(["cloudwatch:PutMetricData"], ["*"])]),
        ("logs", "Amazon CloudWatch Logs", 89, "eu-west-1",
         [allow(["logs:PutLogEvents", "logs:CreateLogStream"], ["*"])]),
    ])
    twin(pusher, ["permissions-unused"],
         "service last accessed data like search-indexer's, but it used every service it "
         "may use within 90 days (the last 89 days ago)")

    renderer = identity_of("aws", f"arn:aws:iam::{AWS_PROD_ID}:user/pdf-renderer")
    old_key, new_key = credentials_of(renderer)
    twin(new_key, ["credential-leaked-still-active"],
         "an active key whose id differs by one character from a key id in the leak report "
         "(examples/estate/leaks.json): only the exact id is this key")
    twin(old_key, ["credential-leaked-inactive"],
         "an inactive key whose id differs by one character from a key id in the leak "
         "report: only the exact id is this key")
    NEAR_MISSES.extend([one_off(new_key["id"]), one_off(old_key["id"])])

    aws_role(P, "github-actions-deploy", created=380, last_activity=0,
             description="ECS deploys from acme/payments-api main branch",
             trusts=[github_oidc(AWS_PROD_ID, "repo:acme/payments-api:ref:refs/heads/main")],
             tags=owner_tags(LUKAS, "platform"), privileged=["iam:PassRole"],
             policies=["deploy-ecs-payments"])
    aws_role(P, "eks-node-role", created=700, last_activity=0,
             trusts=[svc("ec2.amazonaws.com")], tags=owner_tags(TOM, "sre"),
             policies=["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"])
    aws_role(P, "orders-api-lambda", created=450, last_activity=0,
             trusts=[svc("lambda.amazonaws.com")], tags=owner_tags(ELENA, "payments"),
             policies=["orders-api-dynamodb"])
    aws_role(P, "datadog-integration", created=820, last_activity=0,
             description="Read-only monitoring by the vendor account",
             trusts=[trust(VENDOR_ACCOUNT, "account", "sts:ExternalId StringEquals acme-dd-5f2c")],
             tags=owner_tags(SAMUEL, "observability"), policies=["SecurityAudit", "datadog-ro"])
    aws_role(P, "irsa-payments-api", created=380, last_activity=0,
             trusts=[eks_irsa("payments", "payments-api")], tags=owner_tags(ELENA, "payments"),
             policies=["payments-api-dynamodb", "payments-api-sqs"])
    aws_role(P, "irsa-external-dns", created=690, last_activity=0,
             trusts=[eks_irsa("kube-system", "external-dns")], tags=owner_tags(TOM, "sre"),
             policies=["route53-external-dns"])
    aws_role(P, "checkout-api-task", created=230, last_activity=0,
             trusts=[svc("ecs-tasks.amazonaws.com")], tags=owner_tags(CHLOE, "web"),
             policies=["checkout-api"])
    aws_role(P, "image-resizer-lambda", created=340, last_activity=1,
             trusts=[svc("lambda.amazonaws.com")], tags=owner_tags(OMAR, "documents"),
             policies=["image-resizer-s3"])
    aws_role(P, "vpc-flow-logs-delivery", created=760, last_activity=0,
             trusts=[svc("vpc-flow-logs.amazonaws.com")], tags=owner_tags(AISHA, "security"),
             policies=["flow-logs-cloudwatch"])

    # -- vault secrets (Secrets Manager), owned by tags only -------------------------------
    secrets_manager(P, "prod/payments/stripe-api-key", created=800, rotation=False, last_used=0,
                    tags=owner_tags(ELENA, "payments"))
    secrets_manager(P, "prod/support-agent-llm/zendesk-api-token", created=150, rotation=False,
                    last_used=0, tags=owner_tags(SOFIA, "customer-support",
                                                 workload_type="ai-agent"))
    secrets_manager(P, "prod/legacy/ftp-password", created=1400, rotation=False, last_used=500)
    secrets_manager(P, "prod/analytics/redshift-admin", created=900, rotation=True, interval=90,
                    last_rotated=200, last_used=1, tags=owner_tags(MARCUS, "data"),
                    attributes={"last_rotation_error": "Lambda timed out connecting to the cluster"})
    for svc_name, owner, team, created, rotated in [
        ("orders", ELENA, "payments", 450, 12),
        ("payments", ELENA, "payments", 480, 5),
        ("inventory", JONAS, "search", 300, 21),
        ("auth", AISHA, "security", 700, 3),
        ("checkout", CHLOE, "web", 230, 17),
    ]:
        secrets_manager(P, f"prod/{svc_name}/db-credentials", created=created, rotation=True,
                        interval=30, last_rotated=rotated, last_used=0,
                        tags=owner_tags(owner, team))
    secrets_manager(P, "prod/search/opensearch-master", created=520, rotation=True, interval=30,
                    last_rotated=8, last_used=0, tags=owner_tags(JONAS, "search"))
    secrets_manager(P, "prod/messaging/twilio-auth-token", created=410, rotation=True,
                    interval=90, last_rotated=33, last_used=0,
                    tags=owner_tags(RAVI, "messaging"))
    secrets_manager(P, "prod/documents/docusign-integration-key", created=190, rotation=True,
                    interval=60, last_rotated=20, last_used=1,
                    tags=owner_tags(OMAR, "documents"))
    secrets_manager(P, "prod/web/session-signing-key", created=230, rotation=True, interval=30,
                    last_rotated=2, last_used=0, tags=owner_tags(CHLOE, "web"))
    secrets_manager(P, "prod/web/recaptcha-secret", created=60, rotation=False, last_used=0,
                    tags=owner_tags(CHLOE, "web"))
    secrets_manager(P, "prod/platform/datadog-api-key", created=820, rotation=True, interval=90,
                    last_rotated=40, last_used=0, tags=owner_tags(SAMUEL, "observability"))

    build_aws_people(P)
    build_aws_prod_twins(P)


ADMINISTRATOR_ACCESS = dict(
    # What the collector records for the AWS managed AdministratorAccess.
    admin=True, wildcard=["*"],
    privileged=["iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
                "iam:AttachUserPolicy", "iam:CreateAccessKey", "iam:CreateLoginProfile",
                "iam:CreatePolicyVersion", "iam:PassRole", "iam:PutGroupPolicy",
                "iam:PutRolePolicy", "iam:PutUserPolicy", "iam:SetDefaultPolicyVersion",
                "iam:UpdateAssumeRolePolicy", "iam:UpdateLoginProfile"],
    policies=["AdministratorAccess"],
)


def console(days_ago, label, mfa=True, **extra):
    """The credential-report attributes of a user with a console password last used
    `days_ago` days before NOW (at the same instant as the user's `last_activity` when
    `label` is the user's ARN + "|last_activity")."""
    attributes = {"password_enabled": True, "password_last_used": when(days_ago, label),
                  "mfa_active": mfa}
    attributes.update(extra)
    return attributes


def build_aws_people(P):
    """People's own IAM users: the NHI rules must leave them alone (rules judge only
    non-human identities unless their filter says otherwise), and the rules that judge
    every user (console MFA, unused passwords and keys) must find nothing wrong."""
    # An engineer with AdministratorAccess: console password with MFA, no access key;
    # the user's name is the local part of his roster address.
    arn = f"arn:aws:iam::{AWS_PROD_ID}:user/lukas.weber"
    twin(aws_user(P, "lukas.weber", created=800, last_activity=2,
                  interactive_login=True, **ADMINISTRATOR_ACCESS,
                  attributes=console(2, arn + "|last_activity",
                                     assume_role_targets=["*"])),
         ["admin-privileges", "wildcard-privileges", "aws-privilege-escalation-actions",
          "interactive-login-on-service-identity", "aws-service-user-console-without-mfa",
          "aws-console-password-unused", "identity-type-ambiguous", "identity-without-owner",
          "delegation-crosses-boundary"],
         "a person's admin user (roster name, console password with MFA used 2 days ago, no "
         "access key): human, so the NHI rules do not judge it; may assume dev's "
         "cost-reporter, but people crossing accounts is not an NHI finding")
    # A read-only analyst. Her inline policy lets her browse the Bedrock model catalogue
    # (bedrock:List*, bedrock:Get*): read-only, so no sign of an AI agent; her console
    # password was last used 44 days ago, one day inside CIS AWS 1.12's 45.
    arn = f"arn:aws:iam::{AWS_PROD_ID}:user/nina.petrova"
    twin(aws_user(P, "nina.petrova", created=500, last_activity=44,
                  interactive_login=True,
                  policies=["ReadOnlyAccess", "bedrock-model-catalog-read (inline)"],
                  attributes=console(44, arn + "|last_activity",
                                     ai_actions=["bedrock-agentcore:Get*", "bedrock:Get*",
                                                 "bedrock:List*"])),
         ["aws-console-password-unused", "aws-service-user-console-without-mfa",
          "interactive-login-on-service-identity", "identity-type-ambiguous",
          "ai-agent-without-owner", "ai-agent-excessive-privileges"],
         "a person's read-only user with Bedrock List/Get grants (not invoke: no AI agent), "
         "console password with MFA last used 44 days ago (limit 45)")
    # A departed employee (roster: left 2026-09-30): her user was disabled the day she
    # left, the console password and MFA device removed, the access key deactivated.
    irene = twin(aws_user(P, "irene.kowalski", created=1000, last_activity=33, enabled=False,
                          keys=[key(400, 33, status="inactive")],
                          policies=["data-analyst"],
                          attributes={"password_enabled": False, "mfa_active": False}),
                 ["owner-departed", "aws-service-user-console-without-mfa",
                  "identity-type-ambiguous"],
                 "the user of a person who left (roster: departed), disabled on her last day "
                 "with no console password and no active key: offboarding done right")
    twin(credentials_of(irene)[0], ["static-key-not-rotated", "credential-unused"],
         "a 400-day-old access key of a departed person, deactivated when she left: not active")


def build_aws_prod_twins(P):
    """Non-human look-alikes of what the AWS, AI, graph and credential rules catch."""
    # An AI agent done right: a Bedrock agent's service role that may invoke one model
    # (the collector records the bedrock: actions it is allowed in `ai_actions`; invoking
    # a model is no escalation, so no privileged action), with an active owner, one
    # environment, no static credential and no role it may assume.
    twin(aws_role(P, "faq-agent-bedrock", created=120, last_activity=0,
                  description="FAQ answering agent (Bedrock agent); bedrock:InvokeModel on "
                              "one foundation model only",
                  trusts=[trust("bedrock.amazonaws.com", "service",
                                f"aws:SourceAccount StringEquals {AWS_PROD_ID}",
                                f"aws:SourceArn ArnLike arn:aws:bedrock:eu-west-1:{AWS_PROD_ID}"
                                ":agent/*")],
                  tags=owner_tags(HANNAH, "customer-support", workload_type="ai-agent",
                                  environment="prod"),
                  policies=["faq-agent-invoke-haiku"],
                  attributes={"ai_actions": ["bedrock:InvokeModel"],
                              "ai_models": ["anthropic.claude-3-5-haiku-20241022-v1:0"],
                              "bedrock_agent_id": "FAQAGT3K9P"}),
         ["ai-agent-without-owner", "ai-agent-excessive-privileges",
          "ai-agent-shared-across-environments", "ai-agent-can-delegate",
          "aws-privilege-escalation-actions", "aws-role-shared-by-workloads"],
         "an AI agent (trusted by Bedrock, may invoke a model) with an active owner, "
         "bedrock:InvokeModel on one model ARN only, prod only, no role it may assume")
    # A bot that is not AI (`bot` alone is a weak word), whose access key was last used
    # 40 days ago: past the AI-agent limit (30), inside the general one (45).
    bot = aws_user(P, "release-notes-bot", created=200,
                   description="Posts the monthly release notes to the status page bucket",
                   keys=[key(60, 40)], tags=owner_tags(BEN, "web"),
                   policies=["release-notes-s3-put"])
    twin(credentials_of(bot)[0],
         ["ai-agent-static-credential", "ai-agent-credential-unused", "credential-unused",
          "static-key-not-rotated"],
         "a static access key unused for 40 days, but of a plain automation bot (not an AI "
         "agent), 60 days old: inside the general 45-day and 90-day limits")
    # Boundaries of the credential rules on IAM access keys.
    export = aws_user(P, "ledger-export", created=300,
                      description="Exports the general ledger to the finance bucket",
                      keys=[key(170, 81, status="inactive"), key(80, 44)],
                      tags=owner_tags(RAVI, "finance-eng"), policies=["ledger-export-s3"])
    twin(credentials_of(export)[1], ["credential-unused", "static-key-not-rotated"],
         "an active access key last used exactly 44 days ago (credential-unused: 45 or "
         "more), created 80 days ago")
    sync = twin(aws_user(P, "tax-rates-sync", created=400,
                         description="Pulls VAT rates from the tax provider every night",
                         keys=[key(180, 91, status="inactive"), key(90, 0)],
                         tags=owner_tags(RAVI, "finance-eng"), policies=["tax-rates-dynamodb"]),
                ["multiple-active-keys"],
                "two access keys, but the old one was deactivated at rotation: one active key")
    twin(credentials_of(sync)[1], ["static-key-not-rotated"],
         "an active access key exactly 90 days old, used today (static-key-not-rotated: more "
         "than 90)")
    feed = twin(aws_user(P, "partner-feed-import", created=14,
                         description="Imports the partner product feed; goes live next week",
                         keys=[key(14)], tags=owner_tags(JONAS, "search"),
                         policies=["partner-feed-s3-read"]),
                ["identity-unused"],
                "a user never used yet, but created 14 days ago (identity-unused: more than "
                "90)")
    twin(credentials_of(feed)[0], ["credential-unused"],
         "an access key never used, issued 14 days ago: inside the 14-day grace for new keys")
    # Its policy moves infected uploads to the quarantine bucket: "Quarantine" in a policy
    # name, but not AWS's AWSCompromisedKeyQuarantine.
    twin(aws_user(P, "malware-scanner", created=500,
                  description="Antivirus appliance scanning customer uploads",
                  keys=[key(110, 21, status="inactive"), key(20, 0)],
                  tags=owner_tags(AISHA, "security"),
                  policies=["S3QuarantineInfectedUploads"]),
         ["aws-key-quarantined-as-leaked"],
         "a policy named for quarantine (S3QuarantineInfectedUploads, moving infected "
         "uploads), not AWS's AWSCompromisedKeyQuarantine* attached to a leaked key's user")

    # Trust: a GitHub OIDC role pinned to one repository's main branch, that may assume
    # one read-only role of its own account.
    reader_arn = f"arn:aws:iam::{AWS_PROD_ID}:role/infra-plan-reader"
    twin(aws_role(P, "github-actions-infra", created=300, last_activity=0,
                  description="Terraform plan and apply of acme-corp/infra from main",
                  trusts=[github_oidc(AWS_PROD_ID, "repo:acme-corp/infra:ref:refs/heads/main")],
                  tags=owner_tags(BUILD_TEAM), policies=["infra-state-rw"],
                  attributes={"assume_role_targets": [reader_arn]}),
         ["aws-github-oidc-trust-without-sub", "aws-role-shared-by-workloads",
          "delegation-crosses-boundary", "reaches-admin-through-chain",
          "owner-unknown-to-roster"],
         "GitHub OIDC trust with sub repo:acme-corp/infra:ref:refs/heads/main (one repository "
         "and branch); may assume infra-plan-reader, a non-admin role of its own account; "
         "owned by build-team@acme.example, a team [owners.teams] resolves to active people")
    twin(aws_role(P, "infra-plan-reader", created=300, last_activity=0,
                  description="Read-only view for terraform plan",
                  trusts=[trust(f"arn:aws:iam::{AWS_PROD_ID}:role/github-actions-infra",
                                "identity")],
                  tags=owner_tags(LUKAS, "platform", environment="prod"),
                  policies=["ReadOnlyAccess"]),
         ["aws-non-production-trust-into-production", "aws-trust-to-foreign-account",
          "wildcard-privileges"],
         "a production role another role may assume, but that role is in the same "
         "production account; ReadOnlyAccess grants Get*/List* families, no whole-service "
         "wildcard")
    # Lambda@Edge: a function role must trust both lambda and edgelambda.
    twin(aws_role(P, "cdn-edge-auth", created=260, last_activity=0,
                  description="Lambda@Edge viewer-request authentication for the CDN",
                  trusts=[svc("lambda.amazonaws.com"), svc("edgelambda.amazonaws.com")],
                  tags=owner_tags(team="web", owner_email=CHLOE),
                  policies=["cdn-edge-auth-logs"]),
         ["aws-role-shared-by-workloads", "identity-without-owner"],
         "trusted by two services, but lambda + edgelambda is one Lambda@Edge function; "
         "owner named by the owner-email tag")
    # Trusts every principal, but only of Acme's AWS organisation.
    twin(aws_role(P, "org-log-reader", created=450, last_activity=1,
                  description="Lets every account of the organisation read the central logs",
                  trusts=[trust("*", "any", "aws:PrincipalOrgID StringEquals o-7h2k4m9p1x")],
                  tags=owner_tags(AISHA, "security"), policies=["central-logs-read"]),
         ["aws-role-trusts-anyone"],
         "Principal \"*\", but restricted by an aws:PrincipalOrgID condition to Acme's "
         "organisation")
    # A quarterly job, and a role whose creator has left but whose owner has not.
    twin(aws_role(P, "quarterly-close-lambda", created=400, last_activity=90,
                  description="Quarter-end close report",
                  trusts=[svc("lambda.amazonaws.com")],
                  tags=owner_tags(NINA, "finops", created_by=RACHEL),
                  policies=["quarterly-close"]),
         ["identity-unused", "owner-departed"],
         "last used exactly 90 days ago (identity-unused: more than 90); created by a person "
         "who left, but its owner tag names an active one")

    # Secrets Manager: rotated by schedule exactly at the limit, and a secret RDS owns.
    twin(secrets_manager(P, "prod/reporting/warehouse-password", created=600, rotation=True,
                         interval=90, last_rotated=90, last_used=0,
                         tags=owner_tags(MARCUS, "data")),
         ["secret-not-rotated", "secret-rotation-disabled", "credential-never-expires"],
         "a vault secret without expiry, but with rotation enabled (every 90 days) and last "
         "rotated exactly 90 days ago (secret-not-rotated: more than 90)")
    twin(secrets_manager(P, "rds!db-7c1e9f42-5a3b-4d8e-b6f0-2e9a4c1d8b73", created=300,
                         rotation=True, interval=7, last_rotated=3, last_used=0,
                         tags={"aws:rds:primaryDBInstanceArn":
                               f"arn:aws:rds:eu-west-1:{AWS_PROD_ID}:db:orders-prod"},
                         attributes={"owning_service": "rds",
                                     "description": "Secret associated with primary RDS DB "
                                                    "instance: orders-prod"}),
         ["secret-without-owner", "secret-rotation-disabled"],
         "a secret with no owner tag, but managed by RDS (owning_service rds: the master "
         "password of orders-prod, rotated by RDS every 7 days)")


def build_aws_dev():
    D = AWS_DEV
    aws_user(D, "dev-ci-user", created=1010,
             description="CI for feature branches",
             keys=[key(1000, 5)],
             tags=owner_tags(BUILD_TEAM), wildcard=["s3:*", "ec2:*"],
             policies=["dev-ci"])
    aws_user(D, "sandbox-admin", created=1420,
             description="Shared sandbox admin from the 2022 migration",
             keys=[key(1400, 600), key(700)],
             tags=owner_tags(created_by=VICTOR),
             admin=True, policies=["AdministratorAccess"])
    aws_user(D, "ml-experiments", created=110,
             keys=[key(100, 50)],
             tags=owner_tags(DANIEL, "data-science"), wildcard=["sagemaker:*"],
             attributes={"ai_actions": ["bedrock:InvokeModel"]}, policies=["ml-experiments"])
    aws_user(D, "intern-project-2023", created=1060,
             keys=[key(1050, 900)],
             tags=owner_tags(IRENE, "data"), policies=["AmazonS3FullAccess"],
             wildcard=["s3:*"])
    aws_user(D, "qa-loadtest", created=400,
             keys=[key(110, 21, status="inactive"), key(20, 1)],
             tags=owner_tags(CHLOE, "web", environment="dev"), policies=["loadtest-runner"],
             attributes={"assume_role_targets": [
                 f"arn:aws:iam::{AWS_PROD_ID}:role/dev-to-prod-deploy"]})
    aws_user(D, "dev-seed-data", created=250,
             keys=[key(150, 58, status="inactive"), key(58, 2)],
             tags=owner_tags(BEN, "web", environment="dev"), policies=["seed-data-rds"])

    aws_role(D, "dev-github-actions", created=380, last_activity=0,
             trusts=[github_oidc(AWS_DEV_ID, "repo:acme/*:pull_request")],
             tags=owner_tags(LUKAS, "platform"), policies=["dev-deploy"])
    aws_role(D, "dev-lambda-exec", created=300, last_activity=2,
             trusts=[svc("lambda.amazonaws.com")], tags=owner_tags(BEN, "web"),
             policies=["AWSLambdaBasicExecutionRole"])
    aws_role(D, "cost-reporter", created=500, last_activity=1,
             description="Assumed from prod by the FinOps job",
             trusts=[trust(AWS_PROD_ID, "account")],
             tags=owner_tags(NINA, "finops"), policies=["ce-read"])
    aws_role(D, "dev-bastion", created=640, last_activity=0,
             trusts=[svc("ec2.amazonaws.com")], tags=owner_tags(TOM, "sre"),
             policies=["AmazonSSMManagedInstanceCore"])
    aws_role(D, "pilot-chatbot-bedrock", created=430, last_activity=40,
             description="Bedrock access for the 2025 chatbot pilot",
             trusts=[svc("lambda.amazonaws.com")],
             # One pilot identity for the dev sandbox and the production Teams tenant.
             tags=owner_tags(KEVIN, "innovation-lab", workload_type="ai-agent",
                             environment="dev,prod"),
             wildcard=["bedrock:*"], attributes={"ai_actions": ["bedrock:*"]},
             policies=["AmazonBedrockFullAccess"])

    secrets_manager(D, "dev/ci/npm-token", created=300, rotation=False, last_used=3,
                    tags=owner_tags(BUILD_TEAM))
    secrets_manager(D, "dev/pilot-chatbot/openai-api-key", created=420, rotation=False,
                    last_used=38,
                    tags=owner_tags(KEVIN, "innovation-lab", workload_type="ai-agent"))
    secrets_manager(D, "dev/payments/stripe-test-key", created=200, rotation=False, last_used=0,
                    tags=owner_tags(ELENA, "payments", environment="dev"))
    secrets_manager(D, "dev/web/db-credentials", created=250, rotation=True, interval=30,
                    last_rotated=9, last_used=0, tags=owner_tags(BEN, "web"))


def build_azure():
    # -- app registrations (tenant) ------------------------------------------------------
    azure_app("hr-sync-connector", created=1000, last_activity=0,
              description="Workday to Entra user sync",
              creds=[secret("sync", 990)],  # never expires
              privileged=["User.ReadWrite.All", "Directory.ReadWrite.All"],
              policies=[f"{GRAPH}: Directory.ReadWrite.All (Application)"])
    azure_app("pilot-chatbot", created=400, last_activity=20,
              description="Teams chatbot pilot on Azure OpenAI",
              creds=[secret("bot-secret", 395)],  # never expires
              owners=[KEVIN], tags=owner_tags(team="innovation-lab", workload_type="ai-agent"),
              privileged=["Chat.Read.All", "User.Read.All"],
              policies=["Cognitive Services OpenAI User",
                        f"{GRAPH}: Chat.Read.All (Application)"],
              attributes={"ai_services": ["Azure OpenAI gpt-4o"]})
    azure_app("data-lake-ingest", created=800, last_activity=0,
              creds=[secret("ingest-2025", 400, expires=-35),  # expired but still active
                     cert("ingest-cert", 30, expires=335)],
              owners=[MARCUS], policies=["Storage Blob Data Contributor"])
    azure_app("billing-webhooks", created=700, last_activity=0,
              creds=[secret("webhooks-2026", 356, expires=9)],
              owners=[RAVI], policies=[f"{GRAPH}: Mail.Send (Application)"])
    azure_app("grafana-sso", created=600, last_activity=0,
              creds=[secret("oidc", 344, expires=21)], owners=[TOM])
    azure_app("customer-portal-b2c", created=730, last_activity=0,
              description="Customer sign-in for the self-service portal",
              creds=[secret("portal-legacy", 700),  # forgotten, never expires
                     secret("portal-2026", 20, expires=345)],
              owners=[MAYA], policies=[f"{GRAPH}: User.Read.All (Application)"])
    azure_app("legacy-sharepoint-migration", created=1150, last_activity=700,
              creds=[secret("migration", 1140)],
              owners=[RACHEL], privileged=["Sites.FullControl.All"],
              policies=[f"{GRAPH}: Sites.FullControl.All (Application)"])
    azure_app("terraform-azure", created=500, last_activity=0,
              creds=[secret("tf-2026-q3", 60, expires=120), secret("tf-2026-q1", 240, expires=-60,
                                                                    status="inactive")],
              owners=[LUKAS], admin=True, wildcard=["*"],
              privileged=["Microsoft.Authorization/roleAssignments/write"],
              policies=["Owner (subscription acme-production)"])
    azure_app("orders-portal", created=460, last_activity=0,
              creds=[secret("orders-2026", 60, expires=120)],
              owners=[ELENA], policies=["Key Vault Secrets User"])
    azure_app("mobile-push-notifications", created=420, last_activity=1,
              creds=[secret("push-2026", 30, expires=335)], owners=[CHLOE])
    azure_app("defender-export", created=380, last_activity=0,
              creds=[secret("export", 45, expires=135)], owners=[AISHA],
              policies=["Security Reader"])
    azure_app("intranet-wiki", created=900, last_activity=0,
              creds=[cert("saml-signing", 200, expires=530)], owners=[GRACE, HANNAH])
    azure_app("expense-ocr", created=210, last_activity=2,
              creds=[secret("ocr-2026", 90, expires=90)], owners=[LAURA],
              policies=["Cognitive Services User"])
    azure_app("hr-onboarding-flow", created=310, last_activity=0,
              creds=[secret("flow", 40, expires=140)], owners=[HANNAH, DIEGO],
              policies=[f"{GRAPH}: User.ReadWrite.All (Application)"],
              privileged=["User.ReadWrite.All"])

    # Sign-in activity (as `scan azure --usage` records it): servicenow-connector has acted
    # only for users since its app-only sync was retired; teams-meeting-bot uses both.
    azure_usage(identity_of("azure", azure_app(
        "servicenow-connector", created=520, last_activity=0,
        creds=[secret("snow-2026", 50, expires=130)], owners=[DIEGO],
        policies=[f"{GRAPH}: User.Read.All (Application)"])), 200, 0)
    azure_app("powerbi-embedded", created=380, last_activity=1,
              creds=[cert("embed-cert", 100, expires=265)], owners=[MAYA],
              policies=["Power BI Service: Tenant.Read.All"])
    twin(azure_usage(identity_of("azure", azure_app(
        "teams-meeting-bot", created=160, last_activity=0,
        creds=[secret("bot-2026", 10, expires=170)], owners=[HANNAH],
        policies=[f"{GRAPH}: OnlineMeetings.ReadWrite.All (Application)"])), 0, 1),
         ["permissions-unused"],
         "sign-in activity like servicenow-connector's, but it signed in app-only today as "
         "well as for users yesterday: its application permissions are in use")
    azure_app("jira-cloud-sso", created=880, last_activity=0,
              creds=[cert("saml-signing-2026", 150, expires=580)], owners=[GRACE])

    # -- service principals (tenant) -----------------------------------------------------
    azure_sp("Contoso Analytics Connector", created=540, last_activity=3,
             description="Third-party marketing analytics (multi-tenant app)",
             privileged=["Mail.ReadWrite", "Directory.Read.All"],
             policies=[f"{GRAPH}: Mail.ReadWrite (Application)",
                       f"{GRAPH}: Directory.Read.All (Application)"],
             attributes={"appOwnerOrganizationId": CONTOSO_TENANT_ID,
                         "third_party": True,
                         "graph_app_permissions": ["Directory.Read.All", "Mail.ReadWrite"],
                         "privileged_graph_permissions": ["Mail.ReadWrite"],
                         "signInAudience": "AzureADMultipleOrgs",
                         "publisherName": "Contoso Analytics Ltd",
                         "verifiedPublisher": False})
    azure_sp("Slack", created=1000, last_activity=0,
             description="Gallery app, SAML single sign-on",
             creds=[cert("SAML signing", 305, expires=60)], owners=[GRACE],
             attributes={"appOwnerOrganizationId": guid("tenant:slack"),
                         "preferredSingleSignOnMode": "saml"})
    azure_sp("legacy-vpn-radius", created=1300, last_activity=500, enabled=False,
             description="NPS extension for the old VPN")
    azure_sp("ado-prod-service-connection", created=330, last_activity=0,
             description="Azure DevOps workload identity federation",
             owners=[LUKAS],
             trusts=[trust(f"https://vstoken.dev.azure.com/{guid('ado-org:acme')}", "federated",
                           "sub StringEquals sc://acme/platform/prod-connection")],
             wildcard=["*"], policies=["Contributor (subscription acme-production)"])
    azure_sp("github-actions-orders-portal", created=300, last_activity=0,
             owners=[ELENA],
             trusts=[trust("https://token.actions.githubusercontent.com", "federated",
                           "sub StringEquals repo:acme/orders-portal:environment:production")],
             policies=["Website Contributor"])

    # -- managed identities (subscription) -----------------------------------------------
    managed_identity("id-orders-api", resource_group="rg-orders", created=450, last_activity=0,
                     tags={"Owner": ELENA, "team": "payments"},
                     policies=["Key Vault Secrets User", "AcrPull"])
    managed_identity("vm-build-agent-01", resource_group="rg-build", created=900,
                     last_activity=0,
                     system_assigned_to="Microsoft.Compute/virtualMachines/vm-build-agent-01",
                     wildcard=["*"], policies=["Contributor (subscription acme-production)"])
    managed_identity("id-func-invoice-processor", resource_group="rg-finance", created=360,
                     last_activity=0, tags=owner_tags(RAVI, "finance-eng"),
                     policies=["Storage Blob Data Reader"])
    managed_identity("id-aks-kubelet", resource_group="rg-aks", created=650, last_activity=0,
                     tags={"Owner": TOM}, policies=["AcrPull"])
    managed_identity("id-legacy-logicapp", resource_group="rg-legacy", created=1000,
                     last_activity=380, tags=owner_tags(RACHEL),
                     policies=["Contributor (rg-legacy)"])
    managed_identity("adf-acme-prod", resource_group="rg-data", created=700, last_activity=0,
                     system_assigned_to="Microsoft.DataFactory/factories/adf-acme-prod",
                     tags=owner_tags(MARCUS, "data"), admin=True,
                     policies=["Owner (subscription acme-production)"],
                     attributes={"privileged_role_assignments": [{
                         "role": "Owner", "class": "owner",
                         "scope": f"/subscriptions/{AZ_SUB_ID}",
                         "scope_level": "subscription", "subscription": AZ_SUB_ID}]})

    # -- Key Vault items (subscription), owned by tags only --------------------------------
    kv = "kv-acme-prod"
    key_vault(kv, "sql-admin-password", created=900, tags={"Owner": PRIYA})
    key_vault(kv, "storage-key-acmeprodlogs", created=1200, tags=owner_tags(VICTOR))
    key_vault(kv, "partner-sftp-password", created=760)
    key_vault(kv, "sendgrid-api-key", created=165, expires=200, tags=owner_tags(RAVI))
    key_vault(kv, "ai-search-admin-key", created=275, expires=90, last_rotated=30,
              tags=owner_tags(SOFIA, "customer-support", workload_type="ai-agent"))
    key_vault(kv, "orders-portal-session-key", created=460, expires=150, last_rotated=30,
              tags=owner_tags(ELENA, "payments"))
    key_vault(kv, "acr-pull-token", created=400, expires=100, last_rotated=80,
              tags=owner_tags(TOM, "sre"))
    key_vault(kv, "app-insights-connection", created=600, expires=200, last_rotated=165,
              tags=owner_tags(SAMUEL, "observability"))
    key_vault(kv, "wildcard-acme-example", kind="certificate", created=347, expires=18,
              tags=owner_tags(GRACE, "it"))

    # -- clean twins ---------------------------------------------------------------------
    # A client secret issued for exactly 180 days (the limit), beside last year's secret,
    # expired and disabled.
    gateway = identity_of("azure", azure_app(
        "partner-api-gateway", created=400, last_activity=0,
        creds=[secret("gw-2026", 10, expires=170),
               secret("gw-2025", 210, expires=-20, status="inactive")],
        owners=[ELENA], policies=["API Management Service Reader Role"]))
    twin(gateway, ["multiple-active-keys"],
         "two client secrets, but last year's is disabled: one active key")
    current, previous = credentials_of(gateway)
    twin(pin_lifetime(current, 180),
         ["azure-app-credential-long-lived", "credential-never-expires",
          "credential-expiring-soon", "static-key-not-rotated"],
         "a client secret issued for exactly 180 days (limit: more than 180), 10 days ago, "
         "expiring in 170")
    twin(previous, ["expired-credential-enabled", "azure-app-credential-long-lived"],
         "a client secret that expired 20 days ago, but disabled")
    # A third-party application that reads only user profiles (not a privileged Graph
    # permission), with an owner in Acme.
    twin(identity_of("azure", azure_sp(
        "Fabrikam Scheduling", created=300, last_activity=1, owners=[GRACE],
        description="Third-party meeting scheduler (multi-tenant app)",
        policies=[f"{GRAPH}: User.Read.All (Application)"],
        attributes={"appOwnerOrganizationId": guid("tenant:fabrikam"),
                    "third_party": True,
                    "graph_app_permissions": ["User.Read.All"],
                    "privileged_graph_permissions": [],
                    "signInAudience": "AzureADMultipleOrgs",
                    "publisherName": "Fabrikam Inc",
                    "verifiedPublisher": True})),
         ["azure-third-party-privileged-graph", "identity-without-owner"],
         "a third-party multi-tenant app with a Graph application permission, but "
         "User.Read.All is not a privileged one; an Acme owner is declared")
    # May write role assignments, but on one resource group (under a condition), not on
    # the subscription.
    rg = f"/subscriptions/{AZ_SUB_ID}/resourceGroups/rg-aks"
    twin(managed_identity(
        "id-aks-control-plane", resource_group="rg-aks", created=650, last_activity=0,
        tags={"Owner": TOM, "team": "sre"},
        privileged=[f"Microsoft.Authorization/roleAssignments/write on {rg}"],
        policies=[f"Role Based Access Control Administrator on {rg}",
                  f"Network Contributor on {rg}"]),
         ["azure-privileged-subscription-role", "admin-privileges", "wildcard-privileges"],
         "an access administrator (Role Based Access Control Administrator), but on its "
         "resource group rg-aks only, not a subscription")
    # Key Vault: a secret of an access-policy vault with an expiry, rotated 89 days ago,
    # created by someone who left and owned by someone who has not; a disabled key of an
    # RBAC vault without expiry; a secret that expires in 31 days.
    twin(key_vault(kv, "partner-webhook-signing-secret", created=400, expires=276,
                   last_rotated=89, tags=owner_tags(ELENA, "payments", created_by=VICTOR)),
         ["credential-never-expires", "secret-not-rotated", "secret-owner-departed",
          "secret-without-owner"],
         "a Key Vault secret (access-policy vault) with an expiry, last rotated 89 days ago "
         "(limit: more than 90); created by a person who left, owned by an active one")
    platform = "kv-acme-platform"
    twin(key_vault(platform, "cosign-signing-2025", kind="vault_key", created=700,
                   status="inactive", tags=owner_tags(LUKAS, "platform")),
         ["credential-never-expires", "secret-without-owner"],
         "a Key Vault key (RBAC vault) without expiry, but disabled since its successor "
         "took over")
    twin(key_vault(platform, "cosign-signing-2026", kind="vault_key", created=200, expires=530,
                   tags=owner_tags(LUKAS, "platform")),
         ["credential-never-expires", "credential-expiring-soon"],
         "the active Key Vault key (RBAC vault), with an expiry in 530 days")
    twin(key_vault(platform, "grafana-admin-password", created=59, expires=31,
                   tags=owner_tags(TOM, "sre")),
         ["credential-expiring-soon", "credential-never-expires", "secret-not-rotated"],
         "a Key Vault secret (RBAC vault) expiring in 31 days (credential-expiring-soon: 30 "
         "or fewer)")


def build_gcp():
    gcp_sa("bq-exporter", created=1030, display="BigQuery exports to partners",
           keys=[key(1000, 2), key(20, 0)],
           tags=owner_tags(DANIEL, "data"), policies=["roles/bigquery.dataViewer",
                                                      "roles/storage.objectAdmin"])
    # The default service account: Editor since the project was created, and what every
    # VM created without naming a service account runs as.
    gcp_sa(f"{GCP_PROJECT_NUMBER}-compute", email=GCP_COMPUTE_DEFAULT,
           created=1500, last_activity=0, display="Compute Engine default service account",
           keys=[key(700)],
           workloads=["europe-west1-b/jump-host", "europe-west1-b/legacy-reporting-1",
                      "europe-west1-c/sftp-gateway",
                      "gke-node-pool europe-west1/analytics/default-pool",
                      "cloud-run-service europe-west1/report-api"],
           full_api_scope=["europe-west1-b/jump-host", "europe-west1-b/legacy-reporting-1",
                           "gke-node-pool europe-west1/analytics/default-pool"],
           wildcard=["*"], privileged=["iam.serviceAccountKeys.create",
                                       "iam.serviceAccounts.actAs"],
           policies=["roles/editor"])
    # Owner of the project, and four members may act as it.
    gcp_sa("terraform-gcp", created=410, keys=[key(400, 4)],
           tags=owner_tags(LUKAS, "platform"), admin=True, wildcard=["*"],
           privileged=["iam.serviceAccountKeys.create", "iam.serviceAccounts.getAccessToken",
                       "resourcemanager.projects.setIamPolicy"],
           policies=["roles/owner"],
           impersonators=[
               impersonator("group:platform-admins@acme.example",
                            "roles/iam.serviceAccountTokenCreator"),
               impersonator(f"user:{LUKAS}", "roles/iam.serviceAccountTokenCreator"),
               impersonator(f"user:{PRIYA}", "roles/iam.serviceAccountUser"),
               impersonator(f"principalSet://iam.googleapis.com/projects/{GCP_PROJECT_NUMBER}"
                            "/locations/global/workloadIdentityPools/github"
                            "/attribute.repository/acme-corp/infra-gcp",
                            "roles/iam.workloadIdentityUser"),
           ])
    gcp_sa("vertex-rag-indexer", created=125, keys=[key(120, 70)],
           tags=owner_tags(YUKI, "ml-platform", workload_type="ml-pipeline"),
           privileged=["aiplatform.endpoints.predict"], policies=["roles/aiplatform.user"])
    gcp_sa("old-etl", created=1320, last_activity=800, enabled=False,
           keys=[key(1300, 800, status="inactive")],
           tags=owner_tags(RACHEL, "data"), wildcard=["bigquery.*"],
           policies=["roles/bigquery.admin"])
    # Its own service account on the Dataflow workers (not the default one).
    gcp_sa("dataflow-runner", created=600, last_activity=0, tags=owner_tags(MARCUS, "data"),
           workloads=["europe-west1-d/nightly-load-10310200-harness-7kq2"],
           full_api_scope=["europe-west1-d/nightly-load-10310200-harness-7kq2"],
           policies=["roles/dataflow.worker"])
    gcp_sa("looker-connector", created=500,
           keys=[key(60, 0, expires=30)],
           tags=owner_tags(MAYA, "bi"), policies=["roles/bigquery.dataViewer"])
    # GKE workload identity: the Kubernetes service account airflow/scheduler acts as it.
    gcp_sa("airflow-scheduler", created=480, last_activity=0,
           tags=owner_tags(DANIEL, "data"),
           impersonators=[impersonator(f"serviceAccount:{GCP_PROJECT}.svc.id.goog[airflow/scheduler]",
                                       "roles/iam.workloadIdentityUser")],
           policies=["roles/composer.worker"])
    gcp_sa("gcs-backup-writer", created=640,
           keys=[key(100, 11, status="inactive", expires=-10), key(10, 0, expires=80)],
           tags=owner_tags(TOM, "sre"), policies=["roles/storage.objectCreator"])
    # Policy insights (as `scan gcp --usage` reads them): dbt-runner has not published to
    # Pub/Sub in 90 days; its twin bq-scheduled-queries used both of its roles.
    gcp_sa("bq-scheduled-queries", created=350, last_activity=0,
           tags=owner_tags(NINA, "finops"),
           policies=["roles/bigquery.dataViewer", "roles/bigquery.jobUser"])
    scheduled = identity_of("gcp", f"bq-scheduled-queries@{GCP_PROJECT}.iam.gserviceaccount.com")
    scheduled["usage"] = gcp_usage([
        ("roles/bigquery.jobUser", ["bigquery.jobs.create"], []),
        ("roles/bigquery.dataViewer", ["bigquery.tables.getData", "bigquery.tables.list"],
         ["bigquery.tables.get"]),
    ])
    twin(scheduled, ["permissions-unused"],
         "policy insights like dbt-runner's, but both of its role bindings were used in the "
         "90-day window")
    gcp_sa("dbt-runner", created=300, keys=[key(30, 0, expires=60)],
           tags=owner_tags(NINA, "finops"),
           impersonators=[impersonator(f"user:{NINA}", "roles/iam.serviceAccountTokenCreator")],
           policies=["roles/bigquery.dataEditor", "roles/pubsub.publisher"])
    identity_of("gcp", f"dbt-runner@{GCP_PROJECT}.iam.gserviceaccount.com")["usage"] = gcp_usage([
        ("roles/bigquery.dataEditor", ["bigquery.jobs.create", "bigquery.tables.updateData"],
         ["bigquery.tables.create"]),
        ("roles/pubsub.publisher", [], []),
    ])
    # The vendor uploaded the public half of its own key pair.
    gcp_sa("fivetran-connector", created=400, display="Fivetran ELT (vendor-managed)",
           keys=[key(80, 0, expires=10, keyOrigin="USER_PROVIDED")],
           tags=owner_tags(MARCUS, "data", vendor="fivetran"),
           policies=["roles/bigquery.dataEditor"])
    gcp_sa("pubsub-bridge", created=260,
           keys=[key(45, 0, expires=45)],
           tags=owner_tags(JONAS, "search"), policies=["roles/pubsub.publisher"])

    # -- clean twins ---------------------------------------------------------------------
    def gcp(email):
        return identity_of("gcp", email)

    twin(gcp(gcp_sa("report-reader", created=300, last_activity=0,
                    display="Reads BigQuery for the finance dashboards",
                    tags=owner_tags(MAYA, "bi"),
                    policies=["roles/bigquery.dataViewer", "roles/iam.securityReviewer"])),
         ["gcp-sa-admin-role", "gcp-sa-primitive-role", "admin-privileges"],
         "project roles, but neither Owner/Editor nor one whose id contains admin "
         "(roles/iam.securityReviewer reviews, it does not administer)")
    twin(gcp(gcp_sa("audit-viewer", created=250, last_activity=0,
                    display="Exports the asset inventory for the auditors",
                    tags=owner_tags(AISHA, "security"), policies=["roles/viewer"])),
         ["gcp-sa-primitive-role", "gcp-sa-admin-role", "wildcard-privileges"],
         "a basic role, but Viewer: only Owner and Editor are privileged")
    twin(gcp(gcp_sa("ci-image-builder", created=280, last_activity=0,
                    display="Builds container images for Cloud Build",
                    tags=owner_tags(BEN, "web"), policies=["roles/artifactregistry.writer"],
                    impersonators=[impersonator("group:sre@acme.example",
                                                "roles/iam.serviceAccountTokenCreator")])),
         ["gcp-sa-user-role-on-project", "gcp-sa-impersonable-by-many"],
         "Service Account Token Creator granted to one group, but on the account itself, "
         "not on the project")
    twin(gcp(gcp_sa("deploy-orchestrator", created=350, last_activity=0,
                    display="Runs Cloud Deploy releases",
                    tags=owner_tags(LUKAS, "platform"), policies=["roles/clouddeploy.releaser"],
                    impersonators=[
                        impersonator("group:sre@acme.example",
                                     "roles/iam.serviceAccountTokenCreator"),
                        impersonator(f"user:{LUKAS}", "roles/iam.serviceAccountUser"),
                        impersonator(f"principalSet://iam.googleapis.com/projects/"
                                     f"{GCP_PROJECT_NUMBER}/locations/global/"
                                     "workloadIdentityPools/github/attribute.repository/"
                                     "acme-corp/deploy-config",
                                     "roles/iam.workloadIdentityUser"),
                    ])),
         ["gcp-sa-impersonable-by-many", "gcp-sa-user-role-on-project"],
         "three distinct members may act as it (the limit is more than 3), each granted on "
         "the account itself")
    # An AI agent on Vertex AI that authenticates through GKE workload identity; its old
    # user-managed key was disabled when it moved there.
    summarizer = gcp(gcp_sa(
        "doc-summarizer", created=260, last_activity=0,
        display="Summarises support documents with Vertex AI",
        keys=[key(250, 95, status="inactive")],
        tags=owner_tags(YUKI, "ml-platform"), privileged=["aiplatform.endpoints.predict"],
        policies=["roles/aiplatform.user"],
        impersonators=[impersonator(f"serviceAccount:{GCP_PROJECT}.svc.id.goog[docs/summarizer]",
                                    "roles/iam.workloadIdentityUser")]))
    twin(summarizer, ["ai-agent-without-owner", "ai-agent-excessive-privileges",
                      "ai-agent-can-delegate"],
         "an AI agent (roles/aiplatform.user) with an active owner, rights to call models "
         "only, and no static credential in use")
    twin(credentials_of(summarizer)[0],
         ["ai-agent-static-credential", "ai-agent-credential-unused", "gcp-user-managed-key",
          "credential-never-expires", "static-key-not-rotated"],
         "a user-managed key of an AI agent, 250 days old and unused for 95, but disabled")

    # A second project, set up the way CIS GCP 4.1/4.2 want: the Compute Engine default
    # account has no role and runs nothing; the SFTP gateway VM runs as its own account
    # (with the cloud-platform scope, as Google recommends for dedicated accounts).
    web, number = {"kind": "project", "id": "acme-web-prod", "name": "Acme Web (prod)"}, \
        "482907316655"
    twin(gcp(gcp_sa(f"{number}-compute", email=f"{number}-compute@developer.gserviceaccount.com",
                    project=web, project_number=number, created=30,
                    display="Compute Engine default service account",
                    workloads=[], tags=owner_tags(TOM, "sre"))),
         ["gcp-default-sa-in-use", "gcp-default-sa-on-instances",
          "gcp-default-sa-full-api-scope", "gcp-sa-primitive-role", "identity-unused"],
         "the Compute Engine default account, but without Editor and with no VM or other "
         "workload running as it; never used, in a project created 30 days ago")
    twin(gcp(gcp_sa("sftp-gateway", project=web, project_number=number, created=25,
                    last_activity=0, display="SFTP gateway VM",
                    workloads=["europe-west1-c/sftp-gateway"],
                    full_api_scope=["europe-west1-c/sftp-gateway"],
                    tags=owner_tags(TOM, "sre"),
                    policies=["roles/storage.objectCreator", "roles/storage.objectViewer"])),
         ["gcp-default-sa-on-instances", "gcp-default-sa-full-api-scope",
          "gcp-default-sa-in-use"],
         "a VM with the cloud-platform scope, but running as its own dedicated account, not "
         "the Compute Engine default one")


def gh_deploy_key(repo, key_id, title, *, created, read_only, owner=None, last_used=None):
    """A deploy key as the GitHub collector writes it: an identity and its ssh_key.

    The estate names owners by e-mail (as the roster does); the collector records the
    GitHub login of whoever added the key."""
    id = f"repos/acme-corp/{repo}/keys/{key_id}"
    attributes = {"type": "deploy_key", "repository": f"acme-corp/{repo}",
                  "repository_archived": False, "read_only": read_only, "key_id": key_id,
                  "verified": True}
    grant = f"contents:{'read' if read_only else 'write'} on acme-corp/{repo}"
    add_identity("github", GH, id, f"acme-corp/{repo}:{title}", "other",
                 description=f"deploy key of acme-corp/{repo} "
                             f"({'read-only' if read_only else 'read-write'})",
                 created=created, last_activity=last_used, owners=[owner] if owner else None,
                 privileged=() if read_only else (grant,), policies=(grant,),
                 attributes=attributes)
    return add_credential("github", GH, id, "ssh_key", name=title, identity_id=id,
                          created=created, last_used=last_used, attributes=attributes)


def gh_app(installation_id, slug, *, created, permissions, selection="all", suspended=None):
    """An app installation; `suspended` is how many days ago it was suspended (the
    collector then records it disabled, with `suspended_at`)."""
    writes = sorted(k for k, v in permissions.items() if v in ("write", "admin"))
    attributes = {"type": "github_app_installation",
                  "installation_id": installation_id, "app_slug": slug,
                  "permissions": dict(sorted(permissions.items())),
                  "write_permissions": writes, "repository_selection": selection,
                  "html_url": "https://github.com/organizations/acme-corp/settings/"
                              f"installations/{installation_id}"}
    if suspended is not None:
        attributes["suspended_at"] = when(suspended, f"{slug}|suspended")
    return add_identity("github", GH, f"orgs/acme-corp/installations/{installation_id}", slug,
                        "app", description=f"GitHub App {slug} installed on acme-corp",
                        created=created, activity_tracked=False, enabled=suspended is None,
                        privileged=tuple(f"{k}:{permissions[k]}" for k in writes),
                        policies=tuple(f"{k}:{v}" for k, v in sorted(permissions.items())),
                        attributes=attributes)


def gh_secret(name, *, repo=None, created, updated):
    vault = f"acme-corp/{repo}" if repo else "acme-corp"
    id = (f"repos/{vault}/actions/secrets/{name}" if repo
          else f"orgs/acme-corp/actions/secrets/{name}")
    attributes = {"type": "actions_secret", "level": "repo" if repo else "org"}
    if repo:
        attributes["repository"] = vault
    else:
        attributes["visibility"] = "all"
    return add_credential("github", GH, id, "vault_secret", name=name, created=created,
                          usage_tracked=False, last_rotated=updated, vault=vault,
                          attributes=attributes)


def gh_token(grant_id, name, owner, *, created, last_used, expires=None, writes=()):
    id = f"orgs/acme-corp/personal-access-tokens/{grant_id}"
    attributes = {"type": "fine_grained_pat", "owner": owner, "token_expired": False,
                  "write_permissions": list(writes), "repository_selection": "all"}
    add_identity("github", GH, id, f"{owner.split('@')[0]}/{name}", "other",
                 description=f"fine-grained personal access token of {owner} granted access "
                             "to acme-corp",
                 created=created, last_activity=last_used, owners=[owner],
                 privileged=tuple(f"{w}:write" for w in writes),
                 policies=tuple(f"{w}:write" for w in writes), attributes=attributes)
    return add_credential("github", GH, id, "token", name=name, identity_id=id,
                          created=created, expires=expires, last_used=last_used,
                          attributes=attributes)


def build_github():
    # A CI key that may push (write), a read-only mirror key, a write key nobody claims.
    gh_deploy_key("payments-api", 7101, "ci-release", created=600, read_only=False,
                  owner=_email("marcus"), last_used=1)
    gh_deploy_key("docs", 7102, "docs-mirror", created=300, read_only=True,
                  owner=_email("hannah"), last_used=3)
    gh_deploy_key("infra-live", 7103, "terraform-push", created=1100, read_only=False,
                  last_used=200)
    # Apps: one with contents and workflows write on every repository, one narrow.
    gh_app(3101, "release-drafter-plus", created=700,
           permissions={"contents": "write", "workflows": "write", "metadata": "read",
                        "pull_requests": "write"})
    gh_app(3102, "slack-notifier", created=400, selection="selected",
           permissions={"metadata": "read", "issues": "write", "checks": "read"})
    # Actions secrets: one not updated for two years, one updated last month.
    gh_secret("NPM_PUBLISH_TOKEN", created=900, updated=720)
    gh_secret("SLACK_WEBHOOK_URL", created=500, updated=20)
    gh_secret("AWS_SECRET_ACCESS_KEY", repo="payments-api", created=400, updated=400)
    # Fine-grained tokens: one without expiry whose owner has left, one expiring.
    gh_token(25401, "release-script", KEVIN, created=500, last_used=2,
             writes=("contents",))
    gh_token(25402, "triage", _email("sofia"), created=30, last_used=1, expires=60)

    # -- clean twins ---------------------------------------------------------------------
    twin(gh_deploy_key("infra", 7104, "argocd-read", created=200, read_only=True, owner=LUKAS,
                       last_used=0),
         ["github-deploy-key-write", "identity-without-owner"],
         "a deploy key Argo CD pulls with, but read-only, added by a known person")
    twin(gh_app(3103, "repo-settings-sync", created=500, suspended=40,
                permissions={"administration": "write", "contents": "write",
                             "metadata": "read"}),
         ["github-app-broad-write", "identity-without-owner"],
         "an app with administration and contents write on every repository, but suspended "
         "40 days ago: it cannot act")
    twin(gh_secret("PYPI_UPLOAD_TOKEN", repo="sdk-python", created=400, updated=90),
         ["github-actions-secret-not-rotated"],
         "an Actions secret last updated exactly 90 days ago (limit: more than 90)")
    twin(gh_token(25403, "docs-publish", HANNAH, created=59, last_used=0, expires=31,
                  writes=("contents",)),
         ["github-pat-no-expiry", "credential-expiring-soon"],
         "a fine-grained token that expires, in 31 days (credential-expiring-soon: 30 or "
         "fewer), of an active person")


def build_kubernetes():
    k8s_sa("payments", "payments-api", created=380, tags=owner_tags(ELENA, "payments"),
           workloads=["Deployment/payments/payments-api"], automount_token=False,
           attributes={"eks.amazonaws.com/role-arn":
                       f"arn:aws:iam::{AWS_PROD_ID}:role/irsa-payments-api"})
    k8s_sa("kube-system", "external-dns", created=690, tags=owner_tags(TOM, "sre"),
           workloads=["Deployment/kube-system/external-dns"],
           attributes={"eks.amazonaws.com/role-arn":
                       f"arn:aws:iam::{AWS_PROD_ID}:role/irsa-external-dns"})
    k8s_sa("argocd", "argocd-application-controller", created=600,
           tags=owner_tags(LUKAS, "platform"), admin=True, wildcard=["*"],
           workloads=["StatefulSet/argocd/argocd-application-controller"],
           bindings=[crb("argocd-application-controller", "cluster-admin")],
           reads_all_secrets=True,
           policies=["ClusterRoleBinding/argocd-application-controller: cluster-admin"])
    k8s_sa("ci", "jenkins-deployer", created=1010,
           tokens=[("jenkins-deployer-token-x8k2d", 1000)],
           tags=owner_tags(ALEX_CONTRACTOR, "platform"),
           wildcard=["deployments.apps/* in ci"],
           privileged=["pods/exec/create in ci", "secrets/get in ci"],
           workloads=[],  # used from the old Jenkins VM with its token
           bindings=[rb("ci", "jenkins-deployer", "deployer")],
           policies=["RoleBinding/ci/jenkins-deployer: deployer"])
    k8s_sa("kube-system", "legacy-dashboard", created=1100,
           tokens=[("legacy-dashboard-token-4hq9z", 1099)],
           admin=True, wildcard=["*"], workloads=["ReplicaSet/kube-system/dashboard-7d9f8c"],
           bindings=[crb("legacy-dashboard", "cluster-admin")], reads_all_secrets=True,
           policies=["ClusterRoleBinding/legacy-dashboard: cluster-admin"])
    k8s_sa("monitoring", "prometheus", created=700, tags=owner_tags(SAMUEL, "observability"),
           workloads=["StatefulSet/monitoring/prometheus-k8s"],
           bindings=[crb("prometheus", "prometheus-read")],
           policies=["ClusterRoleBinding/prometheus: prometheus-read"])
    k8s_sa("cert-manager", "cert-manager", created=700, tags=owner_tags(TOM, "sre"),
           privileged=["secrets/get", "secrets/list", "secrets/watch"], reads_all_secrets=True,
           workloads=["Deployment/cert-manager/cert-manager"],
           bindings=[crb("cert-manager", "cert-manager-controller")],
           policies=["ClusterRoleBinding/cert-manager: cert-manager-controller"])
    k8s_sa("support", "support-agent-llm-worker", created=200,
           tags=owner_tags(SOFIA, "customer-support", workload_type="ai-agent"),
           workloads=["Deployment/support/support-agent-llm-worker"],
           attributes={"eks.amazonaws.com/role-arn":
                       f"arn:aws:iam::{AWS_PROD_ID}:role/support-agent-llm"})
    for cluster, name in ((K8S, "triage-worker"), (K8S_EU, "triage-worker-eu")):
        k8s_sa("claims", name, created=150, cluster=cluster, tags=owner_tags(SOFIA, "claims"),
               workloads=[f"Deployment/claims/{name}"],
               attributes={"eks.amazonaws.com/role-arn":
                           f"arn:aws:iam::{AWS_PROD_ID}:role/claims-triage-agent"})
    k8s_sa("claims", "intake-worker", created=150, tags=owner_tags(SOFIA, "claims"),
           workloads=["Deployment/claims/intake-worker"],
           attributes={"eks.amazonaws.com/role-arn":
                       f"arn:aws:iam::{AWS_PROD_ID}:role/claims-intake-agent"})
    k8s_sa("ci", "gitlab-runner", created=90, tokens=[("gitlab-runner-token-p7d3k", 25)],
           tags=owner_tags(BEN, "web"), workloads=["Deployment/ci/gitlab-runner"],
           # jenkins-deployer may create Deployments in ci, so it can run one as this.
           trusts=[trust("system:serviceaccount:ci:jenkins-deployer", "identity",
                         "deployments.apps/create via RoleBinding/ci/jenkins-deployer")],
           bindings=[rb("ci", "gitlab-runner", "runner")],
           policies=["RoleBinding/ci/gitlab-runner: runner"])
    k8s_sa("data", "spark-operator", created=430, tags=owner_tags(DANIEL, "data"),
           workloads=["Deployment/data/spark-operator"],
           bindings=[crb("spark-operator", "spark-operator")],
           policies=["ClusterRoleBinding/spark-operator: spark-operator"])
    k8s_sa("observability", "fluent-bit", created=520,
           tokens=[("fluent-bit-token-m2w7c", 70)], tags=owner_tags(SAMUEL, "observability"),
           workloads=["DaemonSet/observability/fluent-bit"],
           bindings=[crb("fluent-bit", "fluent-bit-read")],
           policies=["ClusterRoleBinding/fluent-bit: fluent-bit-read"])
    # The namespace's default ServiceAccount was given the app's rights "temporarily".
    k8s_sa("payments", "default", created=800, workloads=["Pod/payments/debug-shell"],
           bindings=[rb("payments", "default-edit", "edit", kind="ClusterRole")],
           wildcard=[], privileged=["pods/exec/create in payments", "secrets/get in payments"],
           policies=["RoleBinding/payments/default-edit: edit"])
    k8s_sa("data", "default", created=430, workloads=[])
    # Left behind when the old reporting stack was uninstalled.
    k8s_sa("data", "airflow-scheduler", created=950, tags=owner_tags(RACHEL, "data"),
           workloads=[], bindings=[rb("data", "airflow-scheduler", "airflow")],
           policies=["RoleBinding/data/airflow-scheduler: airflow"])

    # -- clean twins ---------------------------------------------------------------------
    def sa(sa_id):
        return identity_of("kubernetes", sa_id)

    twin(sa(k8s_sa("web", "storefront", created=300, tags=owner_tags(CHLOE, "web"),
                   workloads=["Deployment/web/storefront"],
                   bindings=[rb("web", "storefront", "storefront-config-reader")],
                   policies=["RoleBinding/web/storefront: storefront-config-reader"])),
         ["k8s-sa-unused", "k8s-default-sa-with-bindings", "k8s-legacy-sa-token-secret"],
         "a ServiceAccount with a RoleBinding, but its app's own (not default), running a "
         "Deployment, with projected tokens only (no token Secret)")
    twin(sa(k8s_sa("web", "default", created=300, automount_token=False,
                   workloads=["Job/web/smoke-test"])),
         ["k8s-default-sa-in-use", "k8s-default-sa-with-bindings", "identity-without-owner"],
         "a namespace's default ServiceAccount a Job runs as, but with token automounting "
         "disabled and no bindings")
    twin(sa(k8s_sa("web", "config-reloader", created=300, tags=owner_tags(CHLOE, "web"),
                   privileged=["secrets/get in web", "secrets/list in web",
                               "secrets/watch in web"],
                   workloads=["Deployment/web/config-reloader"],
                   bindings=[rb("web", "config-reloader", "secret-reader")],
                   policies=["RoleBinding/web/config-reloader: secret-reader"])),
         ["k8s-sa-reads-all-secrets"],
         "reads Secrets, but only in its own namespace (a RoleBinding, not cluster-wide)")


# --------------------------------------------------------------------------------------
# CSV subset
# --------------------------------------------------------------------------------------

IDENTITY_COLUMNS = [
    "provider", "scope_kind", "scope_id", "scope_name", "id", "name", "kind", "description",
    "created", "last_activity", "activity_tracked", "enabled", "tags", "owners",
    "interactive_login", "admin", "wildcard_actions", "privileged_actions", "policies",
]
CREDENTIAL_COLUMNS = [
    "provider", "scope_kind", "scope_id", "scope_name", "id", "name", "kind", "identity_id",
    "created", "expires", "last_used", "usage_tracked", "last_rotated", "rotation_enabled",
    "rotation_interval_days", "status", "region", "vault", "tags",
]

# Chosen so that nothing in them needs trust, which CSV cannot express. CSV has no
# `attributes` column either: the source-specific attributes are left out.
CSV_IDENTITIES = [
    ("aws", "arn:aws:iam::111122223333:user/reporting-export"),
    ("azure", guid("app:customer-portal-b2c")),
    ("gcp", f"bq-exporter@{GCP_PROJECT}.iam.gserviceaccount.com"),
    ("kubernetes", "system:serviceaccount:ci:jenkins-deployer"),
    ("azure", guid("mi:vm-build-agent-01")),
]
CSV_EXTRA_CREDENTIALS = ["prod/payments/stripe-api-key"]  # by name: owned by no identity


def _bool(value):
    return "true" if value else "false"


def _join(items):
    for item in items:
        assert ";" not in item, item
    return ";".join(items)


def _tags(tags):
    for k, v in tags.items():
        assert not set(k) & set("=;") and ";" not in v, (k, v)
    return ";".join(f"{k}={v}" for k, v in tags.items())


def _scope_cells(scope):
    return [scope["kind"], scope["id"], scope.get("name", "")]


def identity_row(i):
    p = i.get("permissions", {})
    return [i["provider"], *_scope_cells(i["scope"]), i["id"], i["name"], i["kind"],
            i.get("description", ""), i.get("created", ""), i.get("last_activity", ""),
            _bool(i.get("activity_tracked", True)), _bool(i.get("enabled", True)),
            _tags(i.get("tags", {})), _join(i.get("owners", [])),
            _bool(i.get("interactive_login", False)), _bool(p.get("admin", False)),
            _join(p.get("wildcard_actions", [])), _join(p.get("privileged_actions", [])),
            _join(p.get("policies", []))]


def credential_row(c):
    loc = c.get("location", {})
    rotation = c.get("rotation_enabled")
    interval = c.get("rotation_interval_days")
    return [c["provider"], *_scope_cells(c["scope"]), c["id"], c.get("name", ""), c["kind"],
            c.get("identity_id", ""), c.get("created", ""), c.get("expires", ""),
            c.get("last_used", ""), _bool(c.get("usage_tracked", True)),
            c.get("last_rotated", ""), "" if rotation is None else _bool(rotation),
            "" if interval is None else str(interval), c["status"], loc.get("region", ""),
            loc.get("vault", ""), _tags(c.get("tags", {}))]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def csv_subset():
    by_key = {(i["provider"], i["id"]): i for i in identities}
    subset = [by_key[k] for k in CSV_IDENTITIES]
    wanted = {(i["provider"], i["id"]) for i in subset}
    creds = [c for key in CSV_IDENTITIES for c in credentials
             if (c["provider"], c.get("identity_id")) == key]
    creds += [c for c in credentials
              if "identity_id" not in c and c.get("name") in CSV_EXTRA_CREDENTIALS]
    for entity in subset + creds:
        assert "trust" not in entity, entity["id"]
    return subset, creds


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def check(inventory):
    ids = inventory["identities"]
    creds = inventory["credentials"]
    assert len(ids) >= 60 and len(creds) >= 100, (len(ids), len(creds))
    identity_keys = [(i["provider"], i["id"]) for i in ids]
    assert len(set(identity_keys)) == len(identity_keys), "duplicate identity id"
    cred_ids = [c["id"] for c in creds]
    assert len(set(cred_ids)) == len(cred_ids), "duplicate credential id"
    by_key = {(i["provider"], i["id"]): i for i in ids}
    now = _fmt(NOW)
    for c in creds:
        if "identity_id" in c:
            owner = by_key.get((c["provider"], c["identity_id"]))
            assert owner is not None, f"{c['id']}: identity {c['identity_id']} not found"
            assert owner["created"] <= c["created"], c["id"]
        for field in ("last_used", "last_rotated"):
            if field in c:
                assert c["created"] <= c[field] <= now, (c["id"], field)
    for i in ids:
        if "last_activity" in i:
            assert i["created"] <= i["last_activity"] <= now, i["id"]
    roster = {email for _p, email, _s, _e in ROSTER}
    named = set()
    for entity in ids + creds:
        named.update(entity.get("owners", []))
        for k in ("owner", "Owner", "owner-email", "created-by"):
            if k in entity.get("tags", {}):
                named.add(entity["tags"][k])
    assert named - roster == UNKNOWN_OWNERS, named - roster
    assert KEVIN in named
    identity_ids = {i["id"] for i in ids}
    twin_ids = [t["entity"] for t in twins]
    assert len(set(twin_ids)) == len(twin_ids), "an entity is marked as a twin twice"
    for t in twins:
        assert t["entity"] in (identity_ids if t["type"] == "identity" else set(cred_ids)), t
        assert t["twin_of"] and t["why"], t


def leak_report():
    """What gitleaks (`gitleaks git --report-format json`) found in the company's
    repositories: two of the estate's keys (one still active), the clean twins' near
    misses, and a GitHub token. Every secret in it is fake."""
    def finding(n, rule, description, secret, match, repo, file, line, commit, date, author):
        return {
            "RuleID": rule, "Description": description,
            "StartLine": line, "EndLine": line, "StartColumn": 18, "EndColumn": 18 + len(match),
            "Match": match, "Secret": secret, "File": file, "SymlinkFile": "",
            "Commit": commit,
            "Link": f"https://github.com/acme-corp/{repo}/blob/{commit}/{file}#L{line}",
            "Entropy": 3.9, "Author": author, "Email": f"{author.split()[0].lower()}@acme.example",
            "Date": date, "Message": "wip", "Tags": [],
            "Fingerprint": f"{commit}:{file}:{rule}:{line}",
        }
    aws = "Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access and data breaches on AWS platforms."
    commit = lambda label: hashlib.sha1(label.encode()).hexdigest()
    jenkins = access_key_id(f"arn:aws:iam::{AWS_PROD_ID}:user/jenkins-svc#1")
    bootstrap_old = access_key_id(f"arn:aws:iam::{AWS_PROD_ID}:user/terraform-bootstrap#1")
    leaks = [
        finding(1, "aws-access-token", aws, jenkins, jenkins, "jenkins-config",
                "casc/credentials.yaml", 41, commit("jenkins"), "2026-09-14T10:02:11Z",
                "Jonas Keller"),
        finding(2, "aws-access-token", aws, bootstrap_old, bootstrap_old, "platform-infra",
                "bootstrap/terraform.tfvars", 4, commit("bootstrap"), "2024-03-02T16:40:00Z",
                "Lukas Weber"),
    ]
    for i, near in enumerate(NEAR_MISSES, 3):
        leaks.append(finding(i, "aws-access-token", aws, near, near, "docs-site",
                             f"content/howto/aws-example-{i}.md", 12, commit(near),
                             "2026-06-01T09:00:00Z", "Chloe Martin"))
    token = "ghp_" + "EXAMPLEfakeTokenNotReal00000000000001"[:36]
    leaks.append(finding(len(leaks) + 1, "github-pat",
                         "Uncovered a GitHub Personal Access Token, potentially leading to unauthorized repository access and sensitive content exposure.",
                         token, "token = " + token, "release-tooling", "scripts/.release.env",
                         3, commit("release"), "2026-10-20T08:15:00Z", "Omar Haddad"))
    return leaks


def main():
    build_aws_prod()
    build_aws_dev()
    build_azure()
    build_gcp()
    build_kubernetes()
    build_github()
    inventory = {
        "schema_version": 1,
        "generated_at": _fmt(NOW),
        "sources": [SOURCE],
        "identities": identities,
        "credentials": credentials,
    }
    check(inventory)

    with open(os.path.join(HERE, "inventory.json"), "w", encoding="utf-8") as f:
        json.dump(inventory, f, indent=2)
        f.write("\n")

    with open(os.path.join(HERE, "clean-twins.json"), "w", encoding="utf-8") as f:
        json.dump(twins, f, indent=2)
        f.write("\n")

    with open(os.path.join(HERE, "leaks.json"), "w", encoding="utf-8") as f:
        json.dump(leak_report(), f, indent=1)
        f.write("\n")

    write_csv(os.path.join(EXAMPLES, "roster.csv"), ["person", "email", "status", "end_date"],
              [list(r) for r in ROSTER])

    subset, subset_creds = csv_subset()
    os.makedirs(os.path.join(EXAMPLES, "csv"), exist_ok=True)
    write_csv(os.path.join(EXAMPLES, "csv", "identities.csv"), IDENTITY_COLUMNS,
              [identity_row(i) for i in subset])
    write_csv(os.path.join(EXAMPLES, "csv", "credentials.csv"), CREDENTIAL_COLUMNS,
              [credential_row(c) for c in subset_creds])

    print(f"wrote {len(identities)} identities and {len(credentials)} credentials "
          f"({len(twins)} clean twins); "
          f"CSV subset: {len(subset)} identities, {len(subset_creds)} credentials")


if __name__ == "__main__":
    main()
