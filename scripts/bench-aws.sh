#!/usr/bin/env bash
# Benchmark of the live AWS collector: seeds moto with IDENTITIES IAM identities (half
# users with access keys, half roles) and IDENTITIES/4 Secrets Manager secrets
# (scripts/moto/seed.py: seed_scale), then times a full
# `nhiscan scan --provider aws --endpoint-url ...` (release build, JSON report) against
# it, RUNS times. Prints the wall time of each run, the API calls of the first run by
# operation, calls per identity, and the floor they are compared with.
#
#   bash scripts/bench-aws.sh [IDENTITIES] [RUNS]        # defaults: 2000 3
#   STOCK=1 bash scripts/bench-aws.sh                    # against moto as published
#   NHISCAN=path/to/nhiscan ...     # that binary instead of building the release one
#   SCAN_ARGS=--usage bash scripts/bench-aws.sh    # extra scan options (word-split)
#
# STOCK=1 starts moto without the IAM operations scripts/moto/moto_extras.py adds
# (ListServiceSpecificCredentials...), which moto answers with an HTTP 500 page, as an
# endpoint that lacks a call does; the outputs then go to target/bench-aws-stock/.
#
# The floor is the fewest calls that collect the same facts: every account-wide call
# as made (one per page; the credential report counted once, without its polling)
# + one ListAccessKeys per user with keys (key ids exist nowhere else)
# + one ListSigningCertificates per user the report shows with a certificate
# + one Get per identity provider.
# Anything above it is reported as overhead by operation (e.g. ListSSHPublicKeys, one
# per user: nothing says which users have SSH keys).
#
# moto answers from one Python process on loopback, so wall times measure nhiscan plus
# moto's serving, not AWS latency or throttling; the call counts are what carries over.
set -euo pipefail
cd "$(dirname "$0")/.."
identities=${1:-2000}
runs=${2:-3}
dir=target/bench-aws
stock=()
if [ "${STOCK:-}" = 1 ]; then
  dir=target/bench-aws-stock
  stock=(--stock)
fi
mkdir -p "$dir"
rm -f "$dir"/requests.log

bash scripts/moto/setup.sh
nhiscan=${NHISCAN:-}
if [ -z "$nhiscan" ]; then
  cargo build --quiet --release --bin nhiscan
  nhiscan=target/release/nhiscan
fi

source scripts/moto/start.sh
seed_started=$(date +%s.%N)
start_moto "$dir" --scale "$identities" "${stock[@]}" --request-log "$dir/requests.log"
seed_s=$(python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$seed_started")

scan() { # run number
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
    /usr/bin/time -f "%e %M %U %S" -o "$dir/time-$1" \
    "$nhiscan" -v scan --provider aws --endpoint-url "$endpoint" --region us-east-1 \
    --now 2026-11-01 -f json -o "$dir/report-$1.json" ${SCAN_ARGS:-} 2>"$dir/scan-$1.err" || {
      code=$?
      # 1: findings at --fail-on (not used), 3: partial coverage: both still report.
      if [ "$code" -ne 3 ]; then
        echo "scan $1 failed (exit $code):" >&2; cat "$dir/scan-$1.err" >&2; exit 1
      fi
    }
}
for run in $(seq 1 "$runs"); do scan "$run"; done

python3 - "$dir" "$runs" "$identities" "$seed_s" <<'PY'
import json, statistics, sys
d, runs, asked, seed_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ready = json.load(open(f"{d}/ready.json"))
report = json.load(open(f"{d}/report-1.json"))
walls, peaks, cpus = [], [], []
for i in range(1, runs + 1):
    wall, kib, user, system = open(f"{d}/time-{i}").read().split()[-4:]
    walls.append(float(wall)); peaks.append(int(kib)); cpus.append(float(user) + float(system))
calls = report["scan"]["api_calls"]
inv = report["inventory"]
identities = inv["identities"]
total = sum(calls.values())
incomplete = report["scan"].get("incomplete")

per_user = {"aws:iam:ListAccessKeys", "aws:iam:ListSSHPublicKeys",
            "aws:iam:ListSigningCertificates", "aws:iam:GetAccessKeyLastUsed"}
per_provider = {"aws:iam:GetOpenIDConnectProvider", "aws:iam:GetSAMLProvider"}
# --usage: a job per identity and its polling, asked for on top of the inventory.
usage = {k: v for k, v in calls.items() if "ServiceLastAccessedDetails" in k}
account_wide = {k: v for k, v in calls.items() if k not in per_user | per_provider | set(usage)}
floor_account = sum(account_wide.values()) - max(0, calls.get("aws:iam:GenerateCredentialReport", 0) - 1)
floor = (floor_account + ready["users_with_keys"]
         + calls.get("aws:iam:ListSigningCertificates", 0)  # only users the report names
         + sum(calls.get(k, 0) for k in per_provider))
overhead = {
    "aws:iam:ListSSHPublicKeys": calls.get("aws:iam:ListSSHPublicKeys", 0),
    "aws:iam:GetAccessKeyLastUsed": calls.get("aws:iam:GetAccessKeyLastUsed", 0),
    "aws:iam:GenerateCredentialReport (polling)": max(0, calls.get("aws:iam:GenerateCredentialReport", 0) - 1),
    "aws:iam:ListAccessKeys beyond users with keys": calls.get("aws:iam:ListAccessKeys", 0) - ready["users_with_keys"],
}

print(f"estate            {identities} identities ({ready['users']} users, {ready['roles']} roles), "
      f"{inv['credentials']} credentials ({ready['access_keys']} access keys, "
      f"{ready['secrets']['us-east-1']} secrets); seeded in {seed_s} s")
print(f"scan wall time    " + "  ".join(f"{w:.2f} s" for w in walls)
      + f"   (median {statistics.median(walls):.2f} s; nhiscan's own CPU "
      + f"{statistics.median(cpus):.2f} s; peak RSS {max(peaks) / 1024:.0f} MiB)")
print(f"coverage          {'INCOMPLETE' if incomplete else 'complete'}")
print(f"API calls         {total}   = {total / identities:.3f} per identity")
print(f"floor             {floor}   = {floor / identities:.3f} per identity "
      f"(account-wide {floor_account} + ListAccessKeys {ready['users_with_keys']} "
      f"+ ListSigningCertificates {calls.get('aws:iam:ListSigningCertificates', 0)} "
      f"+ provider Gets {sum(calls.get(k, 0) for k in per_provider)})")
print(f"above the floor   {total - floor - sum(usage.values())}   "
      + ", ".join(f"{k} {v}" for k, v in overhead.items() if v))
if usage:
    print(f"--usage           {sum(usage.values())}   = {sum(usage.values()) / identities:.3f} "
          "per identity (" + ", ".join(f"{k} {v}" for k, v in sorted(usage.items())) + ")")
print("calls by operation (run 1):")
for k, v in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"  {v:7d}  {k}")
print("stages (nhiscan -v, run 1):")
for line in open(f"{d}/scan-1.err"):
    print("  " + line.rstrip())
PY
