#!/usr/bin/env bash
# kubectl, for the test that reads the Kubernetes stand-in with the real
# client (crates/get-uid-map/tests/cli.rs) and for `kubectl kustomize`.
# Debian 12 ships it in kubernetes-client; later releases also as kubectl.
# Idempotent and quick: nothing to do when kubectl is on PATH.
set -euo pipefail
if ! command -v kubectl >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null 2>&1 ||
    apt-get install -y -qq --no-install-recommends kubectl >/dev/null
fi
kubectl version --client 2>/dev/null | head -1
