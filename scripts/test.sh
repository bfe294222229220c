#!/usr/bin/env bash
# The project's test command (README, .ci/run): makes sure the system tools
# the tests and CI checks use are there, then runs `cargo test --workspace`.
#
#   scripts/test.sh [--check | --no-install] [CARGO TEST ARGS...]
#
# Tools: prometheus-pushgateway (metrics tests start a real one), promtool
# (alert rule tests), kubectl (a map-maker test reads the Kubernetes
# stand-in with it; kustomize), curl, jq 1.6 (the original's jq, for the
# benchmarks), shellcheck, python3 with PyYAML and kubernetes-validate
# (manifest checks). A missing tool is installed with apt-get (PyPI's pip
# for kubernetes-validate) when this runs as root or with password-less
# sudo; otherwise the script prints one line per missing tool saying how to
# get it, and stops (exit 1) before building anything.
#
#   --check       only report what is missing and what would be installed
#                 (exit 1 if anything is); installs nothing, runs no tests
#   --no-install  never install; stop if anything is missing
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

mode=install
case ${1:-} in
  --check) mode=check; shift ;;
  --no-install) mode=never; shift ;;
esac

KUBERNETES_VALIDATE_VERSION=1.37.0

# tool|how to tell it is there|Debian package(s)|how to get it by hand
tools=(
  "prometheus-pushgateway|command -v prometheus-pushgateway|prometheus-pushgateway|apt-get install prometheus-pushgateway (Debian/Ubuntu), or a release binary of prometheus/pushgateway on PATH"
  "promtool|command -v promtool|prometheus|apt-get install prometheus (it ships promtool), or a Prometheus release's promtool on PATH"
  "kubectl|kubectl_ok|kubectl kubernetes-client|apt-get install kubectl (kustomize v4.1+ needed: kubectl 1.21 or later)"
  "curl|command -v curl|curl|apt-get install curl"
  "jq 1.6|jq_ok|jq|apt-get install jq (Debian 12 ships 1.6; elsewhere the jq-1.6 release binary as jq on PATH)"
  "shellcheck|command -v shellcheck|shellcheck|apt-get install shellcheck"
  "python3 with PyYAML|python3 -c 'import yaml'|python3 python3-yaml|apt-get install python3 python3-yaml"
  "kubernetes-validate|kubernetes_validate_ok|pip:kubernetes-validate==$KUBERNETES_VALIDATE_VERSION|python3 -m pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
)

kubectl_ok() {
  command -v kubectl >/dev/null || return 1
  local v
  v=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
  [[ -n "$v" && "$v" -ge 4 ]]
}
jq_ok() { [[ "$(jq --version 2>/dev/null)" == jq-1.6 ]]; }
kubernetes_validate_ok() {
  [[ "$(kubernetes-validate --version 2>/dev/null)" == "$KUBERNETES_VALIDATE_VERSION" ]]
}

present() { eval "$1" >/dev/null 2>&1; }

# Who may install: root, or password-less sudo, and apt-get present.
installer=()
if [[ $(id -u) == 0 ]]; then
  installer=(env)
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  installer=(sudo)
fi
can_install() { [[ $mode == install && ${#installer[@]} -gt 0 ]] && command -v apt-get >/dev/null; }

missing=()
for t in "${tools[@]}"; do
  IFS='|' read -r name check _ _ <<<"$t"
  present "$check" || missing+=("$t")
done

if ((${#missing[@]})) && [[ $mode == check ]]; then
  for t in "${missing[@]}"; do
    IFS='|' read -r name _ pkgs _ <<<"$t"
    echo "test.sh: missing $name: would install ${pkgs%% *}"
  done
  exit 1
elif [[ $mode == check ]]; then
  echo "test.sh: every tool the tests use is present"
  exit 0
fi

if ((${#missing[@]})) && can_install; then
  export DEBIAN_FRONTEND=noninteractive
  "${installer[@]}" apt-get update -qq
  for t in "${missing[@]}"; do
    IFS='|' read -r name check pkgs _ <<<"$t"
    for pkg in $pkgs; do
      if [[ $pkg == pip:* ]]; then
        command -v pip3 >/dev/null || python3 -m pip --version >/dev/null 2>&1 ||
          "${installer[@]}" apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
        # Debian's python3 refuses system-wide pip installs unless told.
        "${installer[@]}" python3 -m pip install --quiet --disable-pip-version-check \
          --break-system-packages "${pkg#pip:}" 2>/dev/null ||
          "${installer[@]}" python3 -m pip install --quiet --disable-pip-version-check "${pkg#pip:}" || true
      else
        "${installer[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 || true
      fi
      present "$check" && break
    done
    if present "$check"; then
      echo "test.sh: installed $name"
    fi
  done
  still=()
  for t in "${missing[@]}"; do
    IFS='|' read -r name check _ _ <<<"$t"
    present "$check" || still+=("$t")
  done
  missing=("${still[@]+"${still[@]}"}")
fi

if ((${#missing[@]})); then
  if [[ $mode == never ]]; then
    why="--no-install"
  elif ! command -v apt-get >/dev/null; then
    why="no apt-get"
  elif ((${#installer[@]} == 0)); then
    why="not root and no password-less sudo"
  else
    why="apt-get could not install it"
  fi
  for t in "${missing[@]}"; do
    IFS='|' read -r name _ _ how <<<"$t"
    echo "test.sh: missing $name ($why): $how" >&2
  done
  exit 1
fi

exec cargo test --workspace "$@"
