#!/usr/bin/env bash
# Installs shellcheck, for the driver scripts (.ci/steps/50-scripts.sh). Idempotent.
set -euo pipefail
if ! command -v shellcheck >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
shellcheck --version | sed -n 2p
