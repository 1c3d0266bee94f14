"""Runs moto's server on loopback for nhiscan's AWS collector tests, seeding it first.

One process does everything, so that resources can be given past creation dates: moto
stamps creation and last-used times with the current clock, and the seeding (in
seed.py) creates resources through the real AWS API (boto3) against this very server
while freezegun freezes the clock of the whole process, server thread included.

    python scripts/moto/server.py [--port 0] [--seed standard|none]
        [--request-log FILE] [--disabled-region REGION]...
        [--enforce-auth --auditor-policy POLICY.json --auditor-credentials FILE]

When the server is ready it prints one JSON line on stdout, then serves until it is
killed or its standard input is closed (so it never outlives the test that started it):

    {"ready": true, "endpoint": "http://127.0.0.1:PORT", "port": PORT, "account_id": "123456789012", ...}

--request-log FILE  appends one line per request: `service region Operation status
                    access-key-id` (from the SigV4 credential scope and the query
                    `Action` or the JSON `X-Amz-Target`), so a test can prove which
                    APIs were called, and by whom.
--disabled-region R answers every request signed for region R the way AWS answers in an
                    opt-in region the account has not enabled (HTTP 400
                    UnrecognizedClientException), to test a failing region.
--enforce-auth      after seeding, creates the user `nhiscan-auditor` with only the policy
                    in --auditor-policy, and `nhiscan-auditor-limited` with that policy
                    minus the credential report and secretsmanager:ListSecrets; writes
                    their access keys as JSON ({"full": {...}, "limited": {...}}) to
                    --auditor-credentials (mode 0600), then switches on moto's IAM
                    enforcement (the in-process equivalent of INITIAL_NO_AUTH_ACTION_COUNT
                    reaching zero): from then on every request is checked against the
                    caller's IAM policies.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import sys
import threading
import urllib.parse

# AWS managed policies (AdministratorAccess...) exist only when moto loads them, and it
# reads this when its IAM backend is first built.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto import settings  # noqa: E402
from moto.core.authorization import ActionAuthenticatorMixin  # noqa: E402
from moto.moto_server import threaded_moto_server  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402

CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class RequestLog:
    """WSGI middleware: logs each request and fails those for disabled regions."""

    def __init__(self, app, log_path: str | None, disabled_regions: set[str]):
        self.app = app
        self.log = open(log_path, "a", buffering=1, encoding="utf-8") if log_path else None
        self.lock = threading.Lock()
        self.disabled = disabled_regions

    def __call__(self, environ, start_response):
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

        if region in self.disabled:
            result = self.refuse(record_status, json_protocol=bool(target))
        else:
            result = self.app(environ, record_status)
        if self.log is not None and not environ.get("PATH_INFO", "").startswith("/moto-api"):
            with self.lock:
                status = status_holder.get("status", "-")
                self.log.write(f"{service} {region} {operation} {status} {key}\n")
        return result

    @staticmethod
    def refuse(start_response, json_protocol: bool):
        code = "UnrecognizedClientException"
        message = "The security token included in the request is invalid."
        if json_protocol:
            body = json.dumps({"__type": code, "message": message}).encode()
            content_type = "application/x-amz-json-1.1"
        else:
            body = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>disabled-region</RequestId></ErrorResponse>"
            ).encode()
            content_type = "text/xml"
        start_response(
            "400 Bad Request",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]


def make_server_class(log_path: str | None, disabled: set[str]):
    """ThreadedMotoServer whose WSGI app is wrapped in RequestLog."""
    original = threaded_moto_server.DomainDispatcherApplication

    def wrapped(*args, **kwargs):
        return RequestLog(original(*args, **kwargs), log_path, disabled)

    threaded_moto_server.DomainDispatcherApplication = wrapped
    return ThreadedMotoServer


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
    parser.add_argument("--seed", choices=["standard", "none"], default="standard")
    parser.add_argument("--request-log")
    parser.add_argument("--disabled-region", action="append", default=[])
    parser.add_argument("--enforce-auth", action="store_true")
    parser.add_argument("--auditor-policy")
    parser.add_argument("--auditor-credentials")
    args = parser.parse_args()
    if args.enforce_auth and not (args.auditor_policy and args.auditor_credentials):
        parser.error("--enforce-auth needs --auditor-policy and --auditor-credentials")

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server_class = make_server_class(args.request_log, set(args.disabled_region))
    server = server_class(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    summary = seed.seed(endpoint) if args.seed == "standard" else {}
    ready = {"ready": True, "endpoint": endpoint, "port": port, "account_id": seed.ACCOUNT_ID}
    ready.update(summary)

    if args.enforce_auth:
        with open(args.auditor_policy, encoding="utf-8") as f:
            policy = f.read()
        keys = seed.create_auditors(endpoint, policy)
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
