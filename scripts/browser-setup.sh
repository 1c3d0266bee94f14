#!/usr/bin/env bash
# What the browser test (tests/browser, `cargo test --test browser`) needs: Debian's
# Chromium, Node.js, and Playwright's driver (playwright-core, pinned in
# tests/browser/package-lock.json; it drives /usr/bin/chromium and downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
cd tests/browser
npm ci --no-audit --no-fund
