#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the rule pack's own examples,
# unit and integration tests (the latter run the real binary; the AWS collector's run
# against moto's server, a real local AWS API emulator installed here from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

# The Python tools install while cargo compiles; their logs are shown if they fail.
venv_log=$(mktemp -d)
trap 'rm -rf "$venv_log"' EXIT
echo "== moto (AWS emulator) into target/moto-venv, workflow and Dockerfile linters into target/lint-venv (in the background)"
bash scripts/moto/setup.sh >"$venv_log/moto" 2>&1 &
moto_setup=$!
bash scripts/moto/setup.sh target/lint-venv scripts/lint-requirements.txt >"$venv_log/lint" 2>&1 &
lint_setup=$!
finished() { # pid, name: waits for a background setup, failing with its log
  if ! wait "$1"; then
    cat "$venv_log/$2" >&2
    echo "== $2 setup failed" >&2
    exit 1
  fi
}

echo "== cargo fmt --check"
cargo fmt --all -- --check

# clippy-driver wraps rustc for nhiscan's own crates, as `cargo clippy` does, in every
# cargo command below: dependencies are compiled once, for the binary and the tests alike.
# (scripts/cargo-lint.sh finds it the same way, and says what to install when it is missing.)
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
export RUSTC_WORKSPACE_WRAPPER

echo "== cargo build, every target, linted by clippy as it compiles (warnings are errors)"
bash scripts/cargo-lint.sh build --locked --all-targets

# The binary alone must reuse what the build above compiled: a dependency feature that
# only a dev-dependency turns on would make cargo compile it (and everything above it)
# again. Cargo.toml asks for those features in [dependencies] (see its comments).
recompiled=$(cargo build --locked --bin nhiscan 2>&1 | grep -E '^\s*Compiling' || true)
if [ -n "$recompiled" ]; then
  echo "$recompiled" >&2
  echo "== the binary's dependencies resolve to other features than the tests': ask for the" >&2
  echo "   dev-dependencies' features in [dependencies] (cargo tree -e normal,dev -f '{p} {f}')" >&2
  exit 1
fi

echo "== nhiscan rules check (built-in pack)"
cargo run --locked --quiet -- rules check

echo "== provider features: an AWS-only build and an offline-only build"
bash scripts/feature-builds.sh

echo "== workflow and Dockerfile linters (zizmor, hadolint)"
finished "$lint_setup" lint
target/lint-venv/bin/zizmor --offline --min-severity low .github/workflows/ examples/ci/github-actions.yml examples/ci/github-actions-sharded.yml
target/lint-venv/bin/hadolint Dockerfile

echo "== cargo test (unit tests, then the integration tests that run the real binary)"
finished "$moto_setup" moto
# tests/integration/aws.rs fails, rather than skips, when moto is missing.
export NHISCAN_REQUIRE_MOTO=1
log="$venv_log/test"
# Most integration tests wait on local servers (moto, the HTTPS fakes, injected faults), not
# on the CPU: more threads than cores shortens the run (172 s with 2, 94 s with 8).
cargo test --locked --lib --bins --tests -- --test-threads 8 2>&1 | tee "$log"
# One closing line for the whole suite.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
