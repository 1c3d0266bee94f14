#!/usr/bin/env bash
# The AWS collector under injected faults: starts moto seeded with the standard estate
# (scripts/moto/server.py), scans it without faults, then with each fault mix below
# (POST /__nhiscan/faults), and prints per run the exit code, the wall time, the
# findings compared with the fault-free run, the coverage gaps and what was injected.
#
#   bash scripts/bench-faults.sh            # the release build
#   NHISCAN=target/debug/nhiscan bash scripts/bench-faults.sh
#
# Wall times are nhiscan plus moto's one Python process on loopback; the ratios to the
# fault-free run are what carries over. A fault mix's draws are seeded, but which
# request gets which draw depends on the order the concurrent requests arrive in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/moto/setup.sh
nhiscan=${NHISCAN:-target/release/nhiscan}
if [ -z "${NHISCAN:-}" ]; then cargo build --quiet --release --bin nhiscan; fi
dir=target/bench-faults
mkdir -p "$dir"
coproc MOTO { exec target/moto-venv/bin/python scripts/moto/server.py --seed standard 2>"$dir/server.err"; }
moto_pid=$MOTO_PID
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
read -r -t 600 ready <&"${MOTO[0]}"
endpoint=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["endpoint"])' "$ready")

run() { # name, fault spec (JSON), extra nhiscan arguments...
  local name=$1 spec=$2
  shift 2
  curl -s -X POST -d "$spec" "$endpoint/__nhiscan/faults" >/dev/null
  local start end code=0
  start=$(date +%s.%N)
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
    "$nhiscan" scan --provider aws --endpoint-url "$endpoint" --region us-east-1 --region eu-west-1 \
    --now 2026-11-01 -f json -o "$dir/$name.json" "$@" 2>"$dir/$name.err" || code=$?
  end=$(date +%s.%N)
  local injected
  injected=$(curl -s -X POST -d '{}' "$endpoint/__nhiscan/faults")
  python3 - "$dir/clean.json" "$dir/$name.json" "$name" "$code" "$start" "$end" "$injected" <<'PY'
import json, sys
clean_path, path, name, code, start, end, injected = sys.argv[1:]
def load(p):
    d = json.load(open(p))
    found = {(f["rule_id"], f["entity"].get("id")) for f in d["findings"]}
    gaps = [c["target"] for c in d["coverage"] if c["status"] != "scanned"]
    return found, gaps
clean, _ = load(clean_path)
found, gaps = load(path)
same = "same findings" if found == clean else f"{len(clean - found)} findings fewer"
print(f"{name:12} exit {code}  {float(end) - float(start):7.2f} s  {same:22} gaps {gaps or '-'}  injected {json.loads(injected)['injected']}")
PY
}
run clean '{}'
run throttle-20 '{"throttle": 0.2, "seed": 1}'
run throttle-40 '{"throttle": 0.4, "seed": 2}'
run mixed-20 '{"throttle": 0.05, "error": 0.05, "reset": 0.05, "slow": 0.05, "slow_seconds": 3, "seed": 3}' --aws-timeout 2
run mixed-40 '{"throttle": 0.1, "error": 0.1, "reset": 0.1, "slow": 0.1, "slow_seconds": 3, "seed": 4}' --aws-timeout 2
