"""Every alert links a runbook that exists in docs/runbooks/, the promtool
tests see each alert both firing and not firing, and the runbook links follow
the base an overlay sets: deploy/overlays/alerts is rendered with a base of
its own and then with another one (a copy of the overlay whose setting is
changed), and every runbook_url must start with the base that was set.
Run from the repository root (.ci/steps/50-deploy.sh).
"""
import os
import shutil
import subprocess
import tempfile

import yaml

MARK = "/docs/runbooks/"


def runbook_urls(rule):
    """(alert name, runbook_url) of every alert of a rules spec."""
    for g in rule["groups"]:
        for r in g["rules"]:
            if r.get("alert"):
                yield r["alert"], r["annotations"].get("runbook_url", "")


def rendered(overlay):
    """The PrometheusRule's spec that `kubectl kustomize overlay` renders."""
    out = subprocess.run(["kubectl", "kustomize", overlay], check=True,
                         capture_output=True, text=True).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["PrometheusRule"], f"{overlay} renders {kinds}"
    return docs[0]["spec"]


def base_of(overlay):
    text = open(os.path.join(overlay, "kustomization.yaml")).read()
    return text.split("runbookBase=", 1)[1].split()[0]


rules = yaml.safe_load(open("deploy/prometheus/segment-bridge.rules.yaml"))
tests = yaml.safe_load(open("deploy/prometheus/rules.test.yaml"))
seen = {}
for t in tests["tests"]:
    for a in t.get("alert_rule_test", []):
        seen.setdefault(a["alertname"], set()).add(bool(a.get("exp_alerts")))
for name, url in runbook_urls(rules):
    assert MARK in url, f"{name}: runbook_url {url!r} has no {MARK}"
    path = "docs/runbooks/" + url.split(MARK, 1)[1]
    assert os.path.isfile(path), f"{name}: {path} missing"
    assert seen.get(name) == {True, False}, f"{name}: tested firing/not firing: {seen.get(name)}"
    print(f"{name}: runbook {path}; tested firing and not firing")

overlay = "deploy/overlays/alerts"
with tempfile.TemporaryDirectory() as tmp:
    other = os.path.join(tmp, "deploy")
    shutil.copytree("deploy", other)
    copy = os.path.join(other, "overlays", "alerts")
    kfile = os.path.join(copy, "kustomization.yaml")
    text = open(kfile).read().replace(base_of(overlay), "https://docs.test.invalid/sb/v9")
    open(kfile, "w").write(text)
    for where in (overlay, copy):
        base = base_of(where)
        spec = rendered(where)
        for name, url in runbook_urls(spec):
            want = base + MARK
            assert url.startswith(want), f"{where}: {name}: {url!r} is not under {want!r}"
        print(f"{where}: every runbook_url under {base}")
