#!/usr/bin/env bash
# Fuzzing, as far as a CI run affords (docs/fuzzing.md):
# 1. splunk-to-segment's property tests with more cases than `cargo test`
#    runs (agreement with the serde_json::Value reference; output
#    independent of input chunking and threads): properties the fuzz
#    harnesses don't check.
# 2. A 30-second smoke of every libFuzzer harness (scripts/fuzz.sh), two at
#    a time on the machine's two cores, after building them with the
#    sanitizer-coverage flags on stable. Any finding fails the step; its
#    input is in the findings folder the script names.
# libFuzzer is built by libfuzzer-sys with the system C++ compiler: g++ is
# installed with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

cases=${S2S_PROP_CASES:-4000}
start=$SECONDS
# Built first: the time limit is for the cases, not for compiling (building
# one crate's tests alone unifies features differently from the workspace,
# so it rebuilds some dependencies).
cargo test -p splunk-to-segment --locked --test it --no-run
PROPTEST_CASES=$cases timeout 170 \
  cargo test -p splunk-to-segment --locked --test it -- prop:: --test-threads 2
echo "20-fuzz: $cases cases per property in $((SECONDS - start))s"

if ! command -v c++ >/dev/null; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends g++ >/dev/null
fi

start=$SECONDS
scripts/fuzz-build.sh >/dev/null
echo "20-fuzz: harnesses built in $((SECONDS - start))s"
start=$SECONDS
scripts/fuzz.sh --no-build --time "${FUZZ_SECONDS:-30}" --parallel 2 \
  --out "${FUZZ_OUT:-fuzz/findings}"
echo "20-fuzz: smoke of every harness in $((SECONDS - start))s"
