#!/usr/bin/env bash
# Benchmark of retries under throttling: seeds moto with IDENTITIES IAM identities
# (scripts/moto/seed.py: seed_scale), then has it throttle as AWS does, by rate (each
# access key may send RATE requests a second per service, in bursts of RATE: see Faults
# in scripts/moto/server.py), and times `nhiscan scan --provider aws` for each retry
# mode and each --concurrency. Prints, per run: wall time, the requests sent (attempts,
# from moto's request log), how many were throttled, and the coverage.
#
#   bash scripts/bench-aws-throttle.sh [IDENTITIES] [RATE] [CONCURRENCY...]
#   # defaults: 2000 100 2 4 8 16
#   FAULTS='{"throttle": 0.2}' bash scripts/bench-aws-throttle.sh 1000 1 4 8
#                                   # another fault spec instead of the rate limit
#   NHISCAN=path/to/nhiscan ...     # that binary instead of building the release one
#
# The floor is the API calls / RATE: the time the calls take if sent at exactly the
# allowed rate. A run that fails calls after its retries (coverage incomplete) says so.
set -euo pipefail
cd "$(dirname "$0")/.."
identities=${1:-2000}
rate=${2:-100}
shift $(( $# > 2 ? 2 : $# ))
concurrency=("$@")
[ ${#concurrency[@]} -gt 0 ] || concurrency=(2 4 8 16)
dir=target/bench-aws-throttle
mkdir -p "$dir"
rm -f "$dir"/requests.log "$dir"/runs.tsv

bash scripts/moto/setup.sh
nhiscan=${NHISCAN:-}
if [ -z "$nhiscan" ]; then
  cargo build --quiet --release --bin nhiscan
  nhiscan=target/release/nhiscan
fi
spec=${FAULTS:-"{\"rate\": $rate, \"burst\": $rate}"}

source scripts/moto/start.sh
start_moto "$dir" --scale "$identities" --request-log "$dir/requests.log"
faults() { python3 - "$endpoint" "$1" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/__nhiscan/faults", data=sys.argv[2].encode(), method="POST")
print(urllib.request.urlopen(request).read().decode())
PY
}

for mode in standard adaptive; do
  for n in "${concurrency[@]}"; do
    faults "$spec" >/dev/null
    rm -f "$dir/report-$mode-$n.json"
    before=$(wc -l <"$dir/requests.log")
    code=0
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
      AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
      AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
      /usr/bin/time -f "%e" -o "$dir/time" timeout 900 \
      "$nhiscan" -v scan --provider aws --endpoint-url "$endpoint" --region us-east-1 \
      --retry-mode "$mode" --concurrency "$n" \
      --now 2026-11-01 -f json -o "$dir/report-$mode-$n.json" 2>"$dir/scan-$mode-$n.err" || code=$?
    injected=$(faults '{}')
    sent=$(( $(wc -l <"$dir/requests.log") - before ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$n" "$(tail -1 "$dir/time")" "$sent" "$code" "$injected" >>"$dir/runs.tsv"
  done
done

python3 - "$dir" "$rate" <<'PY'
import json, sys
d, rate = sys.argv[1], int(sys.argv[2])
import os
rows = []
for line in open(f"{d}/runs.tsv"):
    mode, n, wall, sent, code, injected = line.rstrip("\n").split("\t")
    # Every kind of fault answered with a throttling error (the rate limit or `throttle`).
    throttled = sum(json.loads(injected)["injected"].values())
    try:
        report = json.load(open(f"{d}/report-{mode}-{n}.json"))
        coverage = "INCOMPLETE" if report["scan"].get("incomplete") else "complete"
    except (OSError, ValueError):
        coverage = f"no report (exit {code})"
    rows.append((mode, n, float(wall), int(sent), throttled, coverage))
# The calls a scan needs: what a complete run sent, less the throttled attempts it retried.
needed = [sent - throttled for (_, _, _, sent, throttled, coverage) in rows if coverage == "complete"]
calls = min(needed) if needed else 0
faults = os.environ.get("FAULTS")
print(f"faults: {faults or f'throttled above {rate} requests/s per service'}; "
      f"calls a scan needs: {calls}" + ("" if faults else f"; floor = calls / {rate} = {calls / rate:.1f} s"))
print(f"{'mode':9} {'conc':>4} {'wall':>8} {'sent':>6} {'throttled':>9}  coverage")
for mode, n, wall, sent, throttled, coverage in rows:
    print(f"{mode:9} {n:>4} {wall:7.2f}s {sent:6d} {throttled:9d}  {coverage}")
PY
