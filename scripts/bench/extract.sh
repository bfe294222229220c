#!/usr/bin/env bash
# Benchmark of extract-uj-records on a generated audit log. Not a test: it
# prints figures (machines here are noisy; run it twice).
#
#   1. generates LINES audit events (default 300,000, about 1 KB each) with
#      SIGNAL per mille of user-journey resources (default 10: 99 % noise)
#      with the gen-audit example;
#   2. runs extract-uj-records RUNS times (default 3) to /dev/null on one
#      core; the best time gives MB/s (every line is still checked to be
#      JSON: the pre-filter only saves the parse and evaluation); jq's
#      validation of the same log as an anchor; once more with
#      --no-prefilter (every line parsed and evaluated) for comparison,
#      checking the rows agree;
#   3. measures peak RSS on the log and on REPEAT copies of it through a
#      pipe (default 4), to show that memory is flat in input size (the
#      selected rows are kept until the end: they grow with the matches,
#      not with the noise).
set -euo pipefail
cd "$(dirname "$0")/../.."

LINES=${LINES:-300000}
SIGNAL=${SIGNAL:-10}
RUNS=${RUNS:-3}
REPEAT=${REPEAT:-4}
[ -x /usr/bin/time ] || { echo "extract bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p extract-uj-records --bin extract-uj-records --example gen-audit
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin=$target_dir/release/extract-uj-records
"$target_dir/release/examples/gen-audit" "$LINES" "$SIGNAL" >"$work/audit.log"
bytes=$(stat -c %s "$work/audit.log")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "audit log: $LINES events, $mb MB, $SIGNAL per mille of user-journey resources"

best=
for ((i = 0; i < RUNS; i++)); do
  start=$(date +%s.%N)
  taskset -c 0 "$bin" --quiet "$work/audit.log" >/dev/null
  end=$(date +%s.%N)
  t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
done
"$bin" "$work/audit.log" 2>&1 >/dev/null | sed 's/^/  /'
echo "extract-uj-records: best of $RUNS: ${best} s, $(awk -v b="$bytes" -v t="$best" 'BEGIN { printf "%.0f", b / 1e6 / t }') MB/s (one core; every line checked to be JSON and UTF-8)"
echo "load average during the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

# The same log through jq, which only checks it is JSON: an anchor for
# machines of other speeds and loads (skipped when jq is missing).
if command -v jq >/dev/null; then
  start=$(date +%s.%N)
  taskset -c 0 jq empty "$work/audit.log"
  end=$(date +%s.%N)
  t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  echo "jq empty (validation only), same log: ${t} s, $(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.0f", b / 1e6 / t }') MB/s"
fi

# What the pre-filter saves (and a check that it changes nothing).
start=$(date +%s.%N)
taskset -c 0 "$bin" --quiet --no-prefilter "$work/audit.log" >"$work/full.out"
end=$(date +%s.%N)
t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
"$bin" --quiet "$work/audit.log" >"$work/fast.out"
cmp -s "$work/full.out" "$work/fast.out" || { echo "extract bench: the pre-filter changed the rows" >&2; exit 1; }
echo "without the pre-filter (--no-prefilter, same rows): ${t} s, $(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.0f", b / 1e6 / t }') MB/s"

rss() { grep 'Maximum resident' "$1" | awk '{ print $NF }'; }
/usr/bin/time -v "$bin" --quiet "$work/audit.log" >/dev/null 2>"$work/time1"
big=$(awk -v b="$bytes" -v r="$REPEAT" 'BEGIN { printf "%.0f", b * r / 1e6 }')
for ((i = 0; i < REPEAT; i++)); do cat "$work/audit.log"; done |
  /usr/bin/time -v "$bin" --quiet >/dev/null 2>"$work/time2"
echo "peak RSS: $(rss "$work/time1") KB on $mb MB, $(rss "$work/time2") KB on $big MB (${REPEAT}x, through a pipe)"
