//! Backfill without hands (docs/delivery.md): after a 9-hour outage, the
//! first successful run works through the gap in chunks of at most 6 hours,
//! oldest first, from the last success minus (look-back - interval), and
//! delivers its events; a run that fails during the outage leaves the
//! watermark where it was.
//!
//! The Splunk stand-in serves its rows whatever the window, so "its events"
//! here are the sample's: the first chunk delivers them, the later chunks
//! find them all in the ledger. What the test pins is the windows each run
//! asks for and that everything was delivered once.

use e2e::*;
use standins::segment::{Fault as SegFault, When};
use standins::splunk::KINDS;

const H: i64 = 3600;
/// How far before the watermark a run reaches: look-back - interval.
const REACH: i64 = 3 * H;

#[test]
fn a_nine_hour_outage_is_delivered_by_the_first_successful_run() {
    let site = Site::new();

    // The last fully successful run ended 9 hours ago.
    // The job runs at a fixed clock time (BRIDGE_NOW), so that the chunks
    // don't depend on how long the runs take.
    let t = now();
    let last_success = t - 9 * H;
    std::fs::write(
        site.path().join("state.json"),
        format!("{{\"watermark\":{last_success}}}"),
    )
    .unwrap();

    // Still down: Segment refuses everything. The run asks for the first
    // chunk of the gap, fails (31), and the watermark stays.
    let splunk = sample_splunk();
    let seg = segment(segment_config().fault(SegFault::status(503, When::Always)));
    let ran = site
        .job(&splunk, &seg)
        .env("BRIDGE_NOW", t.to_string())
        .run();
    assert_eq!(ran.code, 31, "{}", ran.stderr);
    assert!(received_events(&seg).is_empty());
    let windows = export_windows(&splunk);
    assert_eq!(windows.len(), KINDS.len());
    assert!(windows
        .iter()
        .all(|w| *w == (last_success - REACH, last_success - REACH + 6 * H)));
    assert_eq!(watermark(site.path()), Some(last_success));

    // Back up: the first successful run works through the gap in 6-hour
    // chunks, each reaching back 3 hours before the last commit, and
    // delivers everything once.
    let splunk = sample_splunk();
    let seg = segment(segment_config());
    let ran = site
        .job(&splunk, &seg)
        .env("BRIDGE_NOW", t.to_string())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let windows = export_windows(&splunk);
    assert_eq!(windows.len() % KINDS.len(), 0);
    let mut chunks: Vec<(i64, i64)> = windows.chunks(8).map(|c| c[0]).collect();
    chunks.dedup();
    assert_eq!(chunks.len(), 3, "{chunks:?}");
    assert_eq!(
        chunks[0],
        (last_success - REACH, last_success - REACH + 6 * H)
    );
    for pair in chunks.windows(2) {
        assert_eq!(pair[1].0, pair[0].1 - REACH, "{chunks:?}");
    }
    let (_, latest) = chunks[chunks.len() - 1];
    assert_eq!(latest, t, "{chunks:?}");
    assert_eq!(received_events(&seg), expected_events());
    assert_eq!(watermark(site.path()), Some(latest));

    // And the run after that is back to the normal 4-hour window.
    let splunk = sample_splunk();
    let seg = segment(segment_config());
    let ran = site.job(&splunk, &seg).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let (earliest, latest) = export_windows(&splunk)[0];
    assert_eq!(latest - earliest, 4 * H);
}
