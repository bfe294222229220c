#!/usr/bin/env bash
# The real Prometheus tools the monitoring tests use: prometheus-pushgateway
# (started by the metrics tests on a loopback port) and promtool (from the
# prometheus package: `promtool check rules` / `promtool test rules`).
# Idempotent: installs only what is missing.
set -euo pipefail
missing=()
command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
command -v promtool >/dev/null || missing+=(prometheus)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
prometheus-pushgateway --version 2>&1 | head -1
promtool --version 2>&1 | head -1
