#!/usr/bin/env bash
# Runs `cargo ARGS...` with clippy linting nhiscan's own code as it compiles, and fails on
# any warning, as `cargo clippy -- -D warnings` would. scripts/test.sh builds this way so
# that each dependency is compiled once: `cargo clippy` checks every dependency, then the
# tests build it again (129 s of CI's clean build).
#
# The wrapper is what `cargo clippy` itself sets: RUSTC_WORKSPACE_WRAPPER, which applies to
# the workspace's own crates only. Export the same value for every later cargo command
# (scripts/test.sh does), or cargo rebuilds nhiscan without it.
set -euo pipefail
: "${RUSTC_WORKSPACE_WRAPPER:=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)}"
if [[ -z "$RUSTC_WORKSPACE_WRAPPER" ]]; then
  echo "scripts/cargo-lint.sh: clippy-driver not found: rustup component add clippy" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER
log=$(mktemp)
trap 'rm -f "$log"' EXIT
CARGO_TERM_COLOR=never cargo "$@" 2>&1 | tee "$log"
# Cargo replays a fresh unit's warnings, so a rebuild is not needed to see them again.
if grep -q '^warning' "$log"; then
  echo "scripts/cargo-lint.sh: warnings are errors (cargo $*)" >&2
  exit 1
fi
