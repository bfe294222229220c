//! The `bridge-window` binary: the windows it prints, how it keeps the
//! watermark, and its errors.

use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;

const H: i64 = 3600;
const T0: i64 = 1_700_000_000;

fn tool() -> Command {
    let mut c = Command::cargo_bin("bridge-window").unwrap();
    for v in [
        "BRIDGE_STATE_FILE",
        "BRIDGE_WINDOW",
        "BRIDGE_OVERLAP",
        "BRIDGE_MAX_WINDOW",
        "PUSHGATEWAY_URL",
    ] {
        c.env_remove(v);
    }
    c
}

/// `bridge-window start` at `now` → (earliest, latest).
fn start(state: &Path, now: i64, extra: &[&str]) -> (i64, i64) {
    let out = tool()
        .args(["start", "--now", &now.to_string(), "--state-file"])
        .arg(state)
        .args(extra)
        .assert()
        .success();
    parse(&String::from_utf8(out.get_output().stdout.clone()).unwrap())
}

fn parse(stdout: &str) -> (i64, i64) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let e = lines[0].strip_prefix("QUERY_EARLIEST_TIME=").unwrap();
    let l = lines[1].strip_prefix("QUERY_LATEST_TIME=").unwrap();
    (e.parse().unwrap(), l.parse().unwrap())
}

fn commit(state: &Path, now: i64, latest: i64) {
    tool()
        .args(["commit", "--latest", &latest.to_string()])
        .args(["--now", &now.to_string(), "--state-file"])
        .arg(state)
        .assert()
        .success();
}

fn watermark(state: &Path) -> i64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    v["watermark"].as_i64().unwrap()
}

#[test]
fn a_nine_hour_outage_is_queried_whole_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    // First run ever: no watermark, the normal 4h window; it succeeds.
    let (e, l) = start(&state, T0, &[]);
    assert_eq!((e, l), (T0 - 4 * H, T0));
    commit(&state, T0, l);
    assert_eq!(watermark(&state), T0);

    // An hour later, all well: the normal window again.
    let (e, l) = start(&state, T0 + H, &[]);
    assert_eq!((e, l), (T0 - 3 * H, T0 + H));
    commit(&state, T0 + H, l);

    // Nine hourly runs fail (start, no commit): the window keeps growing
    // back to the last success.
    for hour in 2..=10 {
        let now = T0 + hour * H;
        let (e, l) = start(&state, now, &[]);
        assert_eq!(l, now);
        assert_eq!(e, (T0 + H - 15 * 60).min(now - 4 * H), "hour {hour}");
    }
    // The first run after the 9-hour outage asks for the whole gap, from the
    // last success minus the 15-minute overlap, and succeeds.
    let now = T0 + 10 * H;
    let (e, l) = start(&state, now, &[]);
    assert_eq!((e, l), (T0 + H - 15 * 60, now));
    assert_eq!(l - e, 9 * H + 15 * 60);
    commit(&state, now, l);

    // Back to normal.
    let (e, l) = start(&state, now + H, &[]);
    assert_eq!((e, l), (now + H - 4 * H, now + H));
}

#[test]
fn the_watermark_never_moves_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    commit(&state, T0, T0);
    // A late commit of an older window (a backfill, a slow run).
    let out = tool()
        .args(["commit", "--latest", &(T0 - 5 * H).to_string()])
        .args(["--now", &T0.to_string(), "--state-file"])
        .arg(&state)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("watermark stays at"), "{stderr}");
    assert_eq!(watermark(&state), T0);
    commit(&state, T0 + H, T0 + H);
    assert_eq!(watermark(&state), T0 + H);
}

#[test]
fn flags_and_env_shape_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    commit(&state, T0, T0);
    let now = T0 + 10 * H;
    // Flags.
    let (e, l) = start(&state, now, &["--window", "90m", "--overlap", "0"]);
    assert_eq!((e, l), (T0, now));
    // The same through the environment, state file included.
    let out = tool()
        .env("BRIDGE_STATE_FILE", &state)
        .env("BRIDGE_WINDOW", "12h")
        .env("BRIDGE_OVERLAP", "30m")
        .args(["start", "--now", &now.to_string()])
        .assert()
        .success();
    let (e, l) = parse(&String::from_utf8(out.get_output().stdout.clone()).unwrap());
    assert_eq!((e, l), (now - 12 * H, now));
    // --max-window: a long gap is caught up oldest part first.
    let (e, l) = start(&state, now, &["--max-window", "6h"]);
    assert_eq!((e, l), (T0 - 15 * 60, T0 - 15 * 60 + 6 * H));
}

#[test]
fn the_printed_assignments_evaluate_in_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let bin = assert_cmd::cargo::cargo_bin("bridge-window");
    let script = format!(
        "set -e; eval \"$('{}' start --now {T0} --state-file '{}')\"; \
         echo \"$QUERY_EARLIEST_TIME..$QUERY_LATEST_TIME\"",
        bin.display(),
        state.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .env_remove("BRIDGE_STATE_FILE")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}..{T0}\n", T0 - 4 * H)
    );
}

#[test]
fn show_prints_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    tool()
        .args(["show", "--now", &T0.to_string(), "--state-file"])
        .arg(&state)
        .assert()
        .success()
        .stdout("{\"watermark\":null,\"age_seconds\":null}\n");
    commit(&state, T0, T0 - H);
    tool()
        .args(["show", "--now", &T0.to_string(), "--state-file"])
        .arg(&state)
        .assert()
        .success()
        .stdout(format!(
            "{{\"watermark\":{},\"age_seconds\":3600}}\n",
            T0 - H
        ));
}

#[test]
fn errors_exit_with_the_right_code_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    // commit with nowhere to record it.
    tool()
        .args(["commit", "--latest", "5"])
        .assert()
        .code(2)
        .stderr(contains("commit needs a state"));
    // A window end in the future.
    tool()
        .args(["commit", "--latest", &(T0 + H).to_string()])
        .args(["--now", &T0.to_string(), "--state-file"])
        .arg(&state)
        .assert()
        .code(2)
        .stderr(contains("is not a past Unix time"));
    assert!(!state.exists());
    // A corrupt state file: exit 2 with a hint, nothing printed.
    std::fs::write(&state, "{\"watermark\":\"yesterday\"}").unwrap();
    tool()
        .args(["start", "--state-file"])
        .arg(&state)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("is not `{\"watermark\":EPOCH}`"))
        .stderr(contains("hint: fix or delete it"));
    // A state that can't be written: exit 1.
    tool()
        .args([
            "commit",
            "--latest",
            &T0.to_string(),
            "--now",
            &T0.to_string(),
        ])
        .arg("--state-file")
        .arg(dir.path().join("missing-dir/state.json"))
        .assert()
        .code(1)
        .stderr(contains("cannot write the watermark"));
    // Bad durations and settings are usage errors.
    tool()
        .args(["start", "--window", "4 hours"])
        .assert()
        .code(2)
        .stderr(contains("is not a duration"));
    tool()
        .args(["start", "--window", "4h", "--max-window", "1h"])
        .assert()
        .code(2)
        .stderr(contains("--max-window (1h) is shorter than --window (4h)"));
    tool().args(["start", "--window", "0"]).assert().code(2);
}

#[test]
fn help_names_every_env_var() {
    let out = tool().args(["start", "--help"]).assert().success();
    let help = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for v in [
        "BRIDGE_STATE_FILE",
        "BRIDGE_WINDOW",
        "BRIDGE_OVERLAP",
        "BRIDGE_MAX_WINDOW",
    ] {
        assert!(help.contains(v), "{v} missing from:\n{help}");
    }
    tool()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("eval \"$(bridge-window start)\""));
}
