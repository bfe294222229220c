//! `BRIDGE_SOURCE=loki`: scripts/main-job.sh with `fetch-audit-log |
//! extract-uj-records` as its source, reading the sample audit log from the
//! LokiStack stand-in (stored as the collector stores it) through the real
//! splunk-to-segment and segment-mass-uploader to the Segment stand-in;
//! Splunk is never asked. The events delivered are those the same queries
//! select on the raw log.

use e2e::*;
use standins::loki::{self, Config, LokiStandin};

use super::audit::{expected, AUDIT_LOG};

const LOKI_TOKEN: &str = "e2e-loki-token";

/// The sample log (2024-03-03, 08:00 to 09:00) in the stand-in's audit
/// tenant, on two nodes as a three-master cluster spreads it.
fn loki_standin(tenants: &[&str]) -> LokiStandin {
    let text = std::fs::read_to_string(root().join(AUDIT_LOG)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let mut entries = loki::entries_from_audit_events(&a.join("\n"), "master-0");
    entries.extend(loki::entries_from_audit_events(&b.join("\n"), "master-1"));
    assert_eq!(entries.len(), 300);
    LokiStandin::spawn(Config {
        entries,
        tokens: vec![(
            LOKI_TOKEN.into(),
            tenants.iter().map(|t| (*t).to_owned()).collect(),
        )],
        ..Config::default()
    })
    .unwrap()
}

fn loki_job(
    site: &Site,
    splunk: &standins::splunk::SplunkStandin,
    seg: &standins::segment::SegmentStandin,
    loki: &LokiStandin,
) -> Job {
    site.job(splunk, seg)
        .env("BRIDGE_SOURCE", "loki")
        .env("LOKI_URL", loki.tenant_url("audit"))
        .env("LOKI_TOKEN", LOKI_TOKEN)
        .env("LOKI_LIMIT", "25")
        .env("LOKI_SPLIT", "20m")
}

#[test]
fn the_loki_source_delivers_what_the_queries_select_without_splunk() {
    let (site, splunk, seg) = sample_site();
    let lk = loki_standin(&["audit"]);
    let ran = loki_job(&site, &splunk, &seg, &lk)
        .env_remove("BRIDGE_STATE_FILE")
        .env("QUERY_EARLIEST_TIME", "2024-03-03T08:00:00Z")
        .env("QUERY_LATEST_TIME", "2024-03-03T09:00:00Z")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("source: fetch-audit-log=0 extract-uj-records=0"),
        "{}",
        ran.stderr
    );
    assert!(splunk.exports().is_empty(), "Splunk was asked");
    let want = expected(site.path(), &site.maps);
    assert!(want.len() > 10, "{} events", want.len());
    assert_eq!(received_events(&seg), want);
    // Only candidates crossed the wire: far fewer lines than the log holds.
    let err = &ran.stderr;
    let sent: u64 = err
        .split("fetch-audit-log: ")
        .nth(1)
        .and_then(|s| s.split(" lines,").next())
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line: {err}"));
    assert!(
        sent < 300 && sent >= want.len() as u64,
        "{sent} lines: {err}"
    );
}

#[test]
fn a_backfill_reads_each_chunk_from_the_store_and_sends_each_event_once() {
    let (site, splunk, seg) = sample_site();
    let lk = loki_standin(&["audit"]);
    // Watermark at 00:00, clock at 10:00: 6-hour chunks from 21:00 the day
    // before; the events are in the second chunk.
    std::fs::write(site.path().join("state.json"), "{\"watermark\":1709424000}").unwrap();
    let ran = loki_job(&site, &splunk, &seg, &lk)
        .env("BRIDGE_NOW", "1709460000")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.contains("window 2:"), "{}", ran.stderr);
    assert_eq!(received_events(&seg), expected(site.path(), &site.maps));
    assert_eq!(watermark(site.path()), Some(1_709_460_000));
    // Every request asked for a part of a chunk, oldest first per chunk.
    assert!(lk.handle().requests().iter().all(|r| r.status == 200));
}

#[test]
fn a_token_without_access_to_the_audit_tenant_fails_the_source_and_keeps_the_watermark() {
    let (site, splunk, seg) = sample_site();
    let lk = loki_standin(&["application"]);
    std::fs::write(site.path().join("state.json"), "{\"watermark\":1709452800}").unwrap();
    let ran = loki_job(&site, &splunk, &seg, &lk)
        .env("BRIDGE_NOW", "1709460000")
        .run();
    assert_eq!(ran.code, 11, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("cluster-logging-audit-view"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains(LOKI_TOKEN), "the token was shown");
    assert!(received_events(&seg).is_empty());
    assert_eq!(watermark(site.path()), Some(1_709_452_800));
}
