//! The integration tests of `pseudonymize`: the real binary on the
//! reference events, golden output, rejects and the key's secrecy.

use std::path::{Path, PathBuf};

use testkit::{exited, failed_with, fixture_text, stderr, stdout, temp_file, tool};

const KEY: &str = "golden-test-key-4f1c2a9e0b7d3865";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(key_file: &Path, args: &[&str], input: &str) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    tool("pseudonymize", home.path())
        .env("PSEUDONYMIZE_KEY_FILE", key_file)
        .args(args)
        .write_stdin(input.to_owned())
        .output()
        .unwrap()
}

/// The string `key` of every event (one per line) of `text`.
fn field(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v[key].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn the_reference_events_give_the_golden_output_byte_for_byte() {
    let input = fixture_text("s2s/sample/expected.jsonl");
    let out = run(&fixture("key"), &[], &input);
    exited(&out, 0);
    let golden = std::fs::read_to_string(fixture("golden.jsonl")).unwrap();
    assert_eq!(stdout(&out), golden);
    // messageIds are kept, in order.
    assert_eq!(
        field(&stdout(&out), "messageId"),
        field(&input, "messageId")
    );
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
}

#[test]
fn another_key_gives_other_ids_and_the_same_key_the_same() {
    let input = fixture_text("s2s/sample/expected.jsonl");
    let (_d, other) = temp_file("key", "another-key-entirely-7d2e99b1");
    let a = stdout(&run(&fixture("key"), &[], &input));
    let b = stdout(&run(&other, &[], &input));
    assert_eq!(a, stdout(&run(&fixture("key"), &[], &input)));
    for (x, y) in field(&a, "userId").iter().zip(field(&b, "userId")) {
        assert_ne!(*x, y);
        assert_eq!(x.len(), 64);
    }
}

#[test]
fn listed_fields_are_added_and_bad_records_are_rejected_with_their_line() {
    let (dir, rejects) = temp_file("rejects.jsonl", "");
    let input = "{\"messageId\":\"a\",\"userId\":\"alice\",\"properties\":{\"src_url\":\"https://github.com/alice/x\",\"n\":1.0e2}}\n\
                 not json\n\
                 {\"messageId\":\"b\",\"userId\":true}\n\
                 {\"messageId\":\"c\",\n  \"namespace\":\"alice-tenant\"}\n";
    let out = run(
        &fixture("key"),
        &[
            "--field",
            "properties.src_url",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        input,
    );
    let err = exited(&out, 3);
    assert!(err.contains("line 2: invalid JSON"), "{err}");
    assert!(
        err.contains(
            "line 3: `userId` is a boolean; only a string or a number can be pseudonymized"
        ),
        "{err}"
    );
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].ends_with(",\"n\":1.0e2}}"), "{}", lines[0]);
    for clear in ["alice", "github"] {
        assert!(!text.contains(clear), "{clear} in {text}");
    }
    assert!(lines[1].starts_with("{\"messageId\":\"c\",\"namespace\":\""));
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(
        rejected,
        "not json\n{\"messageId\":\"b\",\"userId\":true}\n"
    );
    drop(dir);
}

#[test]
fn a_missing_or_short_key_is_a_configuration_error_that_never_shows_the_key() {
    let out = run(Path::new("/nonexistent/key"), &[], "{}\n");
    failed_with(&out, 2, &["cannot read `/nonexistent/key`"]);
    let (_d, short) = temp_file("key", "tooshort-secret\n");
    let out = run(&short, &[], "{}\n");
    let err = failed_with(&out, 2, &["holds 15 bytes, at least 16"]);
    assert!(!err.contains("tooshort-secret"), "{err}");
    let out = run(&fixture("key"), &["--field", "a..b"], "{}\n");
    failed_with(&out, 2, &["field path `a..b` has an empty key"]);
}
