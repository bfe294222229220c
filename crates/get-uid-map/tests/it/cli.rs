//! get-uid-map against the Kubernetes stand-in over HTTPS: the map of the
//! fixture (skips, duplicates, non-numeric ids), pagination with a 410
//! restart, failures, ConfigMap publishing, the KV store, and kubectl
//! reading the same objects.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::{json, Value};
use standins::kube::{KubeStandin, KubeconfigEntry, TestCa, TlsCluster, CONFIGMAPS};
use testkit::kube::kubeconfig;
use testkit::{stderr, stdout};

const FIXTURE: &str = "tests/fixtures/usersignups.json";
const EXPECTED: &str = "tests/fixtures/expected-uid-map.json";
const NS: &str = "toolchain-host-operator";
const USERSIGNUPS_PATH: &str =
    "/apis/toolchain.dev.openshift.com/v1alpha1/namespaces/toolchain-host-operator/usersignups";

fn expected() -> String {
    std::fs::read_to_string(EXPECTED).unwrap()
}

fn host() -> TlsCluster {
    testkit::kube::cluster(FIXTURE, "host-token")
}

/// The host cluster with the fixture, a temporary HOME and a kubeconfig
/// there with the host's context.
struct Setup {
    dir: tempfile::TempDir,
    host: TlsCluster,
    kc: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let kc = kubeconfig(dir.path(), "kc", &[host.entry("host", "host-cluster")]);
    Setup { dir, host, kc }
}

impl Setup {
    /// The tool against the host with `args`.
    fn run(&self, args: &[&str]) -> Output {
        tool(self.dir.path())
            .env("KUBECONFIG", &self.kc)
            .args(args)
            .output()
            .unwrap()
    }
}

fn tool(home: &Path) -> Command {
    testkit::tool("get-uid-map", home)
}

#[test]
fn fixture_map_with_skips_duplicates_and_pages() {
    let su = setup();
    let out = su.run(&["--page-size", "3"]);
    let host = &su.host;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    let err = stderr(&out);
    for reason in [
        "skipped usersignup `carol`: no `status.compliantUsername`",
        "skipped usersignup `dave`: no annotation `toolchain.dev.openshift.com/sso-user-id`",
        "skipped usersignup `hank`: no `status.compliantUsername`",
        "usersignups `eve-1` and `eve-2` both map `eve`; keeping `eve-2`'s",
        "8 entries from 1 context (12 objects, 3 skipped, 1 duplicates, 4 pages, 0 list restarts",
    ] {
        assert!(err.contains(reason), "missing `{reason}` in:\n{err}");
    }
    let reqs = host.standin.requests_to(USERSIGNUPS_PATH);
    assert_eq!(reqs.len(), 4);
    assert!(reqs
        .iter()
        .all(|r| r.query_param("limit").as_deref() == Some("3")));
    assert!(reqs[0].query_param("continue").is_none());
    assert!(reqs[1..]
        .iter()
        .all(|r| r.query_param("continue").is_some()));
}

#[test]
fn expired_continue_token_restarts_the_list() {
    let su = setup();
    su.host.standin.expire_next_continue(1);
    let out = su.run(&["--page-size", "2"]);
    let host = &su.host;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    assert!(stderr(&out).contains("1 list restarts"), "{}", stderr(&out));
    let reqs = host.standin.requests_to(USERSIGNUPS_PATH);
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    // page 1, an expired continue, then the whole list again: 6 pages of 2.
    assert_eq!(statuses, vec![200, 410, 200, 200, 200, 200, 200, 200]);
    assert!(reqs[2].query_param("continue").is_none());
}

#[test]
fn a_list_that_keeps_expiring_fails_with_nothing_written() {
    let su = setup();
    su.host.standin.expire_next_continue(100);
    let out = su.run(&["--page-size", "2"]);
    testkit::failed_with(&out, 1, &["list of usersignups restarted 5 times"]);
}

#[test]
fn transient_errors_are_retried_and_a_dead_cluster_fails() {
    let su = setup();
    let host = &su.host;
    host.standin.fail_next(2, 503);
    let out = su.run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    assert!(stderr(&out).contains("2 retries"), "{}", stderr(&out));

    host.standin.fail_all(Some(500));
    let out = su.run(&[]);
    testkit::failed_with(
        &out,
        1,
        &["context `host`: cannot list usersignups: HTTP 500"],
    );
    // 1 try + 3 retries.
    let failed = host
        .standin
        .requests_to(USERSIGNUPS_PATH)
        .iter()
        .filter(|r| r.status == 500)
        .count();
    assert_eq!(failed, 4);
}

#[test]
fn wrong_ca_and_wrong_token_fail() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let other_ca = TestCa::generate().unwrap();
    let kc = kubeconfig(
        dir.path(),
        "kc",
        &[
            KubeconfigEntry::new("host", "host-cluster", host.server.url())
                .ca(other_ca.ca_pem())
                .token("host-token"),
        ],
    );
    let out = tool(dir.path()).env("KUBECONFIG", &kc).output().unwrap();
    let err = testkit::failed_with(&out, 1, &["cannot list usersignups"]);
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // Nothing reached the server: the handshake failed.
    assert!(host.standin.requests().is_empty());

    let kc = kubeconfig(
        dir.path(),
        "kc2",
        &[
            KubeconfigEntry::new("host", "host-cluster", host.server.url())
                .ca(host.ca.ca_pem())
                .token("wrong"),
        ],
    );
    let out = tool(dir.path()).env("KUBECONFIG", &kc).output().unwrap();
    testkit::failed_with(&out, 1, &["HTTP 401 Unauthorized"]);
    assert!(!stderr(&out).contains("wrong"), "the token never shows");
    // 401 is not retried.
    assert_eq!(host.standin.requests_to(USERSIGNUPS_PATH).len(), 1);
}

#[test]
fn empty_map_fails_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let host = TlsCluster::start(KubeStandin::new(), "t").unwrap();
    let kc = kubeconfig(dir.path(), "kc", &[host.entry("host", "host-cluster")]);
    let out = tool(dir.path()).env("KUBECONFIG", &kc).output().unwrap();
    testkit::failed_with(&out, 1, &["the map is empty"]);

    let out = tool(dir.path())
        .env("KUBECONFIG", &kc)
        .arg("--allow-empty")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "{}\n");
}

#[test]
fn unknown_context_and_missing_kubeconfig_are_usage_errors() {
    let su = setup();
    let (dir, host) = (&su.dir, &su.host);
    let out = su.run(&["--context", "nope"]);
    testkit::failed_with(
        &out,
        2,
        &["context `nope` is not in the kubeconfig (it has: `host`)"],
    );
    assert!(host.standin.requests().is_empty());

    // No KUBECONFIG, no ~/.kube/config, not in a pod.
    let out = tool(dir.path()).output().unwrap();
    testkit::failed_with(&out, 2, &["no kubeconfig"]);

    let out = tool(dir.path())
        .env("KUBECONFIG", dir.path().join("missing"))
        .output()
        .unwrap();
    testkit::failed_with(&out, 2, &["cannot read kubeconfig"]);
}

#[test]
fn configmap_is_published_on_the_kubeconfig_cluster_while_reading_the_src_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let home = TlsCluster::start(KubeStandin::new(), "home-token").unwrap();
    let src = kubeconfig(dir.path(), "src", &[host.entry("host", "host-cluster")]);
    let dst = kubeconfig(
        dir.path(),
        "dst",
        &[home
            .entry("home", "home-cluster")
            .namespace("segment-bridge")],
    );
    for _ in 0..2 {
        let out = tool(dir.path())
            .env("KUBECONFIG_SRC", &src)
            .env("KUBECONFIG", &dst)
            .args(["--configmap", "uid-map"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), "", "publishing prints nothing");
        assert!(
            stderr(&out).contains("published ConfigMap `segment-bridge/uid-map`"),
            "{}",
            stderr(&out)
        );
    }
    // Each run wrote a generation: its shard, then the pointer to it.
    let names: Vec<String> = home
        .standin
        .list(CONFIGMAPS)
        .iter()
        .map(|cm| {
            assert_eq!(cm["metadata"]["namespace"], "segment-bridge");
            cm["metadata"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(names, ["uid-map", "uid-map-g1-0", "uid-map-g2-0"]);
    let pointer = home
        .standin
        .get(CONFIGMAPS, "segment-bridge", "uid-map")
        .unwrap();
    let manifest: Value =
        serde_json::from_str(pointer["data"]["manifest.json"].as_str().unwrap()).unwrap();
    assert_eq!(manifest["generation"], 2);
    assert_eq!(manifest["shards"], json!(["uid-map-g2-0"]));
    assert_eq!(manifest["bytes"], expected().len());
    let patches: Vec<_> = home
        .standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    let paths: Vec<&str> = patches.iter().map(|r| r.path.as_str()).collect();
    let base = "/api/v1/namespaces/segment-bridge/configmaps";
    assert_eq!(
        paths,
        [
            format!("{base}/uid-map-g1-0"),
            format!("{base}/uid-map"),
            format!("{base}/uid-map-g2-0"),
            format!("{base}/uid-map"),
        ]
    );
    for p in &patches {
        assert_eq!(
            p.content_type.as_deref(),
            Some("application/apply-patch+yaml")
        );
        assert_eq!(
            p.query_param("fieldManager").as_deref(),
            Some("segment-bridge")
        );
    }
    // What the bridge job reads: the map, whole.
    let out = tool(dir.path())
        .env("KUBECONFIG", &dst)
        .args(["--configmap", "uid-map", "--published"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    // Nothing was read from the publishing cluster, nothing written to the
    // read one.
    assert!(home.standin.requests_to(USERSIGNUPS_PATH).is_empty());
    assert!(host.standin.list(CONFIGMAPS).is_empty());

    // --stdout prints as well; --configmap-namespace overrides the context's.
    let out = tool(dir.path())
        .env("KUBECONFIG_SRC", &src)
        .env("KUBECONFIG", &dst)
        .args([
            "--configmap",
            "uid-map",
            "--configmap-namespace",
            "other",
            "--stdout",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    assert!(home.standin.get(CONFIGMAPS, "other", "uid-map").is_some());
}

/// A host cluster of `n` users whose names are 1,000 random characters
/// (incompressible enough that the map takes two shards past 1 MiB), ids
/// `1000 + i + shift`.
fn big_host(n: usize, shift: usize) -> TlsCluster {
    let s = KubeStandin::new();
    add_big_users(&s, n, shift);
    TlsCluster::start(s, "t").unwrap()
}

fn add_big_users(s: &KubeStandin, n: usize, shift: usize) {
    let mut rng = fastrand::Rng::with_seed(3);
    for i in 0..n {
        let user: String = (0..1000).map(|_| rng.alphanumeric()).collect();
        s.add(json!({
            "apiVersion": "toolchain.dev.openshift.com/v1alpha1",
            "kind": "UserSignup",
            "metadata": {"name": format!("u{i}"), "namespace": NS,
                "annotations": {"toolchain.dev.openshift.com/sso-user-id": format!("{}", 1000 + i + shift)}},
            "status": {"compliantUsername": format!("{i:04}-{user}")},
        }))
        .unwrap();
    }
}

/// A big host cluster (see [`big_host`]), a cluster to publish to, and
/// their kubeconfigs.
struct Big {
    dir: tempfile::TempDir,
    host: TlsCluster,
    home: TlsCluster,
    src: PathBuf,
    dst: PathBuf,
}

impl Big {
    fn new() -> Big {
        let dir = tempfile::tempdir().unwrap();
        let host = big_host(2000, 0);
        let home = TlsCluster::start(KubeStandin::new(), "home").unwrap();
        let src = kubeconfig(dir.path(), "src", &[host.entry("host", "host-cluster")]);
        let dst = kubeconfig(dir.path(), "dst", &[home.entry("home", "home-cluster")]);
        Big {
            dir,
            host,
            home,
            src,
            dst,
        }
    }

    /// Publishes the map (a new generation); returns it.
    fn publish(&self) -> String {
        self.run(&["--configmap", "uid-map", "--stdout"], true)
    }

    /// Reads back what was published.
    fn published(&self) -> String {
        self.run(&["--configmap", "uid-map", "--published"], false)
    }

    fn run(&self, args: &[&str], with_src: bool) -> String {
        let mut cmd = tool(self.dir.path());
        if with_src {
            cmd.env("KUBECONFIG_SRC", &self.src);
        }
        let out = cmd
            .env("KUBECONFIG", &self.dst)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    }

    /// The shard ConfigMaps of `generation`, sorted.
    fn shards(&self, generation: u32) -> Vec<String> {
        let mut names: Vec<String> = self
            .home
            .standin
            .list(CONFIGMAPS)
            .iter()
            .filter(|cm| {
                cm["metadata"]["labels"]["segment-bridge.io/generation"]
                    .as_str()
                    .and_then(|g| g.parse().ok())
                    == Some(generation)
            })
            .map(|cm| cm["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }
}

#[test]
fn a_map_past_one_mib_is_published_in_shards_and_read_back_whole() {
    let big = Big::new();
    let map = big.publish();
    assert!(map.len() > 2_000_000, "{}", map.len());
    // Every shard went through the stand-in's 1 MiB and 3 MiB checks.
    assert_eq!(big.shards(1), ["uid-map-g1-0", "uid-map-g1-1"]);
    big.publish();
    big.publish();
    // Generation 3 is current, 2 kept for readers in flight, 1 deleted.
    assert!(big.shards(1).is_empty());
    assert_eq!(big.shards(2).len(), 2);
    assert_eq!(big.shards(3).len(), 2);
    assert_eq!(big.published(), map);
}

/// A reader never sees a mix of two generations: while the map changes
/// (every id shifted) and is published again and again, every read gives
/// one whole map, all its ids shifted alike.
#[test]
fn readers_never_see_a_mix_of_generations() {
    let big = Big::new();
    big.publish();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for shift in 1..=4 {
                add_big_users(&big.host.standin, 2000, shift * 100_000);
                big.publish();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let mut reads = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || reads < 3 {
            let map: serde_json::Map<String, Value> =
                serde_json::from_str(&big.published()).unwrap();
            assert_eq!(map.len(), 2000);
            let shifts: std::collections::BTreeSet<u64> = map
                .iter()
                .map(|(user, id)| {
                    let i: u64 = user[..4].parse().unwrap();
                    id.as_u64().unwrap() - 1000 - i
                })
                .collect();
            assert_eq!(shifts.len(), 1, "a mix of generations: {shifts:?}");
            reads += 1;
        }
    });
}

#[test]
fn kvstore_collection_is_made_equal_to_the_map() {
    use standins::splunk::{Config, SplunkStandin};
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let splunk = SplunkStandin::start(Config {
        kv_limit: 3,
        ..Config::default()
    })
    .unwrap();
    splunk.handle().set_collection(
        "uid_map",
        vec![json!({"_key": "old", "username": "old", "sso_id": 1})],
    );
    let kc = kubeconfig(dir.path(), "kc", &[host.entry("host", "host-cluster")]);
    let out = tool(dir.path())
        .env("KUBECONFIG", &kc)
        .env("SPLUNK_API_URL", splunk.url())
        .env("SPLUNK_TOKEN", "standin-token")
        .env("SPLUNK_APP_NAME", "rh_rhtap")
        .args(["--kvstore", "uid_map", "--kvstore-batch", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(
            "KV store collection `uid_map`: 8 documents (8 saved in 3 batches, 0 unchanged, 1 deleted)"
        ),
        "{}",
        stderr(&out)
    );
    let map: serde_json::Map<String, Value> = serde_json::from_str(&expected()).unwrap();
    let docs = splunk.collection("uid_map");
    let got: serde_json::Map<String, Value> = docs
        .iter()
        .map(|d| {
            assert_eq!(d["_key"], d["username"]);
            (
                d["username"].as_str().unwrap().to_owned(),
                d["sso_id"].clone(),
            )
        })
        .collect();
    assert_eq!(got, map);
    assert!(!stderr(&out).contains("standin-token"));
}

#[test]
fn kvstore_failure_is_a_failure() {
    use standins::splunk::{Config, SplunkStandin};
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let splunk = SplunkStandin::start(Config::default()).unwrap();
    let kc = kubeconfig(dir.path(), "kc", &[host.entry("host", "host-cluster")]);
    let out = tool(dir.path())
        .env("KUBECONFIG", &kc)
        .env("SPLUNK_API_URL", splunk.url())
        .env("SPLUNK_TOKEN", "wrong-token")
        .args(["--kvstore", "uid_map"])
        .output()
        .unwrap();
    let err = testkit::failed_with(&out, 1, &["cannot update KV store collection `uid_map`"]);
    assert!(!err.contains("wrong-token"));
}

#[test]
fn run_in_process() {
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let kc = kubeconfig(dir.path(), "kc", &[host.entry("host", "host-cluster")]);
    let kc = kc.to_str().unwrap();
    let args = get_uid_map::Args::parse_from([
        "get-uid-map",
        "--kubeconfig",
        kc,
        "--kubeconfig-src",
        kc,
        "--context",
        "host",
    ]);
    let mut out = Vec::new();
    let outcome = get_uid_map::run(args, &mut std::io::empty(), &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), expected());
    assert_eq!(outcome.get("map_entries"), Some(8));
    assert_eq!(outcome.get("objects_skipped"), Some(3));
}

/// kubectl (the real client) reads the same objects from the stand-in: the
/// stand-in speaks the API kubectl and kube-rs both understand.
#[test]
fn kubectl_reads_the_same_objects() {
    let Some(kubectl) = which("kubectl") else {
        // scripts/test.sh installs it; say so when it's absent.
        let msg = "kubectl not found on PATH: skipping the kubectl check";
        std::io::Write::write_all(&mut std::io::stderr(), msg.as_bytes()).unwrap();
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let kc = kubeconfig(dir.path(), "kc", &[host.entry("host", "host-cluster")]);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&kubectl)
            .env_clear()
            .env("HOME", dir.path())
            .env("KUBECONFIG", &kc)
            .args(args)
            .args(["--cache-dir", dir.path().join("cache").to_str().unwrap()])
            .output()
            .unwrap();
        testkit::succeeded(&out, format_args!("kubectl {args:?}"));
        String::from_utf8(out.stdout).unwrap()
    };
    let list: Value = serde_json::from_str(&run(&[
        "get",
        "usersignups",
        "-n",
        NS,
        "-o",
        "json",
        "--chunk-size",
        "4",
    ]))
    .unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "alice", "bob", "carol", "dave", "eve-1", "eve-2", "frank", "gina", "hank", "ivy",
            "jack", "kim"
        ]
    );
    // kubectl paged through the list too.
    assert!(host.standin.requests_to(USERSIGNUPS_PATH).len() >= 3);
    // A single GET and a jsonpath over the same fields get-uid-map reads.
    let id = run(&[
        "get",
        "usersignup",
        "alice",
        "-n",
        NS,
        "-o",
        "jsonpath={.metadata.annotations.toolchain\\.dev\\.openshift\\.com/sso-user-id} {.status.compliantUsername}",
    ]);
    assert_eq!(id, "70000001 alice");
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Proxies as kubectl uses them (a cluster's `proxy-url`; `HTTPS_PROXY`
/// with `NO_PROXY`, loopback going direct), shown side by side with the
/// real kubectl through a recording CONNECT proxy: both go through it, or
/// both don't, and both succeed or both fail.
mod proxies {
    use super::*;
    use standins::proxy::ConnectProxy;

    /// A name only the proxy resolves (to 127.0.0.1); the certificate is
    /// checked against `localhost` (`tls-server-name`).
    const HIDDEN: &str = "kube.proxied.test";

    struct Case {
        name: &'static str,
        hidden_host: bool,
        proxy_url: bool,
        env: &'static [(&'static str, &'static str)],
        tunnel: bool,
        success: bool,
    }

    const CASES: &[Case] = &[
        Case {
            name: "proxy-url",
            hidden_host: false,
            proxy_url: true,
            env: &[],
            tunnel: true,
            success: true,
        },
        Case {
            name: "proxy-url ignores NO_PROXY",
            hidden_host: true,
            proxy_url: true,
            env: &[("NO_PROXY", "*")],
            tunnel: true,
            success: true,
        },
        Case {
            name: "HTTPS_PROXY",
            hidden_host: true,
            proxy_url: false,
            env: &[("HTTPS_PROXY", "PROXY")],
            tunnel: true,
            success: true,
        },
        Case {
            name: "https_proxy",
            hidden_host: true,
            proxy_url: false,
            env: &[("https_proxy", "PROXY")],
            tunnel: true,
            success: true,
        },
        Case {
            name: "NO_PROXY covers the host",
            hidden_host: true,
            proxy_url: false,
            env: &[
                ("HTTPS_PROXY", "PROXY"),
                ("NO_PROXY", "other,.proxied.test"),
            ],
            tunnel: false,
            success: false,
        },
        Case {
            name: "NO_PROXY covers 127.0.0.1",
            hidden_host: false,
            proxy_url: false,
            env: &[("HTTPS_PROXY", "PROXY"), ("NO_PROXY", "127.0.0.1")],
            tunnel: false,
            success: true,
        },
        Case {
            name: "loopback goes direct",
            hidden_host: false,
            proxy_url: false,
            env: &[("HTTPS_PROXY", "PROXY")],
            tunnel: false,
            success: true,
        },
    ];

    fn write_kc(dir: &Path, host: &TlsCluster, case: &Case, proxy: &ConnectProxy) -> PathBuf {
        let mut doc = standins::kube::kubeconfig(&[host.entry("host", "host-cluster")], None);
        let cluster = &mut doc["clusters"][0]["cluster"];
        if case.hidden_host {
            let port = host.server.url().rsplit(':').next().unwrap().to_owned();
            cluster["server"] = json!(format!("https://{HIDDEN}:{port}"));
            cluster["tls-server-name"] = json!("localhost");
        }
        if case.proxy_url {
            cluster["proxy-url"] = json!(proxy.url());
        }
        let p = dir.join(format!("kc-{}", case.name.replace(' ', "-")));
        std::fs::write(&p, serde_json::to_string(&doc).unwrap()).unwrap();
        p
    }

    fn envs<'a>(
        case: &'a Case,
        proxy: &'a ConnectProxy,
    ) -> impl Iterator<Item = (&'a str, String)> {
        case.env
            .iter()
            .map(|(k, v)| (*k, v.replace("PROXY", &proxy.url())))
    }

    /// A known difference: kube-rs refuses a `NO_PROXY` with an empty
    /// entry, which kubectl accepts; the tool says how to fix it.
    #[test]
    fn a_no_proxy_with_an_empty_entry_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let host = host();
        let proxy = ConnectProxy::start().unwrap();
        let case = &CASES[5];
        let kc = write_kc(dir.path(), &host, case, &proxy);
        let out = tool(dir.path())
            .env("KUBECONFIG", &kc)
            .env("HTTPS_PROXY", proxy.url())
            .env("NO_PROXY", "127.0.0.1,")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot read `NO_PROXY`"),
            "{}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("hint: "), "{}", stderr(&out));
        assert!(proxy.tunnels().is_empty());
    }

    #[test]
    fn through_the_proxy_exactly_when_kubectl_goes() {
        let dir = tempfile::tempdir().unwrap();
        let host = host();
        let kubectl = which("kubectl");
        for case in CASES {
            let proxy = ConnectProxy::start().unwrap();
            let kc = write_kc(dir.path(), &host, case, &proxy);
            let out = tool(dir.path())
                .env("KUBECONFIG", &kc)
                .envs(envs(case, &proxy))
                .output()
                .unwrap();
            assert_eq!(
                out.status.success(),
                case.success,
                "{}: {}",
                case.name,
                stderr(&out)
            );
            if case.success {
                assert_eq!(stdout(&out), expected(), "{}", case.name);
            }
            assert_eq!(!proxy.tunnels().is_empty(), case.tunnel, "{}", case.name);

            let Some(kubectl) = &kubectl else { continue };
            let proxy = ConnectProxy::start().unwrap();
            let kc = write_kc(dir.path(), &host, case, &proxy);
            let out = std::process::Command::new(kubectl)
                .env_clear()
                .env("HOME", dir.path())
                .env("KUBECONFIG", &kc)
                .envs(envs(case, &proxy))
                .args(["get", "--raw", USERSIGNUPS_PATH, "--request-timeout", "5s"])
                .output()
                .unwrap();
            assert_eq!(
                out.status.success(),
                case.success,
                "kubectl, {}: {}",
                case.name,
                stderr(&out)
            );
            assert_eq!(
                !proxy.tunnels().is_empty(),
                case.tunnel,
                "kubectl, {}",
                case.name
            );
        }
    }
}
