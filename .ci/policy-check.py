#!/usr/bin/env python3
"""Checks every pod spec in rendered manifests against admission rules.

    policy-check.py [--profile restricted-v2|restricted] FILE...

Profiles (no cluster runs in CI, so the rules are written out here):

- `restricted` — Kubernetes Pod Security Standards, level `restricted`
  (which includes `baseline`).
- `restricted-v2` — OpenShift's default SCC for ordinary service accounts:
  the `restricted` rules, plus no fixed runAsUser / runAsGroup / fsGroup /
  supplementalGroups (OpenShift assigns them from the namespace's range and
  refuses values outside it; a manifest cannot know the range), seccomp
  `RuntimeDefault`, and only `NET_BIND_SERVICE` may be added back.

Pod specs are found in Pods, Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs and CronJobs. Prints one line per violation naming the
object, container and field; exits 1 on any violation, 0 otherwise.
"""
import sys

import yaml

VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def pod_spec(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}:
        return (spec.get("template") or {}).get("spec")
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    return None


def containers(spec):
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            yield key, c


def check(spec, profile):
    """Yields (where, problem) for every rule the pod spec breaks."""
    psc = spec.get("securityContext") or {}
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            yield "spec", f"{host} must not be true"
    for v in spec.get("volumes") or []:
        kinds = set(v) - {"name"}
        bad = kinds - VOLUME_TYPES
        if bad:
            yield f"volume {v.get('name')}", f"volume type {sorted(bad)} is not allowed"
    if psc.get("sysctls"):
        yield "spec.securityContext", "sysctls are not allowed"
    if profile == "restricted-v2":
        for field in ("runAsUser", "runAsGroup", "fsGroup", "supplementalGroups"):
            if field in psc:
                yield "spec.securityContext", f"{field} is fixed ({psc[field]}): OpenShift assigns it from the namespace's range"
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    pod_nonroot = psc.get("runAsNonRoot")
    if psc.get("runAsUser") == 0:
        yield "spec.securityContext", "runAsUser must not be 0"
    yield from check_selinux("spec.securityContext", psc)
    for key, c in containers(spec):
        where = f"{key}[{c.get('name')}]"
        yield from check_container(where, c, pod_seccomp, pod_nonroot, profile)


def check_selinux(where, sc):
    se = sc.get("seLinuxOptions") or {}
    if se.get("type", "") not in SELINUX_TYPES:
        yield where, f"seLinuxOptions.type {se.get('type')!r} is not allowed"
    for f in ("user", "role"):
        if se.get(f):
            yield where, f"seLinuxOptions.{f} must not be set"


def check_container(where, c, pod_seccomp, pod_nonroot, profile):
    sc = c.get("securityContext") or {}
    if sc.get("privileged"):
        yield where, "privileged must not be true"
    if sc.get("allowPrivilegeEscalation") is not False:
        yield where, "allowPrivilegeEscalation must be false"
    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        yield where, "capabilities.drop must include ALL"
    added = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
    if added:
        yield where, f"capabilities.add {sorted(added)} is not allowed"
    seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
    allowed = {"RuntimeDefault"} if profile == "restricted-v2" else {"RuntimeDefault", "Localhost"}
    if seccomp not in allowed:
        yield where, f"seccompProfile.type must be one of {sorted(allowed)} (is {seccomp!r})"
    nonroot = sc.get("runAsNonRoot", pod_nonroot)
    if nonroot is not True:
        yield where, "runAsNonRoot must be true"
    if sc.get("runAsUser") == 0:
        yield where, "runAsUser must not be 0"
    if profile == "restricted-v2":
        for field in ("runAsUser", "runAsGroup"):
            if field in sc:
                yield where, f"{field} is fixed ({sc[field]}): OpenShift assigns it"
    if sc.get("procMount", "Default") != "Default":
        yield where, "procMount must be Default"
    if (sc.get("windowsOptions") or {}).get("hostProcess"):
        yield where, "windowsOptions.hostProcess must not be true"
    for p in c.get("ports") or []:
        if p.get("hostPort"):
            yield where, f"hostPort {p['hostPort']} is not allowed"
    yield from check_selinux(where, sc)


def main(argv):
    profile = "restricted-v2"
    files = []
    args = iter(argv)
    for a in args:
        if a == "--profile":
            profile = next(args, "")
        else:
            files.append(a)
    if profile not in {"restricted", "restricted-v2"} or not files:
        print("usage: policy-check.py [--profile restricted-v2|restricted] FILE...", file=sys.stderr)
        return 2
    problems = 0
    pods = 0
    for f in files:
        with open(f) as fh:
            for obj in yaml.safe_load_all(fh):
                if not obj:
                    continue
                spec = pod_spec(obj)
                if spec is None:
                    continue
                pods += 1
                name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
                for where, problem in check(spec, profile):
                    problems += 1
                    print(f"policy-check: {f}: {name}: {where}: {problem} ({profile})")
    if problems:
        return 1
    print(f"policy-check: {pods} pod specs in {len(files)} files admissible under {profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
