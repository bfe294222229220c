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

    /// One event of a user-journey resource: a match of some query, or a
    /// near miss (intermediate PipelineRun status updates).
    fn signal(&mut self) -> Value {
        let (user, ns) = self.person();
        let app = ["shop", "portal", "website"][self.rng.usize(..3)];
        let comp = format!("{app}-{}", ["api", "web", "worker"][self.rng.usize(..3)]);
        let s = Subject {
            user,
            ns,
            app,
            comp,
        };
        let mut e = match self.rng.u8(..10) {
            0 => self.application(&s),
            1 => self.build_request(&s),
            2 => self.pipelinerun_created(&s),
            3 => self.pipelinerun_status(&s, 0),
            4 | 5 => self.pipelinerun_status(&s, 2),
            6 => self.pipelinerun_status(&s, 4),
            7 => self.clair_scan(&s),
            8 => self.release(&s),
            _ => self.pull_request(&s),
        };
        e["level"] = json!("RequestResponse");
        e
    }

    fn application(&mut self, s: &Subject) -> Value {
        let mut e = self.base("create", APPSTUDIO, "applications", s.ns, s.user, 201);
        e["responseObject"] = json!({"metadata": {"resourceVersion": "1", "name": s.app}});
        e
    }

    fn build_request(&mut self, s: &Subject) -> Value {
        let mut e = self.base("patch", APPSTUDIO, "components", s.ns, s.user, 200);
        e["requestObject"] = json!([{"op": "add",
            "path": "/metadata/annotations/build.appstudio.openshift.io~1request",
            "value": "trigger-pac-build"}]);
        e["responseObject"] = s.component_object(json!({}));
        e
    }

    fn pipelinerun_created(&mut self, s: &Subject) -> Value {
        let sa = "system:serviceaccount:openshift-pipelines:pipelines-as-code-controller";
        let mut e = self.base("create", TEKTON, "pipelineruns", s.ns, sa, 201);
        e["responseObject"] = json!({"metadata": {"resourceVersion": "8", "labels": s.labels(),
            "annotations": self.annotations(s), "managedFields": managed_fields()}, "spec": {}});
        e
    }

    /// A status update with `done` tasks of 4 completed: 0 is the start,
    /// 4 the end, anything else a near miss.
    fn pipelinerun_status(&mut self, s: &Subject, done: u8) -> Value {
        let mut e = self.base("update", TEKTON, "pipelineruns", s.ns, CONTROLLER, 200);
        e["objectRef"]["subresource"] = json!("status");
        let reason = if done == 4 { "Completed" } else { "Running" };
        let msg = format!(
            "Tasks Completed: {done} (Failed: 0, Cancelled 0), Incomplete: {}, Skipped: 0",
            4 - done
        );
        let mut status = json!({"startTime": "2024-03-03T08:00:00Z",
            "conditions": [{"type": "Succeeded", "status": "Unknown", "reason": reason, "message": msg}]});
        if done == 4 {
            status["completionTime"] = json!("2024-03-03T08:10:00Z");
        }
        e["responseObject"] = json!({"metadata": {"resourceVersion": "9", "labels": s.labels(),
            "annotations": self.annotations(s), "managedFields": managed_fields()},
            "spec": {}, "status": status});
        e
    }

    fn clair_scan(&mut self, s: &Subject) -> Value {
        let mut e = self.base("update", TEKTON, "taskruns", s.ns, CONTROLLER, 200);
        e["objectRef"]["subresource"] = json!("status");
        e["requestObject"] =
            json!({"metadata": {"labels": {"tekton.dev/pipelineTask": "clair-scan"}}});
        let result =
            json!({"vulnerabilities": {"critical": self.rng.u8(..3), "high": self.rng.u8(..9),
            "medium": self.rng.u8(..40), "low": self.rng.u8(..99)}})
            .to_string();
        e["responseObject"] = json!({"metadata": {"labels": s.labels()}, "spec": {},
            "status": {"completionTime": "2024-03-03T08:10:00Z",
                "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}],
                "taskResults": [{"name": "CLAIR_SCAN_RESULT", "value": result}]}});
        e
    }

    fn release(&mut self, s: &Subject) -> Value {
        let sa = "system:serviceaccount:release-service:release-service-controller-manager";
        let mut e = self.base("patch", APPSTUDIO, "releases", s.ns, sa, 200);
        e["objectRef"]["subresource"] = json!("status");
        e["responseObject"] = json!({"metadata": {"resourceVersion": "3", "ownerReferences": [{"name": s.app}]},
            "status": {"completionTime": "2024-03-03T08:20:00Z",
                "conditions": [{"type": "Released", "status": "True", "reason": "Succeeded", "message": ""}]}});
        e
    }

    fn pull_request(&mut self, s: &Subject) -> Value {
        let sa = "system:serviceaccount:build-service:build-service-controller-manager";
        let mut e = self.base("update", APPSTUDIO, "components", s.ns, sa, 200);
        let url = format!(
            "https://github.com/{}/{}/pull/{}",
            s.user,
            s.comp,
            self.rng.u16(..500)
        );
        let status = json!({"pac": {"state": "enabled", "merge-url": url}}).to_string();
        e["responseObject"] =
            s.component_object(json!({"build.appstudio.openshift.io/status": status}));
        e
    }

    fn annotations(&mut self, s: &Subject) -> Value {
        json!({"pipelinesascode.tekton.dev/event-type": "push",
            "pipelinesascode.tekton.dev/git-provider": "github",
            "pipelinesascode.tekton.dev/log-url": format!("https://console.example/{}/{}", s.ns, s.comp),
            "build.appstudio.redhat.com/commit_sha": format!("{:016x}", self.rng.u64(..)),
            "build.appstudio.openshift.io/repo": format!("https://github.com/{}/{}?rev=main", s.user, s.comp),
            "build.appstudio.redhat.com/target_branch": "main"})
    }
}

const APPSTUDIO: &str = "appstudio.redhat.com";
const TEKTON: &str = "tekton.dev";
const CONTROLLER: &str = "system:serviceaccount:openshift-pipelines:tekton-pipelines-controller";

/// Who acts on what, for one signal event.
struct Subject {
    user: &'static str,
    ns: &'static str,
    app: &'static str,
    comp: String,
}

impl Subject {
    fn labels(&self) -> Value {
        json!({"pipelines.appstudio.openshift.io/type": "build",
            "appstudio.openshift.io/application": self.app,
            "appstudio.openshift.io/component": self.comp})
    }

    fn component_object(&self, annotations: Value) -> Value {
        json!({"metadata": {"resourceVersion": "7", "labels": self.labels(), "annotations": annotations},
            "spec": {"application": self.app, "componentName": self.comp,
                "source": {"git": {"url": format!("https://github.com/{}/{}", self.user, self.comp),
                    "revision": "main"}}}})
    }
}

/// The bulk a real object carries (server-side apply bookkeeping).
fn managed_fields() -> Value {
    json!([{"manager": "controller", "operation": "Update", "apiVersion": "v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:conditions": {}, "f:childReferences": {},
        "f:pipelineSpec": {"f:tasks": {}, "f:params": {}}}}}])
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
