//! Input forms, files and times on real and constructed samples
//! (`tests/fixtures/audit-samples/README.md`), through the binary: every
//! form gives the rows of the plain log, gzip and rotated files, the
//! window's skipping of old files, unreadable times, counts that add up.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flate2::write::GzEncoder;
use serde_json::Value;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit-samples")
}

fn constructed(form: &str) -> PathBuf {
    samples().join(format!("constructed/appstudio5.{form}"))
}

/// What a run of the binary gave.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// The figures of the summary line, by name (`events read` → 10).
    fn figure(&self, name: &str) -> u64 {
        let summary = self.stderr.lines().last().unwrap_or_default();
        let at = summary
            .find(&format!(" {name}"))
            .unwrap_or_else(|| panic!("no `{name}` in {summary}"));
        let digits: String = summary[..at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse().unwrap()
    }

    /// read = noise + outside + rejected + selected.
    fn assert_adds_up(&self) {
        let read = self.figure("events read");
        let parts = [
            "noise skipped",
            "outside the window",
            "rejected",
            "selected",
        ];
        let sum: u64 = parts.iter().map(|p| self.figure(p)).sum();
        assert_eq!(read, sum, "{}", self.stderr);
    }
}

fn tool(args: &[&str], files: &[&Path], stdin: Option<Vec<u8>>) -> Ran {
    let mut cmd = Command::cargo_bin("extract-uj-records").unwrap();
    cmd.env_remove("QUERY_EARLIEST_TIME")
        .env_remove("QUERY_LATEST_TIME")
        .env_remove("BRIDGE_AUDIT_FORM")
        .args(args)
        .args(files);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The rows of the plain form: 5 of the 8 queries answer one row each.
fn plain_rows() -> String {
    let ran = tool(&[], &[&constructed("plain.jsonl")], None);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        ran.stdout.matches("\"result\"").count(),
        5,
        "{}",
        ran.stdout
    );
    ran.stdout
}

#[test]
fn every_form_gives_the_rows_of_the_plain_log() {
    let want = plain_rows();
    for form in [
        "eventlist.json",
        "json-array.json",
        "jq-pretty.json",
        "crlf.jsonl",
        "escaped-slash.jsonl",
        "splunk-hec.jsonl",
        "fluentbit-log.jsonl",
        "message-string.jsonl",
        "ecs-kubernetes-audit.jsonl",
        "cloudwatch-get-log-events.jsonl",
        "aks-diagnostic.jsonl",
        "space-separated-timestamps.jsonl",
        "offset-timestamps.jsonl",
        "bom-mid-stream.pretty.json",
    ] {
        for window in [&[][..], &["--earliest-time", "0"][..]] {
            for prefilter in [&[][..], &["--no-prefilter"][..]] {
                let args = [window, prefilter].concat();
                let ran = tool(&args, &[&constructed(form)], None);
                assert_eq!(ran.code, Some(0), "{form} {args:?}: {}", ran.stderr);
                assert_eq!(ran.stdout, want, "{form} {args:?}");
                assert_eq!(ran.figure("selected"), 5, "{form}");
                ran.assert_adds_up();
            }
        }
    }
}

#[test]
fn the_forwarder_form_as_ndjson_and_as_an_array_gives_what_splunk_returned() {
    let raw = std::fs::read_to_string(samples().join("oracle/raw.jsonl")).unwrap();
    let splunk = std::fs::read_to_string(samples().join("oracle/splunk-output.jsonl")).unwrap();
    let records: Vec<Value> = raw
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Vector's http output: one JSON array per request.
    let array = serde_json::to_vec(&records).unwrap();
    for input in [raw.into_bytes(), array] {
        let ran = tool(
            &["--earliest-time", "2023-01-01T10:46:34.955712833Z"],
            &[],
            Some(input),
        );
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        assert_eq!(ran.stdout, splunk);
        // 5 selected, 4 other audit events and 1 infrastructure log record.
        assert_eq!(
            (ran.figure("events read"), ran.figure("noise skipped")),
            (10, 5)
        );
        ran.assert_adds_up();
    }
}

#[test]
fn a_forced_form_reads_only_that_form() {
    let want = plain_rows();
    let ran = tool(
        &["--input-form", "log"],
        &[&constructed("fluentbit-log.jsonl")],
        None,
    );
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), want.as_str()),
        "{}",
        ran.stderr
    );
    // Raw events where Fluent Bit records were promised: every one reported.
    let mut cmd = Command::cargo_bin("extract-uj-records").unwrap();
    let out = cmd
        .env("BRIDGE_AUDIT_FORM", "log")
        .arg(constructed("plain.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("line 1: not in the form `log` given by --input-form"),
        "{stderr}"
    );
    assert!(stderr.contains("5 rejected"), "{stderr}");
    let ran = tool(
        &["--input-form", "yaml"],
        &[&constructed("plain.jsonl")],
        None,
    );
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
}

#[test]
fn gzip_files_and_stdin_are_read_by_their_magic_bytes() {
    let want = plain_rows();
    let plain = std::fs::read(constructed("plain.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Named like a plain log: the content decides.
    let gz = dir.path().join("audit.log");
    std::fs::write(&gz, gzip(&plain)).unwrap();
    let ran = tool(&[], &[&gz], None);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), want.as_str()),
        "{}",
        ran.stderr
    );
    let ran = tool(&[], &[], Some(gzip(&plain)));
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), want.as_str()),
        "{}",
        ran.stderr
    );
}

#[test]
fn rotated_files_are_read_oldest_first_and_those_before_the_window_not_at_all() {
    let want = plain_rows();
    let plain = std::fs::read_to_string(constructed("plain.jsonl")).unwrap();
    let lines: Vec<&str> = plain.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // The events date from 2023-11-20 07:09 to 2023-11-24 11:51.
    let old = file(
        "audit-2023-11-20T07-10-00.000.log",
        format!("{}\n", lines[1]),
    );
    let mid = dir.path().join("audit-2023-11-24T00-00-00.000.log.gz");
    let rest = [lines[0], lines[2], lines[4]].join("\n") + "\n";
    std::fs::write(&mid, gzip(rest.as_bytes())).unwrap();
    let live = file("audit.log", format!("{}\n", lines[3]));
    let ran = tool(&[], &[&live, &mid, &old], None);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), want.as_str()),
        "{}",
        ran.stderr
    );
    // A window from 08:00 on 2023-11-20: the first file was closed at
    // 07:10, before it, and is not opened at all (a directory named like
    // it would fail to read).
    std::fs::remove_file(&old).unwrap();
    std::fs::create_dir(&old).unwrap();
    let ran = tool(
        &["--earliest-time", "2023-11-20T07:10:00.001Z"],
        &[&live, &mid, &old],
        None,
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("1 files before the window not read"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("audit-2023-11-20T07-10-00.000.log`: rotated at"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.figure("events read"), 4);
    ran.assert_adds_up();
}

#[test]
fn unreadable_times_are_reported_never_outside_the_window() {
    let plain = std::fs::read_to_string(constructed("plain.jsonl")).unwrap();
    let first = plain.lines().next().unwrap();
    let mut ev: Value = serde_json::from_str(first).unwrap();
    ev["requestReceivedTimestamp"] = "20th of November".into();
    let input = format!(
        "{ev}\n{}",
        plain.lines().skip(1).collect::<Vec<_>>().join("\n")
    );
    for args in [
        &[][..],
        &["--earliest-time", "0"][..],
        &["--no-prefilter"][..],
    ] {
        let ran = tool(args, &[], Some(input.clone().into_bytes()));
        assert_eq!(ran.code, Some(3), "{}", ran.stderr);
        assert!(
            ran.stderr.contains(
                "line 1: unreadable time in `requestReceivedTimestamp` (`20th of November`)"
            ),
            "{}",
            ran.stderr
        );
        assert_eq!(ran.figure("outside the window"), 0);
        assert_eq!(ran.figure("selected"), 4);
        ran.assert_adds_up();
    }
}

#[test]
fn real_samples_are_read_and_counted_the_same_with_and_without_the_prefilter() {
    let files: Vec<PathBuf> = std::fs::read_dir(samples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "jsonl" || e == "json"))
        .collect();
    assert!(files.len() >= 10);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let fast = tool(&["--earliest-time", "0"], &[f], None);
        let full = tool(&["--earliest-time", "0", "--no-prefilter"], &[f], None);
        let summary = |r: &Ran| r.stderr.lines().last().unwrap_or_default().to_owned();
        assert_eq!(summary(&fast), summary(&full), "{name}");
        assert_eq!(fast.stdout, full.stdout, "{name}");
        fast.assert_adds_up();
        // Not one of these is a user-journey event, and only the falco
        // fuzz case is not an audit event at all.
        let want = if name.starts_with("falco-fal_01_003") {
            3
        } else {
            0
        };
        assert_eq!(fast.code, Some(want), "{name}: {}", fast.stderr);
        assert!(fast.figure("events read") > 0, "{name}");
    }
    // All files at once: the events of each, in one run.
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let all = tool(&[], &refs, None);
    all.assert_adds_up();
    assert!(all.figure("events read") > 900, "{}", all.stderr);
}

#[test]
fn a_cut_line_is_one_rejection_and_the_next_event_comes_through() {
    let ran = tool(
        &[],
        &[&constructed("truncated-line-after-colon.jsonl")],
        None,
    );
    assert_eq!(ran.code, Some(3), "{}", ran.stderr);
    assert!(ran.stderr.contains("line 2: not JSON"), "{}", ran.stderr);
    assert_eq!(
        (ran.figure("rejected"), ran.figure("selected")),
        (1, 4),
        "{}",
        ran.stderr
    );
    ran.assert_adds_up();
}
