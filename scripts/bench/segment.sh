#!/usr/bin/env bash
# Benchmark of segment-mass-uploader (prints figures; not a test).
#
# On one generated input of realistic Segment events (>= 100 MB by default),
# measures against the loopback Segment stand-in:
#   - requests made vs the lower bound ceil(bytes / 500,000) (budget <= 1.01x)
#     and vs the original's chunking, `split --line-bytes=501760`;
#   - events/s vs the original's loop, `split --line-bytes=501760 --filter
#     'jq -c -s {batch:.} | curl ...'` (budget >= 10x);
#   - peak RSS (budget: flat, <= 30 MB), on the full input and on a tenth;
#   - with --gzip: bytes on the wire vs uncompressed, events/s, peak RSS.
#
#   scripts/bench/segment.sh            # BENCH_MB=110 by default
#   BENCH_BIN_DIR=target/release scripts/bench/segment.sh   # skip the build
# Needs jq, curl, split, awk and /usr/bin/time (Debian: jq curl coreutils time).
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."

mb=${BENCH_MB:-110}
bin=${BENCH_BIN_DIR:-}
if [[ -z "$bin" ]]; then
  cargo build --release -p segment-mass-uploader -p standins --bins >&2
  bin=${CARGO_TARGET_DIR:-target}/release
fi
for tool in jq curl split awk /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: \`$tool\` is needed" >&2; exit 2; }
done

work=$(mktemp -d)
standin_pid=""
cleanup() {
  if [[ -n "$standin_pid" ]]; then kill "$standin_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- input: the reference sample's events, each with a unique messageId;
# one in eight carries a long annotation (1-25 KB) in its properties, as
# pipeline runs with big parameter sets do.
events=$work/events.jsonl
awk -v target=$((mb * 1000 * 1000)) 'BEGIN { srand(1) }
  { sample[n++] = $0 }
  END {
    pad = "a"; while (length(pad) < 25000) pad = pad pad
    while (total < target) {
      line = sample[i % n]
      sub(/"messageId":"[^"]*"/, sprintf("\"messageId\":\"bench-%09d\"", i), line)
      if (rand() < 0.125) {
        sub(/"properties":\{/, "\"properties\":{\"annotation\":\"" substr(pad, 1, 1000 + int(rand() * 24000)) "\",", line)
      }
      print line
      total += length(line) + 1
      i++
    }
  }' fixtures/payload/sample/input.jsonl > "$events"
bytes=$(stat -c %s "$events")
nevents=$(wc -l < "$events")
small=$work/small.jsonl
head -n $((nevents / 10)) "$events" > "$small"

# --- the stand-in: counts, keeps nothing; prints its figures when its
# stdin (a fifo we hold open on fd 3) closes.
start_standin() { # $1: log file
  rm -f "$work/url" "$work/ctl"
  mkfifo "$work/ctl"
  "$bin/segment-standin" --write-key bench --no-record --until-stdin-closes \
    --url-file "$work/url" < "$work/ctl" 2> "$1" &
  standin_pid=$!
  exec 3> "$work/ctl"
  for _ in $(seq 100); do [[ -s "$work/url" ]] && break; sleep 0.05; done
  url=$(cat "$work/url")
}
stop_standin() {
  exec 3>&-
  wait "$standin_pid" || true
  standin_pid=""
}
now() { date +%s.%N; }

# --- ours
start_standin "$work/ours.standin"
t0=$(now)
SEGMENT_BATCH_API=$url SEGMENT_WRITE_KEY=bench /usr/bin/time -v -o "$work/ours.time" \
  "$bin/segment-mass-uploader" < "$events" 2> "$work/ours.log"
t1=$(now)
stop_standin
start_standin "$work/small.standin"
SEGMENT_BATCH_API=$url SEGMENT_WRITE_KEY=bench /usr/bin/time -v -o "$work/small.time" \
  "$bin/segment-mass-uploader" < "$small" 2> /dev/null
stop_standin
start_standin "$work/gzip.standin"
t4=$(now)
SEGMENT_BATCH_API=$url SEGMENT_WRITE_KEY=bench SEGMENT_GZIP=true /usr/bin/time -v -o "$work/gzip.time" \
  "$bin/segment-mass-uploader" < "$events" 2> "$work/gzip.log"
t5=$(now)
stop_standin
gz_requests=$(awk '/requests,/ { print $2 }' "$work/gzip.standin")
gz_wire=$(sed -n 's/.*, \([0-9]*\) bytes on the wire, \([0-9]*\) uncompressed.*/\1/p' "$work/gzip.standin")
gz_plain=$(sed -n 's/.*, \([0-9]*\) bytes on the wire, \([0-9]*\) uncompressed.*/\2/p' "$work/gzip.standin")
gz_rss=$(awk '/Maximum resident/ { print $NF }' "$work/gzip.time")
ours_requests=$(awk '/requests,/ { print $2 }' "$work/ours.standin")
ours_batches=$(sed -n 's/.* sent in \([0-9]*\) batches.*/\1/p' "$work/ours.log")
largest=$(sed -n 's/.*largest body \([0-9]*\) bytes.*/\1/p' "$work/ours.standin")
rss=$(awk '/Maximum resident/ { print $NF }' "$work/ours.time")
rss_small=$(awk '/Maximum resident/ { print $NF }' "$work/small.time")

# --- the original's chunking and loop
split_chunks=$(split --line-bytes=501760 --filter='cat > /dev/null; echo' "$events" | wc -l)
start_standin "$work/orig.standin"
t2=$(now)
split --line-bytes=501760 --filter="jq -c -s '{batch: .}' | curl -sS -o /dev/null -u bench: \
  -H 'Content-Type: application/json' --data-binary @- '$url'" "$events"
t3=$(now)
stop_standin
orig_requests=$(awk '/requests,/ { print $2 }' "$work/orig.standin")
orig_accepted=$(awk '/requests,/ { print $4 }' "$work/orig.standin")

awk -v bytes="$bytes" -v n="$nevents" -v req="$ours_requests" -v batches="$ours_batches" \
    -v largest="$largest" -v chunks="$split_chunks" -v oreq="$orig_requests" -v oacc="$orig_accepted" \
    -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v rss="$rss" -v rss_small="$rss_small" \
    -v t4="$t4" -v t5="$t5" -v gzreq="$gz_requests" -v gzwire="${gz_wire:-0}" -v gzplain="${gz_plain:-0}" \
    -v gzrss="$gz_rss" 'BEGIN {
  lower = int((bytes + 499999) / 500000)
  ours = n / (t1 - t0); orig = n / (t3 - t2)
  printf "input: %d events, %.1f MB\n", n, bytes / 1e6
  printf "requests: ours %d (%d batches, largest body %d bytes); lower bound ceil(bytes/500000) = %d -> %.4fx (budget <= 1.01x)\n", req, batches, largest, lower, req / lower
  printf "          original split --line-bytes=501760: %d chunks (%.4fx the lower bound); %d of its %d requests refused by the 500,000-byte limit\n", chunks, chunks / lower, oreq - oacc, oreq
  printf "throughput: ours %.0f events/s (%.2f s); split|jq|curl %.0f events/s (%.2f s) -> %.1fx (budget >= 10x)\n", ours, t1 - t0, orig, t3 - t2, ours / orig
  printf "peak RSS: %.1f MB on the full input, %.1f MB on a tenth of it (budget: flat, <= 30 MB)\n", rss / 1024, rss_small / 1024
  if (gzplain > 0) {
    printf "gzip: %d requests, %.1f MB on the wire for %.1f MB uncompressed (%.1f%%); %.0f events/s (%.2f s), peak RSS %.1f MB\n", gzreq, gzwire / 1e6, gzplain / 1e6, 100 * gzwire / gzplain, n / (t5 - t4), t5 - t4, gzrss / 1024
  }
}'
