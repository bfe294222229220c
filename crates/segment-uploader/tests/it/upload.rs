//! segment-uploader against the Segment stand-in.

use testkit::segment as common;

use common::*;

const BIN: &str = "segment-uploader";

#[test]
fn sends_the_sample_as_one_batch() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let input = testkit::fixture_text("payload/sample/input.jsonl");
    tool(BIN, dir.path(), &s.url())
        .write_stdin(input.clone())
        .assert()
        .code(0)
        .stdout("");
    let r = s.received();
    assert_eq!(r.requests, 1);
    let sent: Vec<String> = r.events.iter().map(|e| e.get().to_owned()).collect();
    assert_eq!(sent, input.lines().collect::<Vec<_>>(), "byte for byte");
    // The body is exactly mk-segment-batch-payload's output.
    let expected = testkit::fixture_bytes("payload/sample/expected.json");
    assert_eq!(r.body_sizes, vec![expected.len() - 1]);
}

#[test]
fn dry_run_prints_the_payload_of_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let input = testkit::fixture_bytes("payload/sample/input.jsonl");
    let expected = testkit::fixture_bytes("payload/sample/expected.json");
    tool(BIN, dir.path(), "http://127.0.0.1:9/v1/batch")
        .env_remove("SEGMENT_WRITE_KEY")
        .arg("--dry-run")
        .write_stdin(input)
        .assert()
        .code(0)
        .stdout(expected);
    tool(BIN, dir.path(), "http://127.0.0.1:9/v1/batch")
        .arg("--dry-run")
        .write_stdin("")
        .assert()
        .code(0)
        .stdout("{\"batch\":[]}\n");
}

#[test]
fn input_larger_than_one_batch_is_refused_before_sending() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (out, stderr) = send(BIN, dir.path(), &s.url(), &[], &events(200, 4_000));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(s.requests(), 0);
    assert!(
        stderr.contains("input does not fit in one batch") && stderr.contains("line 125"),
        "{stderr}"
    );
    assert!(stderr.contains("segment-mass-uploader"), "{stderr}");
    // 2,501 tiny events: over the event count.
    let (out, _) = send(BIN, dir.path(), &s.url(), &[], &events(2_501, 100));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(s.requests(), 0);
}

#[test]
fn retries_what_can_succeed_and_fails_at_once_on_the_rest() {
    for (fault, code, requests) in [
        ("503@first=3", 0, 4),
        ("429+2@first=1", 0, 2),
        ("drop@first=2", 0, 3),
        ("500", 1, 4),
        ("400", 1, 1),
        ("404", 1, 1),
        ("501", 1, 1),
    ] {
        let s = standin(&[fault]);
        let dir = tempfile::tempdir().unwrap();
        let (out, stderr) = send(BIN, dir.path(), &s.url(), &[], &events(3, 200));
        assert_eq!(out.status.code(), Some(code), "{fault}: {stderr}");
        assert_eq!(s.requests(), requests, "{fault}");
        if code == 0 {
            assert_eq!(s.message_ids(), ids(3));
        } else {
            assert!(
                stderr.contains("cannot deliver the batch of 3 events"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn invalid_events_are_rejected_and_the_rest_sent() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("r.jsonl");
    let mut lines = events(2, 200);
    lines.insert(1, r#"{"type":"track","event":"e"}"#.to_owned());
    let (out, stderr) = send(BIN, dir.path(), &s.url(), &[&"--rejects", &rejects], &lines);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(s.message_ids(), ids(2));
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        "{\"type\":\"track\",\"event\":\"e\"}\n"
    );
    assert!(stderr.contains("line 2: no `userId`"));
}

#[test]
fn a_wrong_key_fails_without_showing_it() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = tool(BIN, dir.path(), &s.url())
        .env("SEGMENT_WRITE_KEY", "not-the-key-XYZ")
        .env("LOG_LEVEL", "debug")
        .write_stdin(input(&events(1, 200)))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(s.requests(), 1, "401 is not retried");
    let all = String::from_utf8_lossy(&out.stderr);
    assert!(all.contains("401"), "{all}");
    assert!(
        !all.contains("not-the-key-XYZ") && !all.contains(KEY),
        "{all}"
    );
}
