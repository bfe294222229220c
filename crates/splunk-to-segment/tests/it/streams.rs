//! JSON text streams (docs/json-streams.md) against the real jq 1.6
//! (`/usr/bin/jq`, the Debian package) running the original filter
//! (`scripts/bench/s2s.jq`): pretty-printed dumps, several values per line,
//! blank lines, values split anywhere white space may go. The output must be
//! the original's, record for record (here even byte for byte, as `jq .`
//! prints number literals the way jq's own output does).

use std::path::{Path, PathBuf};

use testkit::jq;

use crate::common::{fixture, parse_lines};

/// The original: the filter over the stream, maps slurped.
pub(crate) fn original(dir: &Path, input: &[u8]) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let filter = root.join("scripts/bench/s2s.jq");
    let names = root.join("crates/splunk-to-segment/src/event-names.json");
    let p = |p: &Path| p.to_str().unwrap().to_owned();
    let (uid, ws) = (p(&dir.join("uid-map.json")), p(&dir.join("ws-map.json")));
    let (names, filter) = (p(&names), p(&filter));
    jq(
        &[
            "-c",
            "--slurpfile",
            "uidm",
            &uid,
            "--slurpfile",
            "wksm",
            &ws,
            "--slurpfile",
            "evn",
            &names,
            "-f",
            &filter,
        ],
        input,
    )
}

fn ours(dir: &Path, input: &[u8], threads: &str) -> (i32, Vec<u8>, String) {
    let out = assert_cmd::Command::cargo_bin("splunk-to-segment")
        .unwrap()
        .env_remove("PUSHGATEWAY_URL")
        .env("UID_MAP_FILE", dir.join("uid-map.json"))
        .env("WS_MAP_FILE", dir.join("ws-map.json"))
        .args(["--threads", threads])
        .write_stdin(input)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    (out.status.code().unwrap(), out.stdout, err)
}

/// The fixture's rows laid out in every way jq accepts.
fn layouts(input: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let compact = jq(&["-c", "."], input);
    let rows: Vec<&[u8]> = compact
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut packed = Vec::new();
    let mut mixed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        packed.extend_from_slice(row);
        packed.extend_from_slice(if i % 3 == 2 { b"\n\n \t\n" } else { b" " });
        // Alternate: pretty rows, rows sharing a line, a row split at a colon.
        match i % 3 {
            0 => mixed.extend_from_slice(&jq(&["."], row)),
            1 => {
                mixed.extend_from_slice(row);
                mixed.push(b' ');
            }
            _ => {
                let cut = row.iter().position(|&b| b == b':').unwrap_or(0) + 1;
                mixed.extend_from_slice(&row[..cut]);
                mixed.extend_from_slice(b"\r\n\n   ");
                mixed.extend_from_slice(&row[cut..]);
                mixed.push(b'\n');
            }
        }
    }
    vec![
        ("pretty", jq(&["."], input)),
        ("tab", jq(&["--tab", "."], input)),
        ("packed", packed),
        ("mixed", mixed),
    ]
}

#[test]
fn streams_give_the_originals_records() {
    let dir = fixture("sample");
    let input = std::fs::read(dir.join("input.jsonl")).unwrap();
    let expected = std::fs::read(dir.join("expected.jsonl")).unwrap();
    for (name, stream) in layouts(&input) {
        let want = original(&dir, &stream);
        assert_eq!(parse_lines(&want), parse_lines(&expected), "jq on {name}");
        for threads in ["1", "2"] {
            let (code, out, err) = ours(&dir, &stream, threads);
            assert_eq!(code, 0, "{name}: {err}");
            assert_eq!(parse_lines(&out), parse_lines(&want), "{name}");
            assert_eq!(out, expected, "{name}, byte for byte");
            assert!(err.contains("read 25, emitted 18"), "{name}: {err}");
        }
    }
}

#[test]
fn a_bad_value_is_named_by_line_and_column_and_the_rest_goes_on() {
    let dir = fixture("sample");
    let input = std::fs::read(dir.join("input.jsonl")).unwrap();
    let expected = std::fs::read(dir.join("expected.jsonl")).unwrap();
    let pretty = jq(&["."], &input);
    // A bad value (a NaN, a `+1`) in the middle, pretty-printed over lines
    // 3-5, and a value cut off by the next one (line 7).
    let mut stream = b"null\n\n{\n  \"result\":\n    NaN\n}\n{\"result\": {\"a\": +1\n".to_vec();
    stream.extend_from_slice(&pretty);
    for threads in ["1", "2"] {
        let (code, out, err) = ours(&dir, &stream, threads);
        assert_eq!(code, 3, "{err}");
        assert_eq!(out, expected);
        assert!(
            err.contains(
                "line 3, column 1: invalid JSON: NaN and Infinity are not JSON (line 5, column 5)"
            ),
            "{err}"
        );
        assert!(
            err.contains("line 7, column 1: invalid JSON: `+` before a number is not JSON (line 7, column 18)"),
            "{err}"
        );
        assert!(
            err.contains("read 28, emitted 18, markers skipped 2"),
            "{err}"
        );
        assert!(err.contains("rejected 2"), "{err}");
    }
}
