#!/usr/bin/env bash
# Benchmark: a full scan (all built-in rules, JSON report; then JSON Lines) of a synthetic estate,
# against merely parsing the same file. Prints wall time and peak memory of each.
#
#   bash scripts/bench.sh [IDENTITIES] [CREDENTIALS] [json|jsonl]
#
# Defaults: 1,000,000 identities, 2,000,000 credentials, jsonl. The estate is generated
# once into target/bench/ (several GB for the defaults) and reused.
#
# RUNS=N (default 3) measures each command N times, interleaved (parse, scan, scan to
# JSON Lines, then again), and reports the fastest run of each with the spread: on a
# shared machine the parse floor alone varies by half between runs, and the fastest run
# is the one least slowed by the neighbours.
set -euo pipefail
cd "$(dirname "$0")/.."
identities=${1:-1000000}
credentials=${2:-$((identities * 2))}
format=${3:-jsonl}
runs=${RUNS:-3}

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

measure() { # label, command...: appends "wall_s peak_kib" to $dir/label.times
  local label=$1; shift
  local t
  t=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$t" "$@" >"$dir/$label.out" 2>"$dir/$label.err" || {
    echo "$label failed:"; cat "$dir/$label.err"; exit 1; }
  read -r wall kib <"$t"
  echo "$label run $run: $wall s, $((kib / 1024)) MiB" >&2
  # Keep the stages of the fastest run.
  if ! [ -s "$dir/$label.times" ] || awk -v w="$wall" '$1 < w { found = 1 } END { exit found }' "$dir/$label.times"; then
    cp "$dir/$label.err" "$dir/$label.best.err"
  fi
  cat "$t" >>"$dir/$label.times"
  rm -f "$t"
}

rm -f "$dir"/{parse,scan,scan-jsonl}.times
for run in $(seq 1 "$runs"); do
  measure parse target/release/examples/parse "$file"
  measure scan target/release/nhiscan -v scan -i "$file" \
    --now 2026-11-01 -f json -o "$dir/report.json"
  # The same scan writing JSON Lines (findings only, one compact line each).
  measure scan-jsonl target/release/nhiscan -v scan -i "$file" \
    --now 2026-11-01 -f jsonl -o "$dir/report.jsonl"
done

python3 - "$size" "$dir" <<'PY'
import statistics, sys
size, dir = int(sys.argv[1]), sys.argv[2]
def runs(label):
    rows = [line.split() for line in open(f"{dir}/{label}.times")]
    return [float(r[0]) for r in rows], max(int(r[1]) for r in rows)
parse, parse_kib = runs("parse")
scan, scan_kib = runs("scan")
lines, lines_kib = runs("scan-jsonl")
mib = lambda kib: kib / 1024
spread = lambda xs: f"(of {len(xs)}: {min(xs):.2f}-{max(xs):.2f}, median {statistics.median(xs):.2f})"
print(f"input file        {size / 2**20:10.0f} MiB")
print(f"parse only        {min(parse):10.2f} s   peak {mib(parse_kib):8.0f} MiB  {spread(parse)}")
print(f"full scan         {min(scan):10.2f} s   peak {mib(scan_kib):8.0f} MiB  {spread(scan)}")
print(f"scan / parse      {min(scan) / min(parse):10.2f} x   (target <= 3; fastest runs)")
print(f"scan peak / file  {scan_kib * 1024 / size:10.2f} x   (target <= 2)")
print(f"scan, JSON Lines  {min(lines):10.2f} s   peak {mib(lines_kib):8.0f} MiB  {spread(lines)}  "
      f"({min(lines) / min(parse):.2f} x parse, {lines_kib * 1024 / size:.2f} x file)")
print("stages, fastest full scan (nhiscan -v):")
for line in open(f"{dir}/scan.best.err"):
    print("  " + line.rstrip())
print("stages, fastest JSON Lines scan:")
for line in open(f"{dir}/scan-jsonl.best.err"):
    if "wrote" in line:
        print("  " + line.rstrip())
PY
