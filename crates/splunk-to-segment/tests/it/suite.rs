//! JSONTestSuite through splunk-to-segment (testkit::reemit_suite has the
//! rules), in each input format that reads a text stream (auto, jsonl),
//! and jq's rules for what strict JSON leaves open checked against the
//! original filter run by the real jq 1.6.

use testkit::reemit_suite::{self, Reports};

use crate::common::fixture;
use crate::streams::original;

/// A row the sample maps map, its `event` and `properties` given.
fn row_with(id: &str, event: &[u8], properties: &[u8]) -> Vec<u8> {
    let mut row = format!(
        r#"{{"result":{{"messageId":"{id}","namespace":"nebula-tenant","userId":"smerriweather","timestamp":"t","type":"track","context":"{{}}","event":"#
    )
    .into_bytes();
    row.extend_from_slice(event);
    row.extend_from_slice(br#","properties":""#);
    row.extend_from_slice(properties);
    row.extend_from_slice(b"\"}}");
    row
}

fn good_row(id: &str) -> Vec<u8> {
    row_with(id, b"\"e\"", b"{}")
}

fn args(format: &[&'static str]) -> Vec<String> {
    let dir = fixture("sample");
    let mut args = vec![
        "--uid-map".to_owned(),
        dir.join("uid-map.json").display().to_string(),
        "--ws-map".to_owned(),
        dir.join("ws-map.json").display().to_string(),
        "--threads".to_owned(),
        "1".to_owned(),
    ];
    args.extend(format.iter().map(|s| (*s).to_owned()));
    args
}

#[test]
fn the_suite_alone_and_between_two_rows() {
    let mut report = Vec::new();
    let mut total = 0;
    for format in [&[][..], &["--input-format", "jsonl"]] {
        let args = args(format);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let found = reemit_suite::violations(
            "splunk-to-segment",
            &args,
            Reports::Rejects,
            good_row,
            |_, _, _| None,
        );
        total += found.len();
        report.push(format!("{format:?}: {} violations", found.len()));
        report.extend(found);
    }
    assert_eq!(total, 0, "{}", report.join("\n"));
}

/// `text` as the inside of a JSON string (quotes and backslashes escaped,
/// other bytes as they are, invalid UTF-8 included).
fn escaped(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in text.trim_ascii() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

#[test]
fn jq_rules_are_the_original_filters_output() {
    let dir = fixture("sample");
    let mut cases: Vec<(String, Vec<u8>)> = reemit_suite::cases()
        .into_iter()
        .filter(|(name, _)| reemit_suite::same_bytes_as_jq(name) && !name.contains("BOM"))
        .collect();
    cases.push((
        "duplicate keys".into(),
        br#"{"a":1,"b":[2],"a":{"c":3,"c":4}}"#.to_vec(),
    ));
    assert_eq!(cases.len(), 16);
    for (name, value) in cases {
        let value = value.trim_ascii();
        let props = [&b"{\\\"v\\\":"[..], &escaped(value), b"}"].concat();
        let row = row_with("m", value, &props);
        let want = original(&dir, &row);
        let out = testkit::tool("splunk-to-segment", dir.as_path())
            .args(args(&[]))
            .write_stdin(row)
            .output()
            .unwrap();
        let err = testkit::exited(&out, 0);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&want),
            "{name}"
        );
        assert_eq!(out.stdout, want, "{name}");
        // Each case warned with its line, and counted in the summary.
        assert!(err.contains("line 1: "), "{name}: {err}");
        assert!(err.contains("rewritten as jq does"), "{name}: {err}");
    }
}
