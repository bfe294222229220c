//! The reference fixture of the original implementation, reproduced byte for
//! byte by the binary and record for record (keys in order) in-process.

use crate::common::{fixture, keys, parse_lines};
use segment_bridge_core::ExitStatus;

#[test]
fn sample_is_byte_identical_to_the_original() {
    let dir = fixture("sample");
    let expected = std::fs::read(dir.join("expected.jsonl")).unwrap();
    let expected_exit: i32 = std::fs::read_to_string(dir.join("expected.exit"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    for threads in ["1", "2", "0"] {
        let out = assert_cmd::Command::cargo_bin("splunk-to-segment")
            .unwrap()
            .env_remove("PUSHGATEWAY_URL")
            .env("UID_MAP_FILE", dir.join("uid-map.json"))
            .env("WS_MAP_FILE", dir.join("ws-map.json"))
            .args(["--quiet", "--threads", threads])
            .pipe_stdin(dir.join("input.jsonl"))
            .unwrap()
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(expected_exit));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(out.stdout, expected);
        // expected.stderr is empty, and so is ours with --quiet.
        assert_eq!(
            out.stderr,
            std::fs::read(dir.join("expected.stderr")).unwrap()
        );
    }
}

#[test]
fn sample_in_process_record_for_record() {
    let dir = fixture("sample");
    let args = <splunk_to_segment::Args as clap::Parser>::parse_from(testkit::s2s_argv(
        &dir,
        &["--quiet"],
    ));
    let input = std::fs::read(dir.join("input.jsonl")).unwrap();
    let mut out = Vec::new();
    let outcome = splunk_to_segment::run(args, &mut &input[..], &mut out).unwrap();
    assert_eq!(outcome.status, ExitStatus::Ok);
    let got = parse_lines(&out);
    let want = parse_lines(&std::fs::read(dir.join("expected.jsonl")).unwrap());
    assert_eq!(got.len(), 18);
    assert_eq!(got, want);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(keys(g), keys(w));
        assert_eq!(keys(&g["properties"]), keys(&w["properties"]));
    }
    let count = |name| {
        outcome
            .counts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap()
    };
    assert_eq!(count("events_read"), 25);
    assert_eq!(count("events_emitted"), 18);
    assert_eq!(count("markers_skipped"), 1);
    assert_eq!(
        count("dropped_no_workspace") + count("dropped_no_owner_id") + count("dropped_no_user_id"),
        6
    );
    assert_eq!(count("events_rejected"), 0);
}
