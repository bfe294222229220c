//! A time-aware Splunk export: rows are served only when their `_time`
//! lies in the search's window (`earliest_time` inclusive, `latest_time`
//! exclusive, both as Unix seconds, the form `bridge-window` sends), and,
//! with a clock, only once they have reached the index (`_indextime` at or
//! before the clock's time). That is what a replayed or simulated run of the
//! bridge needs: events that reach Splunk late, windows that move.
//!
//! The clock is a file holding Unix seconds, read at every search, so that a
//! script can move it between simulated runs. A row's `_time` may be Unix
//! seconds (number or string) or an RFC 3339 time; rows without one, and
//! bounds given any other way (`-4hours`), are not filtered.

use std::path::PathBuf;

use serde_json::Value;

/// How the stand-in filters rows by time.
#[derive(Debug, Clone, Default)]
pub struct TimeAware {
    /// File holding the current time, Unix seconds; none: every row has
    /// arrived.
    pub clock_file: Option<PathBuf>,
}

impl TimeAware {
    /// The rows a search with these bounds sees now.
    pub fn visible(
        &self,
        rows: Vec<String>,
        earliest: Option<&str>,
        latest: Option<&str>,
    ) -> Vec<String> {
        let earliest = earliest.and_then(epoch);
        let latest = latest.and_then(epoch);
        let now = self
            .clock_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| epoch(t.trim()));
        let kept: Vec<String> = rows
            .into_iter()
            .filter(|row| {
                let (time, indexed) = times(row);
                let in_window = time.is_none_or(|t| {
                    earliest.is_none_or(|e| t >= e) && latest.is_none_or(|l| t < l)
                });
                let arrived = match (indexed, now) {
                    (Some(i), Some(n)) => i <= n,
                    _ => true,
                };
                in_window && arrived
            })
            .collect();
        mark_last(kept)
    }
}

/// The last row of a response says so (`"lastrow":true`), no other does,
/// as in a real response, whichever rows the window left.
fn mark_last(mut rows: Vec<String>) -> Vec<String> {
    let n = rows.len();
    for (i, row) in rows.iter_mut().enumerate() {
        let last = i + 1 == n;
        let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(row) else {
            continue;
        };
        if m.contains_key("result") && m.get("lastrow") != Some(&Value::Bool(last)) {
            m.insert("lastrow".into(), Value::Bool(last));
            *row = Value::Object(m).to_string();
        }
    }
    rows
}

fn epoch(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `result._time` and `result._indextime` of an export row.
fn times(row: &str) -> (Option<f64>, Option<f64>) {
    let Ok(v) = serde_json::from_str::<Value>(row) else {
        return (None, None);
    };
    let field = |k: &str| match v.get("result").and_then(|r| r.get(k)) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => epoch(s).or_else(|| rfc3339(s)),
        _ => None,
    };
    (field("_time"), field("_indextime"))
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` as Unix seconds.
fn rfc3339(s: &str) -> Option<f64> {
    let num = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let rest = s.get(19..)?;
    let zone_at = rest.find(['Z', '+', '-'])?;
    let frac: f64 = match rest.get(..zone_at)? {
        "" => 0.0,
        f => format!("0{f}").parse().ok()?,
    };
    let zone = &rest[zone_at..];
    let offset = if zone == "Z" {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zh: i64 = zone.get(1..3)?.parse().ok()?;
        let zm: i64 = zone.get(4..6)?.parse().ok()?;
        sign * (zh * 3600 + zm * 60)
    };
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset) as f64 + frac)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time: &str, indexed: i64) -> String {
        format!(r#"{{"preview":false,"result":{{"_time":{time},"_indextime":"{indexed}","x":1}}}}"#)
    }

    #[test]
    fn times_parse() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            rfc3339("2024-03-03T08:26:54.5+01:00"),
            Some(1_709_450_814.5)
        );
        assert_eq!(rfc3339("2024-03-03"), None);
    }

    #[test]
    fn only_rows_in_the_window_that_have_arrived() {
        let dir = tempfile::tempdir().unwrap();
        let clock = dir.path().join("clock");
        std::fs::write(&clock, "1000\n").unwrap();
        let t = TimeAware {
            clock_file: Some(clock.clone()),
        };
        let rows = vec![
            row("100", 100),
            row("\"500\"", 1_500), // late: indexed after the clock
            row("\"1970-01-01T00:08:20Z\"", 600),
            row("900", 900),
            r#"{"messages":[]}"#.to_owned(),
        ];
        let seen = t.visible(rows.clone(), Some("100"), Some("900"));
        assert_eq!(seen.len(), 3);
        assert!(seen[0].contains(r#""lastrow":false"#) && seen[1].contains(r#""lastrow":false"#));
        assert!(seen[1].contains("1970-01-01T00:08:20Z"));
        assert_eq!(seen[2], rows[4]);
        std::fs::write(&clock, "2000").unwrap();
        assert_eq!(t.visible(rows.clone(), Some("200"), Some("901")).len(), 4);
        assert_eq!(t.visible(rows, Some("-4hours"), None).len(), 5);
    }
}
