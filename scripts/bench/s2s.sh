#!/usr/bin/env bash
# Benchmark of splunk-to-segment (docs/tools/splunk-to-segment.md) against jq 1.6 running the
# original filter (scripts/bench/s2s.jq) on the same input. Not a test: it
# prints figures (machines here are noisy; compare the ratio, not the
# absolute numbers).
#
#   1. checks that s2s.jq reproduces the reference fixture byte for byte;
#   2. generates a ROWS-row corpus (default 200,000; properties of
#      0.2-40 KB) with the s2s_corpus example;
#   3. runs jq once (to a file) and splunk-to-segment RUNS times to
#      /dev/null (best time counts) and once to a file, checks that both
#      outputs are identical, prints throughputs and ratios;
#   4. measures peak RSS on the corpus and on ~BIG_MB of input (default
#      1024, the corpus repeated through a pipe, so nothing big hits the
#      disk) to show that memory is flat in input size.
#
# Env: ROWS, RUNS (3), BIG_MB (1024; 0 skips step 4's big run), JQ (jq),
# BENCH_DIR (a temporary directory, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROWS=${ROWS:-200000}
RUNS=${RUNS:-3}
BIG_MB=${BIG_MB:-1024}
JQ=${JQ:-jq}
if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

command -v "$JQ" >/dev/null || { echo "s2s bench: needs jq 1.6 (apt-get install jq)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "s2s bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
jq_version=$("$JQ" --version)
[ "$jq_version" = "jq-1.6" ] || echo "s2s bench: warning: $jq_version, not jq-1.6" >&2

cargo build --release --quiet -p splunk-to-segment --bin splunk-to-segment --example s2s_corpus
bin=target/release/splunk-to-segment
names=crates/splunk-to-segment/src/event-names.json
filter=scripts/bench/s2s.jq

run_jq() { # input uid ws
  "$JQ" -c --slurpfile uidm "$2" --slurpfile wksm "$3" --slurpfile evn "$names" -f "$filter" <"$1"
}

now() { date +%s.%N; }

# 1. The filter is the original's.
fx=crates/splunk-to-segment/tests/fixtures/sample
run_jq "$fx/input.jsonl" "$fx/uid-map.json" "$fx/ws-map.json" >"$work/fixture.out"
cmp -s "$work/fixture.out" "$fx/expected.jsonl" ||
  { echo "s2s bench: $filter does not reproduce the fixture" >&2; exit 1; }
echo "jq filter reproduces tests/fixtures/sample/expected.jsonl byte for byte ($jq_version)"

# 2. The corpus.
target/release/examples/s2s_corpus "$ROWS" "$work/c"
in=$work/c/input.jsonl
uid=$work/c/uid-map.json
ws=$work/c/ws-map.json
size=$(stat -c %s "$in")
mb=$(echo "scale=1; $size / 1000000" | bc)
echo "corpus: $ROWS rows, $mb MB"

# 3. Throughput.
t0=$(now)
run_jq "$in" "$uid" "$ws" >"$work/jq.out"
t1=$(now)
jq_s=$(echo "$t1 - $t0" | bc)

best=
for _ in $(seq "$RUNS"); do
  t0=$(now)
  "$bin" -q --uid-map "$uid" --ws-map "$ws" <"$in" >/dev/null
  t1=$(now)
  t=$(echo "$t1 - $t0" | bc)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
t0=$(now)
"$bin" -q --uid-map "$uid" --ws-map "$ws" <"$in" >"$work/s2s.out"
t1=$(now)
to_file=$(echo "$t1 - $t0" | bc)
if cmp -s "$work/jq.out" "$work/s2s.out"; then
  same="identical ($(wc -l <"$work/s2s.out") events)"
else
  same="DIFFERENT"
fi
printf 'jq 1.6 (to a file):           %6.2f s  %7.1f MB/s\n' "$jq_s" "$(echo "$size / $jq_s / 1000000" | bc -l)"
printf 'splunk-to-segment, /dev/null: %6.3f s  %7.1f MB/s  %5.1fx jq  (best of %s)\n' "$best" \
  "$(echo "$size / $best / 1000000" | bc -l)" "$(echo "$jq_s / $best" | bc -l)" "$RUNS"
printf 'splunk-to-segment, to a file: %6.3f s  %7.1f MB/s  %5.1fx jq\n' "$to_file" \
  "$(echo "$size / $to_file / 1000000" | bc -l)" "$(echo "$jq_s / $to_file" | bc -l)"
echo "outputs: $same"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for t in 1 2; do
  t0=$(now)
  "$bin" -q --threads "$t" --uid-map "$uid" --ws-map "$ws" <"$in" >/dev/null
  t1=$(now)
  printf '  --threads %s:      %6.3f s\n' "$t" "$(echo "$t1 - $t0" | bc)"
done

# 4. Peak memory, small and big input.
rss() { # command... ; prints peak RSS in KB of the last process of the pipe
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null
  cat "$work/rss"
}
small_kb=$(rss "$bin" -q --uid-map "$uid" --ws-map "$ws" <"$in")
printf 'peak RSS on %6s MB: %6.1f MB\n' "$mb" "$(echo "$small_kb / 1024" | bc -l)"
if [ "$BIG_MB" -gt 0 ]; then
  reps=$(( (BIG_MB * 1000000 + size - 1) / size ))
  big_mb=$(echo "scale=0; $reps * $size / 1000000" | bc)
  t0=$(now)
  big_kb=$(for _ in $(seq "$reps"); do cat "$in"; done |
    rss "$bin" -q --uid-map "$uid" --ws-map "$ws")
  t1=$(now)
  big_s=$(echo "$t1 - $t0" | bc)
  printf 'peak RSS on %6s MB: %6.1f MB  (%.1f MB/s through a pipe)\n' "$big_mb" \
    "$(echo "$big_kb / 1024" | bc -l)" "$(echo "$reps * $size / $big_s / 1000000" | bc -l)"
fi
