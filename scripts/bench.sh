#!/usr/bin/env bash
# Benchmark: a full scan (all built-in rules, JSON report; then JSON Lines) of a synthetic estate,
# against merely parsing the same file. Prints wall time and peak memory of each.
#
#   bash scripts/bench.sh [IDENTITIES] [CREDENTIALS] [json|jsonl]
#
# Defaults: 1,000,000 identities, 2,000,000 credentials, jsonl. The estate is generated
# once into target/bench/ (several GB for the defaults) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
identities=${1:-1000000}
credentials=${2:-$((identities * 2))}
format=${3:-jsonl}

cargo build --quiet --release --bin nhiscan --example gen --example parse
dir=target/bench
mkdir -p "$dir"
file="$dir/estate-$identities-$credentials.$format"
if [ ! -s "$file" ]; then
  echo "generating $file ..."
  target/release/examples/gen --identities "$identities" --credentials "$credentials" \
    --format "$format" --out "$file"
fi
size=$(stat -c %s "$file")

measure() { # label, command...: prints "label wall_s peak_kib"
  local label=$1; shift
  local t
  t=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$t" "$@" >"$dir/$label.out" 2>"$dir/$label.err" || {
    echo "$label failed:"; cat "$dir/$label.err"; exit 1; }
  echo "$label $(cat "$t")"
  rm -f "$t"
}

read -r _ parse_s parse_kib < <(measure parse target/release/examples/parse "$file")
read -r _ scan_s scan_kib < <(measure scan target/release/nhiscan -v scan -i "$file" \
  --now 2026-11-01 -f json -o "$dir/report.json")
# The same scan writing JSON Lines (findings only, one compact line each).
read -r _ lines_s lines_kib < <(measure scan-jsonl target/release/nhiscan -v scan -i "$file" \
  --now 2026-11-01 -f jsonl -o "$dir/report.jsonl")

python3 - "$size" "$parse_s" "$parse_kib" "$scan_s" "$scan_kib" "$dir/scan.err" \
  "$lines_s" "$lines_kib" "$dir/scan-jsonl.err" <<'PY'
import sys
size, parse_s, parse_kib, scan_s, scan_kib, err, lines_s, lines_kib, lines_err = sys.argv[1:]
size = int(size); parse_s = float(parse_s); scan_s = float(scan_s); lines_s = float(lines_s)
mib = lambda kib: int(kib) / 1024
print(f"input file        {size / 2**20:10.0f} MiB")
print(f"parse only        {parse_s:10.2f} s   peak {mib(parse_kib):8.0f} MiB")
print(f"full scan         {scan_s:10.2f} s   peak {mib(scan_kib):8.0f} MiB")
print(f"scan / parse      {scan_s / parse_s:10.2f} x   (target <= 3)")
print(f"scan peak / file  {int(scan_kib) * 1024 / size:10.2f} x   (target <= 2)")
print(f"scan, JSON Lines  {lines_s:10.2f} s   peak {mib(lines_kib):8.0f} MiB  "
      f"({lines_s / parse_s:.2f} x parse, {int(lines_kib) * 1024 / size:.2f} x file)")
print("stages (nhiscan -v):")
for line in open(err):
    print("  " + line.rstrip())
print("stages, JSON Lines report:")
for line in open(lines_err):
    if "wrote" in line:
        print("  " + line.rstrip())
PY
