//! JSON text streams as jq reads them, against the real jq 1.6
//! (`/usr/bin/jq`, the Debian package) running the original filter
//! `jq -c -s '{batch: .}'`.

use assert_cmd::Command;
use testkit::jq;

fn tool() -> Command {
    Command::cargo_bin("mk-segment-batch-payload").unwrap()
}

fn ours(input: &[u8]) -> Vec<u8> {
    let out = tool().write_stdin(input).output().unwrap();
    testkit::exited(&out, 0);
    out.stdout
}

#[test]
fn pretty_printed_and_packed_streams_give_the_originals_payload() {
    let input = testkit::fixture_bytes("payload/sample/input.jsonl");
    let expected = testkit::fixture_bytes("payload/sample/expected.json");
    let pretty = jq(&["."], &input);
    let tabbed = jq(&["--tab", "."], &input);
    // Several values per line, blank lines between.
    let compact = jq(&["-c", "."], &input);
    let mut packed = Vec::new();
    for (i, line) in compact.split(|&b| b == b'\n').enumerate() {
        packed.extend_from_slice(line);
        packed.extend_from_slice(if i % 3 == 2 { b"\n\n  \n" } else { b" " });
    }
    for stream in [&pretty, &tabbed, &packed] {
        assert_eq!(ours(stream), expected);
        assert_eq!(jq(&["-c", "-s", "{batch: .}"], stream), expected);
    }
}

#[test]
fn an_invalid_value_names_its_line_and_column_and_prints_nothing() {
    for (input, at) in [
        ("{\"a\":1}\n{\n  \"b\": 01\n}\n", "line 2, column 1"),
        ("{\"a\":1}  [1, 2,]\n", "line 1, column 10"),
        ("1 2 NaN\n", "line 1, column 5"),
        ("{\"a\":\n", "line 1, column 1"),
    ] {
        let out = tool().write_stdin(input).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{input:?}");
        assert!(out.stdout.is_empty(), "{input:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(&format!("error: {at}: invalid JSON")),
            "{input:?}: {err}"
        );
    }
}
