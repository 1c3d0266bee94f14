"""IAM operations moto (5.2.5) lacks, added to its server so the collector can be tested
over real HTTP: CreateServiceSpecificCredential, UpdateServiceSpecificCredential and
ListServiceSpecificCredentials; GenerateServiceLastAccessedDetails and
GetServiceLastAccessedDetails (service last accessed data, below).

moto answers them with an HTTP 500 ("The ... action has not been implemented"), so a
scan against a bare moto could not tell "no such credentials" from "could not list
them". These methods are installed on moto's own IAM response class (`install()`), so
requests still go through moto's routing, its IAM enforcement (the caller needs
`iam:ListServiceSpecificCredentials` like on AWS), botocore's response serializer and
the request log; the credentials are kept on moto's user objects. They follow the AWS
API reference (including the 2025 additions: `AllUsers`, `Marker`/`MaxItems`,
`CredentialAgeDays`, `ExpirationDate`, `ServiceCredentialAlias`) but only as far as
nhiscan's tests need: no quotas, and no checks of the service name beyond the ones below.
Delete this file once moto implements the operations.
"""

from __future__ import annotations

import datetime
import fnmatch
import gzip
import json
import os
import re
import string
import threading
import uuid
from urllib.parse import unquote

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.iam.exceptions import NotFoundException, ValidationError
from moto.iam.responses import IamResponse
from moto.moto_api._internal import mock_random as random

# Services whose credentials are a user name and password (CodeCommit Git over HTTPS,
# Amazon Keyspaces); any other service gets an API key (e.g. Amazon Bedrock).
PASSWORD_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")


def _credentials(user) -> dict:
    if not hasattr(user, "nhiscan_service_credentials"):
        user.nhiscan_service_credentials = {}
    return user.nhiscan_service_credentials


def _metadata(cred: dict) -> dict:
    keys = ("UserName", "Status", "ServiceUserName", "ServiceCredentialAlias",
            "CreateDate", "ExpirationDate", "ServiceSpecificCredentialId", "ServiceName")
    return {k: cred[k] for k in keys if cred.get(k) is not None}


def create_service_specific_credential(self) -> ActionResult:
    user = self.backend.get_user(self._get_param("UserName"))
    service = self._get_param("ServiceName")
    if not service:
        raise ValidationError("ServiceName is required")
    now = utcnow()
    cred_id = "ACCA" + "".join(random.choices(string.ascii_uppercase + string.digits, k=17))
    cred = {
        "UserName": user.name,
        "Status": "Active",
        "CreateDate": now,
        "ServiceSpecificCredentialId": cred_id,
        "ServiceName": service,
    }
    age_days = self._get_int_param("CredentialAgeDays")
    if age_days:
        cred["ExpirationDate"] = now + datetime.timedelta(days=age_days)
    secret = "".join(random.choices(string.ascii_letters + string.digits, k=40))
    if service in PASSWORD_SERVICES:
        cred["ServiceUserName"] = f"{user.name}-at-{self.current_account}"
        shown = {"ServicePassword": secret}
    else:
        alias = f"{user.name}-at-{self.current_account}"
        cred["ServiceUserName"] = alias
        cred["ServiceCredentialAlias"] = alias
        shown = {"ServiceCredentialSecret": secret, "ServicePassword": ""}
    _credentials(user)[cred_id] = cred
    # The secret is returned once, at creation, as on AWS; it is not kept.
    return ActionResult({"ServiceSpecificCredential": {**cred, **shown}})


def update_service_specific_credential(self) -> EmptyResult:
    user = self.backend.get_user(self._get_param("UserName"))
    cred_id = self._get_param("ServiceSpecificCredentialId")
    try:
        _credentials(user)[cred_id]["Status"] = self._get_param("Status")
    except KeyError:
        raise NotFoundException(f"No such credential {cred_id}")
    return EmptyResult()


def list_service_specific_credentials(self) -> ActionResult:
    user_name = self._get_param("UserName")
    all_users = self._get_bool_param("AllUsers", False)
    service = self._get_param("ServiceName")
    if all_users and user_name:
        raise ValidationError("AllUsers cannot be specified together with UserName")
    if not all_users and not user_name:
        # AWS then lists the caller's own credentials; nhiscan always names a user.
        raise ValidationError("this emulator needs UserName or AllUsers")
    users = self.backend.users.values() if all_users else [self.backend.get_user(user_name)]
    found = [
        _metadata(cred)
        for user in users
        for cred in _credentials(user).values()
        if service is None or cred["ServiceName"] == service
    ]
    start = int(self._get_param("Marker") or 0)
    size = self._get_int_param("MaxItems", 100)
    page = found[start:start + size]
    result = {"ServiceSpecificCredentials": page, "IsTruncated": start + size < len(found)}
    if result["IsTruncated"]:
        result["Marker"] = str(start + size)
    return ActionResult(result)


# --- service last accessed data --------------------------------------------------------
#
# AWS's access advisor: GenerateServiceLastAccessedDetails starts a job for a user, role,
# group or managed policy; GetServiceLastAccessedDetails answers IN_PROGRESS, then
# COMPLETED with every service the entity's permissions policies allow (not its boundary,
# SCPs or resource policies) and, for each, when an entity last authenticated to it.
#
# Here the use is real: every request moto serves is recorded against the principal that
# signed it (an IAM user's access key, or an assumed role's session key), by the service
# that served it and the region it was signed for, at moto's clock (so the seed's frozen
# dates hold). A job is answered IN_PROGRESS on its first read, as AWS does for the first
# seconds, so that a client must poll. Simplifications: a service is named by moto's
# service name (the IAM namespace for the services nhiscan's tests use); `*` (or a
# `NotAction`) grants every service botocore has a model for; the 400-day tracking window
# and ACTION_LEVEL's tracked actions are not modelled; groups' and policies' reports
# list the use by their members and attached principals.

_ACTIVITY: dict[str, dict[str, dict[str, tuple[datetime.datetime, str]]]] = {}
_ACTIVITY_LOCK = threading.Lock()
_JOBS: dict[str, dict] = {}


def _record_use(account_id: str, access_key: str, service: str, region: str) -> None:
    """Notes that the principal owning `access_key` authenticated to `service`."""
    from moto.iam.models import iam_backends

    if not service:
        return
    for partition_backend in iam_backends[account_id].values():
        key = partition_backend.access_keys.get(access_key)
        if key is None:
            continue
        if key.role_arn:
            principal = key.role_arn
        else:
            user = partition_backend.users.get(key.user_name)
            if user is None:
                return
            principal = user.arn
        with _ACTIVITY_LOCK:
            _ACTIVITY.setdefault(account_id, {}).setdefault(principal, {})[service] = (
                utcnow(), region or "us-east-1")
        return


def _documents(backend, arn: str) -> tuple[list[str], list[str]]:
    """The permissions policy documents of the entity `arn`, and the principals whose
    use counts for it (itself; a group's members; a policy's attached users and roles)."""
    kind = arn.split(":", 5)[-1].split("/", 1)[0]
    name = arn.rsplit("/", 1)[-1]

    def managed(policies) -> list[str]:
        return [next(v.document for v in p.versions if v.is_default)
                for p in policies.values()]

    if kind == "user":
        user = backend.get_user(name)
        docs = list(user.policies.values()) + managed(user.managed_policies)
        for group in backend.get_groups_for_user(name):
            docs += list(group.policies.values()) + managed(group.managed_policies)
        return docs, [user.arn]
    if kind == "role":
        role = backend.get_role(name)
        return list(role.policies.values()) + managed(role.managed_policies), [role.arn]
    if kind == "group":
        group = backend.get_group(name)
        docs = list(group.policies.values()) + managed(group.managed_policies)
        return docs, [u.arn for u in group.users]
    if kind == "policy":
        policy = backend.get_policy(arn)
        attached = [u.arn for u in backend.users.values() if arn in u.managed_policies]
        attached += [r.arn for r in backend.roles.values() if arn in r.managed_policies]
        return managed({arn: policy}), attached
    raise ValidationError(f"Invalid ARN {arn}: not a user, group, role or policy")


def _all_services() -> list[str]:
    import botocore

    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    return sorted(d for d in os.listdir(data) if os.path.isdir(os.path.join(data, d)))


_FULL_NAMES: dict[str, str] = {}
_FULL_NAMES_LOCK = threading.Lock()
FULL_NAME = re.compile(rb'"serviceFullName"\s*:\s*"([^"]+)"')


def _full_name(namespace: str) -> str:
    """The service's name as AWS writes it (`Amazon Simple Storage Service`), from the
    metadata at the head of its botocore model (read alone: parsing the whole models of
    every service takes seconds), or the namespace when botocore has no model by it."""
    import botocore

    with _FULL_NAMES_LOCK:
        if namespace not in _FULL_NAMES:
            root = os.path.join(os.path.dirname(botocore.__file__), "data", namespace)
            versions = sorted(os.listdir(root)) if os.path.isdir(root) else []
            head = b""
            for name in ("service-2.json.gz", "service-2.json"):
                path = os.path.join(root, versions[-1], name) if versions else ""
                if path and os.path.exists(path):
                    opener = gzip.open if name.endswith(".gz") else open
                    with opener(path, "rb") as f:
                        head = f.read(4096)
                    break
            found = FULL_NAME.search(head)
            _FULL_NAMES[namespace] = found.group(1).decode() if found else namespace
        return _FULL_NAMES[namespace]


def _granted_services(documents: list[str]) -> set[str]:
    """The service namespaces the documents' `Allow` statements grant any action of."""
    everything = None
    granted: set[str] = set()
    for document in documents:
        parsed = json.loads(unquote(document) if document.startswith("%7B") else document)
        statements = parsed.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            if "NotAction" in statement:
                actions = ["*"]
            for action in [actions] if isinstance(actions, str) else actions:
                prefix = action.split(":", 1)[0].lower()
                if "*" in prefix or "?" in prefix:
                    everything = everything or _all_services()
                    granted.update(s for s in everything if fnmatch.fnmatch(s, prefix))
                else:
                    granted.add(prefix)
    return granted


def generate_service_last_accessed_details(self) -> ActionResult:
    arn = self._get_param("Arn")
    granularity = self._get_param("Granularity") or "SERVICE_LEVEL"
    if granularity not in ("SERVICE_LEVEL", "ACTION_LEVEL"):
        raise ValidationError(f"Invalid Granularity {granularity}")
    documents, principals = _documents(self.backend, arn)
    account = self.current_account
    with _ACTIVITY_LOCK:
        seen = {p: dict(_ACTIVITY.get(account, {}).get(p, {})) for p in principals}
    services = []
    for namespace in sorted(_granted_services(documents)):
        uses = [(when, region, principal) for principal, by_service in seen.items()
                for service, (when, region) in by_service.items() if service == namespace]
        entry = {"ServiceName": _full_name(namespace), "ServiceNamespace": namespace,
                 "TotalAuthenticatedEntities": len(uses)}
        if uses:
            when, region, principal = max(uses)
            entry.update(LastAuthenticated=when, LastAuthenticatedRegion=region,
                         LastAuthenticatedEntity=principal)
        services.append(entry)
    job_id = str(uuid.uuid4())
    _JOBS[job_id] = {"created": utcnow(), "type": granularity, "services": services,
                     "reads": 0}
    return ActionResult({"JobId": job_id})


def get_service_last_accessed_details(self) -> ActionResult:
    job_id = self._get_param("JobId")
    job = _JOBS.get(job_id)
    if job is None:
        raise NotFoundException(f"No job with id {job_id}")
    job["reads"] += 1
    result = {"JobType": job["type"], "JobCreationDate": job["created"]}
    if job["reads"] == 1:
        return ActionResult({**result, "JobStatus": "IN_PROGRESS", "ServicesLastAccessed": [],
                             "IsTruncated": False})
    start = int(self._get_param("Marker") or 0)
    size = self._get_int_param("MaxItems", 100)
    page = job["services"][start:start + size]
    result.update(JobStatus="COMPLETED", JobCompletionDate=job["created"],
                  ServicesLastAccessed=page, IsTruncated=start + size < len(job["services"]))
    if result["IsTruncated"]:
        result["Marker"] = str(start + size)
    return ActionResult(result)


def install() -> None:
    """Adds the operations to moto's IAM responses, and records each request's use of
    its service for service last accessed data (idempotent)."""
    import moto.iam.models as iam_models

    for method in (create_service_specific_credential, update_service_specific_credential,
                   list_service_specific_credentials, generate_service_last_accessed_details,
                   get_service_last_accessed_details):
        setattr(IamResponse, method.__name__, method)
    original = getattr(iam_models.mark_account_as_visited, "nhiscan_original",
                       iam_models.mark_account_as_visited)

    def mark_account_as_visited(account_id, access_key, service, region):
        original(account_id=account_id, access_key=access_key, service=service, region=region)
        _record_use(account_id, access_key, service, region)

    mark_account_as_visited.nhiscan_original = original
    iam_models.mark_account_as_visited = mark_account_as_visited
