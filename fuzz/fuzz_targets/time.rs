//! extract-uj-records' time forms (`window::parse`: epoch seconds, ISO
//! 8601, `%m/%d/%Y:%H:%M:%S`, `now`, relative `[+|-]<n><unit>[@<snap>]`),
//! what `QUERY_EARLIEST_TIME`/`QUERY_LATEST_TIME` and `--now` go through.
//! The first 4 bytes move "now". Never a panic; `-N<unit>` is never after
//! now and `+N<unit>` never before it; a snap never moves forward; epoch
//! seconds read as themselves.
#![no_main]

use extract_uj_records::window::parse;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (shift, spec) = match data {
        [a, b, c, d, rest @ ..] => (i32::from_le_bytes([*a, *b, *c, *d]), rest),
        _ => return,
    };
    let Ok(spec) = std::str::from_utf8(spec) else {
        return;
    };
    let base: Timestamp = "2024-03-03T08:00:00Z".parse().unwrap();
    let now = base
        .checked_add(SignedDuration::from_secs(i64::from(shift) * 7))
        .unwrap_or(base);
    let Ok(t) = parse(spec, now) else {
        return;
    };
    let s = spec.trim();
    if s.eq_ignore_ascii_case("now") || s.is_empty() {
        assert_eq!(t, now);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = s.parse::<i64>() {
            assert_eq!(t.as_second(), n, "epoch seconds read as another time");
        }
    }
    // Relative forms only (`+002024-03-03T…Z` is an absolute time).
    if !s.starts_with(['+', '-', '@']) || s.contains([':', '/']) || s.parse::<Timestamp>().is_ok() {
        return;
    }
    match s.split_once('@') {
        // A snap only goes back from the unsnapped time.
        Some((offset, _)) => {
            let unsnapped = if offset.is_empty() {
                Ok(now)
            } else {
                parse(offset, now)
            };
            if let Ok(u) = unsnapped {
                assert!(t <= u, "{spec:?} snapped forward");
            }
        }
        None if s.starts_with('-') => assert!(t <= now, "{spec:?} is after now"),
        None => assert!(t >= now, "{spec:?} is before now"),
    }
});
