#!/usr/bin/env bash
# Benchmark of the delegation graph: an estate of IDENTITIES identities whose trust
# makes EDGES edges (chains, cycles, cross-account hops, 0.5% admins; see
# examples/graph.rs), measured with /usr/bin/time -v (release build):
#
#   parse    reading the inventory only (the baseline);
#   graph    reading, then building the graph, computing every identity's reach and
#            rendering every fact of every identity (examples/graph.rs measure);
#   scan     a full `nhiscan scan` with every built-in rule, JSON report;
#   command  `nhiscan graph ID` for one identity, JSON.
#
#   bash scripts/bench-graph.sh [IDENTITIES] [EDGES]
#
# Defaults: 100,000 identities, 1,000,000 edges. The estate is generated once into
# target/bench/ and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
identities=${1:-100000}
edges=${2:-1000000}

cargo build --quiet --release --bin nhiscan --example graph --example parse
dir=target/bench
mkdir -p "$dir"
file="$dir/graph-$identities-$edges.jsonl"
if [ ! -s "$file" ]; then
  echo "generating $file ..."
  target/release/examples/graph generate --identities "$identities" --edges "$edges" --out "$file"
fi

measure() { # label, command...: runs it under /usr/bin/time -v, prints "label wall peak_kib"
  local label=$1; shift
  /usr/bin/time -v -o "$dir/$label.time" "$@" >"$dir/$label.out" 2>"$dir/$label.err" || {
    echo "$label failed:"; cat "$dir/$label.err"; exit 1; }
  local wall peak
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/$label.time")
  peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/$label.time")
  printf '%-8s wall %10s   peak %6d MiB\n' "$label" "$wall" $((peak / 1024))
}

echo "input: $file ($(($(stat -c %s "$file") / 1048576)) MiB)"
measure parse target/release/examples/parse "$file"
measure graph target/release/examples/graph measure "$file"
measure scan target/release/nhiscan -v scan -i "$file" --now 2026-01-01 -f json -o "$dir/graph-report.json"
measure command target/release/nhiscan graph "arn:aws:iam::100000000000:user/ci-0" -i "$file" -f json -o "$dir/graph-ci-0.json"
echo "stages (examples/graph.rs measure):"
sed 's/^/  /' "$dir/graph.out"
echo "stages (nhiscan -v scan):"
sed 's/^/  /' "$dir/scan.err"
