#!/usr/bin/env bash
# Benchmark of the lookup maps at a large tenant's size (docs/tools/
# splunk-to-segment.md, "Map files of a million entries"; docs/tools/
# get-uid-map.md, "Publishing in ConfigMaps").
# Not a test: it prints figures (machines here are noisy; run it twice).
#
#   1. generates a uid map of USERS entries and a workspace map of
#      NAMESPACES entries (default 1,000,000 each), shaped as the map makers
#      write them;
#   2. runs splunk-to-segment on them with no input rows, RUNS times: the
#      time and peak RSS are what loading the maps costs (a run with empty
#      maps is printed beside it, for the process's own floor);
#   3. serves KUBE_USERS UserSignups from a kube-standin and runs get-uid-map
#      on them (paged), printing its time, peak RSS, the map's size and the
#      budget "twice the map plus 30 MB" (the stand-in answers a page from
#      its continue token, so 1,000,000 takes minutes, mostly the stand-in
#      loading and serialising its objects);
#   4. publishes that map with --configmap to the stand-in (generation
#      shards) and reads it back with --published, checking it is the same.
#
# Env: USERS, NAMESPACES, KUBE_USERS (1000000), RUNS (3),
# SKIP_KUBE=1 skips 3-4,
# BENCH_DIR (a temporary directory, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${USERS:-1000000}
NAMESPACES=${NAMESPACES:-1000000}
RUNS=${RUNS:-3}
KUBE_USERS=${KUBE_USERS:-1000000}
if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
fi
standin_pid=
cleanup() {
  if [ -n "$standin_pid" ]; then kill "$standin_pid" 2>/dev/null || true; fi
  if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

[ -x /usr/bin/time ] || { echo "maps bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "maps bench: needs python3" >&2; exit 2; }

cargo build --release --quiet -p splunk-to-segment -p get-uid-map -p standins \
  --bin splunk-to-segment --bin get-uid-map --bin kube-standin
bin=target/release

# 1. The maps: usernames as compliantUsername makes them, numeric SSO ids
#    (numbers in the map), namespaces `<user>-dev` / `-stage` owned by users.
python3 - "$work" "$USERS" "$NAMESPACES" <<'EOF'
import sys
work, users, namespaces = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f"{work}/uid-map.json", "w") as f:
    f.write("{" + ",".join(f'"user{i:07d}-rh":{51000000 + i * 7}' for i in range(users)) + "}\n")
with open(f"{work}/ws-map.json", "w") as f:
    f.write("{" + ",".join(
        f'"user{i // 2:07d}-rh-{"dev" if i % 2 == 0 else "stage"}":"user{i // 2:07d}-rh"'
        for i in range(namespaces)) + "}\n")
EOF
printf '{}\n' >"$work/empty.json"
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "uid map: $USERS entries, $(mb "$(stat -c %s "$work/uid-map.json")"); workspace map: $NAMESPACES entries, $(mb "$(stat -c %s "$work/ws-map.json")")"

# Runs "$@" under /usr/bin/time -v, its stdout to $OUT (default
# /dev/null); prints "WALL_SECONDS MAX_RSS_KB CPU_SECONDS" (user + system:
# on a loaded machine the wall time is mostly waiting for a core).
measure() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >"${OUT:-/dev/null}" 2>"$work/stderr.txt" || {
    echo "maps bench: failed: $*" >&2
    cat "$work/stderr.txt" >&2
    exit 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
    /Maximum resident set size/ { rss = $2 }
    /User time \(seconds\)|System time \(seconds\)/ { cpu += $2 }
    END { printf "%.3f %d %.3f\n", s, rss, cpu }' "$work/time.txt"
}

# 2. Loading the maps: best wall time of RUNS, and its peak RSS.
best() { # label args...
  local label=$1 best_s='' best_rss='' best_cpu=''
  shift
  for _ in $(seq "$RUNS"); do
    read -r s rss cpu < <(measure "$@")
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
      best_s=$s
      best_rss=$rss
      best_cpu=$cpu
    fi
  done
  printf '%-34s %6.3f s wall, %6.3f s CPU   peak RSS %6.1f MB\n' "$label" "$best_s" "$best_cpu" "$(awk -v k="$best_rss" 'BEGIN { print k * 1024 / 1e6 }')"
}
printf 'load average: %s (2 cores here: the wall time is mostly waiting when it is high)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
best "splunk-to-segment, empty maps:" "$bin/splunk-to-segment" --uid-map "$work/empty.json" --ws-map "$work/empty.json" </dev/null
best "splunk-to-segment, the two maps:" "$bin/splunk-to-segment" --uid-map "$work/uid-map.json" --ws-map "$work/ws-map.json" </dev/null

[ "${SKIP_KUBE:-}" = 1 ] && exit 0

# 3. get-uid-map on KUBE_USERS UserSignups, paged (500 a page), from a
#    stand-in; the map it must give.
python3 - "$work" "$KUBE_USERS" <<'EOF'
import json, sys
work, users = sys.argv[1], int(sys.argv[2])
with open(f"{work}/uid-map-kube.json", "w") as f:
    f.write("{" + ",".join(f'"user{i:07d}-rh":{51000000 + i * 7}' for i in range(users)) + "}\n")
with open(f"{work}/usersignups.jsonl", "w") as f:
    for i in range(users):
        f.write(json.dumps({
            "apiVersion": "toolchain.dev.openshift.com/v1alpha1", "kind": "UserSignup",
            "metadata": {"name": f"user{i:07d}", "namespace": "toolchain-host-operator",
                         "annotations": {"toolchain.dev.openshift.com/sso-user-id": str(51000000 + i * 7)}},
            "spec": {"identityClaims": {"preferredUsername": f"user{i:07d}@redhat.com"}},
            "status": {"compliantUsername": f"user{i:07d}-rh"},
        }, separators=(",", ":")) + "\n")
EOF
printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bridge"}}\n' >"$work/ns.json"
"$bin/kube-standin" --fixtures "$work/usersignups.jsonl" --fixtures "$work/ns.json" \
  --kubeconfig "$work/kubeconfig" --namespace bridge >"$work/standin.out" 2>"$work/standin.err" &
standin_pid=$!
for _ in $(seq 600); do
  [ -s "$work/kubeconfig" ] && grep -q http "$work/standin.out" 2>/dev/null && break
  sleep 0.5
done
export KUBECONFIG=$work/kubeconfig
read -r s rss _ < <(OUT=$work/from-cluster.json measure "$bin/get-uid-map")
size=$(stat -c %s "$work/from-cluster.json")
cmp -s "$work/from-cluster.json" "$work/uid-map-kube.json" || { echo "maps bench: get-uid-map's map differs from the generated one" >&2; exit 1; }
printf 'get-uid-map, %d UserSignups:     %6.3f s   peak RSS %6.1f MB (map %s; budget 2 x map + 30 MB = %s)\n' \
  "$KUBE_USERS" "$s" "$(awk -v k="$rss" 'BEGIN { print k * 1024 / 1e6 }')" "$(mb "$size")" "$(mb $((2 * size + 30000000)))"

# 4. Published as shards of one generation, read back whole.
read -r s rss _ < <(measure "$bin/get-uid-map" --configmap uid-map)
printf 'get-uid-map --configmap:          %6.3f s   peak RSS %6.1f MB\n' "$s" "$(awk -v k="$rss" 'BEGIN { print k * 1024 / 1e6 }')"
read -r s rss _ < <(OUT=$work/published.json measure "$bin/get-uid-map" --configmap uid-map --published)
cmp -s "$work/published.json" "$work/uid-map-kube.json" || { echo "maps bench: the published map differs" >&2; exit 1; }
printf 'get-uid-map --published:          %6.3f s   peak RSS %6.1f MB\n' "$s" "$(awk -v k="$rss" 'BEGIN { print k * 1024 / 1e6 }')"
