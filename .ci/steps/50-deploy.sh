#!/usr/bin/env bash
# deploy/: render every kustomization and validate each object against the
# Kubernetes API schemas (strict: unknown fields fail); check that the
# PrometheusRule is the plain rules file (one source of truth) and run
# `promtool check rules` and `promtool test rules` on it.
#
# kubernetes-validate has no schema for CRDs: it would only warn and pass, so
# any "Couldn't find schema" here fails the step, and the one CRD we ship
# (the PrometheusRule) is checked instead by comparing its spec with the
# rules file that promtool checks and tests.
set -euo pipefail
cd "$(dirname "$0")/../.."

k8s_version=1.30.0 # OpenShift 4.17

# The kustomizations use `components` and `labels` (kustomize v4.1+); the
# kubectl of Debian 12's kubernetes-client (1.20) embeds kustomize v2.
kustomize_version=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
if [[ -z "$kustomize_version" || "$kustomize_version" -lt 4 ]]; then
  echo "50-deploy: kubectl's kustomize is too old (need v4.1+): $(kubectl version --client 2>&1 | tr '\n' ' ')" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

overlays=(deploy/base deploy/overlays/kubernetes deploy/overlays/host-cluster deploy/overlays/member-cluster)
for dir in "${overlays[@]}"; do
  name=${dir//\//-}
  kubectl kustomize "$dir" >"$out/$name.yaml"
  objects=$(grep -c '^kind:' "$out/$name.yaml")
  if ! kubernetes-validate --strict --quiet -k "$k8s_version" "$out/$name.yaml" >"$out/$name.log" 2>&1; then
    cat "$out/$name.log"
    echo "50-deploy: $dir does not validate" >&2
    exit 1
  fi
  if grep -q "Couldn't find schema" "$out/$name.log"; then
    cat "$out/$name.log"
    echo "50-deploy: $dir has objects without a schema" >&2
    exit 1
  fi
  echo "$dir: $objects objects valid (Kubernetes $k8s_version, strict)"
done

# Admission: every rendered pod spec. The base is what OpenShift gets
# (restricted-v2 SCC, and Pod Security `restricted`); the plain-Kubernetes
# overlay sets fixed ids, so it must pass `restricted` and be refused by
# restricted-v2; and the refused.yaml sample shows each rule firing.
python3 .ci/policy-check.py --profile restricted-v2 "$out/deploy-base.yaml"
for dir in "${overlays[@]}"; do
  python3 .ci/policy-check.py --profile restricted "$out/${dir//\//-}.yaml"
done
for sample in "$out/deploy-overlays-kubernetes.yaml" .ci/policy/refused.yaml; do
  if python3 .ci/policy-check.py --profile restricted-v2 "$sample" >"$out/refused.log"; then
    echo "50-deploy: policy-check admitted $sample under restricted-v2" >&2
    exit 1
  fi
  grep -q "runAsUser is fixed" "$out/refused.log"
done
refusals=$(wc -l <"$out/refused.log")
[[ $refusals -ge 15 ]] || { cat "$out/refused.log"; echo "50-deploy: refused.yaml: $refusals refusals, expected 15" >&2; exit 1; }
echo "policy-check: refused.yaml refused on $refusals rules"

# Jobs that fail sensibly and pods that can be found: every CronJob runs in
# UTC with a podFailurePolicy (which needs restartPolicy Never) that fails
# the Job at once on exit codes no rerun fixes, and its pods carry the
# app.kubernetes.io labels, the version matching the crates' and the image
# tag.
python3 .ci/checks/cronjobs.py "$out/deploy-base.yaml"

scripts/gen-prometheusrule.sh --check
python3 .ci/checks/prometheusrule.py
# Every alert links a runbook that exists in docs/runbooks/, under the base
# an overlay sets (deploy/overlays/alerts), and the promtool tests see each
# alert both firing and not firing.
python3 .ci/checks/runbooks.py
promtool check rules deploy/prometheus/segment-bridge.rules.yaml
(cd deploy/prometheus && promtool test rules rules.test.yaml)

# The image and the manifests agree: every command a CronJob runs is a
# driver script the Containerfile installs into bin/ (/usr/local/bin), and
# each exists, executable.
copied=$(grep -o 'scripts/[a-z0-9-]*-job\.sh' deploy/Containerfile | sed 's|^scripts/||' | sort -u)
for cmd in $(kubectl kustomize deploy/base | sed -n 's|.*- /usr/local/bin/\([^ ]*\)$|\1|p; s|.*command: \["/usr/local/bin/\([^"]*\)"\].*|\1|p' | sort -u); do
  grep -qx "$cmd" <<<"$copied" || { echo "50-deploy: CronJob runs $cmd, which deploy/Containerfile does not copy" >&2; exit 1; }
  [[ -x scripts/$cmd ]] || { echo "50-deploy: scripts/$cmd missing or not executable" >&2; exit 1; }
  echo "image runs scripts/$cmd"
done
