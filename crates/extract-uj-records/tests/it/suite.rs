//! nst/JSONTestSuite (`fixtures/jsontestsuite/`, at the workspace root)
//! through the binary, each file alone and between two user-journey
//! events: never a crash; every `n_` file reported as bad (exit 3), except
//! the five that are valid JSON text streams; every `y_` file read as JSON
//! (none is an audit event, so each is reported as not one, never as not
//! JSON); `i_` files as docs/tools/extract-uj-records.md says; and both
//! neighbours always come out, with and without the pre-filter.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::kinds::application;

fn suite() -> Vec<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/jsontestsuite/test_parsing");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 300, "{}", files.len());
    files
}

/// The `n_` files that are valid JSON text streams as jq reads them
/// (fixtures/jsontestsuite/README.md), and whether they hold a value that
/// is not an audit event (which is reported).
const STREAMS: [(&str, bool); 5] = [
    ("n_structure_no_data.json", false),
    ("n_single_space.json", false),
    ("n_structure_UTF8_BOM_no_data.json", false),
    // Two empty arrays: two batches of no events.
    ("n_structure_double_array.json", false),
    // `{"a": true}` and `"x"`: JSON, but no audit event.
    ("n_structure_object_with_trailing_garbage.json", true),
];

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(input: &[u8], prefilter: bool) -> Ran {
    let mut cmd = Command::cargo_bin("extract-uj-records").unwrap();
    cmd.env_remove("QUERY_EARLIEST_TIME")
        .env_remove("QUERY_LATEST_TIME")
        .env_remove("BRIDGE_AUDIT_FORM")
        .args(["--name", "application"]);
    if !prefilter {
        cmd.arg("--no-prefilter");
    }
    let out = cmd.write_stdin(input.to_vec()).output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn every_file_alone() {
    for f in suite() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&f).unwrap();
        for prefilter in [true, false] {
            let ran = run(&bytes, prefilter);
            let said = format!("{name} (prefilter {prefilter}): {}", ran.stderr);
            assert!(matches!(ran.code, Some(0 | 3)), "crashed? {said}");
            assert!(!ran.stderr.contains("panicked"), "{said}");
            if let Some((_, reported)) = STREAMS.iter().find(|(n, _)| *n == name) {
                assert_eq!(ran.code, Some(if *reported { 3 } else { 0 }), "{said}");
                assert!(!ran.stderr.contains("not JSON"), "{said}");
            } else if name.starts_with("n_") {
                assert_eq!(ran.code, Some(3), "{said}");
                assert!(
                    ran.stderr.contains(": not JSON") || ran.stderr.contains("invalid UTF-8"),
                    "{said}"
                );
            } else if name.starts_with("y_") {
                assert!(!ran.stderr.contains("not JSON"), "{said}");
                assert!(!ran.stderr.contains("invalid UTF-8"), "{said}");
            } else {
                // i_: invalid UTF-8 and lone surrogates are rejected as
                // such, nesting deeper than 128 as not JSON; the rest (huge
                // numbers, other encodings' look-alikes) is JSON and, not
                // being an audit event, reported as that.
                assert_eq!(ran.code, Some(3), "{said}");
            }
            assert_eq!(
                ran.stdout, "{\"preview\":false,\"lastrow\":true}\n",
                "{said}"
            );
        }
    }
}

#[test]
fn every_file_between_two_events_keeps_both() {
    let before = application("before").to_string();
    let after = application("after").to_string();
    let mut lost = Vec::new();
    for f in suite() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let mut input = format!("{before}\n").into_bytes();
        input.extend(std::fs::read(&f).unwrap());
        input.extend(format!("\n{after}\n").into_bytes());
        for prefilter in [true, false] {
            let ran = run(&input, prefilter);
            let said = format!("{name} (prefilter {prefilter}): {}", ran.stderr);
            assert!(matches!(ran.code, Some(0 | 3)), "crashed? {said}");
            for id in ["before", "after"] {
                if !ran.stdout.contains(&format!("\"messageId\":\"{id}\"")) {
                    lost.push(format!("{id} lost: {said}"));
                }
            }
        }
    }
    assert!(lost.is_empty(), "{}", lost.join("\n"));
}
