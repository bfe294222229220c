#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers and tools (docs/fuzzing.md): builds
# the libFuzzer harnesses of fuzz/ on the stable toolchain
# (scripts/fuzz-build.sh), seeds each from the repository's fixtures, the
# JSONTestSuite files and fuzz/seeds/, runs them, and prints per harness the
# executions, executions per second and coverage (libFuzzer's `cov:`
# edges and `ft:` features). Findings (crash-*, timeout-*, oom-*, leak-*
# files: the input that failed) go to OUT/HARNESS/; the exit status is 1
# when there is any.
#
#   scripts/fuzz.sh [--time SECONDS | --runs N] [--out DIR] [--corpus DIR]
#                   [--parallel N] [--max-len BYTES] [--no-build | --bins DIR]
#                   [HARNESS...]
#
#   --time SECONDS  run each harness this long (default 60)
#   --runs N        run each harness for N executions instead
#   --out DIR       findings and logs (default fuzz/findings)
#   --corpus DIR    the corpus each harness grows, kept between runs
#                   (default fuzz/corpus; not in git)
#   --parallel N    harnesses run at once (default 1)
#   --max-len BYTES longest input for every harness (default: per harness)
#   --no-build      use the binaries already built
#   --bins DIR      use the harness binaries in DIR (a copy, say, so that a
#                   build can go on while they run)
#   HARNESS         which ones (default all; --list names them)
#
# FUZZ_TMPDIR: where harnesses write temporary files (default /dev/shm
# when it is writable, else TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

all=(json_stream s2s payload intake extract netrc map state splunk_export duration time)
time_s=60
runs=
out=$root/fuzz/findings
corpus=$root/fuzz/corpus
parallel=1
max_len_all=
build=1
bins=
chosen=()
while [ $# -gt 0 ]; do
  case $1 in
    --time) time_s=$2; runs=; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --max-len) max_len_all=$2; shift 2 ;;
    --no-build) build=; shift ;;
    --bins) build=; bins=$(cd "$2" && pwd); shift 2 ;;
    --list) printf '%s\n' "${all[@]}"; exit 0 ;;
    -h | --help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) chosen+=("$1"); shift ;;
  esac
done
[ ${#chosen[@]} -gt 0 ] || chosen=("${all[@]}")
for h in "${chosen[@]}"; do
  [[ " ${all[*]} " == *" $h "* ]] || { echo "fuzz.sh: no harness $h (--list)" >&2; exit 2; }
done
mkdir -p "$out" "$corpus"
out=$(cd "$out" && pwd)
corpus=$(cd "$corpus" && pwd)

if [ -n "$build" ]; then
  bins=$(scripts/fuzz-build.sh)
elif [ -z "$bins" ]; then
  bins=$root/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release
fi

# Seeds: some harnesses read their first bytes as settings (input format,
# body limit, "now"), so the seed files get those bytes in front.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
suite=(fixtures/jsontestsuite/test_parsing/*.json)
s2s=fixtures/s2s/sample
# One python3 for all the copies (a process per file is slow on a busy
# machine). PREFIX is a printf-style string of \xNN bytes.
seed() { # HARNESS PREFIX FILE...
  python3 - "$seeds" "$@" <<'PY'
import os, re, sys
seeds, harness, prefix, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
head = bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-fA-F]{2})", prefix))
os.makedirs(os.path.join(seeds, harness), exist_ok=True)
tag = head.hex()
for f in files:
    with open(f, "rb") as src:
        data = head + src.read()
    with open(os.path.join(seeds, harness, tag + "-" + os.path.basename(f)), "wb") as dst:
        dst.write(data)
PY
}
json=("${suite[@]}" "$s2s"/*.json* fixtures/payload/sample/*.json*)
for h in "${chosen[@]}"; do
  case $h in
    json_stream | payload) seed "$h" '' "${json[@]}" fuzz/seeds/extract/* ;;
    s2s)
      for p in '\x00' '\x01' '\x02' '\x03' '\x04'; do
        seed s2s "$p" "$s2s/input.jsonl" fuzz/seeds/s2s/*
      done
      seed s2s '\x01' "${suite[@]}" ;;
    intake)
      seed intake '\xff\xff' "${json[@]}"
      seed intake '\x00\x04' "$s2s/expected.jsonl" fixtures/payload/sample/input.jsonl ;;
    extract)
      seed extract '\x00' fuzz/seeds/extract/*
      seed extract '\x01' fuzz/seeds/extract/* "${suite[@]}" ;;
    netrc) seed netrc '' fuzz/seeds/netrc/* ;;
    map) seed map '' "${json[@]}" ;;
    state) seed state '' fuzz/seeds/state/* ;;
    splunk_export)
      seed splunk_export '' fuzz/seeds/splunk_export/*
      seed splunk_export '\x02' "$s2s/input.jsonl" crates/extract-uj-records/tests/fixtures/*.jsonl ;;
    duration) seed duration '' fuzz/seeds/duration/* ;;
    time) seed time '' fuzz/seeds/time/* ;;
  esac
done

# The inputs of past findings (fuzz/regressions/HARNESS/) run first.
for h in "${chosen[@]}"; do
  regressions=(fuzz/regressions/"$h"/*)
  [ ! -e "${regressions[0]}" ] || seed "$h" '' "${regressions[@]}"
done

# Per harness: the longest input, and the dictionary.
max_len() {
  [ -z "$max_len_all" ] || { echo "$max_len_all"; return; }
  case $1 in
    duration | time) echo 256 ;;
    netrc | state) echo 8192 ;;
    *) echo 65536 ;;
  esac
}
dict() {
  case $1 in
    netrc) echo fuzz/dict/netrc.dict ;;
    duration | time) echo fuzz/dict/time.dict ;;
    *) echo fuzz/dict/json.dict ;;
  esac
}

# The s2s harness writes its rejects file once per execution: on a disk
# file system (ext4 flushes a truncated file on close) that is a wait per
# execution, so temporary files go to memory where there is a tmpfs.
if [ -z "${FUZZ_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  FUZZ_TMPDIR=/dev/shm
fi
[ -z "${FUZZ_TMPDIR:-}" ] || export TMPDIR=$FUZZ_TMPDIR

run_one() {
  local h=$1 budget
  if [ -n "$runs" ]; then budget=-runs=$runs; else budget=-max_total_time=$time_s; fi
  mkdir -p "$corpus/$h" "$out/$h"
  # -rss_limit_mb: a memory blow-up is a finding; -timeout: so is one input
  # taking 10 s; -max_len keeps the inputs to sizes that run fast.
  "$bins/$h" "$budget" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -max_len="$(max_len "$h")" -dict="$(dict "$h")" -artifact_prefix="$out/$h/" \
    "$corpus/$h" "$seeds/$h" >"$out/$h.log" 2>&1 || true
}

running=0
for h in "${chosen[@]}"; do
  run_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-14s %14s %10s %8s %8s %8s %s\n' harness executions exec/s cov ft corpus findings
for h in "${chosen[@]}"; do
  log=$out/$h.log
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  field() { sed -n "s/.* $1: \([0-9]*\).*/\1/p" <<<"$last"; }
  found=$(find "$out/$h" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  printf '%-14s %14s %10s %8s %8s %8s %s\n' "$h" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$(field cov)" "$(field ft)" "$(field corp)" "$found"
  if [ "$found" -gt 0 ] || ! grep -q '^stat::number_of_executed_units' "$log"; then
    status=1
    echo "  $h: see $log and $out/$h/" >&2
  fi
done
exit $status
