#!/usr/bin/env bash
# Benchmark of `--org`: seeds moto with an organisation of ACCOUNTS member accounts of
# PER_ACCOUNT IAM identities each (scripts/moto/seed_org.py: seed_org_scale), then times
# `nhiscan scan --provider aws --org` (release build, JSON report) over the first 1, 10
# and all the accounts (`--accounts`). Prints, for each: wall time, peak memory, API
# calls, identities collected.
#
#   bash scripts/bench-aws-org.sh [ACCOUNTS] [PER_ACCOUNT] [ORG_CONCURRENCY]
#                                                    # defaults: 50 200 4
#
# moto answers from one Python process on loopback: wall times measure nhiscan plus
# moto's serving (one core for every account), not AWS; the call counts carry over.
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-50}
per_account=${2:-200}
concurrency=${3:-4}
dir=target/bench-aws-org
mkdir -p "$dir"

bash scripts/moto/setup.sh
cargo build --quiet --release --bin nhiscan
nhiscan=target/release/nhiscan

source scripts/moto/start.sh
seed_started=$(date +%s)
start_moto "$dir" --scale "$per_account" --org-accounts "$accounts"
mapfile -t ids < <(python3 -c 'import json,sys
for i in sorted(json.loads(sys.argv[1])["org"]["accounts"].values()): print(i)' "$ready")
echo "organisation    $accounts accounts x $per_account identities; seeded in $(( $(date +%s) - seed_started )) s"
echo "concurrency     --org-concurrency $concurrency, --concurrency 8 (default)"
printf '%-9s %-10s %-10s %-10s %-11s %s\n' accounts wall peak "API calls" identities "calls/identity"

for n in 1 10 "$accounts"; do
  [ "$n" -le "$accounts" ] || continue
  selected=$(IFS=,; echo "${ids[*]:0:$n}")
  code=0
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
    /usr/bin/time -f "%e %M" -o "$dir/time-$n" \
    "$nhiscan" scan --provider aws --org --accounts "$selected" --org-concurrency "$concurrency" \
    --endpoint-url "$endpoint" --region us-east-1 --now 2026-11-01 -f json -o "$dir/report-$n.json" \
    2>"$dir/scan-$n.err" || code=$?
  # 1: findings at --fail-on (not used), 3: partial coverage: both still report.
  if [ "$code" -ne 0 ] && [ "$code" -ne 3 ]; then
    echo "scan of $n accounts failed (exit $code):" >&2; tail -20 "$dir/scan-$n.err" >&2; exit 1
  fi
  read -r wall peak_kib <"$dir/time-$n"
  python3 - "$dir/report-$n.json" "$n" "$wall" "$peak_kib" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
calls = sum(report["scan"]["api_calls"].values())
identities = report["inventory"]["identities"]
n, wall, peak = sys.argv[2], float(sys.argv[3]), int(sys.argv[4]) / 1024
print(f"{n:<9} {wall:<10.2f} {peak:<10.0f} {calls:<10} {identities:<11} {calls / max(identities, 1):.3f}")
EOF
done
