//! The heartbeat (BRIDGE_HEARTBEAT=true): one "Segment Bridge Heartbeat"
//! track event per delivered window, sent after the window's own events
//! and only when the run succeeded, its messageId the window's, so a
//! window sent again is one heartbeat to Segment.

use std::collections::BTreeSet;

use e2e::*;
use serde_json::Value;
use standins::splunk::Fault as SplunkFault;

fn heartbeats(ids: &[String]) -> Vec<&String> {
    ids.iter()
        .filter(|id| id.starts_with("heartbeat-"))
        .collect()
}

/// The sum of an object's counts (dropped events by reason).
fn sum(by: &Value) -> u64 {
    by.as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

/// The accepted event with this messageId.
fn event(seg: &standins::segment::SegmentStandin, id: &str) -> Value {
    let all = seg.received().values();
    all.into_iter().find(|v| v["messageId"] == id).unwrap()
}

#[test]
fn a_successful_run_sends_one_heartbeat_after_its_events() {
    let (site, splunk, seg) = sample_site();
    let ran = site
        .job(&splunk, &seg)
        .env("BRIDGE_HEARTBEAT", "true")
        .env("BRIDGE_HEARTBEAT_SOURCE", "e2e-cluster")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);

    let ids = seg.message_ids();
    let beats = heartbeats(&ids);
    assert_eq!(beats.len(), 1, "{ids:?}");
    // Last, after every event of the run, in a request of its own.
    assert_eq!(ids.last(), Some(beats[0]));
    let events: BTreeSet<String> = ids[..ids.len() - 1].iter().cloned().collect();
    let expected: BTreeSet<String> = expected_events().into_keys().collect();
    assert_eq!(events, expected);
    assert_eq!(seg.requests(), 2);

    let hb = event(&seg, beats[0]);
    assert_eq!(hb["type"], "track");
    assert_eq!(hb["event"], "Segment Bridge Heartbeat");
    assert_eq!(hb["anonymousId"], "e2e-cluster");
    let p = &hb["properties"];
    let (earliest, latest) = export_windows(&splunk)[0];
    assert_eq!(p["window"]["earliest"], earliest.to_string());
    assert_eq!(p["window"]["latest"], latest.to_string());
    assert_eq!(p["events_sent"], 18);
    assert_eq!(p["events_rejected"], 0);
    assert_eq!(p["exit_code"], 0);
    let s2s = &p["stages"]["splunk-to-segment"];
    assert_eq!(p["events_read"], s2s["events_read"]);
    assert_eq!(s2s["events_emitted"], 18);
    // Dropped by reason, as splunk-to-segment counted them.
    let dropped = sum(&p["events_dropped"]);
    assert_eq!(
        dropped,
        s2s["events_read"].as_u64().unwrap() - 18 - s2s["markers_skipped"].as_u64().unwrap_or(0)
    );
    assert_eq!(p["stages"]["fetch-uj-records"]["exit_code"], 0);
}

#[test]
fn a_failed_run_sends_no_heartbeat() {
    let site = Site::new();
    let splunk = splunk_with(None, |kind, rule| {
        if kind == "release-done" {
            rule.fault = Some(SplunkFault::Status(500));
        }
    });
    let seg = segment(segment_config());
    let ran = site
        .job(&splunk, &seg)
        .env("BRIDGE_HEARTBEAT", "true")
        .run();
    assert_eq!(ran.code, 11, "{}", ran.stderr);
    // The other queries' events went out; no heartbeat did.
    let ids = seg.message_ids();
    assert!(!ids.is_empty());
    assert_eq!(heartbeats(&ids).len(), 0, "{ids:?}");
}

#[test]
fn a_retried_window_gives_the_same_heartbeat_id_and_another_window_another() {
    let (site, splunk, seg) = sample_site();
    let run = |earliest: &str, latest: &str| {
        let ran = site
            .job(&splunk, &seg)
            .env_remove("BRIDGE_STATE_FILE")
            .env("BRIDGE_HEARTBEAT", "true")
            .env("QUERY_EARLIEST_TIME", earliest)
            .env("QUERY_LATEST_TIME", latest)
            .run();
        assert_eq!(ran.code, 0, "{}", ran.stderr);
    };
    run("1700000000", "1700014400");
    run("1700000000", "1700014400");
    run("1700014400", "1700028800");
    let ids = seg.message_ids();
    let beats = heartbeats(&ids);
    assert_eq!(beats.len(), 3, "{ids:?}");
    assert_eq!(beats[0], beats[1]);
    assert_ne!(beats[1], beats[2]);
}

#[test]
fn without_the_option_no_heartbeat_is_sent() {
    let (site, splunk, seg) = sample_site();
    let ran = site.job(&splunk, &seg).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(heartbeats(&seg.message_ids()).len(), 0);
}

#[test]
fn the_figures_file_gets_one_line_per_run_whatever_the_log_settings() {
    let dir = tempfile::tempdir().unwrap();
    let figures = dir.path().join("figures.jsonl");
    let rows = std::fs::read(root().join("scripts/demo/splunk-dump.jsonl")).unwrap();
    for (level, format) in [("off", "text"), ("info", "json")] {
        let mut child = command(bin_dir().join("splunk-to-segment"), dir.path())
            .env("SEGMENT_BRIDGE_FIGURES_FILE", &figures)
            .env("LOG_LEVEL", level)
            .env("LOG_FORMAT", format)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &rows).unwrap();
        assert!(child.wait().unwrap().success());
    }
    // A failed run writes its exit code (the heartbeat refuses it).
    let out = command(bin_dir().join("fetch-uj-records"), dir.path())
        .env("SEGMENT_BRIDGE_FIGURES_FILE", &figures)
        .env("SPLUNK_API_URL", "http://127.0.0.1:1")
        .env("SPLUNK_TOKEN", "t")
        .env("SPLUNK_RETRIES", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&figures).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    for l in &lines[..2] {
        assert_eq!(l["tool"], "splunk-to-segment");
        assert_eq!(l["exit_code"], 0);
        assert_eq!(l["events_read"], lines[0]["events_read"]);
        assert!(l["events_read"].as_u64().unwrap() > 0, "{l}");
        // No maps: every row dropped, by reason.
        let by = sum(&l["events_dropped_by_reason"]);
        assert!(by > 0, "{l}");
    }
    assert_eq!(lines[2]["tool"], "fetch-uj-records");
    assert_eq!(lines[2]["exit_code"], 1);
}
