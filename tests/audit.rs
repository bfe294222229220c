//! `BRIDGE_SOURCE=audit`: scripts/main-job.sh with extract-uj-records in
//! place of fetch-uj-records, on the bundled sample audit log, through the
//! real splunk-to-segment and segment-mass-uploader to the Segment
//! stand-in; Splunk is never asked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use e2e::*;
use serde_json::Value;

pub(crate) const AUDIT_LOG: &str = "scripts/demo/audit.log";

/// What `extract-uj-records | splunk-to-segment` makes of the sample log
/// with these maps, by messageId.
pub(crate) fn expected(dir: &Path, maps: &(PathBuf, PathBuf)) -> BTreeMap<String, Value> {
    let rows = command(bin_dir().join("extract-uj-records"), dir)
        .arg(root().join(AUDIT_LOG))
        .output()
        .unwrap();
    assert_eq!(rows.status.code(), Some(0));
    let rows_file = dir.join("rows.jsonl");
    std::fs::write(&rows_file, &rows.stdout).unwrap();
    let events = command(bin_dir().join("splunk-to-segment"), dir)
        .env("UID_MAP_FILE", &maps.0)
        .env("WS_MAP_FILE", &maps.1)
        .stdin(std::fs::File::open(&rows_file).unwrap())
        .output()
        .unwrap();
    assert_eq!(events.status.code(), Some(0));
    String::from_utf8(events.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["messageId"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

/// The stand-ins and maps a run needs (the clusters stay up for the maps).
struct World {
    site: Site,
    splunk: standins::splunk::SplunkStandin,
    seg: standins::segment::SegmentStandin,
}

fn world() -> World {
    World {
        site: Site::new(),
        splunk: sample_splunk(),
        seg: segment(segment_config()),
    }
}

/// main-job.sh with BRIDGE_SOURCE=audit on the sample, over a window.
fn audit_run(w: &World, earliest: &str, latest: &str) -> Ran {
    w.site
        .job(&w.splunk, &w.seg)
        .env_remove("BRIDGE_STATE_FILE")
        .env("BRIDGE_SOURCE", "audit")
        .env("BRIDGE_AUDIT_LOG", root().join(AUDIT_LOG))
        .env("QUERY_EARLIEST_TIME", earliest)
        .env("QUERY_LATEST_TIME", latest)
        .run()
}

/// Asserts that `ran` succeeded and that its stderr says `what`.
fn assert_ok_saying(ran: &Ran, what: &str) {
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.contains(what), "{}", ran.stderr);
}

#[test]
fn the_audit_source_delivers_what_the_queries_select_without_splunk() {
    let w = world();
    let ran = audit_run(&w, "2024-03-03T08:00:00Z", "2024-03-03T09:00:00Z");
    assert_ok_saying(&ran, "extract-uj-records: 300 events read");
    assert!(w.splunk.exports().is_empty(), "Splunk was asked");
    let want = expected(w.site.path(), &w.site.maps);
    assert!(want.len() > 10, "{} events", want.len());
    assert_eq!(received_events(&w.seg), want);
}

#[test]
fn a_window_before_the_log_sends_nothing() {
    let w = world();
    let ran = audit_run(&w, "2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z");
    // Noise is skipped before the window is looked at; every candidate is outside.
    assert_ok_saying(&ran, "258 noise skipped, 42 outside the window");
    assert!(received_events(&w.seg).is_empty());
}

#[test]
fn a_bad_source_is_a_configuration_error_and_sends_nothing() {
    let w = world();
    for (source, log, what) in [
        ("audit", None, "needs BRIDGE_AUDIT_LOG"),
        (
            "kafka",
            Some(AUDIT_LOG),
            "BRIDGE_SOURCE must be splunk, audit or loki",
        ),
    ] {
        let mut job = w.site.job(&w.splunk, &w.seg).env("BRIDGE_SOURCE", source);
        if let Some(l) = log {
            job = job.env("BRIDGE_AUDIT_LOG", root().join(l));
        }
        let ran = job.run();
        assert_eq!(ran.code, 2, "{source}: {}", ran.stderr);
        assert!(ran.stderr.contains(what), "{}", ran.stderr);
    }
    assert!(w.splunk.exports().is_empty() && received_events(&w.seg).is_empty());
}

/// With a state, a backfill reads the log once per chunk: a log on standard
/// input (`BRIDGE_AUDIT_LOG=-`) is kept in a file for all chunks, so events
/// of a later chunk are not lost.
#[test]
fn an_audit_log_on_stdin_reaches_every_chunk_of_a_backfill() {
    let w = world();
    // The log's events lie between 08:00 and 09:00; the watermark at 00:00
    // and the clock at 10:00 make the run work in 6-hour chunks from 21:00
    // the day before, so the events are in the second chunk.
    std::fs::write(
        w.site.path().join("state.json"),
        "{\"watermark\":1709424000}",
    )
    .unwrap();
    let ran = w
        .site
        .job(&w.splunk, &w.seg)
        .env("BRIDGE_SOURCE", "audit")
        .env("BRIDGE_AUDIT_LOG", "-")
        .env("BRIDGE_NOW", "1709460000")
        .stdin(&root().join(AUDIT_LOG))
        .run();
    assert_ok_saying(&ran, "window 2:");
    assert!(w.splunk.exports().is_empty(), "Splunk was asked");
    assert_eq!(
        received_events(&w.seg),
        expected(w.site.path(), &w.site.maps)
    );
    let spools = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("main-job-audit.")
        })
        .count();
    assert_eq!(spools, 0, "the spooled log was left behind");
}
