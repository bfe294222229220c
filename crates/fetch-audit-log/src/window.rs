//! The time window, in nanoseconds, and its cut into sub-windows.
//!
//! The window is read exactly as the other fetchers read
//! `QUERY_EARLIEST_TIME`/`QUERY_LATEST_TIME` (extract-uj-records' reader:
//! epoch seconds, ISO 8601, or Splunk's relative forms such as `-4hours`,
//! counted from `BRIDGE_NOW` or the clock), and it is half-open,
//! `earliest <= t < latest`, which is also how Loki reads `start` and `end`
//! (docs/apis/loki.md, "query_range"). So consecutive windows of
//! `bridge-window` never share a line, and neither do the sub-windows cut
//! here.

use jiff::Timestamp;

/// A half-open window `[start, end)` in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    /// `2024-03-03T08:00:00Z..2024-03-03T09:00:00Z`, for messages.
    pub fn label(&self) -> String {
        format!("{}..{}", show(self.start), show(self.end))
    }
}

/// A nanosecond time as RFC 3339 (or the number, if out of range).
pub fn show(ns: i64) -> String {
    Timestamp::from_nanosecond(i128::from(ns)).map_or_else(|_| ns.to_string(), |t| t.to_string())
}

/// Why the window can't be used.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("{what} is not a time (`{value}`): {reason}")]
    Time {
        what: &'static str,
        value: String,
        reason: extract_uj_records::window::TimeError,
    },
    #[error("{what} lies outside the years 1677-2262 that nanosecond times can hold (`{value}`)")]
    Range { what: &'static str, value: String },
    #[error(
        "the window is empty: the latest time ({latest}) is not after the earliest ({earliest})"
    )]
    Empty { earliest: String, latest: String },
}

/// Reads one end of the window relative to `now`.
pub fn read(what: &'static str, value: &str, now: Timestamp) -> Result<i64, WindowError> {
    let t = extract_uj_records::window::parse(value, now).map_err(|reason| WindowError::Time {
        what,
        value: value.to_owned(),
        reason,
    })?;
    i64::try_from(t.as_nanosecond()).map_err(|_| WindowError::Range {
        what,
        value: value.to_owned(),
    })
}

/// The window from its two ends; an empty one is an error.
pub fn span(earliest: i64, latest: i64) -> Result<Span, WindowError> {
    if latest <= earliest {
        return Err(WindowError::Empty {
            earliest: show(earliest),
            latest: show(latest),
        });
    }
    Ok(Span {
        start: earliest,
        end: latest,
    })
}

/// `span` cut into consecutive sub-windows of at most `every` nanoseconds,
/// oldest first; they cover it exactly, without overlap.
pub fn split(span: Span, every: i64) -> Vec<Span> {
    let every = every.max(1);
    let mut out = Vec::new();
    let mut start = span.start;
    while start < span.end {
        let end = start.saturating_add(every).min(span.end);
        out.push(Span { start, end });
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_read_as_the_other_fetchers_read_them() {
        let now: Timestamp = "2024-03-03T12:00:00Z".parse().unwrap();
        let e = read("QUERY_EARLIEST_TIME", "-4hours", now).unwrap();
        let l = read("QUERY_LATEST_TIME", "-0hours", now).unwrap();
        assert_eq!(l - e, 4 * 3600 * 1_000_000_000);
        assert_eq!(show(l), "2024-03-03T12:00:00Z");
        assert_eq!(
            read("x", "1709467200.5", now).unwrap(),
            1_709_467_200_500_000_000
        );
        assert!(matches!(
            read("x", "soon", now),
            Err(WindowError::Time { .. })
        ));
        assert!(matches!(span(l, e), Err(WindowError::Empty { .. })));
    }

    #[test]
    fn a_split_covers_the_window_exactly() {
        let s = Span { start: 10, end: 35 };
        let parts = split(s, 10);
        assert_eq!(
            parts,
            [
                Span { start: 10, end: 20 },
                Span { start: 20, end: 30 },
                Span { start: 30, end: 35 }
            ]
        );
        assert_eq!(split(s, 100), [s]);
        assert_eq!(split(s, 0).len(), 25);
    }
}
