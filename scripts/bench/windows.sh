#!/usr/bin/env bash
# Simulation of the hourly job (prints figures; not a test): 24 runs of
# scripts/main-job.sh, one simulated hour apart (BRIDGE_NOW), against a
# time-aware Splunk stand-in (a row is served only when its _time lies in
# the searched window and it has reached the index by the simulated clock)
# and the Segment stand-in. A share of the events reach Splunk up to 3 hours
# late; one run in the middle finds Segment unreachable. Prints: sends per
# event (goal <= 1.05), events never delivered (goal 0), the ledger's size
# after the last run; and, for comparison, the same without a state (the
# plain 4-hour look-back: no watermark, no ledger).
#
#   scripts/bench/windows.sh               # SIM_EVENTS_PER_HOUR=300 SIM_LATE=0.1
#   BENCH_BIN_DIR=target/debug scripts/bench/windows.sh   # skip the build
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
root=$PWD

per_hour=${SIM_EVENTS_PER_HOUR:-300}
late=${SIM_LATE:-0.1}
runs=24
fail_run=${SIM_FAIL_RUN:-12}
bin=${BENCH_BIN_DIR:-}
if [[ -z "$bin" ]]; then
  cargo build -p fetch-uj-records -p splunk-to-segment -p segment-mass-uploader \
    -p bridge-window -p standins --bins >&2
  bin=${CARGO_TARGET_DIR:-target}/debug
fi
export PATH="$bin:$PATH"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${SIM_KEEP:-}" ]]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

fixtures=$root/fixtures/s2s/sample
t0=1700002800 # on the hour
first=$((t0 + 3600))

# --- the Splunk side: rows of the sample with unique messageIds, _time
# spread over the simulated day, _indextime a few minutes later, or for a
# share of them up to 3 hours later.
awk -v t0="$t0" -v n=$((per_hour * (runs - 3))) -v late="$late" 'BEGIN { srand(7) }
  { sample[k++] = $0 }
  END {
    for (i = 0; i < n; i++) {
      row = sample[i % k]
      t = t0 + int(i * 21 * 3600 / n)
      d = (rand() < late) ? int(rand() * 3 * 3600) : int(rand() * 300)
      sub(/"messageId":"[^"]*"/, sprintf("\"messageId\":\"sim-%07d\"", i), row)
      sub(/"result":\{/, sprintf("\"result\":{\"_time\":\"%d\",\"_indextime\":\"%d\",", t, t + d), row)
      print row
    }
  }' "$fixtures/input.jsonl" > "$work/dump.jsonl"
# What the whole day turns into (the events that must all arrive).
UID_MAP_FILE=$fixtures/uid-map.json WS_MAP_FILE=$fixtures/ws-map.json \
  splunk-to-segment < "$work/dump.jsonl" 2>/dev/null |
  sed -n 's/.*"messageId":"\([^"]*\)".*/\1/p' | sort -u > "$work/expected.ids"

first_line() {
  for _ in $(seq 200); do
    if [[ -s $1 ]] && IFS= read -r line < "$1"; then printf '%s\n' "$line"; return; fi
    sleep 0.05
  done
  echo "bench: no URL in $1" >&2; exit 1
}

# simulate NAME STATE(yes|no) → prints "sends unique lost ledger_ids ledger_bytes"
simulate() {
  local name=$1 with_state=$2 dir=$work/$1
  mkdir -p "$dir"
  echo "$first" > "$dir/clock"
  splunk-standin --dump "$work/dump.jsonl" --token sim --time-aware --clock-file "$dir/clock" \
    > "$dir/splunk.url" 2> "$dir/splunk.log" &
  pids+=($!)
  segment-standin --write-key sim --print-events --url-file "$dir/segment.url" \
    > "$dir/received.jsonl" 2> "$dir/segment.log" &
  pids+=($!)
  local splunk_url segment_url
  splunk_url=$(first_line "$dir/splunk.url")
  segment_url=$(first_line "$dir/segment.url")
  local dead=http://127.0.0.1:9/v1/batch
  for ((run = 1; run <= runs; run++)); do
    local now=$((t0 + run * 3600)) url=$segment_url
    echo "$now" > "$dir/clock"
    if ((run == fail_run)); then url=$dead; fi
    (
      export SPLUNK_API_URL=$splunk_url SPLUNK_TOKEN=sim SEGMENT_WRITE_KEY=sim
      export SEGMENT_BATCH_API=$url SEGMENT_RETRIES=0 SEGMENT_BRIDGE_BACKOFF_SCALE=0
      export UID_MAP_FILE=$fixtures/uid-map.json WS_MAP_FILE=$fixtures/ws-map.json
      export BRIDGE_NOW=$now HOME=$dir
      if [[ $with_state == yes ]]; then
        export BRIDGE_STATE_FILE=$dir/state.json
      else
        export QUERY_EARLIEST_TIME=$((now - 4 * 3600)) QUERY_LATEST_TIME=$now
      fi
      scripts/main-job.sh
    ) >> "$dir/job.log" 2>&1 || echo "run $run: exit $?" >> "$dir/runs.log"
  done
  sed -n 's/.*"messageId":"\([^"]*\)".*/\1/p' "$dir/received.jsonl" > "$dir/sent.ids"
  local sends unique lost ids bytes=0
  sends=$(wc -l < "$dir/sent.ids")
  unique=$(sort -u "$dir/sent.ids" | wc -l)
  sort -u "$dir/sent.ids" | comm -23 "$work/expected.ids" - > "$dir/lost.ids"
  lost=$(wc -l < "$dir/lost.ids")
  if ((lost > 0)); then echo "bench: $name: never delivered: $(head -20 "$dir/lost.ids" | tr '\n' ' ')" >&2; fi
  ids=0
  if [[ -f $dir/state.json ]]; then
    ids=$(bridge-window show --state-file "$dir/state.json" 2>/dev/null |
      sed -n 's/.*"ledger_ids":\([0-9]*\).*/\1/p')
    bytes=$(stat -c %s "$dir/state.json")
  fi
  echo "$sends $unique $lost $ids $bytes"
}

expected=$(wc -l < "$work/expected.ids")
if [[ -n "${SIM_ONLY_LEDGER:-}" ]]; then s1=0 u1=0 l1=0; else
read -r s1 u1 l1 _ _ <<< "$(simulate plain no)"; fi
read -r s2 u2 l2 ids bytes <<< "$(simulate ledger yes)"
awk -v e="$expected" -v s1="$s1" -v u1="$u1" -v l1="$l1" -v s2="$s2" -v u2="$u2" -v l2="$l2" \
    -v ids="$ids" -v bytes="$bytes" -v runs="$runs" -v fail="$fail_run" -v late="$late" 'BEGIN {
  printf "simulation: %d hourly runs, run %d with Segment unreachable, %d events, %.0f%% up to 3 h late\n", runs, fail, e, late * 100
  printf "plain 4 h look-back (no state): %d sends for %d events delivered -> %.2f sends per event; %d never delivered\n", s1, u1, s1 / (u1 ? u1 : 1), l1
  printf "watermark + ledger:             %d sends for %d events delivered -> %.3f sends per event (goal <= 1.05); %d never delivered\n", s2, u2, s2 / (u2 ? u2 : 1), l2
  printf "ledger after the last run: %d messageIds, state file %d bytes (a ConfigMap holds 1 MiB)\n", ids, bytes
}'
