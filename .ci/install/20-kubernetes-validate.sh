#!/usr/bin/env bash
# Manifest validation (.ci/steps/50-deploy.sh): kubectl for `kubectl
# kustomize` (on the machine image; Debian's kubectl package otherwise) and
# kubernetes-validate from PyPI (offline JSON schemas of the Kubernetes API).
# Idempotent.
set -euo pipefail
if ! kubectl kustomize --help >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends kubectl >/dev/null
fi
version=1.37.0
if [[ "$(kubernetes-validate --version 2>/dev/null)" != "$version" ]]; then
  python3 -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$version"
fi
kubectl version --client 2>/dev/null | head -2
kubernetes-validate --version
