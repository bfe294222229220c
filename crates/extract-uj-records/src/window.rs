//! The time window of `QUERY_EARLIEST_TIME`/`QUERY_LATEST_TIME`, read as
//! Splunk's `earliest_time`/`latest_time` are: epoch seconds (fractions
//! allowed), an ISO 8601 time (`2024-03-03T08:00:00Z`, an offset instead of
//! `Z`, fractions allowed; the export API's default `time_format`), Splunk's
//! `%m/%d/%Y:%H:%M:%S` form, `now`, or a relative time modifier
//! `[+|-]<n><unit>[@<snap>]` (`-4hours`, `-0hours`, `-1d@d`, `@h`), units
//! `s`/`sec`/`second(s)`, `m`/`min`/`minute(s)`, `h`/`hr`/`hour(s)`,
//! `d`/`day(s)`, `w`/`week(s)`, `mon`/`month(s)`, `q`/`quarter(s)`,
//! `y`/`yr`/`year(s)` (plurals and short forms as Splunk lists them), snap
//! to the start of that unit (`@w0`…`@w7`: to that weekday, 0 and 7 Sunday). Relative times
//! count from the run's "now" and, as Splunk's do, in calendar terms, here
//! in UTC. The window holds `earliest <= _time < latest`.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Zoned};

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("not a time Splunk accepts (epoch seconds, ISO 8601, or relative such as `-4hours`)")]
    Unrecognised,
    #[error("unknown time unit `{0}`")]
    Unit(String),
    #[error("out of range")]
    Range,
}

/// A half-open window; an open end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub earliest: Option<Timestamp>,
    pub latest: Option<Timestamp>,
}

impl Window {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.earliest.is_none_or(|e| t >= e) && self.latest.is_none_or(|l| t < l)
    }

    pub fn is_unbounded(&self) -> bool {
        self.earliest.is_none() && self.latest.is_none()
    }
}

/// Reads one time specification relative to `now`.
pub fn parse(spec: &str, now: Timestamp) -> Result<Timestamp, TimeError> {
    let s = spec.trim();
    if s.eq_ignore_ascii_case("now") || s.is_empty() {
        return Ok(now);
    }
    if let Some(t) = epoch(s) {
        return t;
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(dt) = jiff::civil::DateTime::strptime("%m/%d/%Y:%H:%M:%S", s) {
        return dt
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| TimeError::Range);
    }
    if s.starts_with(['+', '-', '@']) {
        return relative(s, now);
    }
    Err(TimeError::Unrecognised)
}

fn epoch(s: &str) -> Option<Result<Timestamp, TimeError>> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = match int.parse() {
        Ok(v) => v,
        Err(_) => return Some(Err(TimeError::Range)),
    };
    let mut nanos = 0i32;
    for (i, d) in frac.bytes().take(9).enumerate() {
        let place = 10i32.pow(8 - u32::try_from(i).unwrap_or(8));
        nanos += i32::from(d - b'0') * place;
    }
    Some(Timestamp::new(secs, nanos).map_err(|_| TimeError::Range))
}

fn relative(s: &str, now: Timestamp) -> Result<Timestamp, TimeError> {
    let (offset, snap) = match s.split_once('@') {
        Some((o, sn)) => (o, Some(sn)),
        None => (s, None),
    };
    let mut z = now.to_zoned(TimeZone::UTC);
    if !offset.is_empty() {
        let (sign, rest) = offset.split_at(1);
        let sign: i64 = if sign == "-" { -1 } else { 1 };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = if digits == 0 {
            1
        } else {
            rest[..digits].parse().map_err(|_| TimeError::Range)?
        };
        let span = unit_span(&rest[digits..], sign * n)?;
        z = z.checked_add(span).map_err(|_| TimeError::Range)?;
    }
    if let Some(sn) = snap {
        z = snap_to(&z, sn)?;
    }
    Ok(z.timestamp())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

fn unit(name: &str) -> Result<Unit, TimeError> {
    Ok(match name {
        "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
        "d" | "day" | "days" => Unit::Day,
        "w" | "week" | "weeks" => Unit::Week,
        "mon" | "month" | "months" => Unit::Month,
        "q" | "qtr" | "qtrs" | "quarter" | "quarters" => Unit::Quarter,
        "y" | "yr" | "yrs" | "year" | "years" => Unit::Year,
        other => return Err(TimeError::Unit(other.to_owned())),
    })
}

fn unit_span(name: &str, n: i64) -> Result<Span, TimeError> {
    let r = |s: Result<Span, jiff::Error>| s.map_err(|_| TimeError::Range);
    match unit(name)? {
        Unit::Second => r(Span::new().try_seconds(n)),
        Unit::Minute => r(Span::new().try_minutes(n)),
        Unit::Hour => r(Span::new().try_hours(n)),
        Unit::Day => r(Span::new().try_days(n)),
        Unit::Week => r(Span::new().try_weeks(n)),
        Unit::Month => r(Span::new().try_months(n)),
        Unit::Quarter => r(Span::new().try_months(n.saturating_mul(3))),
        Unit::Year => r(Span::new().try_years(n)),
    }
}

fn snap_to(z: &Zoned, snap: &str) -> Result<Zoned, TimeError> {
    let range = |_| TimeError::Range;
    if let Some(day) = snap.strip_prefix('w').filter(|d| d.len() == 1) {
        let want = day
            .parse::<i8>()
            .ok()
            .filter(|d| (0..=7).contains(d))
            .map(|d| d % 7)
            .ok_or_else(|| TimeError::Unit(snap.to_owned()))?;
        let have = z.weekday().to_sunday_zero_offset();
        let back = (have - want).rem_euclid(7);
        let start = z.start_of_day().map_err(range)?;
        return start
            .checked_sub(Span::new().days(i64::from(back)))
            .map_err(range);
    }
    let w = z.with().subsec_nanosecond(0).second(0);
    let snapped = match unit(snap)? {
        Unit::Second => z.with().subsec_nanosecond(0).build(),
        Unit::Minute => w.build(),
        Unit::Hour => w.minute(0).build(),
        Unit::Day => return z.start_of_day().map_err(range),
        Unit::Week => return snap_to(z, "w0"),
        Unit::Month => w.minute(0).hour(0).day(1).build(),
        Unit::Quarter => {
            let month = (z.month() - 1) / 3 * 3 + 1;
            w.minute(0).hour(0).day(1).month(month).build()
        }
        Unit::Year => w.minute(0).hour(0).day(1).month(1).build(),
    };
    snapped.map_err(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn absolute_forms() {
        let now = t("2024-03-03T12:00:00Z");
        assert_eq!(parse("1709467200", now), Ok(t("2024-03-03T12:00:00Z")));
        assert_eq!(parse("1709467200.5", now), Ok(t("2024-03-03T12:00:00.5Z")));
        assert_eq!(
            parse("2024-03-03T08:26:54.481756Z", now),
            Ok(t("2024-03-03T08:26:54.481756Z"))
        );
        assert_eq!(
            parse("2024-03-03T10:00:00+02:00", now),
            Ok(t("2024-03-03T08:00:00Z"))
        );
        assert_eq!(
            parse("03/03/2024:08:00:00", now),
            Ok(t("2024-03-03T08:00:00Z"))
        );
        assert_eq!(parse("now", now), Ok(now));
        assert_eq!(parse("yesterday", now), Err(TimeError::Unrecognised));
    }

    #[test]
    fn relative_forms() {
        let now = t("2024-03-03T12:34:56Z"); // a Sunday
        assert_eq!(parse("-4hours", now), Ok(t("2024-03-03T08:34:56Z")));
        assert_eq!(parse("-0hours", now), Ok(now));
        assert_eq!(parse("-h", now), Ok(t("2024-03-03T11:34:56Z")));
        assert_eq!(parse("+30m", now), Ok(t("2024-03-03T13:04:56Z")));
        assert_eq!(parse("-1d@d", now), Ok(t("2024-03-02T00:00:00Z")));
        assert_eq!(parse("@h", now), Ok(t("2024-03-03T12:00:00Z")));
        assert_eq!(parse("-1mon@mon", now), Ok(t("2024-02-01T00:00:00Z")));
        assert_eq!(parse("@w1", now), Ok(t("2024-02-26T00:00:00Z")));
        assert_eq!(parse("@w0", now), Ok(t("2024-03-03T00:00:00Z")));
        assert_eq!(parse("@w7", now), Ok(t("2024-03-03T00:00:00Z")));
        assert_eq!(
            parse("-4fortnights", now),
            Err(TimeError::Unit("fortnights".into()))
        );
    }

    #[test]
    fn window_is_half_open() {
        let w = Window {
            earliest: Some(t("2024-03-03T08:00:00Z")),
            latest: Some(t("2024-03-03T09:00:00Z")),
        };
        assert!(w.contains(t("2024-03-03T08:00:00Z")));
        assert!(!w.contains(t("2024-03-03T09:00:00Z")));
        assert!(!w.contains(t("2024-03-03T07:59:59Z")));
        assert!(Window::default().contains(t("1970-01-01T00:00:00Z")));
    }
}
