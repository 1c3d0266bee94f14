#!/usr/bin/env bash
# Creates (or refreshes) the virtualenv that runs moto for tests/integration/aws.rs:
# target/moto-venv, with scripts/moto/requirements.txt installed. Idempotent and quiet:
# a venv whose installed requirements match the file is left alone.
#
#   bash scripts/moto/setup.sh [VENV REQUIREMENTS]   (another venv: the CI linters')
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${1:-target/moto-venv}
req=${2:-scripts/moto/requirements.txt}
stamp="$venv/.requirements.sha256"
python=${PYTHON:-python3}

want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
    echo "scripts/moto/setup.sh: needs Python 3.9 or newer as '$python' (set PYTHON=...)" >&2
    exit 1
fi
if ! "$python" -m venv --help >/dev/null 2>&1; then
    echo "scripts/moto/setup.sh: '$python -m venv' is unavailable (Debian: apt-get install python3-venv)" >&2
    exit 1
fi
mkdir -p target
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "scripts/moto/setup.sh: $req installed in $venv" >&2
