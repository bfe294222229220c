//! Building the batch request body, `{"batch":[e1,e2,…]}`, byte for byte.
//!
//! The original piped events through `jq -c -s '{batch: .}'`. We embed each
//! event's own JSON text instead of re-serialising a parsed value, so number
//! literals stay as written (jq 1.6 turned them into doubles) and the cost is
//! one pass over the bytes. Insignificant white space is removed, as `jq -c`
//! did, so that what we count is what goes on the wire.

use std::borrow::Cow;
use std::io::{self, Write};

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

/// `raw` without white space outside strings. Borrowed when there was none
/// (the usual case: events come compact from the previous tool). Purely
/// lexical: it does not validate, and on invalid JSON the result is just as
/// invalid.
pub fn compact(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut lexer = Lexer::default();
    let Some(start) = raw.iter().position(|&b| !lexer.keep(b)) else {
        return Cow::Borrowed(raw);
    };
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..start]);
    // The lexer's state carries on from `start` (outside a string, by
    // construction).
    out.extend(raw[start..].iter().copied().filter(|&b| lexer.keep(b)));
    Cow::Owned(out)
}

/// Where a byte stands in JSON text: in a string (after a backslash or not)
/// or outside one.
#[derive(Default)]
struct Lexer {
    in_string: bool,
    escaped: bool,
}

impl Lexer {
    /// Steps over `b`; false when it is white space outside a string (a
    /// byte that compact JSON leaves out).
    fn keep(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            true
        } else if b == b'"' {
            self.in_string = true;
            true
        } else {
            !is_ws(b)
        }
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// One JSON value, strictly (no NaN, no trailing values), compacted. Any
/// JSON value is accepted, as `jq -s` did; event rules are [`super::validate`]'s.
pub fn json_value(raw: &[u8]) -> Result<Cow<'_, [u8]>, serde_json::Error> {
    serde_json::from_slice::<serde::de::IgnoredAny>(raw)?;
    Ok(compact(raw))
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
    fn compact_keeps_strings_and_literals() {
        let raw = br#" { "a" : [1.0, 2e5 ,"x \" y\\"] ,"b":	"t\tz" } "#;
        assert_eq!(
            &*compact(raw),
            br#"{"a":[1.0,2e5,"x \" y\\"],"b":"t\tz"}"#.as_slice()
        );
        assert!(matches!(compact(br#"{"a":"b c"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn strict_json_only() {
        assert!(json_value(b"{\"a\":1} {\"b\":2}").is_err());
        assert!(json_value(b"NaN").is_err());
        assert!(json_value(b"").is_err());
        assert_eq!(
            &*json_value(b" 12345678901234567890.50 ").unwrap(),
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
