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
use crate::walk::{walk, Visit};

/// The key of `properties` the transform sets to the owner's id (step 5
/// of docs/tools/splunk-to-segment.md), written here once.
pub(crate) const WORKSPACE_ID: &[u8] = b"workspaceID";

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
    /// Members dropped for a later key of the same name (jq's rule), in
    /// the record being transformed.
    pub dups: u64,
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
    /// What Splunk's lookups add (docs/tools/splunk-to-segment.md, "Ids
    /// from the row"): the SSO id of `userId`, the namespace's owner, and
    /// the owner's SSO id.
    SsoId,
    Owner,
    OwnerSsoId,
}

impl SpanField {
    const COUNT: usize = SpanField::OwnerSsoId as usize + 1;
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
        b"sso_id" => Field::Span(SpanField::SsoId),
        b"owner" => Field::Span(SpanField::Owner),
        b"owner_sso_id" => Field::Span(SpanField::OwnerSsoId),
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
    let mut row = Row {
        buf,
        f,
        result: ResultState::Absent,
    };
    walk(&mut s, &mut row, 0)?;
    s.expect_end().map_err(Rejection::Json)?;
    Ok(row.result)
}

/// The walk of a row: the walker reads the grammar, this reads `result`
/// (the last one counts, as in jq); everything else is only validated.
struct Row<'b, 'f> {
    buf: &'b mut Buffers,
    f: &'f mut Fields,
    result: ResultState,
}

impl<'a> Visit<Scanner<'a>> for Row<'_, '_> {
    type Err = Rejection;

    #[inline]
    fn key(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<bool, Rejection> {
        if depth > 0 {
            s.skip_string()?;
            return Ok(false);
        }
        read_key(s, &mut self.buf.key, |k| k == b"result")
    }

    fn own_value(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<(), Rejection> {
        self.result = result_value(s, self.buf, self.f, depth)?;
        Ok(())
    }
}

/// The value of a `result` key.
fn result_value(
    s: &mut Scanner<'_>,
    buf: &mut Buffers,
    f: &mut Fields,
    depth: usize,
) -> Result<ResultState, Rejection> {
    if s.peek() == Some(b'{') {
        *f = Fields::default();
        let mut r = ResultObject {
            buf,
            f,
            field: Field::Other,
            depth,
        };
        walk(s, &mut r, depth)?;
        return Ok(ResultState::Object);
    }
    let kind = s.skip_value(depth).map_err(Rejection::Json)?;
    Ok(if kind.truthy() {
        ResultState::NotObject(kind)
    } else {
        ResultState::Absent
    })
}

/// The walk of the `result` object: the fields the transform reads are
/// noted (spans) or compacted (`properties`, `context`) as they go by.
struct ResultObject<'b, 'f> {
    buf: &'b mut Buffers,
    f: &'f mut Fields,
    /// The field whose value comes next.
    field: Field,
    /// The depth of the `result` object.
    depth: usize,
}

impl<'a> Visit<Scanner<'a>> for ResultObject<'_, '_> {
    type Err = Rejection;

    #[inline]
    fn key(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<bool, Rejection> {
        if depth != self.depth {
            s.skip_string()?;
            return Ok(false);
        }
        self.field = read_key(s, &mut self.buf.key, result_field)?;
        Ok(self.field != Field::Other)
    }

    fn own_value(&mut self, s: &mut Scanner<'a>, _depth: usize) -> Result<(), Rejection> {
        match self.field {
            Field::Properties => self.f.properties = nested(s, self.buf, true)?,
            Field::Context => self.f.context = nested(s, self.buf, false)?,
            Field::Span(which) => self.f.spans[which as usize] = Some(span(s)?),
            Field::Other => {}
        }
        Ok(())
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
        (&mut buf.props, &mut buf.props_out, Some(WORKSPACE_ID))
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
