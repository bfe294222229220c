//! The `bridge-window` binary: the windows it prints, how it keeps the
//! watermark, and its errors.

use std::ffi::OsStr;
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
        "BRIDGE_INTERVAL",
        "BRIDGE_NOW",
        "PUSHGATEWAY_URL",
    ] {
        c.env_remove(v);
    }
    c
}

/// `bridge-window start` at `now` → (earliest, latest), checking that
/// `BRIDGE_MORE` is 0.
fn start(state: &Path, now: i64, extra: &[&str]) -> (i64, i64) {
    let (e, l, more) = start_chunk(state, now, extra);
    assert!(!more);
    (e, l)
}

/// `bridge-window start` at `now` → (earliest, latest, more chunks follow).
fn start_chunk(state: &Path, now: i64, extra: &[&str]) -> (i64, i64, bool) {
    let out = on_state(["start", "--now", &now.to_string()], state)
        .args(extra)
        .assert()
        .success();
    parse(&String::from_utf8(out.get_output().stdout.clone()).unwrap())
}

fn parse(stdout: &str) -> (i64, i64, bool) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let e = lines[0].strip_prefix("QUERY_EARLIEST_TIME=").unwrap();
    let l = lines[1].strip_prefix("QUERY_LATEST_TIME=").unwrap();
    let more = lines[2].strip_prefix("BRIDGE_MORE=").unwrap();
    (e.parse().unwrap(), l.parse().unwrap(), more == "1")
}

fn commit(state: &Path, now: i64, latest: i64) {
    on_state(crate::commit_args(latest, now), state)
        .assert()
        .success();
}

/// The tool with `args`, then `--state-file STATE`.
fn on_state<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>, state: &Path) -> Command {
    let mut c = tool();
    c.args(args).arg("--state-file").arg(state);
    c
}

/// Asserts that `cmd` exits `code`, prints nothing on stdout and says each
/// of `said` on stderr.
fn fails(cmd: &mut Command, code: i32, said: &[&str]) {
    testkit::failed_with(&cmd.output().unwrap(), code, said);
}

fn watermark(state: &Path) -> i64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    v["watermark"].as_i64().unwrap()
}

#[test]
fn a_nine_hour_outage_is_worked_through_in_chunks() {
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

    // Hourly runs fail (start, no commit): every window reaches back to the
    // last success minus (look-back - interval), at most 6h at a time.
    for hour in 2..=10 {
        let now = T0 + hour * H;
        let (e, l, more) = start_chunk(&state, now, &[]);
        assert_eq!(e, T0 - 2 * H, "hour {hour}");
        assert_eq!(l, now.min(e + 6 * H), "hour {hour}");
        assert_eq!(more, l < now);
    }
    // The first run after the 9-hour outage works through the gap in
    // chunks, oldest first, committing each.
    let now = T0 + 10 * H;
    let mut chunks = Vec::new();
    loop {
        let (e, l, more) = start_chunk(&state, now, &[]);
        chunks.push((e - T0, l - T0));
        commit(&state, now, l);
        if !more {
            break;
        }
    }
    assert_eq!(
        chunks,
        [(-2 * H, 4 * H), (H, 7 * H), (4 * H, 10 * H)],
        "chunks of 6h, each reaching 3h back before the last commit"
    );
    assert_eq!(watermark(&state), now);

    // Back to normal.
    let (e, l) = start(&state, now + H, &[]);
    assert_eq!((e, l), (now + H - 4 * H, now + H));
}

#[test]
fn the_watermark_never_moves_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // The first commit sets it, and says the time as a number.
    let out = on_state(crate::commit_args(T0, T0), &state)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(&format!("watermark set to {T0}")),
        "{stderr}"
    );
    assert!(!stderr.contains("Some("), "{stderr}");
    // A late commit of an older window (a backfill, a slow run).
    let out = on_state(crate::commit_args(T0 - 5 * H, T0), &state)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(&format!("watermark stays at {T0}")),
        "{stderr}"
    );
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
    // Flags: reach back max(90m - 1h, 0) = 30m, in chunks of 6h.
    let (e, l, more) = start_chunk(&state, now, &["--window", "90m", "--overlap", "0"]);
    assert_eq!((e, l, more), (T0 - H / 2, T0 - H / 2 + 6 * H, true));
    let flags = ["--window", "3h", "--interval", "30m", "--max-window", "1d"];
    let (e, l) = start(&state, now, &flags);
    assert_eq!((e, l), (T0 - 5 * H / 2, now));
    // The same through the environment, state file and clock included.
    let out = tool()
        .env("BRIDGE_STATE_FILE", &state)
        .env("BRIDGE_WINDOW", "12h")
        .env("BRIDGE_OVERLAP", "30m")
        .env("BRIDGE_MAX_WINDOW", "1d")
        .env("BRIDGE_NOW", now.to_string())
        .arg("start")
        .assert()
        .success();
    let (e, l, _) = parse(&String::from_utf8(out.get_output().stdout.clone()).unwrap());
    assert_eq!((e, l), (T0 - 11 * H, now));
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
    on_state(["show", "--now", &T0.to_string()], &state)
        .assert()
        .success()
        .stdout("{\"watermark\":null,\"age_seconds\":null,\"ledger_ids\":0}\n");
    commit(&state, T0, T0 - H);
    on_state(["show", "--now", &T0.to_string()], &state)
        .assert()
        .success()
        .stdout(format!(
            "{{\"watermark\":{},\"age_seconds\":3600,\"ledger_ids\":0}}\n",
            T0 - H
        ));
}

#[test]
fn errors_exit_with_the_right_code_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    // commit with nowhere to record it; bad durations and settings: usage
    // errors.
    let usage: [(&[&str], &[&str]); 4] = [
        (&["commit", "--latest", "5"], &["commit needs a state"]),
        (&["start", "--window", "4 hours"], &["is not a duration"]),
        (
            &["start", "--window", "4h", "--max-window", "1h"],
            &["--max-window (1h) is shorter than --window (4h)"],
        ),
        (&["start", "--window", "0"], &[]),
    ];
    for (args, said) in usage {
        fails(tool().args(args), 2, said);
    }
    // A window end in the future.
    fails(
        &mut on_state(crate::commit_args(T0 + H, T0), &state),
        2,
        &["is not a past Unix time"],
    );
    assert!(!state.exists());
    // A corrupt state file: exit 2 with a hint.
    std::fs::write(&state, "{\"watermark\":\"yesterday\"}").unwrap();
    fails(
        &mut on_state(["start"], &state),
        2,
        &["is not `{\"watermark\":EPOCH}`", "hint: fix or delete it"],
    );
    // A state that can't be written: exit 1.
    let unwritable = dir.path().join("missing-dir/state.json");
    fails(
        &mut on_state(crate::commit_args(T0, T0), &unwritable),
        1,
        &["cannot write the watermark"],
    );
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
