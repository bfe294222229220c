//! mk-segment-batch-payload against the original's reference output.

use assert_cmd::Command;

fn tool() -> Command {
    Command::cargo_bin("mk-segment-batch-payload").unwrap()
}

#[test]
fn sample_is_byte_identical_to_the_original() {
    let input = testkit::fixture_bytes("payload/sample/input.jsonl");
    let expected = testkit::fixture_bytes("payload/sample/expected.json");
    let out = tool().write_stdin(input).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, expected);
}

#[test]
fn empty_input_gives_an_empty_batch() {
    tool()
        .write_stdin("")
        .assert()
        .success()
        .stdout("{\"batch\":[]}\n");
    tool()
        .write_stdin("\n  \n")
        .assert()
        .success()
        .stdout("{\"batch\":[]}\n");
}

#[test]
fn number_literals_are_kept_and_whitespace_removed() {
    let input = "{ \"n\": 12345678901234567890123, \"f\": 1.0 , \"e\":1E+2}\n\n[ 1, \"a b\" ]\r\n7";
    tool().write_stdin(input).assert().success().stdout(
        "{\"batch\":[{\"n\":12345678901234567890123,\"f\":1.0,\"e\":1E+2},[1,\"a b\"],7]}\n",
    );
}

#[test]
fn an_invalid_line_is_named_and_nothing_is_printed() {
    let out = tool()
        .write_stdin("{\"a\":1}\n{\"b\":NaN}\n{\"c\":3}\n")
        .output()
        .unwrap();
    testkit::failed_with(
        &out,
        1,
        &["mk-segment-batch-payload: error: line 2, column 1: invalid JSON"],
    );
}

#[test]
fn in_process_run_counts_events() {
    use clap::Parser as _;
    let args = mk_segment_batch_payload::Args::parse_from(["mk-segment-batch-payload"]);
    let mut out = Vec::new();
    let outcome = mk_segment_batch_payload::run(args, &mut &b"1\n2\n"[..], &mut out).unwrap();
    assert_eq!(out, b"{\"batch\":[1,2]}\n");
    assert_eq!(outcome.get("events_read"), Some(2));
}
