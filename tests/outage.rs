//! Backfill without hands (issue 6, `docs/delivery.md`): after a 9-hour outage, the
//! first successful run asks Splunk for the whole gap (from the last success
//! minus the overlap) and delivers its events; a run that fails during the
//! outage leaves the watermark where it was.
//!
//! The Splunk stand-in serves its rows whatever the window, so "its events"
//! here are the sample's; what the test pins is the window each run asks for
//! and that the run that asked for the gap delivered everything.

use e2e::*;
use standins::segment::{Fault as SegFault, When};

const H: i64 = 3600;
const OVERLAP: i64 = 15 * 60;

#[test]
fn a_nine_hour_outage_is_delivered_by_the_first_successful_run() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_clusters(dir.path());
    let maps = make_maps(dir.path(), &src);

    // The last fully successful run ended 9 hours ago.
    let last_success = now() - 9 * H;
    std::fs::write(
        dir.path().join("state.json"),
        format!("{{\"watermark\":{last_success}}}"),
    )
    .unwrap();

    // Still down: Segment refuses everything. The run already asks for the
    // whole gap, fails (31), and the watermark stays.
    let splunk = sample_splunk();
    let seg = segment(segment_config().fault(SegFault::status(503, When::Always)));
    let ran = Job::new(dir.path(), &splunk, &seg, &maps).run();
    assert_eq!(ran.code, 31, "{}", ran.stderr);
    assert!(received_events(&seg).is_empty());
    let windows = export_windows(&splunk);
    assert_eq!(windows.len(), 8);
    assert!(windows.iter().all(|(e, _)| *e == last_success - OVERLAP));
    assert_eq!(watermark(dir.path()), Some(last_success));

    // Back up: the first successful run covers the gap and delivers it.
    let splunk = sample_splunk();
    let seg = segment(segment_config());
    let ran = Job::new(dir.path(), &splunk, &seg, &maps).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.contains("backfilling 9h"), "{}", ran.stderr);
    let windows = export_windows(&splunk);
    assert_eq!(windows.len(), 8);
    let (earliest, latest) = windows[0];
    assert!(windows.iter().all(|w| *w == (earliest, latest)));
    assert_eq!(earliest, last_success - OVERLAP);
    assert!(latest - earliest >= 9 * H + OVERLAP, "{earliest}..{latest}");
    assert_eq!(received_events(&seg), expected_events());
    assert_eq!(watermark(dir.path()), Some(latest));

    // And the run after that is back to the normal 4-hour window.
    let splunk = sample_splunk();
    let seg = segment(segment_config());
    let ran = Job::new(dir.path(), &splunk, &seg, &maps).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let (earliest, latest) = export_windows(&splunk)[0];
    assert_eq!(latest - earliest, 4 * H);
}
