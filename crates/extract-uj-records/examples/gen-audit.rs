//! Writes a synthetic Kubernetes audit log to stdout, for the benchmark
//! (`scripts/bench/extract.sh`) and the demo's sample (`scripts/demo/`).
//!
//! `gen-audit LINES SIGNAL_PER_MILLE [SEED] [START_EPOCH]`: `LINES` events,
//! one per second of simulated time from `START_EPOCH`; about
//! `SIGNAL_PER_MILLE`/1000 of them are events of the user-journey resources
//! (every kind the queries select, plus near misses such as intermediate
//! PipelineRun status updates), the rest get/list/watch noise of the kind
//! an API server logs all day (pods, secrets, leases, configmaps, …). Users
//! and namespaces are the demo's, so the sample goes through its maps.

use std::io::{self, BufWriter, Write};

use serde_json::{json, Value};

const PEOPLE: &[(&str, &str)] = &[
    ("smerriweather", "nebula-tenant"),
    ("theo92", "zeke25-tenant"),
    ("wren-blackwood", "quasar-tenant"),
    ("fairweatheru4", "fairweatheru4-tenant"),
    ("kai-blackwood", "milo-blackwood-tenant"),
    ("yara62", "yara62-tenant"),
];
const NOISE_RESOURCES: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "secrets"),
    ("", "configmaps"),
    ("coordination.k8s.io", "leases"),
    ("", "serviceaccounts"),
    ("tekton.dev", "pipelineruns"),
    ("appstudio.redhat.com", "components"),
    ("", "events"),
];

struct Gen {
    rng: fastrand::Rng,
    n: u64,
    t0: i64,
}

impl Gen {
    fn base(
        &mut self,
        verb: &str,
        group: &str,
        resource: &str,
        ns: &str,
        user: &str,
        code: u16,
    ) -> Value {
        self.n += 1;
        let t = jiff::Timestamp::from_second(self.t0 + i64::try_from(self.n).unwrap_or(0))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let ts = t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let version = if group.is_empty() || group == "tekton.dev" {
            "v1"
        } else {
            "v1alpha1"
        };
        json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", self.rng.u32(..), self.rng.u16(..),
                               self.rng.u16(..0xfff), self.rng.u16(..0xfff), self.rng.u64(..0xffff_ffff_ffff)),
            "stage": "ResponseComplete",
            "requestURI": format!("/apis/{group}/{version}/namespaces/{ns}/{resource}?limit=500&resourceVersion=0"),
            "verb": verb,
            "user": {"username": user, "uid": "0b1e4c55-8f1a-4c1e-9f3a-2d9e0c6b7a11",
                     "groups": ["system:authenticated:oauth", "system:authenticated"],
                     "extra": {"scopes.authorization.openshift.io": ["user:full"]}},
            "sourceIPs": ["10.128.0.17"],
            "userAgent": "kubectl/v1.27.3 (linux/amd64) kubernetes/25b4e43",
            "objectRef": {"resource": resource, "namespace": ns, "name": format!("obj-{}", self.rng.u16(..)),
                          "apiGroup": group, "apiVersion": version},
            "responseStatus": {"metadata": {}, "code": code},
            "requestReceivedTimestamp": ts,
            "stageTimestamp": ts,
            "annotations": {"authorization.k8s.io/decision": "allow",
                            "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"system:controller\""},
        })
    }

    fn noise(&mut self) -> Value {
        let (group, resource) = NOISE_RESOURCES[self.rng.usize(..NOISE_RESOURCES.len())];
        let verb = ["get", "list", "watch", "get", "get"][self.rng.usize(..5)];
        let (_, ns) = PEOPLE[self.rng.usize(..PEOPLE.len())];
        let user = format!(
            "system:serviceaccount:openshift-{}:controller",
            self.rng.u8(..20)
        );
        self.base(verb, group, resource, ns, &user, 200)
    }

    fn person(&mut self) -> (&'static str, &'static str) {
        PEOPLE[self.rng.usize(..PEOPLE.len())]
    }

    fn signal(&mut self) -> Value {
        let (user, ns) = self.person();
        let app = ["shop", "portal", "website"][self.rng.usize(..3)];
        let comp = format!("{app}-{}", ["api", "web", "worker"][self.rng.usize(..3)]);
        let labels = json!({"pipelines.appstudio.openshift.io/type": "build",
            "appstudio.openshift.io/application": app, "appstudio.openshift.io/component": comp});
        let ann = json!({"pipelinesascode.tekton.dev/event-type": "push",
            "pipelinesascode.tekton.dev/git-provider": "github",
            "pipelinesascode.tekton.dev/log-url": format!("https://console.example/{ns}/{comp}"),
            "build.appstudio.redhat.com/commit_sha": format!("{:016x}", self.rng.u64(..)),
            "build.appstudio.openshift.io/repo": format!("https://github.com/{user}/{comp}?rev=main"),
            "build.appstudio.redhat.com/target_branch": "main"});
        let bulk = json!([{"manager": "controller", "operation": "Update", "apiVersion": "v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:conditions": {}, "f:childReferences": {},
            "f:pipelineSpec": {"f:tasks": {}, "f:params": {}}}}}]);
        let which = self.rng.u8(..10);
        let mut e = match which {
            0 => {
                let mut e = self.base(
                    "create",
                    "appstudio.redhat.com",
                    "applications",
                    ns,
                    user,
                    201,
                );
                e["responseObject"] = json!({"metadata": {"resourceVersion": "1", "name": app}});
                e
            }
            1 => {
                let mut e = self.base("patch", "appstudio.redhat.com", "components", ns, user, 200);
                e["requestObject"] = json!([{"op": "add",
                    "path": "/metadata/annotations/build.appstudio.openshift.io~1request", "value": "trigger-pac-build"}]);
                e["responseObject"] = json!({"metadata": {"resourceVersion": "7", "labels": labels},
                    "spec": {"application": app, "componentName": comp,
                    "source": {"git": {"url": format!("https://github.com/{user}/{comp}"), "revision": "main"}}}});
                e
            }
            2 => {
                let sa = "system:serviceaccount:openshift-pipelines:pipelines-as-code-controller";
                let mut e = self.base("create", "tekton.dev", "pipelineruns", ns, sa, 201);
                e["responseObject"] = json!({"metadata": {"resourceVersion": "8", "labels": labels,
                    "annotations": ann, "managedFields": bulk}, "spec": {}});
                e
            }
            3..=6 => {
                // Status updates: started, intermediate (a near miss), ended.
                let sa = "system:serviceaccount:openshift-pipelines:tekton-pipelines-controller";
                let mut e = self.base("update", "tekton.dev", "pipelineruns", ns, sa, 200);
                e["objectRef"]["subresource"] = json!("status");
                let (reason, msg, done) = match which {
                    3 => (
                        "Running",
                        "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 4, Skipped: 0",
                        false,
                    ),
                    4 | 5 => (
                        "Running",
                        "Tasks Completed: 2 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0",
                        false,
                    ),
                    _ => (
                        "Completed",
                        "Tasks Completed: 4 (Failed: 0, Cancelled 0), Skipped: 0",
                        true,
                    ),
                };
                let mut status = json!({"startTime": "2024-03-03T08:00:00Z",
                    "conditions": [{"type": "Succeeded", "status": "Unknown", "reason": reason, "message": msg}]});
                if done {
                    status["completionTime"] = json!("2024-03-03T08:10:00Z");
                }
                e["responseObject"] = json!({"metadata": {"resourceVersion": "9", "labels": labels,
                    "annotations": ann, "managedFields": bulk}, "spec": {}, "status": status});
                e
            }
            7 => {
                let sa = "system:serviceaccount:openshift-pipelines:tekton-pipelines-controller";
                let mut e = self.base("update", "tekton.dev", "taskruns", ns, sa, 200);
                e["objectRef"]["subresource"] = json!("status");
                e["requestObject"] =
                    json!({"metadata": {"labels": {"tekton.dev/pipelineTask": "clair-scan"}}});
                let result = json!({"vulnerabilities": {"critical": self.rng.u8(..3), "high": self.rng.u8(..9),
                    "medium": self.rng.u8(..40), "low": self.rng.u8(..99)}}).to_string();
                e["responseObject"] = json!({"metadata": {"labels": labels}, "spec": {},
                    "status": {"completionTime": "2024-03-03T08:10:00Z",
                        "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}],
                        "taskResults": [{"name": "CLAIR_SCAN_RESULT", "value": result}]}});
                e
            }
            8 => {
                let sa = "system:serviceaccount:release-service:release-service-controller-manager";
                let mut e = self.base("patch", "appstudio.redhat.com", "releases", ns, sa, 200);
                e["objectRef"]["subresource"] = json!("status");
                e["responseObject"] = json!({"metadata": {"resourceVersion": "3", "ownerReferences": [{"name": app}]},
                    "status": {"completionTime": "2024-03-03T08:20:00Z",
                        "conditions": [{"type": "Released", "status": "True", "reason": "Succeeded", "message": ""}]}});
                e
            }
            _ => {
                let sa = "system:serviceaccount:build-service:build-service-controller-manager";
                let mut e = self.base("update", "appstudio.redhat.com", "components", ns, sa, 200);
                let pr = self.rng.u16(..500);
                let status = json!({"pac": {"state": "enabled",
                    "merge-url": format!("https://github.com/{user}/{comp}/pull/{pr}")}})
                .to_string();
                e["responseObject"] = json!({"metadata": {"resourceVersion": "11", "labels": labels,
                    "annotations": {"build.appstudio.openshift.io/status": status}},
                    "spec": {"application": app, "componentName": comp,
                    "source": {"git": {"url": format!("https://github.com/{user}/{comp}"), "revision": "main"}}}});
                e
            }
        };
        e["level"] = json!("RequestResponse");
        e
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let lines = num(1, 100_000);
    let per_mille = num(2, 10);
    let seed = num(3, 42);
    let t0 = i64::try_from(num(4, 1_709_452_800)).unwrap_or(0);
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(seed),
        n: 0,
        t0,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    for _ in 0..lines {
        let e = if g.rng.u64(..1000) < per_mille {
            g.signal()
        } else {
            g.noise()
        };
        serde_json::to_writer(&mut out, &e)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
