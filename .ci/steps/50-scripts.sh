#!/usr/bin/env bash
# Runs shellcheck on every shell script of the project (drivers, CI, demo).
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files -- '*.sh' .ci/run)
shellcheck --severity=style "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
