//! A reader that goes away (`splunk-to-segment | head -1`) is not a failure:
//! the core entry helper turns the broken pipe into a quiet exit 0, so that
//! `set -o pipefail` pipelines with `head` don't fail. This makes the pipe
//! break for real: the reader closes after one line while megabytes remain.

use std::io::{BufRead, BufReader, Write};

use crate::common::fixture;

#[test]
fn closed_stdout_is_a_quiet_exit_0() {
    let input = std::fs::read_to_string(fixture("sample/input.jsonl")).unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("splunk-to-segment"));
    cmd.env_remove("LOG_FORMAT")
        .env_remove("LOG_LEVEL")
        .env_remove("PUSHGATEWAY_URL")
        .arg("--uid-map")
        .arg(fixture("sample/uid-map.json"))
        .arg("--ws-map")
        .arg(fixture("sample/ws-map.json"));
    let (mut child, writer) = testkit::spawn_fed(&mut cmd, move |mut stdin| {
        // About 16 MB of output in all: far more than any pipe buffer. The
        // writes fail once the tool has stopped reading; that is expected.
        for _ in 0..1500 {
            if stdin.write_all(input.as_bytes()).is_err() {
                break;
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"messageId\":"), "{first}");
    drop(stdout);

    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "stderr: {stderr}");
}
