"""IAM operations moto (5.2.5) lacks, added to its server so the collector can be tested
over real HTTP: CreateServiceSpecificCredential, UpdateServiceSpecificCredential and
ListServiceSpecificCredentials.

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
import string

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


def install() -> None:
    """Adds the operations to moto's IAM responses (idempotent)."""
    for method in (create_service_specific_credential, update_service_specific_credential,
                   list_service_specific_credentials):
        setattr(IamResponse, method.__name__, method)
