//! The uploaders read a JSON text stream, as the original's jq did:
//! pretty-printed events and several on a line are sent exactly as the same
//! events one per line; a bad value is rejected with its line and column and
//! the rest is still sent.

use testkit::segment::{assert_streams_are_sent_as_lines, events, pretty, standin, tool};

#[test]
fn pretty_printed_and_packed_events_are_sent_as_json_lines_are() {
    assert_streams_are_sent_as_lines("segment-mass-uploader");
}

#[test]
fn a_bad_value_is_named_by_line_and_column_and_the_rest_is_sent() {
    let lines = events(3, 200);
    let text = format!(
        "{}\n  {{\"messageId\":\"bad\",\"userId\":01}}\n{}\n{}\n",
        pretty(&lines[..1]).trim_end(),
        lines[1],
        lines[2]
    );
    let s = standin(&[]);
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let out = tool("segment-mass-uploader", home.path(), &s.url())
        .arg("--rejects")
        .arg(&rejects)
        .write_stdin(text.clone())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let bad_line = text.lines().position(|l| l.contains("\"bad\"")).unwrap() + 1;
    assert!(
        stderr.contains(&format!("line {bad_line}: invalid JSON")),
        "{stderr}"
    );
    assert!(stderr.contains("column 3"), "{stderr}");
    assert_eq!(s.message_ids().len(), 3, "{stderr}");
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected, "{\"messageId\":\"bad\",\"userId\":01}\n");
}

#[test]
fn the_shared_options_are_checked_before_anything_is_sent() {
    testkit::segment::assert_upload_options_are_checked_first("segment-mass-uploader");
}
