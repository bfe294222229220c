#!/usr/bin/env bash
# Benchmark of fetch-uj-records' concurrency: the eight queries against the
# Splunk stand-in, each taking the same latency L, run with --parallel 1, 2
# and 3. Prints the wall time of each run and its ratio to 8·L (running the
# queries one after another). Budget at --parallel 2: ≤ 0.55 × 8·L.
#
# Two latency models:
#   body     the stand-in answers at once and sends the first row after L
#            (how Splunk's export behaves: headers when the search is
#            dispatched, rows once it has run). The budget applies here.
#   headers  the stand-in waits L before the status line. The client sends
#            its first request alone until it knows the credentials work (so
#            that wrong credentials cost one refused login, not eight), which
#            costs one extra L in this model.
#
# Usage: scripts/bench/fetch.sh            (L_MS=500 by default)
#        L_MS=200 scripts/bench/fetch.sh
set -euo pipefail

L_MS=${L_MS:-500}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/debug
DUMP=$ROOT/fixtures/s2s/sample/input.jsonl

cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p standins -p fetch-uj-records

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }

run_model() {
    local model=$1 flag
    case $model in
        body) flag=--stream-delay-ms ;;
        headers) flag=--delay-ms ;;
    esac
    : > "$tmp/url"
    "$BIN/splunk-standin" --dump "$DUMP" "$flag" "$L_MS" > "$tmp/url" 2> "$tmp/standin.err" &
    pid=$!
    for _ in $(seq 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
    local url
    url=$(head -n1 "$tmp/url")
    for p in 1 2 3; do
        local t0 t1 rows
        t0=$(now)
        SPLUNK_API_URL=$url SPLUNK_TOKEN=standin-token \
            "$BIN/fetch-uj-records" --parallel "$p" > "$tmp/rows" 2> "$tmp/err"
        t1=$(now)
        rows=$(wc -l < "$tmp/rows")
        awk -v m="$model" -v p="$p" -v t0="$t0" -v t1="$t1" -v l="$L_MS" -v rows="$rows" 'BEGIN {
            wall = t1 - t0; serial = 8 * l / 1000; r = wall / serial;
            verdict = "";
            if (p == 2 && m == "body") verdict = (r <= 0.55) ? "  (budget <= 0.55: ok)" : "  (budget <= 0.55: OVER)";
            printf "latency in %-7s L=%.3fs  --parallel %d: %6.3fs  = %.2f x 8L  (%d lines)%s\n", m, l / 1000, p, wall, r, rows, verdict
        }'
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

run_model body
run_model headers
