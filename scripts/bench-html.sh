#!/usr/bin/env bash
# Benchmark of the HTML report on a large estate: the synthetic 100,000-identity estate of
# scripts/bench.sh (about 129,000 findings), written as `-f html`; prints the file's size,
# the time and peak memory to write it, and how long headless Chromium takes to open it
# and to apply a filter (tests/browser/bench.mjs, median of RUNS).
#
#   bash scripts/bench-html.sh [IDENTITIES] [RUNS]     # defaults: 100000 3
#   NHISCAN=path/to/nhiscan ...                        # that binary instead of building
#
# Needs what the browser test needs: bash scripts/browser-setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
identities=${1:-100000}
runs=${2:-3}
dir=target/bench
mkdir -p "$dir"
nhiscan=${NHISCAN:-}
if [ -z "$nhiscan" ]; then
  cargo build --quiet --release --bin nhiscan --example gen
  nhiscan=target/release/nhiscan
fi
file="$dir/estate-$identities-$((identities * 2)).jsonl"
if [ ! -s "$file" ]; then
  cargo build --quiet --release --example gen
  target/release/examples/gen --identities "$identities" --format jsonl --out "$file"
fi
/usr/bin/time -f "%e %M" -o "$dir/html.time" "$nhiscan" scan -i "$file" --now 2026-11-01 \
  -f "html:$dir/report.html" || [ $? -le 1 ]
read -r wall kib <"$dir/html.time"
size=$(stat -c %s "$dir/report.html")
opened=$(cd tests/browser && node bench.mjs "../../$dir/report.html" "$runs")
python3 - "$size" "$wall" "$kib" "$opened" <<'PY'
import json, sys
size, wall, kib, opened = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
print(f"findings          {opened['findings']:10,d}")
print(f"report.html       {size / 2**20:10.1f} MiB ({size / opened['findings']:.0f} bytes a finding)")
print(f"scan and write    {wall:10.2f} s   peak {kib / 1024:.0f} MiB")
print(f"open in Chromium  {opened['open_median_ms'] / 1000:10.2f} s   (runs: {opened['open_ms']} ms)")
print(f"filter (severity) {opened['filter_median_ms'] / 1000:10.2f} s   (runs: {opened['filter_ms']} ms)")
PY
