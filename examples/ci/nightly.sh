#!/usr/bin/env bash
# nhiscan from cron: a nightly scan that keeps the previous report as the baseline,
# writes a dated workbook and a diff, and mails the summary when new high findings
# appear. Install it with a crontab line such as:
#
#   17 6 * * *  /usr/local/bin/nhiscan-nightly.sh >> /var/log/nhiscan.log 2>&1
#
# Settings (environment): NHISCAN_DIR (reports), NHISCAN_CONFIG (nhiscan.toml, where
# the suppressions file .nhiscan-ignore.yaml also lives), NHISCAN_MAILTO.
set -euo pipefail

dir=${NHISCAN_DIR:-/var/lib/nhiscan}
config=${NHISCAN_CONFIG:-/etc/nhiscan/nhiscan.toml}
mailto=${NHISCAN_MAILTO:-security@example.com}
today=$(date -u +%F)

mkdir -p "$dir/reports"
cd "$(dirname "$config")"   # so that .nhiscan-ignore.yaml beside the config is found

baseline=()
if [ -f "$dir/last.json" ]; then
  baseline=(--baseline "$dir/last.json")
fi

set +e
nhiscan scan --quiet --config "$config" --provider aws --fail-on high "${baseline[@]}" \
  -f json:"$dir/report.json" -f markdown:"$dir/summary.md" \
  -f xlsx:"$dir/reports/nhiscan-$today.xlsx"
code=$?
set -e

if [ "$code" = 2 ]; then
  echo "nhiscan failed; keeping the previous baseline" >&2
  exit 2
fi
if [ -f "$dir/last.json" ]; then
  nhiscan diff "$dir/last.json" "$dir/report.json" -f markdown -o "$dir/reports/diff-$today.md"
fi
mv "$dir/report.json" "$dir/last.json"

case "$code" in
  1|4) mail -s "nhiscan: new high findings ($today)" "$mailto" < "$dir/summary.md" ;;
  3) echo "nhiscan: the scan was incomplete; see $dir/summary.md" >&2 ;;
esac
exit 0
