//! extract-uj-records' whole evaluation (`extract`, every query of the
//! table) over an audit log: the rows and counts are the same with and
//! without the byte pre-filter (it may only skip what no query selects),
//! the counts add up, every output
//! line is an export row Splunk's stream reader accepts, and the row
//! counts match the output. The first byte picks a time window.
#![no_main]

use extract_uj_records::window::Window;
use std::sync::OnceLock;

use extract_uj_records::{extract_with, Settings, Summary, Table};
use libfuzzer_sys::fuzz_target;
use segment_bridge_core::rejects::Rejects;
use segment_bridge_fuzz::{assert_json, lines, selector};
use segment_bridge_splunk::export::ExportReader;

/// Every query of the table, compiled once for all executions (compiling
/// its regular expressions and the pre-filter is most of a small run).
fn table() -> &'static Table<'static> {
    static TABLE: OnceLock<Table<'static>> = OnceLock::new();
    TABLE.get_or_init(|| Table::new(querygen::table::KINDS).expect("the table compiles"))
}

fn evaluate(input: &[u8], window: Window, prefilter: bool) -> (Summary, Vec<u8>) {
    let mut rejects = Rejects::open(None).unwrap();
    let mut out = Vec::new();
    let settings = Settings {
        window,
        prefilter,
        ..Settings::default()
    };
    let summary = extract_with(table(), settings, &mut rejects, &mut &input[..], &mut out)
        .unwrap_or_else(|e| panic!("extract failed on a slice: {e}"));
    (summary, out)
}

/// Input that starts with gzip's magic bytes is decompressed; a stream that
/// then fails to decompress is a read failure (exit 1), as a cut file is.
fn is_gzip(input: &[u8]) -> bool {
    input.starts_with(&[0x1f, 0x8b])
}

fuzz_target!(|data: &[u8]| {
    let (sel, input) = selector(data);
    if is_gzip(input) {
        // Decompression is flate2's; a broken stream is not a finding.
        return;
    }
    let window = if sel & 1 == 1 {
        Window {
            earliest: Some("2024-03-03T00:00:00Z".parse().unwrap()),
            latest: Some("2024-03-04T00:00:00Z".parse().unwrap()),
        }
    } else {
        Window::default()
    };
    let (fast, out) = evaluate(input, window, true);
    let (slow, out_slow) = evaluate(input, window, false);
    assert!(
        out == out_slow,
        "the pre-filter changed the rows:\n{}\nwithout it:\n{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&out_slow)
    );
    assert_eq!(fast.rows, slow.rows);
    // The counts add up, and the same with and without the pre-filter
    // (noise is what no query selects, however it was found).
    for s in [&fast, &slow] {
        assert_eq!(
            s.noise_skipped + s.outside_window + s.rejected + s.selected,
            s.events_read,
            "{s:?}"
        );
    }
    // Known difference, not a finding: a JSON object that is not a
    // recognisable audit event (keys cut away) is noise to the pre-filter
    // when it holds no pattern of a query, and rejected as in no known
    // form by the full parse. So noise and rejected are compared as a sum.
    assert_eq!(
        (
            fast.events_read,
            fast.outside_window,
            fast.noise_skipped + fast.rejected
        ),
        (
            slow.events_read,
            slow.outside_window,
            slow.noise_skipped + slow.rejected
        )
    );
    let rows: u64 = fast.rows.iter().map(|(_, n)| n).sum();
    let empty_sets = fast.rows.iter().filter(|(_, n)| *n == 0).count() as u64;
    let printed = lines(&out);
    assert_eq!(printed.len() as u64, rows + empty_sets);
    for l in &printed {
        assert_json(l, "an output row");
    }
    let mut reader = ExportReader::new(&out[..]);
    let mut read = 0u64;
    while let Some(line) = reader
        .next_line()
        .expect("the export reader refused our output")
    {
        read += u64::from(line.result.is_some());
    }
    assert_eq!(read, rows);
    assert_eq!(reader.stats().markers, empty_sets);
});
