#!/usr/bin/env bash
# Benchmark: terminal-table rendering is linear in the input. Two series, release build:
#   1. one identity whose name (and description) is L characters long, L = 64 Ki .. 16 Mi:
#      `scan -f table`, `inventory` and `owners` (a cell holds 4,096 characters, then a
#      truncation marker, so the time should follow the file's size, not L²);
#   2. N identities from examples/gen.rs, N = 5,000 .. 80,000: `scan -f table` and
#      `inventory` (time per row should stay flat).
# Prints wall time and peak memory per run, and the time per MiB / per 1,000 rows.
#
#   bash scripts/bench-table.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release} # PROFILE=dev for a quick look
cargo build --quiet --profile "$profile" --bin nhiscan --example gen
out=target/$([ "$profile" = dev ] && echo debug || echo "$profile")
bin=$out/nhiscan
dir=target/bench/table
mkdir -p "$dir"
now=2026-11-01

measure() { # label, command...: prints "label wall_s peak_mib"
  local label=$1; shift
  local t
  t=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$t" "$@" >"$dir/out" 2>"$dir/err" || {
    code=$?
    # 1: findings at or above --fail-on (none given) never happen; 3 is a partial scan.
    if [ "$code" -ne 0 ]; then echo "$label failed ($code):"; cat "$dir/err"; exit 1; fi
  }
  read -r wall kib <"$t"
  rm -f "$t"
  printf '%s %s %s\n' "$label" "$wall" "$((kib / 1024))"
}

echo "== one identity with a name of L characters"
printf '%-10s %-10s %10s %10s %12s\n' L command wall_s peak_MiB s_per_MiB
for exp in 16 18 20 22 24; do
  chars=$((1 << exp))
  file="$dir/long-$chars.json"
  if [ ! -s "$file" ]; then
    python3 - "$chars" "$file" <<'PY'
import json, sys
chars, path = int(sys.argv[1]), sys.argv[2]
inventory = json.load(open("tests/fixtures/small/inventory.json"))
identity = inventory["identities"][0]
identity["name"] = "n" * chars
identity["description"] = "d" * chars
json.dump(inventory, open(path, "w"))
PY
  fi
  mib=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 2**20)" "$file")
  for command in "scan -f table" inventory owners; do
    # shellcheck disable=SC2086
    read -r _ wall peak < <(measure "${command// /_}" "$bin" $command --now "$now" -i "$file")
    python3 -c "import sys; l,c,w,p,m=sys.argv[1:]; print(f'{int(l):<10} {c:<10} {float(w):10.2f} {int(p):10} {float(w)/float(m):12.3f}')" \
      "$chars" "${command%% *}" "$wall" "$peak" "$mib"
  done
done

echo "== N identities (examples/gen.rs, 2 credentials each)"
printf '%-8s %-10s %10s %10s %16s\n' N command wall_s peak_MiB ms_per_1000_rows
for n in 5000 20000 80000; do
  file="$dir/estate-$n.json"
  [ -s "$file" ] || "$out/examples/gen" --identities "$n" --credentials $((n * 2)) \
    --format json --out "$file"
  for command in "scan -f table" inventory; do
    # shellcheck disable=SC2086
    read -r _ wall peak < <(measure "${command// /_}" "$bin" $command --now "$now" -i "$file")
    python3 -c "import sys; n,c,w,p=sys.argv[1:]; print(f'{int(n):<8} {c:<10} {float(w):10.2f} {int(p):10} {float(w)*1e6/int(n):16.1f}')" \
      "$n" "${command%% *}" "$wall" "$peak"
  done
done
