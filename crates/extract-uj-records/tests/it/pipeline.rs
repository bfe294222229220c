//! The tool as a whole: every row it prints goes through
//! splunk-to-segment, query order, the time window, bad lines, the binary.

use std::io::Write;

use assert_cmd::Command;
use extract_uj_records::window::{self, Window};
use querygen::table::KINDS;
use serde_json::{json, Value};

use crate::audit::{run, run_text, set, NO_ROWS};
use crate::kinds::*;

/// One event each kind selects, plus noise.
pub fn sample() -> Vec<Value> {
    vec![
        json!({"kind": "Event", "verb": "get", "objectRef": {"resource": "pods"}, "auditID": "n1"}),
        application("a1"),
        component("c1", "update"),
        pipelinerun("p1", "create"),
        started("s1"),
        clair("k1"),
        ended("e1", "Completed"),
        release("r1"),
        pull_request("pr1", TS, "https://github.com/a/web/pull/1"),
        json!({"kind": "Event", "verb": "watch", "objectRef": {"resource": "pipelineruns", "apiGroup": "tekton.dev"}}),
    ]
}

/// The binary under test.
fn tool() -> Command {
    Command::cargo_bin("extract-uj-records").unwrap()
}

#[test]
fn rows_come_in_query_order_one_set_per_query() {
    let (lines, s) = run(KINDS, &sample());
    assert_eq!(lines.len(), KINDS.len(), "{lines:#?}");
    let names: Vec<&str> = s.rows.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, querygen::names());
    assert!(s.rows.iter().all(|(_, n)| *n == 1), "{:?}", s.rows);
    assert_eq!((s.events_read, s.noise_skipped, s.rejected), (10, 2, 0));
    let ids = ["a1", "c1", "p1", "s1", "k1", "e1", "r1", "pr1"];
    for (line, id) in lines.iter().zip(ids) {
        assert!(line.contains(&format!(r#""messageId":"{id}""#)), "{line}");
        assert!(line.starts_with(r#"{"preview":false,"offset":0,"lastrow":true,"result":{"#));
    }
}

#[test]
fn every_row_passes_splunk_to_segment() {
    let (lines, _) = run(KINDS, &sample());
    let dir = tempfile::tempdir().unwrap();
    let uid = dir.path().join("uid.json");
    let ws = dir.path().join("ws.json");
    std::fs::write(&uid, r#"{"alice":"1001","bob":"1002"}"#).unwrap();
    std::fs::write(&ws, r#"{"alice-tenant":"alice"}"#).unwrap();
    // The real binary on the audit events, its stdout into splunk-to-segment.
    let audit: String = sample().iter().map(|e| format!("{e}\n")).collect();
    let out = tool().write_stdin(audit).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let input = String::from_utf8(out.stdout).unwrap();
    assert_eq!(input, lines.join("\n") + "\n", "binary and library agree");

    use clap::Parser;
    let args = splunk_to_segment::Args::parse_from([
        "splunk-to-segment",
        "--uid-map",
        uid.to_str().unwrap(),
        "--ws-map",
        ws.to_str().unwrap(),
    ]);
    let mut out = Vec::new();
    let outcome = splunk_to_segment::run(args, &mut input.as_bytes(), &mut out).unwrap();
    assert_eq!(outcome.status, segment_bridge_core::ExitStatus::Ok);
    let events: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 8, "one Segment event per row");
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1", "c1", "p1", "s1", "k1", "e1", "r1", "pr1"]);
    assert_eq!(events[4]["properties"]["vulnerabilities_high"], json!(6));
    assert_eq!(
        events[1]["event"],
        json!("Component updated"),
        "{}",
        events[1]
    );
}

/// The pre-filter only ever skips what the full evaluation would not
/// select: the same output with and without it, on matches, near misses
/// (every field of every sample event removed in turn), noise and
/// upper-case or escaped spellings.
#[test]
fn the_pre_filter_never_changes_the_rows() {
    let mut events = sample();
    for e in sample() {
        let Some(obj) = e.as_object() else { continue };
        for key in obj.keys() {
            let mut m = obj.clone();
            m.shift_remove(key);
            events.push(Value::Object(m));
        }
    }
    events.push(set(application("up"), &["verb"], json!("CREATE")));
    let mut input: String = events.iter().map(|e| format!("{e}\n")).collect();
    input.push_str(&format!("{}\n", application("esc")).replace("\"create\"", "\"cre\\u0061te\""));
    let settings = |prefilter| extract_uj_records::Settings {
        window: Window::default(),
        prefilter,
        ..Default::default()
    };
    let (with, s1) = crate::audit::run_with(KINDS, &input, settings(true));
    let (without, s2) = crate::audit::run_with(KINDS, &input, settings(false));
    assert_eq!(with, without);
    // Noise is what no query selects, whichever path found it.
    assert_eq!(s1, s2);
    assert!(s1.noise_skipped > 0);
    assert!(with.iter().any(|l| l.contains(r#""messageId":"esc""#)));
    assert!(with.iter().any(|l| l.contains(r#""messageId":"up""#)));
}

#[test]
fn values_that_are_not_objects_count_the_same_with_and_without_the_pre_filter() {
    // Found by the extract fuzz harness (fuzz/regressions/extract): the
    // lines of a pretty-printed event cut from its start are values of
    // their own, some of them valid JSON strings (`"auditID"` before the
    // `:`). No string, number or array is an audit event: the full parse
    // rejects them as in no known form, and the pre-filter must not call
    // them noise instead.
    let input =
        "\"auditID\": \"id-2\",\n\"verb\"\n42\n[1]\n{\"kind\":\"Event\",\"verb\":\"get\"}\n";
    let settings = |prefilter| extract_uj_records::Settings {
        window: Window::default(),
        prefilter,
        ..Default::default()
    };
    let (with, s1) = crate::audit::run_with(KINDS, input, settings(true));
    let (without, s2) = crate::audit::run_with(KINDS, input, settings(false));
    assert_eq!(with, without);
    assert_eq!(s1, s2);
    assert_eq!(
        s1.noise_skipped + s1.outside_window + s1.rejected + s1.selected,
        s1.events_read,
        "{s1:?}"
    );
    assert!(s1.rejected >= 4, "{s1:?}");
}

#[test]
fn the_window_selects_by_request_time() {
    let at = |id: &str, t: &str| set(application(id), &["requestReceivedTimestamp"], json!(t));
    let events = [
        at("early", "2024-03-03T07:59:59.999Z"),
        at("first", "2024-03-03T08:00:00Z"),
        at("last", "2024-03-03T11:59:59Z"),
        at("late", "2024-03-03T12:00:00Z"),
    ];
    let input: String = events.iter().map(|e| format!("{e}\n")).collect();
    let now: jiff::Timestamp = "2024-03-03T12:00:00Z".parse().unwrap();
    let w = Window {
        earliest: Some(window::parse("-4hours", now).unwrap()),
        latest: Some(window::parse("-0hours", now).unwrap()),
    };
    let (lines, s) = run_text(&[crate::audit::kind("application")], &input, w);
    assert_eq!(s.outside_window, 2);
    assert!(
        lines[0].contains(r#""messageId":"last""#) && lines[1].contains(r#""messageId":"first""#)
    );

    // The same through the binary, env and flags.
    let out = tool()
        .env("QUERY_EARLIEST_TIME", "1709452800")
        .env("BRIDGE_NOW", "2024-03-03T12:00:00Z")
        .args(["--latest-time", "-3hours", "--name", "application"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains(r#""messageId":"first""#), "{stdout}");
}

#[test]
fn bad_lines_are_reported_by_number_counted_and_the_rest_processed() {
    let mut input = String::new();
    input.push_str(&format!("{}\n", application("a1")));
    input.push_str("{\"verb\":\"create\",\"objectRef\":{\"resource\":\"applications\",\"apiGroup\":\"appstudio.redhat.com\"\n");
    input.push_str("[\"update\",\"components\",\"appstudio.redhat.com\"]\n");
    input.push_str("not json at all\n");
    input.push_str("{\"verb\":\"get\",\"objectRef\":{\"resource\":\"pods\"}}\n");
    input.push('\n');
    input.push_str(&format!("{}\n", application("a2")));
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let out = tool()
        .args(["--name", "application", "--rejects"])
        .arg(&rejects)
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // The rejects file holds the bad lines as they were read.
    let bad: Vec<&str> = input.lines().skip(1).take(3).collect();
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        bad.join("\n") + "\n"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("line 2: not JSON"), "{stderr}");
    assert!(stderr.contains("line 3: not an audit event"), "{stderr}");
    assert!(stderr.contains("line 4: not JSON"), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.contains("6 events read")
            && summary.contains("1 noise skipped")
            && summary.contains("3 rejected")
            && summary.contains("rows per query: application 2"),
        "{summary}"
    );
}

#[test]
fn a_file_argument_and_usage_errors() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "{}", application("a1")).unwrap();
    let out = tool().arg(f.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[1], NO_ROWS);

    // Usage errors: exit 2, nothing printed, stderr names what is wrong.
    let usage_errors: [(&[&str], &[&str]); 3] = [
        (
            &["--earliest-time", "-4fortnights"],
            &["-4fortnights", "fortnights"],
        ),
        (&["/nonexistent/audit.log"], &[]),
        (&["--name", "nope"], &[]),
    ];
    for (args, said) in usage_errors {
        let out = tool().args(args).write_stdin("").output().unwrap();
        testkit::failed_with(&out, 2, said);
    }
}

/// A JSON text stream as jq reads it: pretty-printed events and several on
/// one line give the same rows as one event per line.
#[test]
fn pretty_printed_and_packed_events_give_the_same_rows() {
    let events: Vec<Value> = ["s1", "s2", "s3"]
        .iter()
        .map(|id| application(id))
        .collect();
    let lines: String = events.iter().map(|e| format!("{e}\n")).collect();
    let pretty: String = events
        .iter()
        .map(|e| serde_json::to_string_pretty(e).unwrap() + "\n")
        .collect();
    let packed = format!("{} {}\n\n{}\n", events[0], events[1], events[2]);
    let rows = |input: String| {
        let out = tool()
            .args(["--name", "application"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let expected = rows(lines);
    assert_eq!(expected.lines().count(), 3, "{expected}");
    assert_eq!(rows(pretty), expected);
    assert_eq!(rows(packed), expected);
}
