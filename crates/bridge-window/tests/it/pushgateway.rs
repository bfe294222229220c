//! A real Prometheus Pushgateway (Debian's `prometheus-pushgateway`, installed
//! by `scripts/test.sh`) receives what a tool run pushes: the
//! run's figures and outcome from the entry helper, and the last-success
//! gauge from `bridge-window commit`. A push that fails leaves the exit code
//! alone.

use std::net::TcpListener;

use assert_cmd::Command;
use testkit::pushgateway::Pushgateway;

/// The value of `name` in the group `stage`, from the gateway's /metrics;
/// the line carries the job label.
fn job_value(gw: &Pushgateway, name: &str, stage: &str) -> Option<f64> {
    let text = gw.metrics();
    let stage_label = format!("stage=\"{stage}\"");
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(&stage_label))
        .map(|l| {
            assert!(l.contains("job=\"segment-bridge\""), "{l}");
            l.rsplit(' ').next().unwrap().parse::<f64>().unwrap()
        })
        .next()
}

const NOW: i64 = 1_700_000_000;

fn tool() -> Command {
    let mut c = Command::cargo_bin("bridge-window").unwrap();
    c.env_remove("BRIDGE_STATE_FILE")
        .env_remove("BRIDGE_WINDOW")
        .env_remove("BRIDGE_OVERLAP")
        .env_remove("BRIDGE_MAX_WINDOW")
        .env_remove("PUSHGATEWAY_URL")
        .env("SEGMENT_BRIDGE_BACKOFF_SCALE", "0");
    c
}

#[test]
fn a_run_pushes_its_figures_and_commit_pushes_the_last_success() {
    let gw = Pushgateway::start();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, format!("{{\"watermark\":{}}}", NOW - 9 * 3600)).unwrap();

    // A run that succeeds: the entry helper pushes the run's group.
    tool()
        .env("PUSHGATEWAY_URL", &gw.url)
        .args(["start", "--now", &NOW.to_string(), "--state-file"])
        .arg(&state)
        .assert()
        .success();
    let v = |name: &str| job_value(&gw, name, "bridge-window");
    let last_success = || {
        job_value(
            &gw,
            "segment_bridge_last_success_timestamp_seconds",
            "watermark",
        )
    };
    // Back to the watermark minus 3h: 12h of gap, a first chunk of 6h.
    assert_eq!(v("segment_bridge_window_seconds"), Some(6.0 * 3600.0));
    assert_eq!(v("segment_bridge_backfill_seconds"), Some(8.0 * 3600.0));
    assert_eq!(v("segment_bridge_run_success"), Some(1.0));
    assert_eq!(v("segment_bridge_run_exit_code"), Some(0.0));
    let duration = v("segment_bridge_run_duration_seconds").unwrap();
    assert!((0.0..60.0).contains(&duration), "{duration}");
    let ts = v("segment_bridge_run_timestamp_seconds").unwrap();
    assert!(ts > 1_700_000_000.0, "{ts}");

    // commit: the watermark group gets the last success.
    tool()
        .env("PUSHGATEWAY_URL", format!("{}/", gw.url))
        .args(crate::commit_args(NOW, NOW))
        .arg("--state-file")
        .arg(&state)
        .assert()
        .success();
    assert_eq!(last_success(), Some(NOW as f64));

    // A run that fails (corrupt state: exit 2) replaces its group's outcome
    // but leaves the last success alone.
    std::fs::write(&state, "garbage").unwrap();
    tool()
        .env("PUSHGATEWAY_URL", &gw.url)
        .args(["start", "--state-file"])
        .arg(&state)
        .assert()
        .code(2);
    assert_eq!(v("segment_bridge_run_success"), Some(0.0));
    assert_eq!(v("segment_bridge_run_exit_code"), Some(2.0));
    assert_eq!(v("segment_bridge_window_seconds"), None);
    assert_eq!(last_success(), Some(NOW as f64));
}

#[test]
fn a_failed_push_is_a_warning_and_keeps_the_exit_code() {
    // Nothing listens there: the push fails (after one retry).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tool()
        .env(
            "PUSHGATEWAY_URL",
            format!("http://user:hunter2@127.0.0.1:{port}"),
        )
        .args(["start", "--now", &NOW.to_string()])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(
        stdout,
        format!(
            "QUERY_EARLIEST_TIME={}\nQUERY_LATEST_TIME={NOW}\nBRIDGE_MORE=0\n",
            NOW - 4 * 3600
        )
    );
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("warning: cannot push metrics to `http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // A Pushgateway that refuses the push (a 4xx: no retry) is a warning too.
    let gw = Pushgateway::start();
    let out = tool()
        .env("PUSHGATEWAY_URL", format!("{}/no/such/prefix", gw.url))
        .args(["start", "--now", &NOW.to_string()])
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("the Pushgateway answered"), "{stderr}");
}
