//! get-workspace-map against several Kubernetes stand-ins (one per
//! cluster) over HTTPS: the CONTEXTS merge (later contexts win), the
//! default selection of the staging member clusters by cluster name, a dead
//! or slow cluster, and ConfigMap publishing.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::json;
use standins::kube::{write_kubeconfig, KubeStandin, TlsCluster, CONFIGMAPS};
use testkit::{stderr, stdout};

const M01: &str = "api-stone-stg-m01-7ayg-p1-openshiftapps-com:6443";
const RH01: &str = "api-stone-stg-rh01-l2vh-p1-openshiftapps-com:6443";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/{name}")).unwrap()
}

fn cluster(fixture_file: &str) -> TlsCluster {
    testkit::kube::cluster(
        format!("tests/fixtures/{fixture_file}"),
        &format!("token-{fixture_file}"),
    )
}

/// The three clusters: prod (listed first, not a staging member), m01, rh01.
struct Clusters {
    prod: TlsCluster,
    m01: TlsCluster,
    rh01: TlsCluster,
}

impl Clusters {
    fn start() -> Clusters {
        Clusters {
            prod: cluster("prod.json"),
            m01: cluster("member-m01.json"),
            rh01: cluster("member-rh01.json"),
        }
    }

    fn kubeconfig(&self, dir: &Path) -> PathBuf {
        testkit::kube::kubeconfig(
            dir,
            "members",
            &[
                self.prod.entry("prod", "api-prod:6443"),
                self.m01.entry("m01", M01),
                self.rh01.entry("rh01", RH01),
            ],
        )
    }
}

fn tool(home: &Path) -> Command {
    testkit::tool("get-workspace-map", home)
}

/// The tool run with `KUBECONFIG=kc`, `CONTEXTS=contexts` and `args`.
fn run(home: &Path, kc: &Path, contexts: &str, args: &[&str]) -> Output {
    tool(home)
        .env("KUBECONFIG", kc)
        .env("CONTEXTS", contexts)
        .args(args)
        .output()
        .unwrap()
}

const NAMESPACES_PATH: &str = "/api/v1/namespaces";

#[test]
fn contexts_are_merged_in_order_later_contexts_win() {
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    let kc = c.kubeconfig(dir.path());
    for (contexts, expected) in [
        ("m01 rh01", "expected-m01-rh01.json"),
        ("  rh01   m01 ", "expected-rh01-m01.json"),
    ] {
        let out = run(dir.path(), &kc, contexts, &["--page-size", "1"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), fixture(expected), "CONTEXTS={contexts}");
        let err = stderr(&out);
        assert!(
            err.contains(
                "warning: context `m01`: skipped namespace `nolabel-tenant`: no label `toolchain.dev.openshift.com/space`"
            ),
            "{err}"
        );
        assert!(
            err.contains("4 entries from 2 contexts (6 objects, 1 skipped, 0 duplicates, 6 pages"),
            "{err}"
        );
    }
    // Only tenant namespaces were asked for, a page of one at a time.
    let reqs = c.m01.standin.requests_to(NAMESPACES_PATH);
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(
            r.query_param("labelSelector").as_deref(),
            Some("toolchain.dev.openshift.com/type=tenant")
        );
        assert_eq!(r.query_param("limit").as_deref(), Some("1"));
    }
    assert!(c.prod.standin.requests().is_empty());
}

#[test]
fn without_contexts_the_staging_member_clusters_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    let kc = c.kubeconfig(dir.path());
    for contexts in [None, Some("")] {
        let mut cmd = tool(dir.path());
        cmd.env("KUBECONFIG", &kc);
        if let Some(v) = contexts {
            cmd.env("CONTEXTS", v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // m01 then rh01, in kubeconfig order; prod (the current context) is
        // not a staging member cluster.
        assert_eq!(stdout(&out), fixture("expected-m01-rh01.json"));
    }
    assert!(c.prod.standin.requests().is_empty());
    assert!(!c.m01.standin.requests().is_empty());
    assert!(!c.rh01.standin.requests().is_empty());
}

#[test]
fn no_staging_context_and_unknown_contexts_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let prod = cluster("prod.json");
    let kc = dir.path().join("kc");
    write_kubeconfig(&kc, &[prod.entry("prod", "api-prod:6443")], None).unwrap();
    let out = tool(dir.path()).env("KUBECONFIG", &kc).output().unwrap();
    testkit::failed_with(
        &out,
        2,
        &[
            "no kubeconfig context is on a staging member cluster",
            "hint: set CONTEXTS",
        ],
    );

    let out = run(dir.path(), &kc, "prod m99", &[]);
    testkit::failed_with(&out, 2, &["context `m99` is not in the kubeconfig"]);
    assert!(
        prod.standin.requests().is_empty(),
        "nothing read before the check"
    );
}

#[test]
fn configmap_holds_exactly_the_merged_map() {
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    let src = c.kubeconfig(dir.path());
    let home = TlsCluster::start(KubeStandin::new(), "home").unwrap();
    let dst = dir.path().join("home");
    write_kubeconfig(
        &dst,
        &[home
            .entry("home", "home-cluster")
            .namespace("segment-bridge")],
        None,
    )
    .unwrap();
    // What an earlier version published: the map inline, under its key.
    home.standin
        .add(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ws-map", "namespace": "segment-bridge"},
            "data": {"ws-map.json": "{\"old\":\"x\"}\n"}}))
        .unwrap();
    let published = || {
        let out = tool(dir.path())
            .env("KUBECONFIG", &dst)
            .args(["--configmap", "ws-map", "--published"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(published(), "{\"old\":\"x\"}\n");
    let out = tool(dir.path())
        .env("KUBECONFIG_SRC", &src)
        .env("KUBECONFIG", &dst)
        .env("CONTEXTS", "m01 rh01")
        .args(["--configmap", "ws-map"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let cms = home.standin.list(CONFIGMAPS);
    let names: Vec<&str> = cms
        .iter()
        .map(|cm| cm["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ws-map", "ws-map-g1-0"]);
    assert!(cms[0]["data"]["manifest.json"].is_string());
    assert_eq!(published(), fixture("expected-m01-rh01.json"));
}

#[test]
fn one_dead_cluster_fails_the_run_and_no_configmap_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    c.rh01.standin.fail_all(Some(503));
    let src = c.kubeconfig(dir.path());
    let home = TlsCluster::start(KubeStandin::new(), "home").unwrap();
    let dst = dir.path().join("home");
    write_kubeconfig(&dst, &[home.entry("home", "home-cluster")], None).unwrap();
    let out = tool(dir.path())
        .env("KUBECONFIG_SRC", &src)
        .env("KUBECONFIG", &dst)
        .env("CONTEXTS", "m01 rh01")
        .args(["--configmap", "ws-map", "--stdout"])
        .output()
        .unwrap();
    testkit::failed_with(
        &out,
        1,
        &[
            "context `rh01`: cannot list namespaces: HTTP 503 ServiceUnavailable",
            "1 of 2 contexts failed; nothing written",
        ],
    );
    assert!(home.standin.list(CONFIGMAPS).is_empty());
    assert!(home.standin.requests().is_empty());
    // The live cluster was read (concurrently) all the same.
    assert!(!c.m01.standin.requests().is_empty());

    // A cluster nobody listens on fails the same way.
    drop(c);
    let out = run(dir.path(), &src, "m01", &[]);
    testkit::failed_with(&out, 1, &["context `m01`: cannot list namespaces"]);
}

#[test]
fn a_slow_cluster_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    c.rh01
        .standin
        .set_delay(std::time::Duration::from_millis(2500));
    let kc = c.kubeconfig(dir.path());
    let out = tool(dir.path())
        .env("KUBECONFIG", &kc)
        .env("CONTEXTS", "m01 rh01")
        .args(["--timeout", "1", "--retries", "0"])
        .output()
        .unwrap();
    let err = testkit::failed_with(&out, 1, &["context `rh01`: cannot list namespaces"]);
    assert!(err.to_lowercase().contains("timed out"), "{err}");
}

#[test]
fn context_flags_add_to_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    let kc = c.kubeconfig(dir.path());
    let out = run(dir.path(), &kc, "rh01", &["--context", "m01"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), fixture("expected-rh01-m01.json"));
}

#[test]
fn kvstore_collection_is_made_equal_to_the_map_and_a_dead_cluster_writes_nothing() {
    use standins::splunk::{Config, SplunkStandin};
    let dir = tempfile::tempdir().unwrap();
    let c = Clusters::start();
    let kc = c.kubeconfig(dir.path());
    let splunk = SplunkStandin::start(Config {
        kv_limit: 2,
        ..Config::default()
    })
    .unwrap();
    // One namespace that is gone, one whose owner is unchanged.
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&fixture("expected-m01-rh01.json")).unwrap();
    let (kept_ns, kept_owner) = expected.iter().next().unwrap();
    splunk.handle().set_collection(
        "ws_map",
        vec![
            json!({"_key": "gone", "namespace": "gone", "owner": "x"}),
            json!({"_key": kept_ns, "namespace": kept_ns, "owner": kept_owner}),
        ],
    );
    let kv = |token: &str| {
        tool(dir.path())
            .env("KUBECONFIG", &kc)
            .env("CONTEXTS", "m01 rh01")
            .env("SPLUNK_API_URL", splunk.url())
            .env("SPLUNK_TOKEN", token)
            .args(["--kvstore", "ws_map", "--kvstore-batch", "2"])
            .output()
            .unwrap()
    };
    let out = kv("standin-token");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "published, so not printed");
    let n = expected.len();
    assert!(
        stderr(&out).contains(&format!(
            "KV store collection `ws_map`: {n} documents ({} saved in 2 batches, 1 unchanged, 1 deleted)",
            n - 1
        )),
        "{}",
        stderr(&out)
    );
    let got: serde_json::Map<String, serde_json::Value> = splunk
        .collection("ws_map")
        .iter()
        .map(|d| {
            assert_eq!(d["_key"], d["namespace"]);
            (
                d["namespace"].as_str().unwrap().to_owned(),
                d["owner"].clone(),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // Refused credentials: exit 1, the token never shown, nothing changed.
    let before = splunk.collection("ws_map");
    let out = kv("wr0ng");
    let err = testkit::failed_with(&out, 1, &["cannot update KV store collection `ws_map`"]);
    assert!(!err.contains("wr0ng"));
    assert_eq!(splunk.collection("ws_map"), before);

    // A dead cluster: nothing reaches the KV store.
    let writes = splunk.requests().len();
    c.rh01.standin.fail_all(Some(503));
    let out = kv("standin-token");
    testkit::failed_with(&out, 1, &["1 of 2 contexts failed; nothing written"]);
    assert_eq!(splunk.requests().len(), writes);
}
