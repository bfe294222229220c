#!/usr/bin/env bash
# Test: SIGKILL of scripts/main-job.sh at several moments loses nothing.
#
# For each kill point, a fresh state whose watermark is 20 hours old (so the
# run works through the gap in 6-hour chunks), the time-aware Splunk
# stand-in serving events spread over that gap, and the Segment stand-in.
# The first run is killed (the whole process group, SIGKILL) at the point;
# the next run must exit 0 and, together with the first, must have delivered
# every event; the state directory must hold the state file only.
#
# Kill points: while fetching; while uploading, after Segment accepted some
# batches; after delivery, before the commit; in the middle of the first
# chunk's commit (new state written, not renamed: watermark and ledger); in
# the middle of the second chunk's commit.
#
#   scripts/test-main-job-kill.sh            # builds the debug binaries
#   TEST_BIN_DIR=target/debug scripts/test-main-job-kill.sh
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
root=$PWD

bin=${TEST_BIN_DIR:-}
if [[ -z "$bin" ]]; then
  cargo build -p fetch-uj-records -p splunk-to-segment -p segment-mass-uploader \
    -p bridge-window -p standins --bins >&2
  bin=${CARGO_TARGET_DIR:-target}/debug
fi
bin=$(cd "$bin" && pwd)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test-main-job-kill: FAIL: $*" >&2; exit 1; }

fixtures=$root/fixtures/s2s/sample
now=1700074800
gap_start=$((now - 20 * 3600))

# Events over the 20-hour gap, all indexed on time.
awk -v t0="$gap_start" -v n=600 '
  { sample[k++] = $0 }
  END {
    for (i = 0; i < n; i++) {
      row = sample[i % k]
      t = t0 + int(i * 20 * 3600 / n)
      sub(/"messageId":"[^"]*"/, sprintf("\"messageId\":\"kill-%05d\"", i), row)
      sub(/"result":\{/, sprintf("\"result\":{\"_time\":\"%d\",\"_indextime\":\"%d\",", t, t), row)
      print row
    }
  }' "$fixtures/input.jsonl" > "$work/dump.jsonl"
PATH=$bin:$PATH UID_MAP_FILE=$fixtures/uid-map.json WS_MAP_FILE=$fixtures/ws-map.json \
  splunk-to-segment < "$work/dump.jsonl" 2>/dev/null |
  sed -n 's/.*"messageId":"\([^"]*\)".*/\1/p' | sort -u > "$work/expected.ids"

# Wrappers in front of the real tools: each kills the job's process group
# when KILL_AT names its moment.
shim=$work/shim
mkdir -p "$shim"
for tool in fetch-uj-records splunk-to-segment segment-mass-uploader bridge-window; do
  cat > "$shim/$tool" <<EOF
#!/usr/bin/env bash
real=$bin/$tool
tool=$tool
EOF
  cat >> "$shim/$tool" <<'EOF'
killjob() { kill -KILL -- "-$(ps -o pgid= $$ | tr -d ' ')"; sleep 5; }
count() { local n; n=$(( $(cat "$KILL_DIR/$1" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$KILL_DIR/$1"; echo "$n"; }
case "${KILL_AT:-}:$tool:${1:-}" in
  fetch:fetch-uj-records:*)
    "$real" "$@" | head -n 20
    killjob ;;
  upload:segment-mass-uploader:*)
    ledger=""; prev=""
    for a in "$@"; do [[ $prev == --ledger ]] && ledger=$a; prev=$a; done
    "$real" "$@" <&0 &
    for _ in $(seq 400); do
      [[ -n $ledger && -s $ledger ]] && [[ $(wc -l < "$ledger") -gt 0 ]] && break
      sleep 0.01
    done
    killjob ;;
  before-commit:bridge-window:commit)
    killjob ;;
  commit1:bridge-window:commit | commit2:bridge-window:commit)
    n=$(count commits)
    if [[ $KILL_AT == "commit$n" ]]; then
      BRIDGE_WINDOW_TEST_HOLD_COMMIT=$KILL_DIR/held "$real" "$@" &
      for _ in $(seq 500); do [[ -e $KILL_DIR/held ]] && break; sleep 0.01; done
      [[ -e $KILL_DIR/held ]] || { echo "shim: commit never held" >&2; exit 99; }
      killjob
    fi
    exec "$real" "$@" ;;
esac
exec "$real" "$@"
EOF
  chmod +x "$shim/$tool"
done

first_line() {
  for _ in $(seq 200); do
    if [[ -s $1 ]] && IFS= read -r line < "$1"; then printf '%s\n' "$line"; return; fi
    sleep 0.05
  done
  fail "no URL in $1"
}

# job DIR KILL_AT → the job's exit code
job() {
  local dir=$1 kill_at=$2 rc=0
  env PATH="$shim:$bin:$PATH" KILL_AT="$kill_at" KILL_DIR="$dir" \
    SPLUNK_API_URL="$splunk_url" SPLUNK_TOKEN=t SEGMENT_WRITE_KEY=k \
    SEGMENT_BATCH_API="$segment_url" SEGMENT_BRIDGE_BACKOFF_SCALE=0 \
    UID_MAP_FILE="$fixtures/uid-map.json" WS_MAP_FILE="$fixtures/ws-map.json" \
    BRIDGE_NOW="$now" BRIDGE_STATE_FILE="$dir/state/state.json" HOME="$dir" \
    setsid -w "$root/scripts/main-job.sh" >> "$dir/job.log" 2>&1 || rc=$?
  echo "$rc"
}

passed=0
for point in fetch upload before-commit commit1 commit2; do
  dir=$work/$point
  mkdir -p "$dir/state"
  echo "{\"watermark\":$gap_start}" > "$dir/state/state.json"
  chmod 0644 "$dir/state/state.json"
  "$bin/splunk-standin" --dump "$work/dump.jsonl" --token t --time-aware \
    > "$dir/splunk.url" 2> "$dir/splunk.log" &
  pids+=($!)
  "$bin/segment-standin" --write-key k --print-events --url-file "$dir/segment.url" \
    > "$dir/received.jsonl" 2> "$dir/segment.log" &
  pids+=($!)
  splunk_url=$(first_line "$dir/splunk.url")
  segment_url=$(first_line "$dir/segment.url")

  rc=$(job "$dir" "$point")
  ((rc >= 128)) || fail "$point: the first run was not killed (exit $rc; log: $dir/job.log)"
  rc=$(job "$dir" "")
  ((rc == 0)) || { cat "$dir/job.log" >&2; fail "$point: the next run exited $rc"; }

  sleep 0.2
  missing=$(sed -n 's/.*"messageId":"\([^"]*\)".*/\1/p' "$dir/received.jsonl" | sort -u |
    comm -23 "$work/expected.ids" - | wc -l)
  ((missing == 0)) || fail "$point: $missing events never delivered"
  left=$(ls -A "$dir/state")
  [[ $left == state.json ]] || fail "$point: the state directory holds: $left"
  mode=$(stat -c %a "$dir/state/state.json")
  [[ $mode == 644 ]] || fail "$point: the state file's mode became $mode"
  wm=$(sed -n 's/.*"watermark":\([0-9]*\).*/\1/p' "$dir/state/state.json")
  ((wm == now)) || fail "$point: watermark $wm, not $now"
  sends=$(wc -l < "$dir/received.jsonl")
  echo "killed at $point: next run exit 0, all $(wc -l < "$work/expected.ids") events delivered ($sends sends), watermark at now, state file 0644 and alone"
  passed=$((passed + 1))
done
echo "test-main-job-kill: $passed kill points passed"
