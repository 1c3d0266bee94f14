#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the rule pack's own examples,
# unit and integration tests (the latter run the real binary; the AWS collector's run
# against moto's server, a real local AWS API emulator installed here from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== moto (AWS emulator) into target/moto-venv"
bash scripts/moto/setup.sh
# tests/integration/aws.rs fails, rather than skips, when moto is missing.
export NHISCAN_REQUIRE_MOTO=1

echo "== workflow and Dockerfile linters (zizmor, hadolint) into target/lint-venv"
bash scripts/moto/setup.sh target/lint-venv scripts/lint-requirements.txt
target/lint-venv/bin/zizmor --offline --min-severity low .github/workflows/ examples/ci/github-actions.yml
target/lint-venv/bin/hadolint Dockerfile

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings

echo "== nhiscan rules check (built-in pack)"
cargo run --locked --quiet -- rules check

echo "== provider features: an AWS-only build and an offline-only build"
bash scripts/feature-builds.sh

echo "== cargo test (unit tests, then the integration tests that run the real binary)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked --lib --bins --tests 2>&1 | tee "$log"
# One closing line for the whole suite.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
