#!/usr/bin/env bash
# Import cycles between the modules of each crate and between crates, and
# the light crates (core, json) linking no HTTP/TLS stack:
# scripts/dev/module-cycles.py, after its self-test. Cycles listed in its
# KNOWN table are reported without failing (another change removes them).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/dev/module-cycles.py --self-test
python3 scripts/dev/module-cycles.py
