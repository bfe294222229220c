#!/usr/bin/env bash
# One run of the bridge: Splunk → splunk-to-segment → Segment.
#
#   fetch-uj-records | splunk-to-segment | segment-mass-uploader
#
# Configuration is the tools' own environment (see README.md): SPLUNK_API_URL,
# SPLUNK_TOKEN or CURL_NETRC, UID_MAP_FILE, WS_MAP_FILE, SEGMENT_BATCH_API,
# SEGMENT_WRITE_KEY or CURL_NETRC, PUSHGATEWAY_URL, …  Besides those:
#
#   BRIDGE_STATE_FILE / BRIDGE_STATE_CONFIGMAP  where the watermark and the
#       delivery ledger live (docs/delivery.md). When one is set, `bridge-window
#       start` picks the window: the normal BRIDGE_WINDOW (4h), reaching back
#       at least to watermark - (BRIDGE_WINDOW - BRIDGE_INTERVAL), a long gap
#       cut into chunks of at most BRIDGE_MAX_WINDOW (6h), oldest first, each
#       committed as soon as it is delivered. The ledger makes a window queried
#       again send each event once: segment-mass-uploader skips what it lists
#       and appends what Segment accepted; `bridge-window commit --ledger`
#       records it (also after a failed run: what was accepted stays
#       accepted). When neither is set, QUERY_EARLIEST_TIME /
#       QUERY_LATEST_TIME are used as given (fetch-uj-records defaults: the
#       last 4 hours), with no ledger.
#   BRIDGE_NOW  run the whole job at this clock time (Unix seconds), to replay
#       or simulate runs.
#   REJECTS_DIR  if set, rejected records go to files in this directory.
#   PSEUDONYMIZE_KEY_FILE  if set, `pseudonymize` runs between
#       splunk-to-segment and the uploader: userId, properties.workspaceID,
#       namespace (and PSEUDONYMIZE_FIELDS) become HMAC-SHA256 ids under the
#       key in that file (docs/tools/pseudonymize.md).
#   BRIDGE_HEARTBEAT=true  after each delivered window, one "Segment Bridge
#       Heartbeat" track event with the window's figures goes to Segment
#       (docs/tools/bridge-heartbeat.md); BRIDGE_HEARTBEAT_SOURCE names this
#       bridge in it. A heartbeat that can't be sent is logged, and changes
#       no exit code.
#   SPLUNK_UID_LOOKUP + SPLUNK_WS_LOOKUP  KV mode (docs/kvstore.md): the
#       searches look the ids up inside Splunk (lookup definitions over the
#       KV store collections the map makers keep), each row carries them,
#       and splunk-to-segment needs no map files (UID_MAP_FILE / WS_MAP_FILE
#       may be left unset; when set, they fill in what a row lacks).
#   UID_MAP_CONFIGMAP / WS_MAP_CONFIGMAP  when UID_MAP_FILE / WS_MAP_FILE is
#       unset: read the map published in that ConfigMap (see below).
#
# Exit codes:
#   0    every stage succeeded
#   3    every stage finished, some records were rejected (reported on stderr
#        and in REJECTS_DIR); the watermark still moves on, see below
#   1N   fetch-uj-records failed with exit N      (N = 1..9, 9 also for >9,
#   2N   splunk-to-segment failed with exit N      e.g. a signal; also when
#        its maps could not be read from their ConfigMaps)
#   3N   segment-mass-uploader failed with exit N
#   4N   bridge-window start failed with exit N (nothing more was run; chunks
#        before it stay committed)
#   5N   bridge-window commit failed with exit N (events were delivered, the
#        watermark and ledger were not recorded: the next run re-sends them,
#        Segment drops the duplicates by messageId)
#   6N   pseudonymize failed with exit N (with PSEUDONYMIZE_KEY_FILE)
# When several stages fail, the first failed stage in pipeline order is the
# one reported (a stage downstream of a failure usually just saw its input
# end); every stage's exit code is logged.
#
# Rejected records (exit 3 of a stage) count as success for the watermark:
# they are records the tools cannot ever turn into valid Segment events (bad
# JSON, an event over Segment's size limit, …). Querying the same window again
# would reject them again, so holding the watermark back would only make every
# following window grow without delivering anything more. They are reported
# instead (stderr, REJECTS_DIR, exit 3, the stage's metrics). A batch that
# Segment refused after retries is a failure (exit 1 of the uploader), so the
# watermark stays and the next run sends that window again.
set -o nounset -o pipefail

log() { printf 'main-job: %s\n' "$*" >&2; }

# code_for STAGE_NUMBER EXIT_CODE → the job's exit code for a failed stage.
code_for() {
  local stage=$1 code=$2
  if ((code > 9)); then code=9; fi
  echo $((stage * 10 + code))
}

state_configured=false
if [[ -n "${BRIDGE_STATE_FILE:-}" || -n "${BRIDGE_STATE_CONFIGMAP:-}" ]]; then
  state_configured=true
fi

s2s_args=()
upload_args=()
if [[ -n "${REJECTS_DIR:-}" ]]; then
  if [[ -n "${BRIDGE_NOW:-}" ]]; then
    stamp=$(date -u -d "@$BRIDGE_NOW" +%Y%m%dT%H%M%SZ)
  else
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
  fi
  mkdir -p "$REJECTS_DIR"
  s2s_args+=(--rejects "$REJECTS_DIR/splunk-to-segment-$stamp.jsonl")
  upload_args+=(--rejects "$REJECTS_DIR/segment-mass-uploader-$stamp.jsonl")
fi

# Pseudonymous ids: one more stage before the uploader, exit code 6N.
pseudonymize=false
pseudo_args=()
if [[ -n "${PSEUDONYMIZE_KEY_FILE:-}" ]]; then
  pseudonymize=true
  if [[ -n "${REJECTS_DIR:-}" ]]; then
    pseudo_args+=(--rejects "$REJECTS_DIR/pseudonymize-$stamp.jsonl")
  fi
fi

# The heartbeat: the tools append their figures to a file per window
# (SEGMENT_BRIDGE_FIGURES_FILE), bridge-heartbeat makes the event of them.
heartbeat=false
case ${BRIDGE_HEARTBEAT:-false} in
  true | 1 | yes) heartbeat=true ;;
  false | 0 | no | "") ;;
  *)
    log "error: BRIDGE_HEARTBEAT must be true or false (\`$BRIDGE_HEARTBEAT\`)"
    exit 2
    ;;
esac
run_now=${BRIDGE_NOW:-$(date +%s)}
figures=

# send_heartbeat: the heartbeat of the window just delivered, sent on its
# own (no ledger, no rejects file of the run's, no metrics push that would
# replace the run's uploader figures). Never fails the job.
send_heartbeat() {
  $heartbeat || return 0
  local event rc
  event=$(bridge-heartbeat --figures "$figures" --now "$run_now" \
    --earliest "${QUERY_EARLIEST_TIME:-}" --latest "${QUERY_LATEST_TIME:-}")
  rc=$?
  if ((rc == 0)); then
    printf '%s\n' "$event" | PUSHGATEWAY_URL='' segment-mass-uploader
    rc=$?
  fi
  if ((rc != 0)); then
    log "warning: the heartbeat was not sent (exit $rc); the run itself is unaffected"
  fi
}

# The maps from the ConfigMaps the map makers publish, when no map file is
# given: UID_MAP_CONFIGMAP / WS_MAP_CONFIGMAP (in MAP_CONFIGMAP_NAMESPACE, or
# the pod's namespace) are read whole, one generation each (docs/tools/
# get-uid-map.md, "Publishing in ConfigMaps"), into files for
# splunk-to-segment. A failure there is splunk-to-segment's stage (2N).
fetch_map() { # TOOL CONFIGMAP FILE
  local ns_args=()
  if [[ -n "${MAP_CONFIGMAP_NAMESPACE:-}" ]]; then
    ns_args=(--configmap-namespace "$MAP_CONFIGMAP_NAMESPACE")
  fi
  "$1" --configmap "$2" "${ns_args[@]}" --published >"$3"
}
# In KV mode (SPLUNK_UID_LOOKUP and SPLUNK_WS_LOOKUP) the rows carry the ids
# and the map makers write the KV store, not ConfigMaps: none is read.
if [[ -n "${SPLUNK_UID_LOOKUP:-}" && -n "${SPLUNK_WS_LOOKUP:-}" ]]; then
  :
elif [[ -z "${UID_MAP_FILE:-}" && -n "${UID_MAP_CONFIGMAP:-}" ]] ||
  [[ -z "${WS_MAP_FILE:-}" && -n "${WS_MAP_CONFIGMAP:-}" ]]; then
  maps_dir=$(mktemp -d "${TMPDIR:-/tmp}/main-job-maps.XXXXXX") || exit "$(code_for 2 1)"
  trap 'rm -rf "$maps_dir"' EXIT
  for spec in "UID_MAP_FILE get-uid-map ${UID_MAP_CONFIGMAP:-}" "WS_MAP_FILE get-workspace-map ${WS_MAP_CONFIGMAP:-}"; do
    read -r var tool cm <<<"$spec"
    if [[ -z "${!var:-}" && -n "$cm" ]]; then
      fetch_map "$tool" "$cm" "$maps_dir/$cm.json" || {
        code=$?
        log "error: cannot read the map published in ConfigMap \`$cm\` ($tool exited $code)"
        exit "$(code_for 2 "$code")"
      }
      export "$var=$maps_dir/$cm.json"
    fi
  done
fi

# Where the rows come from (BRIDGE_SOURCE; docs/tools/extract-uj-records.md):
#   splunk (default)  fetch-uj-records asks Splunk;
#   audit             extract-uj-records evaluates the same queries on the
#                     raw audit log BRIDGE_AUDIT_LOG (a path, or - for this
#                     script's standard input), no Splunk needed.
#   loki              fetch-audit-log reads the audit log from OpenShift
#                     Logging's LokiStack (LOKI_URL, the pod's service
#                     account token; docs/tools/fetch-audit-log.md) and
#                     extract-uj-records evaluates the queries on it, no
#                     Splunk needed.
# Exit code 1N then means "the source stage failed with exit N", whichever.
case ${BRIDGE_SOURCE:-splunk} in
  splunk) source_cmd=(fetch-uj-records) ;;
  audit)
    if [[ -z "${BRIDGE_AUDIT_LOG:-}" ]]; then
      log "error: BRIDGE_SOURCE=audit needs BRIDGE_AUDIT_LOG (the audit log's path, or - for stdin)"
      exit 2
    fi
    audit_log=$BRIDGE_AUDIT_LOG
    if [[ $audit_log == - ]] && $state_configured; then
      # A backfill runs one chunk after another, each reading the log
      # again: keep standard input in a file so every chunk sees all of it.
      audit_spool=$(mktemp "${TMPDIR:-/tmp}/main-job-audit.XXXXXX") || exit "$(code_for 1 1)"
      trap 'rm -rf "$audit_spool" ${maps_dir:+"$maps_dir"}' EXIT
      cat >"$audit_spool" || exit "$(code_for 1 1)"
      audit_log=$audit_spool
    fi
    source_cmd=(extract-uj-records "$audit_log")
    ;;
  loki) source_cmd=(audit_from_loki) ;;
  *)
    log "error: BRIDGE_SOURCE must be splunk, audit or loki (\`$BRIDGE_SOURCE\`)"
    exit 2
    ;;
esac

# BRIDGE_SOURCE=loki: the source stage is itself two tools. The window is
# applied once, by the store, on each line's time there: consecutive windows
# then neither share nor lose a line, which a second cut by
# extract-uj-records on the event's own time (a little earlier) would break
# at every window edge. A failure of fetch-audit-log is the stage's status
# even when extract-uj-records then rejected something (exit 3): lines may
# be missing, so the watermark must not move.
# shellcheck disable=SC2317 # called through "${source_cmd[@]}"
audit_from_loki() {
  fetch-audit-log | QUERY_EARLIEST_TIME='' QUERY_LATEST_TIME='' extract-uj-records
  local s=("${PIPESTATUS[@]}")
  log "source: fetch-audit-log=${s[0]} extract-uj-records=${s[1]}"
  if ((s[0] != 0)); then return "${s[0]}"; fi
  return "${s[1]}"
}

# Where the ids come from: Splunk's lookups (KV mode) or the map files.
if [[ -n "${SPLUNK_WS_LOOKUP:-}" && -z "${SPLUNK_UID_LOOKUP:-}" ]]; then
  log "error: SPLUNK_WS_LOOKUP needs SPLUNK_UID_LOOKUP (the owner's SSO id comes from the uid lookup)"
  exit 2
fi
if [[ -n "${SPLUNK_UID_LOOKUP:-}" && -n "${SPLUNK_WS_LOOKUP:-}" ]]; then
  if [[ ${BRIDGE_SOURCE:-splunk} != splunk && -z "${UID_MAP_FILE:-}${WS_MAP_FILE:-}" ]]; then
    log "error: KV mode (SPLUNK_UID_LOOKUP, SPLUNK_WS_LOOKUP) needs BRIDGE_SOURCE=splunk: extract-uj-records (audit, loki) runs no lookups, so its rows need UID_MAP_FILE and WS_MAP_FILE"
    exit 2
  fi
  maps_note=
  if [[ "${UID_MAP_FILE:-/dev/null}${WS_MAP_FILE:-/dev/null}" != /dev/null/dev/null ]]; then
    maps_note="; map files fill in what a row lacks"
  fi
  log "ids: looked up in Splunk (lookups $SPLUNK_UID_LOOKUP, $SPLUNK_WS_LOOKUP)$maps_note"
elif [[ -z "${UID_MAP_FILE:-}" || -z "${WS_MAP_FILE:-}" ]]; then
  log "warning: UID_MAP_FILE or WS_MAP_FILE unset and no KV mode (SPLUNK_UID_LOOKUP, SPLUNK_WS_LOOKUP): rows without ids are dropped"
fi


# The stages in pipeline order, with pipefail; their exit codes end up in
# `codes`, and `numbers` holds each one's N of the job's exit code.
stages=("${source_cmd[0]}" splunk-to-segment segment-mass-uploader)
numbers=(1 2 3)
if $pseudonymize; then
  stages=("${source_cmd[0]}" splunk-to-segment pseudonymize segment-mass-uploader)
  numbers=(1 2 6 3)
fi
pipeline() {
  if $heartbeat; then
    : >"$figures"
    export SEGMENT_BRIDGE_FIGURES_FILE=$figures
  fi
  if $pseudonymize; then
    "${source_cmd[@]}" | splunk-to-segment "${s2s_args[@]}" | pseudonymize "${pseudo_args[@]}" |
      segment-mass-uploader "${upload_args[@]}" "$@"
    codes=("${PIPESTATUS[@]}")
  else
    "${source_cmd[@]}" | splunk-to-segment "${s2s_args[@]}" | segment-mass-uploader "${upload_args[@]}" "$@"
    codes=("${PIPESTATUS[@]}")
  fi
  unset SEGMENT_BRIDGE_FIGURES_FILE
  local i line=
  for i in "${!stages[@]}"; do line+=" ${stages[i]}=${codes[i]}"; done
  log "exit codes:$line"
}

# After `pipeline`: `failed` is the job's exit code for the first failed
# stage (0 if none); `result` becomes 3 when a stage rejected records.
result=0
check_stages() {
  failed=0
  local i
  for i in "${!stages[@]}"; do
    case ${codes[i]} in
      0) ;;
      3) if ((result == 0)); then result=3; fi ;;
      *)
        log "${stages[i]} failed (exit ${codes[i]})"
        failed=$(code_for "${numbers[i]}" "${codes[i]}")
        return
        ;;
    esac
  done
}

if ! $state_configured; then
  log "window: ${QUERY_EARLIEST_TIME:-default} .. ${QUERY_LATEST_TIME:-default}"
  if $heartbeat; then
    figures=$(mktemp "${TMPDIR:-/tmp}/main-job-figures.XXXXXX") || exit "$(code_for 2 1)"
    : "${QUERY_EARLIEST_TIME:=-4hours}" "${QUERY_LATEST_TIME:=-0hours}"
  fi
  pipeline
  check_stages
  if ((failed == 0)); then send_heartbeat; fi
  if [[ -n $figures ]]; then rm -f "$figures"; fi
  if ((failed != 0)); then exit "$failed"; fi
  exit "$result"
fi

# With a state: chunk after chunk until the window reaches now. The ledger
# file lives only for this run; the ledger itself is in the state.
work=$(mktemp -d "${TMPDIR:-/tmp}/main-job.XXXXXX") || exit "$(code_for 4 1)"
trap 'rm -rf "$work" ${audit_spool:+"$audit_spool"} ${maps_dir:+"$maps_dir"}' EXIT
ledger=$work/ledger
figures=$work/figures
for ((chunk = 1; ; chunk++)); do
  window=$(bridge-window start --ledger-out "$ledger")
  rc=$?
  if ((rc != 0)); then
    log "bridge-window start failed (exit $rc)"
    exit "$(code_for 4 "$rc")"
  fi
  BRIDGE_MORE=0
  eval "$window"
  export QUERY_EARLIEST_TIME QUERY_LATEST_TIME
  log "window $chunk: $QUERY_EARLIEST_TIME .. $QUERY_LATEST_TIME$( ((BRIDGE_MORE)) && echo ' (more follows)')"
  pipeline --ledger "$ledger"
  check_stages
  if ((failed != 0)); then
    # What Segment accepted stays accepted; the watermark stays.
    bridge-window commit --latest "$QUERY_LATEST_TIME" --ledger "$ledger" --ledger-only ||
      log "recording the ledger failed: the next run sends those events again"
    exit "$failed"
  fi
  bridge-window commit --latest "$QUERY_LATEST_TIME" --ledger "$ledger"
  rc=$?
  if ((rc != 0)); then
    log "bridge-window commit failed (exit $rc)"
    exit "$(code_for 5 "$rc")"
  fi
  send_heartbeat
  if ((BRIDGE_MORE != 1)); then break; fi
done
exit "$result"
