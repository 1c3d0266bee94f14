#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the rule pack's own examples,
# unit and integration tests (the latter run the real binary).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings

echo "== cargo test"
cargo test --locked --all-targets

echo "== nhiscan rules check (built-in pack)"
cargo run --locked --quiet -- rules check
