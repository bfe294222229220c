#!/usr/bin/env bash
# The whole bridge on this machine, no credentials, nothing to install but
# the Rust toolchain: builds the tools, starts local stand-ins of the outside
# services on loopback, and runs the real jobs against them:
#
#   two Kubernetes clusters (kube-standin: a host cluster with UserSignups, a
#   staging member cluster with tenant Namespaces)
#       → get-uid-map, get-workspace-map          → uid map, workspace map
#   Splunk (splunk-standin serving scripts/demo/splunk-dump.jsonl)
#       → scripts/main-job.sh: fetch-uj-records | splunk-to-segment
#                              | segment-mass-uploader
#   Segment (segment-standin, which records what it accepted)
#   and once more without Splunk: BRIDGE_SOURCE=audit, extract-uj-records
#   evaluating the same queries on scripts/demo/audit.log
#   and from OpenShift's log store: BRIDGE_SOURCE=loki, fetch-audit-log
#   reading that log from a LokiStack stand-in (loki-standin)
#   and once more with the join inside Splunk (docs/kvstore.md): the map
#   makers fill Splunk's KV store, main-job.sh runs without map files, and
#   the events must equal those of the first run
#
# then shows what Segment received. Usage:
#   scripts/demo.sh            (debug build; DEMO_PROFILE=release for release)
#   DEMO_KEEP=1 scripts/demo.sh   keep the work directory to look at
# Exit code: main-job.sh's (0: everything delivered), or 1 when a step of
# the demo itself fails.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
root=$PWD
data=$root/scripts/demo

if [[ -t 2 ]]; then
  say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
else
  say() { printf '\n== %s\n' "$*" >&2; }
fi
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

profile=${DEMO_PROFILE:-debug}
say "building the tools ($profile)"
if [[ $profile == release ]]; then
  cargo build --release --locked --bins
else
  cargo build --locked --bins
fi
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin=$target_dir/$profile
export PATH="$bin:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/segment-bridge-demo.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [[ -n "${DEMO_KEEP:-}" ]]; then
    echo "demo: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# first_line FILE: waits (10 s at most) for a stand-in to print its URL.
first_line() {
  local i
  for ((i = 0; i < 200; i++)); do
    if [[ -s $1 ]] && IFS= read -r line <"$1"; then
      printf '%s\n' "$line"
      return 0
    fi
    sleep 0.05
  done
  die "no URL in $1 (log: $(cat "$1.log" 2>/dev/null))"
}

# received_after N: waits (2 s at most) for Segment to have received more
# than N events, then prints how many it has.
received_after() {
  local i
  for ((i = 0; i < 40; i++)); do
    (($(grep -c . "$work/segment-received.jsonl" || true) > $1)) && break
    sleep 0.05
  done
  grep -c . "$work/segment-received.jsonl" || true
}

say "starting the stand-ins on loopback"
kubeconfig_src=$work/kubeconfig-src
kube-standin --tls --token demo-kube-token --fixtures "$data/usersignups.json" \
  --kubeconfig "$kubeconfig_src" --context host --cluster host-cluster \
  >"$work/kube-host.url" 2>"$work/kube-host.url.log" &
pids+=($!)
host_url=$(first_line "$work/kube-host.url")
# Named like a staging member cluster, so get-workspace-map finds it by itself.
kube-standin --tls --token demo-kube-token --fixtures "$data/namespaces.json" \
  --kubeconfig "$kubeconfig_src" --add --context member \
  --cluster api-stone-stg-m01-7ayg-p1-openshiftapps-com:6443 \
  >"$work/kube-member.url" 2>"$work/kube-member.url.log" &
pids+=($!)
member_url=$(first_line "$work/kube-member.url")
splunk-standin --dump "$data/splunk-dump.jsonl" --token demo-splunk-token \
  --lookup uid_map=uid_map --lookup ws_map=ws_map \
  >"$work/splunk.url" 2>"$work/splunk.url.log" &
pids+=($!)
splunk_url=$(first_line "$work/splunk.url")
segment-standin --write-key demo-write-key --print-events --url-file "$work/segment.url" \
  >"$work/segment-received.jsonl" 2>"$work/segment.log" &
pids+=($!)
segment_url=$(first_line "$work/segment.url")
echo "  host cluster     $host_url"
echo "  member cluster   $member_url"
echo "  Splunk           $splunk_url"
echo "  Segment          $segment_url"
if command -v prometheus-pushgateway >/dev/null; then
  port=$((20000 + RANDOM % 20000))
  prometheus-pushgateway --web.listen-address="127.0.0.1:$port" >"$work/pushgateway.log" 2>&1 &
  pids+=($!)
  export PUSHGATEWAY_URL=http://127.0.0.1:$port
  echo "  Pushgateway      $PUSHGATEWAY_URL"
fi

say "map makers: Kubernetes → uid map and workspace map"
export KUBECONFIG_SRC=$kubeconfig_src
get-uid-map --context host >"$work/uid-map.json"
get-workspace-map >"$work/ws-map.json"

say "the bridge: scripts/main-job.sh"
export SPLUNK_API_URL=$splunk_url SPLUNK_TOKEN=demo-splunk-token
export SEGMENT_BATCH_API=$segment_url SEGMENT_WRITE_KEY=demo-write-key
export UID_MAP_FILE=$work/uid-map.json WS_MAP_FILE=$work/ws-map.json
export BRIDGE_STATE_FILE=$work/state.json REJECTS_DIR=$work/rejects
set +o errexit
scripts/main-job.sh
rc=$?
set -o errexit

say "what Segment received"
# The stand-in prints each accepted event as one compact JSON line.
for ((i = 0; i < 40; i++)); do
  [[ -s $work/segment-received.jsonl ]] && break
  sleep 0.05
done
received=$(grep -c . "$work/segment-received.jsonl" || true)
unique=$(grep -o '"messageId":"[^"]*"' "$work/segment-received.jsonl" | sort -u | grep -c . || true)
echo "$received events ($unique distinct messageIds) from $(grep -c . "$data/splunk-dump.jsonl") Splunk rows"
echo
echo "per event kind:"
grep -o '"event":"[^"]*"' "$work/segment-received.jsonl" | sed 's/"event":"\(.*\)"/\1/' |
  sort | uniq -c | sort -rn | sed 's/^/  /'
echo
echo "a few events:"
head -n 3 "$work/segment-received.jsonl" | cut -c 1-300 | sed 's/^/  /'
echo
echo "watermark: $(bridge-window show)"
if [[ -n "${PUSHGATEWAY_URL:-}" ]]; then
  echo
  echo "metrics pushed (segment_bridge_events_*):"
  # No curl needed: bash's /dev/tcp speaks enough HTTP/1.0.
  ({ exec 3<>"/dev/tcp/127.0.0.1/$port" &&
    printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && cat <&3; } || true) | grep -E '^segment_bridge_(events_(read|emitted|sent|rejected)|run_success|last_success)' |
    sed 's/^/  /' || true
fi

say "the bridge without Splunk: BRIDGE_SOURCE=audit scripts/main-job.sh"
# The same queries evaluated by extract-uj-records on a raw audit log
# (scripts/demo/audit.log, made by the gen-audit example: 300 events of
# 2024-03-03 08:00-08:05 UTC, mostly get/list/watch noise), with an explicit
# window instead of the watermark.
before=$(grep -c . "$work/segment-received.jsonl" || true)
set +o errexit
(unset BRIDGE_STATE_FILE
  BRIDGE_SOURCE=audit BRIDGE_AUDIT_LOG=$data/audit.log \
    QUERY_EARLIEST_TIME=2024-03-03T08:00:00Z QUERY_LATEST_TIME=2024-03-03T09:00:00Z \
    scripts/main-job.sh)
audit_rc=$?
set -o errexit
after=$(received_after "$before")
echo "$((after - before)) more events from $(grep -c . "$data/audit.log") audit events"
tail -n +"$((before + 1))" "$work/segment-received.jsonl" | grep -o '"event":"[^"]*"' |
  sed 's/"event":"\(.*\)"/\1/' | sort | uniq -c | sort -rn | sed 's/^/  /'
if ((rc == 0 && audit_rc != 0)); then rc=$audit_rc; fi

say "the bridge from OpenShift's log store: BRIDGE_SOURCE=loki scripts/main-job.sh"
# fetch-audit-log reads the same audit log from a LokiStack gateway
# stand-in (loki-standin, storing each event as the cluster's log collector
# does), asking the store only for user-journey candidates with this query;
# extract-uj-records then evaluates the queries on what comes back.
loki-standin --audit-log "$data/audit.log" --token demo-loki-token \
  >"$work/loki.url" 2>"$work/loki.url.log" &
pids+=($!)
loki_url=$(first_line "$work/loki.url")/api/logs/v1/audit
echo "  LokiStack gateway  $loki_url"
fetch-audit-log --print-query | fold -w 100 | sed 's/^/  /'
before=$(grep -c . "$work/segment-received.jsonl" || true)
set +o errexit
(unset BRIDGE_STATE_FILE
  BRIDGE_SOURCE=loki LOKI_URL=$loki_url LOKI_TOKEN=demo-loki-token \
    QUERY_EARLIEST_TIME=2024-03-03T08:00:00Z QUERY_LATEST_TIME=2024-03-03T09:00:00Z \
    LOKI_SPLIT=15m LOKI_LIMIT=50 scripts/main-job.sh)
loki_rc=$?
set -o errexit
after=$(received_after "$before")
echo "$((after - before)) more events (the same messageIds as above: Segment keeps one of each)"
if ((rc == 0 && loki_rc != 0)); then rc=$loki_rc; fi

say "the join inside Splunk: map makers → KV store, main-job.sh without map files"
get-uid-map --context host --kvstore uid_map
get-workspace-map --kvstore ws_map
before_kv=$(grep -c . "$work/segment-received.jsonl" || true)
set +o errexit
(unset BRIDGE_STATE_FILE UID_MAP_FILE WS_MAP_FILE
  SPLUNK_UID_LOOKUP=uid_map SPLUNK_WS_LOOKUP=ws_map scripts/main-job.sh)
kv_rc=$?
set -o errexit
for ((i = 0; i < 40; i++)); do
  (($(grep -c . "$work/segment-received.jsonl" || true) >= before_kv + received)) && break
  sleep 0.05
done
if cmp -s <(head -n "$received" "$work/segment-received.jsonl" | sort) \
  <(tail -n +"$((before_kv + 1))" "$work/segment-received.jsonl" | sort); then
  echo "the same $received events as the map-file run, ids looked up inside Splunk"
else
  echo "demo: the KV store run delivered other events than the map-file run" >&2
  ((kv_rc != 0)) || kv_rc=1
fi
if ((rc == 0 && kv_rc != 0)); then rc=$kv_rc; fi

echo
if ((rc == 0 && unique > 0)); then
  echo "demo: main-job.sh exited 0: every event delivered"
else
  echo "demo: main-job.sh exited $rc, $unique events delivered" >&2
  ((rc != 0)) || rc=1
fi
exit "$rc"
