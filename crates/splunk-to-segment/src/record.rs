//! Step 1 of the transform (docs/tools/splunk-to-segment.md): one input
//! line → the fields of its `result`.
//!
//! The line is walked once. The fields the transform needs are noted as
//! byte spans of the line; `properties` and `context`, JSON texts held in
//! strings, are compacted straight from their escaped form on the way
//! ([`fused`](crate::fused)) or, when that fast path gives up, unescaped
//! into a reusable buffer for the general one.

use segment_bridge_json::token::Syntax;

use crate::fused::{self, Fused};
use crate::json::{Compactor, Kind, Scanner};
use crate::reject::Rejection;

/// Where a field's value is in the line.
#[derive(Clone, Copy)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    /// A string written with escapes.
    pub escaped: bool,
}

/// `properties` or `context`: a string holding JSON.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Nested {
    #[default]
    Absent,
    NotString(Kind),
    /// Decoded into its scratch buffer: its first this many bytes.
    Decoded(usize),
    /// Compacted on the way by the fast path (valid, no duplicate keys).
    Fused(Fused),
}

/// The fields of `result` the transform reads (all absent by default):
/// where each copied or looked-up one is (`fields[SpanField::Namespace]`),
/// and what `properties` and `context` hold.
#[derive(Default)]
pub(crate) struct Fields {
    spans: [Option<Span>; SpanField::COUNT],
    pub properties: Nested,
    pub context: Nested,
}

impl std::ops::Index<SpanField> for Fields {
    type Output = Option<Span>;

    fn index(&self, field: SpanField) -> &Option<Span> {
        &self.spans[field as usize]
    }
}

/// Buffers the record parser reuses from line to line.
#[derive(Default)]
pub(crate) struct Buffers {
    /// Decoded `properties` / `context` (general path).
    pub props: Vec<u8>,
    pub ctx: Vec<u8>,
    /// Compacted `properties` / `context` (fast path).
    pub props_out: Vec<u8>,
    pub ctx_out: Vec<u8>,
    /// A decoded key.
    pub key: Vec<u8>,
    pub compactor: Compactor,
}

/// A field of `result` the transform copies or looks up as it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SpanField {
    MessageId,
    Timestamp,
    Namespace,
    Type,
    UserId,
    Event,
    EventSubject,
    EventVerb,
}

impl SpanField {
    const COUNT: usize = SpanField::EventVerb as usize + 1;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Span(SpanField),
    Properties,
    Context,
    Other,
}

/// Whether `key` is a field of `result` the transform reads (a CSV header
/// that names none is not one of a Splunk export of our searches).
pub(crate) fn is_result_field(key: &[u8]) -> bool {
    result_field(key) != Field::Other
}

fn result_field(key: &[u8]) -> Field {
    match key {
        b"messageId" => Field::Span(SpanField::MessageId),
        b"timestamp" => Field::Span(SpanField::Timestamp),
        b"namespace" => Field::Span(SpanField::Namespace),
        b"type" => Field::Span(SpanField::Type),
        b"userId" => Field::Span(SpanField::UserId),
        b"event" => Field::Span(SpanField::Event),
        b"event_subject" => Field::Span(SpanField::EventSubject),
        b"event_verb" => Field::Span(SpanField::EventVerb),
        b"properties" => Field::Properties,
        b"context" => Field::Context,
        _ => Field::Other,
    }
}

/// What the line's `result` is.
pub(crate) enum ResultState {
    /// No `result`, or a falsy one (or the line is `null`): a marker.
    Absent,
    NotObject(Kind),
    Object,
}

/// Reads the key at the scanner (at its quote) and classifies it with `f`.
fn read_key<T>(s: &mut Scanner<'_>, buf: &mut Vec<u8>, f: fn(&[u8]) -> T) -> Result<T, Rejection> {
    if s.peek() != Some(b'"') {
        return Err(Rejection::Json(s.err(Syntax::ExpectedKey)));
    }
    let start = s.pos;
    let escaped = s.skip_string().map_err(Rejection::Json)?;
    if !escaped {
        return Ok(f(&s.b[start + 1..s.pos - 1]));
    }
    buf.clear();
    let mut k = Scanner { b: s.b, pos: start };
    k.unescape_string(buf).map_err(Rejection::Json)?;
    Ok(f(buf))
}

/// The text of a string value (a span of kind `String`).
pub(crate) fn string_at<'a>(line: &'a str, sp: Span, buf: &'a mut Vec<u8>) -> &'a str {
    if !sp.escaped {
        return line.get(sp.start + 1..sp.end - 1).unwrap_or("");
    }
    buf.clear();
    let mut s = Scanner {
        b: line.as_bytes(),
        pos: sp.start,
    };
    // Already validated while the line was read: this cannot fail, and the
    // decoded bytes are UTF-8.
    if s.unescape_string(buf).is_err() {
        return "";
    }
    std::str::from_utf8(buf).unwrap_or("")
}

/// Walks the line once; fills `f` from the last `result` seen.
pub(crate) fn parse_line(
    b: &[u8],
    buf: &mut Buffers,
    f: &mut Fields,
) -> Result<ResultState, Rejection> {
    parse_outer(b, buf, f)
}

fn parse_outer(b: &[u8], buf: &mut Buffers, f: &mut Fields) -> Result<ResultState, Rejection> {
    let mut s = Scanner::new(b);
    s.skip_ws();
    if s.peek() != Some(b'{') {
        let kind = s.skip_value(0).map_err(Rejection::Json)?;
        s.expect_end().map_err(Rejection::Json)?;
        return match kind {
            Kind::Null => Ok(ResultState::Absent),
            kind => Err(Rejection::NotObject(kind)),
        };
    }
    s.pos += 1;
    let mut result = ResultState::Absent;
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
    } else {
        loop {
            s.skip_ws();
            let is_result = read_key(&mut s, &mut buf.key, |k| k == b"result")?;
            s.skip_ws();
            s.expect_byte(b':', Syntax::ExpectedColon)
                .map_err(Rejection::Json)?;
            s.skip_ws();
            if is_result {
                result = result_value(&mut s, buf, f)?;
            } else {
                s.skip_value(1).map_err(Rejection::Json)?;
            }
            if !s.comma_or(b'}').map_err(Rejection::Json)? {
                break;
            }
        }
    }
    s.expect_end().map_err(Rejection::Json)?;
    Ok(result)
}

/// The value of a `result` key (the last one counts, as in jq).
fn result_value(
    s: &mut Scanner<'_>,
    buf: &mut Buffers,
    f: &mut Fields,
) -> Result<ResultState, Rejection> {
    if s.peek() == Some(b'{') {
        *f = Fields::default();
        parse_result(s, buf, f)?;
        return Ok(ResultState::Object);
    }
    let kind = s.skip_value(1).map_err(Rejection::Json)?;
    Ok(if kind.truthy() {
        ResultState::NotObject(kind)
    } else {
        ResultState::Absent
    })
}

/// The `result` object (scanner at its `{`).
fn parse_result(s: &mut Scanner<'_>, buf: &mut Buffers, f: &mut Fields) -> Result<(), Rejection> {
    s.pos += 1;
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
        return Ok(());
    }
    loop {
        s.skip_ws();
        let field = read_key(s, &mut buf.key, result_field)?;
        s.skip_ws();
        s.expect_byte(b':', Syntax::ExpectedColon)
            .map_err(Rejection::Json)?;
        s.skip_ws();
        match field {
            Field::Properties => f.properties = nested(s, buf, true)?,
            Field::Context => f.context = nested(s, buf, false)?,
            Field::Other => {
                s.skip_value(2).map_err(Rejection::Json)?;
            }
            Field::Span(which) => f.spans[which as usize] = Some(span(s)?),
        }
        if !s.comma_or(b'}').map_err(Rejection::Json)? {
            return Ok(());
        }
    }
}

/// A field the transform copies or looks up: where it is.
fn span(s: &mut Scanner<'_>) -> Result<Span, Rejection> {
    let start = s.pos;
    let (kind, escaped) = if s.peek() == Some(b'"') {
        (Kind::String, s.skip_string().map_err(Rejection::Json)?)
    } else {
        (s.skip_value(2).map_err(Rejection::Json)?, false)
    };
    Ok(Span {
        start,
        end: s.pos,
        kind,
        escaped,
    })
}

/// `properties` (with the `workspaceID` key noted) or `context`: compacted
/// from its escaped form when the fast path can, else decoded.
fn nested(s: &mut Scanner<'_>, buf: &mut Buffers, properties: bool) -> Result<Nested, Rejection> {
    if s.peek() != Some(b'"') {
        return Ok(Nested::NotString(s.skip_value(2).map_err(Rejection::Json)?));
    }
    let (decoded, fast, special): (_, _, Option<&[u8]>) = if properties {
        (&mut buf.props, &mut buf.props_out, Some(b"workspaceID"))
    } else {
        (&mut buf.ctx, &mut buf.ctx_out, None)
    };
    if let Some(fz) = fused::compact_encoded(s.b, s.pos, fast, &mut buf.compactor, special) {
        s.pos = fz.end;
        return Ok(Nested::Fused(fz));
    }
    decoded.clear();
    s.unescape_string(decoded).map_err(Rejection::Json)?;
    Ok(Nested::Decoded(decoded.len()))
}
