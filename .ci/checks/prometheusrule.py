"""The PrometheusRule is the plain rules file (one source of truth): its spec
equals deploy/prometheus/segment-bridge.rules.yaml. Run from the repository
root (.ci/steps/50-deploy.sh).
"""
import yaml
rule = yaml.safe_load(open("deploy/prometheus/prometheusrule.yaml"))
plain = yaml.safe_load(open("deploy/prometheus/segment-bridge.rules.yaml"))
assert rule["apiVersion"] == "monitoring.coreos.com/v1", rule["apiVersion"]
assert rule["kind"] == "PrometheusRule", rule["kind"]
assert rule["metadata"]["name"], "PrometheusRule without a name"
assert set(rule) == {"apiVersion", "kind", "metadata", "spec"}, set(rule)
assert rule["spec"] == plain, "PrometheusRule spec differs from the rules file"
print("deploy/prometheus/prometheusrule.yaml: spec equals segment-bridge.rules.yaml")
