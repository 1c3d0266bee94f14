# Sourced by the AWS benchmark scripts: starts moto's server (scripts/moto/server.py)
# as a coprocess that exits when this shell does, and waits until it is seeded.
#
#   source scripts/moto/start.sh
#   start_moto OUTPUT_DIR SERVER_ARGS...   # sets $ready (the server's JSON line),
#                                          # $endpoint and $moto_pid
# The server's stderr goes to OUTPUT_DIR/server.err; its ready line to
# OUTPUT_DIR/ready.json.

start_moto() {
  local out=$1
  shift
  coproc MOTO { exec target/moto-venv/bin/python scripts/moto/server.py "$@" 2>"$out/server.err"; }
  moto_pid=$MOTO_PID
  trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
  if ! read -r -t 3600 ready <&"${MOTO[0]}"; then
    echo "moto did not become ready; its stderr:" >&2
    tail -20 "$out/server.err" >&2
    exit 1
  fi
  echo "$ready" >"$out/ready.json"
  endpoint=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["endpoint"])' "$ready")
}
