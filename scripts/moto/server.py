"""Runs moto's server on loopback for nhiscan's AWS collector tests, seeding it first.

One process does everything, so that resources can be given past creation dates: moto
stamps creation and last-used times with the current clock, and the seeding (in
seed.py) creates resources through the real AWS API (boto3) against this very server
while freezegun freezes the clock of the whole process, server thread included.

    python scripts/moto/server.py [--port 0] [--seed standard|org|none] [--scale N]
        [--request-log FILE] [--disabled-region REGION]...
        [--enforce-auth --auditor-policy POLICY.json --auditor-credentials FILE
         [--org-policy ORG-POLICY.json]]

When the server is ready it prints one JSON line on stdout, then serves until it is
killed or its standard input is closed (so it never outlives the test that started it):

    {"ready": true, "endpoint": "http://127.0.0.1:PORT", "port": PORT, "account_id": "123456789012", ...}

--stock             serves moto as published: without moto_extras' IAM operations, which
                    it answers with an HTTP 500 HTML page (with --scale or --seed none).
--org-accounts M    with --scale N: seeds an organisation of M member accounts of N
                    identities each instead (seed_org.seed_org_scale), for
                    scripts/bench-aws-org.sh.
--scale N           seeds the benchmark estate of N identities (seed.seed_scale: users
                    with access keys, roles, N/4 secrets) instead of --seed's.
--seed org          seeds an AWS Organization instead of the standard estate
                    (seed_org.py); the ready line then has "org": {"management",
                    "audit_role", "accounts": {name: account id}}.
--request-log FILE  appends one line per request: `service region Operation status
                    access-key-id` (from the SigV4 credential scope and the query
                    `Action` or the JSON `X-Amz-Target`), so a test can prove which
                    APIs were called, and by whom.
--disabled-region R answers every request signed for region R the way AWS answers in an
                    opt-in region the account has not enabled (HTTP 400
                    UnrecognizedClientException), to test a failing region; EC2's
                    DescribeRegions reports it `not-opted-in`, as AWS reports a region
                    the account has not enabled. The ready line's "enabled_regions"
                    lists the regions DescribeRegions reports usable (opted in or not
                    needing it) in the `aws` partition.
--enforce-auth      after seeding, creates the user `nhiscan-auditor` with only the policy
                    in --auditor-policy, and `nhiscan-auditor-limited` with that policy
                    minus the credential report and secretsmanager:ListSecrets; writes
                    their access keys as JSON ({"full": {...}, "limited": {...}}) to
                    --auditor-credentials (mode 0600), then switches on moto's IAM
                    enforcement (the in-process equivalent of INITIAL_NO_AUTH_ACTION_COUNT
                    reaching zero): from then on every request is checked against the
                    caller's IAM policies. With --seed org, --org-policy is needed
                    too: it creates `nhiscan-org-scanner` in the management account with
                    both policies ("org" in the credentials file) and puts the read-only
                    policy on the audit role of each member account that has one.

POST /__nhiscan/faults {"throttle": 0.2, "error": 0, "reset": 0, "slow": 0,
                    "slow_seconds": 3, "seed": 1} injects faults into that share of the
                    requests that follow, and {"rate": 100} throttles each access key
                    above 100 requests a second per service (see Faults); {} switches
                    them off. Both
                    GET and POST answer with the spec in force until then and how many
                    of each fault it injected.

AssumeRole of a role that does not exist is refused with AccessDenied, as AWS does
(moto alone hands out credentials for any role ARN), so that a member account without
the audit role fails like it would on AWS.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

# AWS managed policies (AdministratorAccess...) exist only when moto loads them, and it
# reads this when its IAM backend is first built.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto import settings  # noqa: E402
from moto.core.authorization import ActionAuthenticatorMixin  # noqa: E402
from moto.moto_server import threaded_moto_server  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_extras  # noqa: E402
import seed  # noqa: E402
import seed_org  # noqa: E402

# IAM operations moto lacks (service-specific credentials): see moto_extras.py. They are
# installed in main(), unless --stock asks for moto as published.

CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class Faults:
    """Injected faults (issue 14), off until set by `POST /__nhiscan/faults` with JSON
    {"throttle": 0.2, "error": 0.0, "reset": 0.0, "slow": 0.0, "slow_seconds": 3,
    "seed": 1, "operations": ["ListSigningCertificates"]}: the share of requests answered
    with the service's throttling error, an HTTP 500, a reset connection, or a reply that
    comes `slow_seconds` late; with "operations", only requests for those. The choice is
    a seeded random draw per request, so a run is repeatable.

    {"rate": 100, "burst": 100} throttles as AWS does, by request rate instead of at
    random: each access key has a token bucket per service that holds `burst` requests
    and refills at `rate` a second; a request that finds it empty gets the throttling
    error. It combines with the shares above."""

    def __init__(self):
        self.lock = threading.Lock()
        self.spec = {}
        self.random = random.Random(0)
        self.counts = {}
        self.buckets = {}

    def set(self, spec: dict) -> None:
        with self.lock:
            self.spec = spec
            self.random = random.Random(spec.get("seed", 1))
            self.counts = {}
            self.buckets = {}

    def over_rate(self, bucket: str) -> bool:
        """Takes a token from `bucket` (see the class): False, or True when it is empty."""
        rate = float(self.spec.get("rate", 0))
        if rate <= 0:
            return False
        burst = float(self.spec.get("burst", rate))
        now = time.monotonic()
        tokens, then = self.buckets.get(bucket, (burst, now))
        tokens = min(burst, tokens + (now - then) * rate)
        if tokens < 1:
            self.buckets[bucket] = (tokens, now)
            return True
        self.buckets[bucket] = (tokens - 1, now)
        return False

    def draw(self, operation: str, bucket: str = "-") -> str | None:
        with self.lock:
            if not self.spec:
                return None
            only = self.spec.get("operations")
            if only is not None and operation not in only:
                return None
            if self.over_rate(bucket):
                self.counts["rate"] = self.counts.get("rate", 0) + 1
                return "throttle"
            roll = self.random.random()
            for kind in ("throttle", "error", "reset", "slow"):
                share = float(self.spec.get(kind, 0))
                if roll < share:
                    self.counts[kind] = self.counts.get(kind, 0) + 1
                    return kind
                roll -= share
            return None


FAULTS = Faults()


class RequestLog:
    """WSGI middleware: logs each request, fails those for disabled regions, and
    injects the faults asked for (Faults)."""

    def __init__(self, app, log_path: str | None, disabled_regions: set[str]):
        self.app = app
        self.log = open(log_path, "a", buffering=1, encoding="utf-8") if log_path else None
        self.lock = threading.Lock()
        self.disabled = disabled_regions

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/__nhiscan/faults":
            return self.control_faults(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        key, region, service = scope.groups() if scope else ("-", "-", "-")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            operation = target.rsplit(".", 1)[-1]
        else:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            operation = (form.get("Action") or ["-"])[0]
        status_holder = {}

        def record_status(status, headers, exc_info=None):
            status_holder["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        fault = None if path.startswith("/moto-api") else FAULTS.draw(operation, f"{key} {service}")
        if fault == "reset":
            self.reset(environ)
            status_holder["status"] = "reset"
            result = []
        elif fault in ("throttle", "error"):
            result = self.fail(record_status, fault, json_protocol=bool(target))
        elif region in self.disabled:
            result = self.refuse(record_status, json_protocol=bool(target))
        elif service == "sts" and operation == "AssumeRole" and not self.role_exists(body):
            result = self.deny_assume_role(record_status, body, key)
        else:
            if fault == "slow":
                time.sleep(float(FAULTS.spec.get("slow_seconds", 3)))
            result = self.app(environ, record_status)
        if self.log is not None and not environ.get("PATH_INFO", "").startswith("/moto-api"):
            with self.lock:
                status = status_holder.get("status", "-")
                self.log.write(f"{service} {region} {operation} {status} {key}\n")
        return result

    @staticmethod
    def control_faults(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        with FAULTS.lock:
            # What was injected so far, under the spec that was in force.
            body = json.dumps({"spec": FAULTS.spec, "injected": FAULTS.counts}).encode()
        if environ.get("REQUEST_METHOD") == "POST":
            FAULTS.set(json.loads(environ["wsgi.input"].read(length) or b"{}"))
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def reset(environ) -> None:
        """Drops the client's connection mid-request: no response, the connection shut
        (the client reads the end of the stream where the answer should be)."""
        sock = environ.get("werkzeug.socket")
        if sock is None:
            raise RuntimeError("werkzeug.socket is missing: cannot drop the connection")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def fail(start_response, fault: str, json_protocol: bool):
        """The service's own throttling error (400 Throttling / ThrottlingException), or
        an HTTP 500 InternalFailure."""
        if fault == "throttle":
            status, code, message = "400 Bad Request", "Throttling", "Rate exceeded"
            if json_protocol:
                code = "ThrottlingException"
        else:
            status, code, message = "500 Internal Server Error", "InternalFailure", "injected"
        return RequestLog.error(start_response, status, code, message, json_protocol,
                                "injected-fault")

    @staticmethod
    def role_arn(body: bytes) -> str:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return (form.get("RoleArn") or [""])[0]

    def role_exists(self, body: bytes) -> bool:
        from moto.iam.models import iam_backends

        parts = self.role_arn(body).split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("role/"):
            return True  # let moto answer the malformed request
        account, name = parts[4], parts[5].rsplit("/", 1)[-1]
        return any(r.name == name for r in iam_backends[account]["global"].roles.values())

    def deny_assume_role(self, start_response, body: bytes, key: str):
        message = (
            f"User with access key {key} is not authorized to perform: sts:AssumeRole on "
            f"resource: {self.role_arn(body)}"
        )
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            "<Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{message}</Message></Error>"
            "<RequestId>no-such-role</RequestId></ErrorResponse>"
        ).encode()
        start_response(
            "403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))]
        )
        return [body]

    @staticmethod
    def refuse(start_response, json_protocol: bool):
        return RequestLog.error(
            start_response, "400 Bad Request", "UnrecognizedClientException",
            "The security token included in the request is invalid.", json_protocol,
            "disabled-region")

    @staticmethod
    def error(start_response, status: str, code: str, message: str, json_protocol: bool,
              request_id: str):
        """An AWS error response, in the JSON or the query (XML) protocol."""
        if json_protocol:
            body = json.dumps({"__type": code, "message": message}).encode()
            content_type = "application/x-amz-json-1.1"
        else:
            body = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            content_type = "text/xml"
        start_response(status, [("Content-Type", content_type),
                                ("Content-Length", str(len(body)))])
        return [body]


def make_server_class(log_path: str | None, disabled: set[str]):
    """ThreadedMotoServer whose WSGI app is wrapped in RequestLog."""
    original = threaded_moto_server.DomainDispatcherApplication

    def wrapped(*args, **kwargs):
        return RequestLog(original(*args, **kwargs), log_path, disabled)

    threaded_moto_server.DomainDispatcherApplication = wrapped
    return ThreadedMotoServer


def disable_regions(names: set[str]) -> None:
    """EC2's DescribeRegions reports these regions `not-opted-in`."""
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    for region in RegionsAndZonesBackend.regions:
        if region.name in names:
            region.opt_in_status = "not-opted-in"


def enabled_regions(endpoint: str) -> list[str]:
    """What `--all-regions` should scan: the regions DescribeRegions calls usable, in
    the `aws` partition (moto lists aws-cn and aws-us-gov regions too)."""
    regions = seed._client("ec2", endpoint).describe_regions(AllRegions=False)["Regions"]
    return sorted(
        r["RegionName"] for r in regions
        if r.get("OptInStatus") in ("opt-in-not-required", "opted-in")
        and not r["RegionName"].startswith(("cn-", "us-gov-"))
    )


def watch_stdin() -> None:
    """Exit as soon as the parent closes our stdin (or dies)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", choices=["standard", "org", "none"], default="standard")
    parser.add_argument("--scale", type=int, metavar="N",
                        help="seed the benchmark estate of N identities instead")
    parser.add_argument("--request-log")
    parser.add_argument("--disabled-region", action="append", default=[])
    parser.add_argument("--enforce-auth", action="store_true")
    parser.add_argument("--auditor-policy")
    parser.add_argument("--auditor-credentials")
    parser.add_argument("--org-policy")
    parser.add_argument("--org-accounts", type=int, metavar="M",
                        help="with --scale N: an organisation of M member accounts of N "
                             "identities each (seed_org.seed_org_scale)")
    parser.add_argument("--stock", action="store_true",
                        help="moto as published, without moto_extras' IAM operations "
                             "(it answers HTTP 500 to them); with --scale or --seed none")
    args = parser.parse_args()
    if args.stock and args.scale is None and args.seed != "none":
        parser.error("--stock serves moto without the operations the standard and org seeds "
                     "use: give --scale N or --seed none")
    if not args.stock:
        moto_extras.install()
    if args.enforce_auth and not (args.auditor_policy and args.auditor_credentials):
        parser.error("--enforce-auth needs --auditor-policy and --auditor-credentials")
    if args.enforce_auth and args.seed == "org" and not args.org_policy:
        parser.error("--enforce-auth with --seed org needs --org-policy")
    disable_regions(set(args.disabled_region))
    if args.org_accounts is not None and args.scale is None:
        parser.error("--org-accounts needs --scale N (identities per account)")
    if args.seed == "org" or args.org_accounts is not None:
        # moto would load AWS's ~1,300 managed policies into each account's IAM backend,
        # seconds per account; the organisation's seed uses none of them.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "false"

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server_class = make_server_class(args.request_log, set(args.disabled_region))
    server = server_class(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    if args.org_accounts is not None:
        summary = seed_org.seed_org_scale(endpoint, args.org_accounts, args.scale)
    elif args.scale is not None:
        summary = seed.seed_scale(endpoint, args.scale)
    else:
        seeders = {"standard": seed.seed, "org": seed_org.seed_org}
        summary = seeders[args.seed](endpoint) if args.seed in seeders else {}
    ready = {"ready": True, "endpoint": endpoint, "port": port, "account_id": seed.ACCOUNT_ID,
             "enabled_regions": enabled_regions(endpoint)}
    ready.update(summary)

    if args.enforce_auth:
        with open(args.auditor_policy, encoding="utf-8") as f:
            policy = f.read()
        keys = seed.create_auditors(endpoint, policy)
        if args.seed == "org":
            with open(args.org_policy, encoding="utf-8") as f:
                org_policy = f.read()
            keys["org"] = seed_org.create_org_scanner(
                endpoint, policy, org_policy, summary["org"]["accounts"])
            keys["org_without_scp_reads"] = seed_org.create_org_scanner_without_scp_reads(
                endpoint, policy, org_policy)
        fd = os.open(args.auditor_credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(keys, f)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0
        ready["auth_enforced"] = True

    print(json.dumps(ready), flush=True)
    watch_stdin()


if __name__ == "__main__":
    main()
