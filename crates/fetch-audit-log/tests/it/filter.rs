//! The query's line filters send the store's candidates and nothing else:
//! every event the real Splunk matched (the audit oracle) passes, no public
//! noise event does, and the oracle's records fetched through the stand-in
//! give, through extract-uj-records, exactly what real Splunk answered.

use fetch_audit_log::logql;
use querygen::table::KINDS;
use regex::Regex;

use super::common::*;

fn filters() -> Vec<Regex> {
    logql::line_filters(KINDS)
        .iter()
        .map(|f| Regex::new(f).expect("the filters are valid regular expressions"))
        .collect()
}

fn passes(fs: &[Regex], line: &str) -> bool {
    fs.iter().all(|f| f.is_match(line))
}

#[test]
fn every_event_the_oracle_matched_passes_and_the_noise_does_not() {
    let fs = filters();
    let raw = testkit::fixture_text("audit-oracle/raw.jsonl");
    let lines: Vec<&str> = raw.lines().collect();
    // Lines 1-5 are the events real Splunk matched, 6-10 noise
    // (fixtures/audit-oracle/README.md).
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(passes(&fs, l), i < 5, "oracle line {}", i + 1);
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/noise");
    let mut noise = 0;
    for f in [
        "falco-k8s_audit-trace-files.jsonl",
        "audit2rbac-demo-v1.jsonl",
        "segment-bridge-log_example.clf-vector.jsonl",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            noise += 1;
            assert!(!passes(&fs, l), "{f}: a noise event passes: {l}");
        }
    }
    assert!(noise > 90, "{noise}");
}

#[test]
fn the_oracle_through_the_store_gives_what_splunk_answered() {
    let mut records = testkit::fixture_text("audit-oracle/raw.jsonl");
    records.push_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/noise/segment-bridge-log_example.clf-vector.jsonl"),
        )
        .unwrap(),
    );
    let entries = standins::loki::entries_from_records(&records);
    assert_eq!(entries.iter().filter(|e| e.tenant == "audit").count(), 19);
    let s = standin(entries);
    let home = tempfile::tempdir().unwrap();
    let out = testkit::tool("fetch-audit-log", home.path())
        .env("LOKI_URL", s.tenant_url("audit"))
        .env("LOKI_TOKEN", TOKEN)
        .env("QUERY_EARLIEST_TIME", "2023-06-01T00:00:00Z")
        .env("QUERY_LATEST_TIME", "2023-12-31T00:00:00Z")
        .args(["--split", "30d", "--parallel", "3"])
        .output()
        .unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    let lines = testkit::stdout(&out);
    // The store sent the five candidates, oldest first, byte for byte.
    let raw = testkit::fixture_text("audit-oracle/raw.jsonl");
    let mut want: Vec<&str> = raw.lines().take(5).collect();
    want.sort_by_key(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap()["requestReceivedTimestamp"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    assert_eq!(lines.lines().collect::<Vec<_>>(), want);
    // Every request carried the selector and the filters, forward.
    for r in s.handle().requests() {
        let q = r.query_param("query").unwrap();
        assert_eq!(q, logql::query(logql::DEFAULT_SELECTOR, KINDS));
        assert_eq!(r.query_param("direction").as_deref(), Some("forward"));
        assert_eq!(r.query_param("limit").as_deref(), Some("5000"));
    }
    // extract-uj-records in-process: the rows are what real Splunk sent.
    let args =
        <extract_uj_records::Args as clap::Parser>::try_parse_from(["extract-uj-records"]).unwrap();
    let mut input = std::io::Cursor::new(lines.into_bytes());
    let mut rows: Vec<u8> = Vec::new();
    let outcome = extract_uj_records::run(args, &mut input, &mut rows).unwrap();
    assert_eq!(outcome.status, segment_bridge_core::ExitStatus::Ok);
    assert_eq!(
        String::from_utf8(rows).unwrap(),
        testkit::fixture_text("audit-oracle/splunk-output.jsonl")
    );
}
