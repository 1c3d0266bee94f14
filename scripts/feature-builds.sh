#!/usr/bin/env bash
# Provider features: builds nhiscan with AWS alone and with no live provider, and checks
# that each still scans an inventory of every provider offline (the example estate holds
# all five), that a live provider compiled out is refused naming its feature (exit 2),
# and that the AWS-only build still has its AWS collector. Both builds are linted by clippy
# (scripts/cargo-lint.sh): code a feature leaves unused is a warning, and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
estate=(-i examples/estate/inventory.json --now 2026-11-01 -f json)
want_findings=$(cargo run --locked --quiet --bin nhiscan -- scan "${estate[@]}" \
  | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')

check_build() { # name, cargo feature arguments...
  local name=$1; shift
  bash scripts/cargo-lint.sh build --locked --quiet --bin nhiscan "$@"
  cp target/debug/nhiscan "target/nhiscan-$name"
  local bin="target/nhiscan-$name"
  local got
  got=$("$bin" scan "${estate[@]}" \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
  if [ "$got" != "$want_findings" ]; then
    echo "$name build: $got findings on the example estate, the default build $want_findings" >&2
    exit 1
  fi
  echo "$name build: the example estate (five providers, offline): $got findings, as the default build"
}

refused() { # bin, provider, feature: `collect <provider>` exits 2 naming the feature
  local bin=$1 provider=$2 feature=$3 out code=0 extra=()
  [ "$provider" = github ] && extra=(--github-org acme)
  out=$("$bin" collect "$provider" "${extra[@]}" 2>&1 >/dev/null) || code=$?
  if [ "$code" != 2 ] || ! grep -q "built without the \`$feature\` feature" <<<"$out"; then
    echo "$bin collect $provider: exit $code, said: $out" >&2
    exit 1
  fi
}

check_build aws-only --no-default-features --features aws
for provider in azure gcp kubernetes github; do
  refused target/nhiscan-aws-only "$provider" "$provider"
done
echo "aws-only build: azure, gcp, kubernetes and github refused, naming their feature"
# Its AWS collector is there: with no credentials at all it fails on them, not on the build.
code=0
out=$(env -i PATH="$PATH" HOME=/nonexistent AWS_EC2_METADATA_DISABLED=true \
  target/nhiscan-aws-only collect aws --region eu-west-1 --aws-timeout 2 2>&1 >/dev/null) || code=$?
if grep -q "built without" <<<"$out"; then
  echo "aws-only build refused AWS: $out" >&2
  exit 1
fi
echo "aws-only build: collect aws runs the collector (exit $code without credentials)"

check_build offline --no-default-features
refused target/nhiscan-offline aws aws
echo "offline build: collect aws refused, naming the feature"
