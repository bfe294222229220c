//! The watermark in a ConfigMap, against the Kubernetes API stand-in (HTTPS
//! with its own CA and a bearer token, as a real cluster).

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::json;
use standins::kube::{write_kubeconfig, KubeStandin, TlsCluster, CONFIGMAPS};

const H: i64 = 3600;
const T0: i64 = 1_700_000_000;
const NS: &str = "segment-bridge";
const CM: &str = "segment-bridge-state";

struct Cluster {
    tls: TlsCluster,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

fn cluster() -> Cluster {
    let tls = TlsCluster::start(KubeStandin::new(), "s3cret-token").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    write_kubeconfig(
        &kubeconfig,
        &[tls.entry("here", "here-cluster").namespace(NS)],
        None,
    )
    .unwrap();
    Cluster {
        tls,
        kubeconfig,
        _dir: dir,
    }
}

fn tool(kubeconfig: &Path) -> Command {
    // A clean environment (no BRIDGE_* of the machine), HOME beside the
    // kubeconfig.
    let home = kubeconfig.parent().unwrap_or(Path::new("/nonexistent"));
    let mut c = testkit::tool("bridge-window", home);
    c.env("KUBECONFIG", kubeconfig)
        .env("BRIDGE_STATE_CONFIGMAP", CM);
    c
}

/// `bridge-window commit --latest LATEST --now NOW`.
fn commit(k: &Path, latest: i64, now: i64) -> Command {
    let mut c = tool(k);
    c.args(crate::commit_args(latest, now));
    c
}

fn start(k: &Path, now: i64) -> (i64, i64) {
    let out = tool(k)
        .args(["start", "--now", &now.to_string()])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut it = text
        .lines()
        .map(|l| l.split_once('=').unwrap().1.parse().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

fn stored(c: &Cluster, ns: &str) -> Option<String> {
    c.tls
        .standin
        .get(CONFIGMAPS, ns, CM)
        .map(|cm| cm["data"]["state.json"].as_str().unwrap().to_owned())
}

#[test]
fn a_nine_hour_outage_with_the_watermark_in_a_configmap() {
    let c = cluster();
    let k = &c.kubeconfig;
    // No ConfigMap yet: the normal window; a commit creates it.
    assert_eq!(start(k, T0), (T0 - 4 * H, T0));
    commit(k, T0, T0).assert().success();
    assert_eq!(
        stored(&c, NS).as_deref(),
        Some("{\"watermark\":1700000000}")
    );
    // It was created (nothing to be conditional on yet), with our field
    // manager.
    let creates: Vec<_> = c
        .tls
        .standin
        .requests_to(&format!("/api/v1/namespaces/{NS}/configmaps"))
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(creates.len(), 1);
    assert_eq!(
        creates[0].query_param("fieldManager").as_deref(),
        Some("segment-bridge")
    );

    // Nine hours of failed runs later: back to the watermark minus (4h -
    // 1h), the first 6h chunk of the gap.
    let now = T0 + 9 * H;
    assert_eq!(start(k, now), (T0 - 3 * H, T0 + 3 * H));
    commit(k, now, now).assert().success();
    assert_eq!(stored(&c, NS), Some(format!("{{\"watermark\":{now}}}")));
    // An older commit does not move it back.
    commit(k, T0, now).assert().success();
    assert_eq!(stored(&c, NS), Some(format!("{{\"watermark\":{now}}}")));
    assert_eq!(start(k, now + H), (now + H - 4 * H, now + H));
}

#[test]
fn namespace_flag_and_other_keys_of_the_configmap() {
    let c = cluster();
    // A ConfigMap someone else also writes to: our key only is touched.
    c.tls
        .standin
        .add(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": CM, "namespace": "other"},
            "data": {"state.json": format!("{{\"watermark\":{}}}", T0 - 9 * H), "note": "keep"}
        }))
        .unwrap();
    let out = tool(&c.kubeconfig)
        .args([
            "start",
            "--state-namespace",
            "other",
            "--now",
            &T0.to_string(),
        ])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8(out.get_output().stdout.clone()).unwrap(),
        format!(
            "QUERY_EARLIEST_TIME={}\nQUERY_LATEST_TIME={}\nBRIDGE_MORE=1\n",
            T0 - 12 * H,
            T0 - 6 * H
        )
    );
    tool(&c.kubeconfig)
        .env("BRIDGE_STATE_NAMESPACE", "other")
        .args(crate::commit_args(T0, T0))
        .assert()
        .success();
    let cm = c.tls.standin.get(CONFIGMAPS, "other", CM).unwrap();
    assert_eq!(cm["data"]["state.json"], format!("{{\"watermark\":{T0}}}"));
    assert_eq!(cm["data"]["note"], "keep");
    assert_eq!(stored(&c, NS), None);
}

#[test]
fn cluster_failures_and_corrupt_state() {
    let c = cluster();
    let k = &c.kubeconfig;
    // A corrupt watermark: usage error, with a hint.
    c.tls
        .standin
        .add(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": CM, "namespace": NS},
            "data": {"state.json": "{}"}
        }))
        .unwrap();
    tool(k)
        .args(["start"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(
            "ConfigMap `segment-bridge/segment-bridge-state` key `state.json`",
        ))
        .stderr(contains("hint: fix or delete it"));

    // The API server fails: start and commit fail (exit 1) and say where;
    // the commit wrote nothing.
    c.tls.standin.fail_all(Some(503));
    tool(k)
        .args(["start"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains(
            "cannot read the watermark from ConfigMap `segment-bridge/segment-bridge-state`",
        ));
    commit(k, T0, T0).assert().code(1);
    c.tls.standin.fail_all(None);
    assert_eq!(stored(&c, NS).as_deref(), Some("{}"));

    // The token never shows in what we print.
    let out = tool(k).args(["start"]).assert();
    assert!(!String::from_utf8_lossy(&out.get_output().stderr).contains("s3cret-token"));
}

#[test]
fn an_empty_configmap_name_means_no_state() {
    // The backfill Job switches the watermark off with an empty value.
    let dir = tempfile::tempdir().unwrap();
    tool(&dir.path().join("no-kubeconfig"))
        .env("BRIDGE_STATE_CONFIGMAP", "")
        .args(["commit", "--latest", "5"])
        .assert()
        .code(2)
        .stderr(contains("commit needs a state"));
    tool(&dir.path().join("no-kubeconfig"))
        .env("BRIDGE_STATE_CONFIGMAP", "")
        .args(["start", "--now", &T0.to_string()])
        .assert()
        .success()
        .stdout(format!(
            "QUERY_EARLIEST_TIME={}\nQUERY_LATEST_TIME={T0}\nBRIDGE_MORE=0\n",
            T0 - 4 * H
        ));
}

/// Two runs commit at once (a backfill Job beside the CronJob), each with
/// its own ledger entries, against a slow API server so that both read the
/// state before either writes: the later write is refused (409 Conflict),
/// read again and merged. Neither run's entries are lost, and the watermark
/// is the later of the two, whichever run wrote last.
#[test]
fn two_runs_committing_at_once_lose_nothing() {
    let c = cluster();
    let k = &c.kubeconfig;
    commit(k, T0, T0).assert().success();
    let dir = tempfile::tempdir().unwrap();
    let ids = |name: &str, prefix: &str| {
        let p = dir.path().join(name);
        let text: String = (0..50).map(|i| format!("{prefix}-{i}\n")).collect();
        std::fs::write(&p, text).unwrap();
        p
    };
    let (cron, backfill) = (ids("cron", "cron"), ids("backfill", "backfill"));
    c.tls.standin.set_delay(Duration::from_millis(400));
    let run = |latest: i64, ledger: &Path| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bridge-window"));
        cmd.env_clear()
            .env("HOME", dir.path())
            .env("KUBECONFIG", k)
            .env("BRIDGE_STATE_CONFIGMAP", CM)
            .args(crate::commit_args(latest, T0 + 2 * H))
            .arg("--ledger")
            .arg(ledger);
        cmd.spawn().unwrap()
    };
    // The hourly run moves the watermark; the backfill commits an older
    // window (its watermark must not win).
    let a = run(T0 + 2 * H, &cron);
    let b = run(T0 + H, &backfill);
    for mut child in [a, b] {
        assert!(child.wait().unwrap().success());
    }
    c.tls.standin.set_delay(Duration::ZERO);
    let conflicts = c
        .tls
        .standin
        .requests()
        .iter()
        .filter(|r| r.status == 409)
        .count();
    assert!(conflicts >= 1, "the two writes did not race");
    let state: serde_json::Value = serde_json::from_str(&stored(&c, NS).unwrap()).unwrap();
    assert_eq!(state["watermark"], T0 + 2 * H);
    let ledger = state["ledger"].as_object().unwrap();
    let all: Vec<&str> = ledger
        .values()
        .flat_map(|ids| ids.as_array().unwrap())
        .map(|id| id.as_str().unwrap())
        .collect();
    for prefix in ["cron", "backfill"] {
        assert_eq!(
            all.iter().filter(|id| id.starts_with(prefix)).count(),
            50,
            "{prefix}: {state}"
        );
    }
}
