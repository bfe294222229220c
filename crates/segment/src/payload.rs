//! Building the batch request body, `{"batch":[e1,e2,…]}`, byte for byte.
//!
//! The original piped events through `jq -c -s '{batch: .}'`. We embed each
//! event's own JSON text instead of re-serialising a parsed value, so number
//! literals stay as written (jq 1.6 turned them into doubles) and the cost is
//! one pass over the bytes. Insignificant white space is removed, as `jq -c`
//! did, so that what we count is what goes on the wire; what strict JSON
//! leaves open is settled as jq settles it (`segment_bridge_json::jq`).

use std::borrow::Cow;
use std::io::{self, Write};

use segment_bridge_json::jq::{self, Fixes};
use segment_bridge_json::token::SyntaxError;

/// What comes before the first event of a body.
pub const BATCH_PREFIX: &[u8] = b"{\"batch\":[";
/// What comes after the last event.
pub const BATCH_SUFFIX: &[u8] = b"]}";
/// Bytes of a body besides its events and the commas between them.
pub const WRAPPER_BYTES: usize = BATCH_PREFIX.len() + BATCH_SUFFIX.len();

/// The exact size of the body holding events of these sizes.
pub fn body_len(event_lens: impl IntoIterator<Item = usize>) -> usize {
    let (n, sum) = event_lens
        .into_iter()
        .fold((0usize, 0usize), |(n, s), l| (n + 1, s + l));
    WRAPPER_BYTES + sum + n.saturating_sub(1)
}

/// One JSON value, strictly (no NaN, no trailing values), compacted with
/// jq's rules for invalid UTF-8, duplicate keys and numbers beyond the
/// double range (`segment_bridge_json::jq`), and what those rules changed. Any JSON value
/// is accepted, as `jq -s` did; event rules are [`super::validate`]'s.
pub fn json_value(raw: &[u8]) -> Result<(Cow<'_, [u8]>, Fixes), SyntaxError> {
    jq::normalize(raw)
}

/// Writes the body holding `events` (each already compact JSON).
pub fn write_payload<'a, W: Write + ?Sized>(
    out: &mut W,
    events: impl IntoIterator<Item = &'a [u8]>,
) -> io::Result<()> {
    out.write_all(BATCH_PREFIX)?;
    for (i, e) in events.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(e)?;
    }
    out.write_all(BATCH_SUFFIX)
}

/// The body holding `events` (each already compact JSON).
pub fn payload<'a>(events: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec can't fail.
    let _ = write_payload(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_and_keeps_literals() {
        let raw = br#" { "a" : [1.0, 2e5 ,"x \" y\\"] ,"b":	"t\tz" } "#;
        assert_eq!(
            &*json_value(raw).unwrap().0,
            br#"{"a":[1.0,2e5,"x \" y\\"],"b":"t\tz"}"#.as_slice()
        );
        assert!(matches!(
            json_value(br#"{"a":"b c"}"#).unwrap().0,
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn strict_json_only() {
        assert!(json_value(b"{\"a\":1} {\"b\":2}").is_err());
        assert!(json_value(b"NaN").is_err());
        assert!(json_value(b"").is_err());
        assert_eq!(
            &*json_value(b" 12345678901234567890.50 ").unwrap().0,
            b"12345678901234567890.50"
        );
    }

    #[test]
    fn payload_and_len_agree() {
        let evs: Vec<&[u8]> = vec![b"{}", b"{\"a\":1}", b"3"];
        let p = payload(evs.iter().copied());
        assert_eq!(p, br#"{"batch":[{},{"a":1},3]}"#);
        assert_eq!(p.len(), body_len(evs.iter().map(|e| e.len())));
        assert_eq!(payload([]), br#"{"batch":[]}"#);
        assert_eq!(body_len([]), 12);
    }
}
