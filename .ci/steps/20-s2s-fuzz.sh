#!/usr/bin/env bash
# splunk-to-segment: a longer run of its fuzz harness (arbitrary bytes and
# mutated rows through the line parser, the transform and every input
# format: no panic, counts add up, output well-formed) and of its property
# tests (agreement with the serde_json::Value reference; output independent
# of input chunking and threads). cargo fuzz needs nightly, which CI lacks;
# these are proptest-driven. Budget: well under two minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

cases=${S2S_FUZZ_CASES:-4000}
start=$SECONDS
PROPTEST_CASES=$cases timeout 170 \
  cargo test -p splunk-to-segment --locked --test it -- fuzz:: prop:: --test-threads 2
echo "20-s2s-fuzz: $cases cases per property in $((SECONDS - start))s"
