//! The time of an audit event: which field, which text forms, and the one
//! form it is written back in.
//!
//! Splunk indexes an audit event by `requestReceivedTimestamp` (the row's
//! `timestamp` too), else `stageTimestamp`; API servers before 1.10 wrote
//! only `timestamp`. The first of these that the event has is its time
//! (why this order: `docs/audit-extraction.md`, "The event time"). Read:
//! RFC 3339 with any offset (`Z`, `+00:00`, `-05:00`), `t` or a space
//! between date and time, any number of fraction digits; and the SQL form
//! without an offset (`2023-11-20 07:59:03.061790`, as Panther and other
//! databases export), which is taken as UTC, as every audit time is
//! written in UTC.
//!
//! Normalised: the event's `requestReceivedTimestamp` is set to the time
//! in RFC 3339 UTC (`…Z`), with as many fraction digits as were written,
//! unless it already is exactly that text; so the row carries what the
//! window selected the event by. A time that cannot be read is an error
//! for the caller to report, never a time outside the window.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::Value;

/// The fields an event's time is read from, in order.
pub const TIME_FIELDS: [&str; 3] = ["requestReceivedTimestamp", "stageTimestamp", "timestamp"];

/// Why an event has no time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("no time (none of requestReceivedTimestamp, stageTimestamp, timestamp)")]
    Missing,
    #[error("unreadable time in `{field}` (`{value}`)")]
    Unreadable { field: &'static str, value: String },
}

/// Reads the event's time and writes it back normalised (see the module
/// doc).
pub fn read_and_normalise(event: &mut Value) -> Result<Timestamp, TimeError> {
    let (field, text) = TIME_FIELDS
        .iter()
        .find_map(|&f| event.get(f).map(|v| (f, v)))
        .ok_or(TimeError::Missing)?;
    let unreadable = || TimeError::Unreadable {
        field,
        value: match text {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    let s = text.as_str().ok_or_else(unreadable)?;
    let (t, digits) = parse(s).ok_or_else(unreadable)?;
    let normal = format(t, digits);
    let already = event
        .get(TIME_FIELDS[0])
        .and_then(Value::as_str)
        .is_some_and(|s| s == normal);
    if !already {
        if let Value::Object(m) = event {
            m.insert(TIME_FIELDS[0].to_owned(), Value::String(normal));
        }
    }
    Ok(t)
}

/// A time and its number of fraction digits.
pub fn parse(s: &str) -> Option<(Timestamp, usize)> {
    let digits = fraction_digits(s);
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some((t, digits));
    }
    // No offset: UTC.
    let dt: DateTime = s.parse().ok()?;
    let t = dt.to_zoned(TimeZone::UTC).ok()?.timestamp();
    Some((t, digits))
}

/// Digits after the seconds' decimal point.
fn fraction_digits(s: &str) -> usize {
    let Some(time) = s.get(11..) else { return 0 };
    time.split_once('.')
        .map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count())
}

/// RFC 3339 in UTC with `digits` fraction digits (at most 9).
pub fn format(t: Timestamp, digits: usize) -> String {
    let mut s = t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let digits = digits.min(9);
    if digits > 0 {
        let nanos = format!("{:09}", t.subsec_nanosecond());
        s.push('.');
        s.push_str(&nanos[..digits]);
    }
    s.push('Z');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn normalised(ev: Value) -> (Result<Timestamp, TimeError>, Value) {
        let mut ev = ev;
        let r = read_and_normalise(&mut ev);
        (r, ev)
    }

    #[test]
    fn every_form_gives_the_same_time_and_text() {
        let want = "2023-11-20T07:59:03.061790Z";
        for text in [
            want,
            "2023-11-20T07:59:03.061790+00:00",
            "2023-11-20T09:59:03.061790+02:00",
            "2023-11-20 07:59:03.061790",
            "2023-11-20t07:59:03.061790z",
        ] {
            let (t, ev) = normalised(json!({ "requestReceivedTimestamp": text }));
            assert_eq!(t, Ok(want.parse().unwrap()), "{text}");
            assert_eq!(ev["requestReceivedTimestamp"], want, "{text}");
        }
        // Precision as written.
        let (_, ev) = normalised(json!({ "requestReceivedTimestamp": "2023-11-20 07:59:03.38" }));
        assert_eq!(ev["requestReceivedTimestamp"], "2023-11-20T07:59:03.38Z");
    }

    #[test]
    fn fallback_fields_and_errors() {
        let (t, ev) = normalised(json!({"stageTimestamp": "2017-09-11T18:31:09Z"}));
        assert_eq!(t, Ok("2017-09-11T18:31:09Z".parse().unwrap()));
        assert_eq!(ev["requestReceivedTimestamp"], "2017-09-11T18:31:09Z");
        let (t, _) = normalised(json!({"timestamp": "2017-09-11T18:31:09Z"}));
        assert!(t.is_ok());
        assert_eq!(
            normalised(json!({"verb": "get"})).0,
            Err(TimeError::Missing)
        );
        let (t, _) = normalised(
            json!({"requestReceivedTimestamp": "yesterday", "stageTimestamp": "2017-09-11T18:31:09Z"}),
        );
        assert_eq!(
            t,
            Err(TimeError::Unreadable {
                field: "requestReceivedTimestamp",
                value: "yesterday".into()
            })
        );
        let (t, _) = normalised(json!({"timestamp": 1700000000}));
        assert!(matches!(
            t,
            Err(TimeError::Unreadable {
                field: "timestamp",
                ..
            })
        ));
    }
}
