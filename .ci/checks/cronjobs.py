"""Jobs that fail sensibly and pods that can be found: every CronJob of the
rendered base (argument: the `kubectl kustomize deploy/base` output) runs in
UTC with a podFailurePolicy (which needs restartPolicy Never) that fails the
Job at once on exit codes no rerun fixes, and its pods carry the
app.kubernetes.io labels, the version matching the crates' and the image tag.
Run from the repository root (.ci/steps/50-deploy.sh).
"""
import re, sys, yaml
version = re.search(r'^version = "([^"]+)"', open("Cargo.toml").read(), re.M).group(1)
cronjobs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o and o["kind"] == "CronJob"]
assert len(cronjobs) == 4, len(cronjobs)
for cj in cronjobs:
    name = cj["metadata"]["name"]
    assert cj["spec"].get("timeZone") == "Etc/UTC", name
    job = cj["spec"]["jobTemplate"]["spec"]
    pod = job["template"]
    assert pod["spec"]["restartPolicy"] == "Never", name
    rules = job["podFailurePolicy"]["rules"]
    fail = [r for r in rules if r["action"] == "FailJob"]
    assert fail and {2, 12} & set(fail[0]["onExitCodes"]["values"]), name
    labels = pod["metadata"]["labels"]
    for k in ("name", "part-of", "component", "version"):
        assert f"app.kubernetes.io/{k}" in labels, (name, k)
    assert labels["app.kubernetes.io/name"] == "segment-bridge", name
    assert labels["app.kubernetes.io/version"] == version, (name, labels, version)
    image = pod["spec"]["containers"][0]["image"]
    assert image.endswith(":" + version), (name, image, version)
print(f"{len(cronjobs)} CronJobs: UTC, podFailurePolicy, pod labels, version {version}")
