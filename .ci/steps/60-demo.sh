#!/usr/bin/env bash
# The README's first command, as a newcomer runs it: scripts/demo.sh builds
# the tools and runs the whole pipeline against the local stand-ins. It must
# exit 0 and Segment must have received exactly the sample's 18 events.
set -euo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash scripts/demo.sh 2>&1 | tee "$log"
grep -q '^18 events (18 distinct messageIds) from 25 Splunk rows$' "$log" || {
  echo "60-demo: Segment did not receive the 18 sample events" >&2
  exit 1
}
