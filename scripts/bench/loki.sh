#!/usr/bin/env bash
# Benchmark of fetch-audit-log through the LokiStack stand-in. Not a test: it
# prints figures (machines here are noisy; run it twice).
#
#   1. generates LINES audit events (default 100,000, one per second from
#      2024-03-03T00:00:00Z, about 1 KB each) with SIGNAL per mille of
#      user-journey resources (default 10) with extract-uj-records' gen-audit
#      example, and stores them in loki-standin's audit tenant as the
#      collector stores them;
#   2. runs fetch-audit-log over the whole span (SPLIT sub-windows, PARALLEL
#      at a time, LIMIT lines a page) into extract-uj-records, RUNS times
#      (default 3); the best time gives lines/s, and the summary lines give
#      the lines sent and the bytes received per matched event (the rows
#      extract-uj-records selects), next to the bytes per matched event of
#      the whole log (what reading it without the line filters would move);
#   3. measures fetch-audit-log's peak RSS with /usr/bin/time.
# PROFILE=debug uses the debug build (quicker to build; its lines/s are not
# figures to quote, the bytes per matched event are the same).
set -euo pipefail
cd "$(dirname "$0")/../.."

LINES=${LINES:-100000}
SIGNAL=${SIGNAL:-10}
RUNS=${RUNS:-3}
SPLIT=${SPLIT:-1h}
PARALLEL=${PARALLEL:-2}
LIMIT=${LIMIT:-5000}
PROFILE=${PROFILE:-release}
START=1709424000 # 2024-03-03T00:00:00Z
[ -x /usr/bin/time ] || { echo "loki bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

release=()
[[ $PROFILE == release ]] && release=(--release)
cargo build "${release[@]}" --quiet -p fetch-audit-log -p extract-uj-records -p standins \
  --bin fetch-audit-log --bin extract-uj-records --bin loki-standin --example gen-audit
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
rel=$target_dir/$PROFILE
"$rel/examples/gen-audit" "$LINES" "$SIGNAL" 1 "$START" >"$work/audit.log"
bytes=$(stat -c %s "$work/audit.log")
echo "profile: $PROFILE"
echo "audit log: $LINES events, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB, $SIGNAL per mille of user-journey resources"

"$rel/loki-standin" --audit-log "$work/audit.log" --token bench >"$work/url" 2>"$work/standin.log" &
pid=$!
for ((i = 0; i < 600; i++)); do [[ -s $work/url ]] && break; sleep 0.1; done
[[ -s $work/url ]] || { cat "$work/standin.log" >&2; exit 1; }
LOKI_URL=$(head -1 "$work/url")/api/logs/v1/audit
export LOKI_URL LOKI_TOKEN=bench
export QUERY_EARLIEST_TIME=$START QUERY_LATEST_TIME=$((START + LINES + 1))
args=(--split "$SPLIT" --parallel "$PARALLEL" --limit "$LIMIT")

best=
for ((i = 0; i < RUNS; i++)); do
  s=$(date +%s.%N)
  "$rel/fetch-audit-log" "${args[@]}" >"$work/lines" 2>"$work/fetch.err"
  e=$(date +%s.%N)
  t=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", b - a }')
  if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
done
sed 's/^/  /' "$work/fetch.err"
sent=$(grep -c . "$work/lines")
received=$(sed -n 's/.* \([0-9]*\) bytes received.*/\1/p' "$work/fetch.err")
QUERY_EARLIEST_TIME='' QUERY_LATEST_TIME='' "$rel/extract-uj-records" <"$work/lines" >"$work/rows" 2>"$work/extract.err"
sed 's/^/  /' "$work/extract.err"
matched=$(grep -c '"result"' "$work/rows" || true)
echo "fetch-audit-log: best of $RUNS: $best s for $LINES stored lines, $sent sent ($(awk -v s="$sent" -v l="$LINES" 'BEGIN { printf "%.2f", 100 * s / l }') %): $(awk -v l="$LINES" -v t="$best" 'BEGIN { printf "%.0f", l / t }') stored lines/s, $(awk -v s="$sent" -v t="$best" 'BEGIN { printf "%.0f", s / t }') lines sent/s (stand-in and tool on this machine)"
echo "bytes received per matched event: $(awk -v b="$received" -v m="$matched" 'BEGIN { printf "%.0f", b / m }') ($received bytes, $matched rows); the whole log per matched event: $(awk -v b="$bytes" -v m="$matched" 'BEGIN { printf "%.0f", b / m }')"
/usr/bin/time -v "$rel/fetch-audit-log" "${args[@]}" >/dev/null 2>"$work/time"
echo "fetch-audit-log peak RSS: $(grep 'Maximum resident' "$work/time" | awk '{ print $NF }') KB (--limit $LIMIT, --parallel $PARALLEL)"
/usr/bin/time -v "$rel/fetch-audit-log" "${args[@]}" --limit 100 >/dev/null 2>"$work/time"
echo "fetch-audit-log peak RSS: $(grep 'Maximum resident' "$work/time" | awk '{ print $NF }') KB (--limit 100, --parallel $PARALLEL)"
