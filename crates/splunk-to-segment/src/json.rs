//! A strict, single-pass JSON scanner over bytes.
//!
//! The transform touches every input byte about once (`docs/tools/splunk-to-segment.md`): the
//! outer line is walked once, the nested `properties`/`context` strings are
//! unescaped while they are validated, and the decoded text is validated and
//! compacted in one more pass that copies runs of bytes as they were written,
//! so number literals (and string escapes) come out exactly as they went in.
//! It is strict RFC 8259 JSON, as serde_json is: no NaN/Infinity, no `+1`,
//! no leading zeros, no control characters in strings, no lone surrogate
//! escapes, one value per text.
//!
//! jq keeps the first position and the last value of a key that appears
//! twice in one object. Compaction that copies bytes can't do that, so it
//! detects duplicate keys (and keys written with escapes, which could be
//! duplicates in disguise) and reports [`Fail::Slow`]; the caller then redoes
//! that one value through `serde_json::Value`, whose `preserve_order` map has
//! jq's semantics.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// Deepest nesting accepted (serde_json's limit too).
pub(crate) const MAX_DEPTH: usize = 128;

/// The JSON type of a value, for truthiness and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    False,
    True,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    /// jq truthiness: only `null` and `false` are false.
    pub(crate) fn truthy(self) -> bool {
        !matches!(self, Kind::Null | Kind::False)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::False | Kind::True => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }

    /// The name with its article, for messages (`an array`, `null`).
    pub(crate) fn article(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::False | Kind::True => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }

    pub(crate) fn of(v: &serde_json::Value) -> Kind {
        use serde_json::Value;
        match v {
            Value::Null => Kind::Null,
            Value::Bool(false) => Kind::False,
            Value::Bool(true) => Kind::True,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }
}

/// Why a text is not (strict) JSON, and where (0-based byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub what: &'static str,
    pub offset: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.what, self.offset + 1)
    }
}

/// Failure of a compaction: bad JSON, or "redo this value the slow way".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fail {
    Json(JsonError),
    Slow,
}

impl From<JsonError> for Fail {
    fn from(e: JsonError) -> Fail {
        Fail::Json(e)
    }
}

/// Byte classes inside a string: 0 plain, 1 quote, 2 backslash, 3 control.
static STR_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 3;
        i += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 2;
    t
};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is a quote, a backslash or a
/// control character (exact for the lowest such byte).
#[inline]
fn special_bytes(w: u64) -> u64 {
    let ctrl = w.wrapping_sub(LO * 0x20) & !w;
    let q = w ^ (LO * u64::from(b'"'));
    let q = q.wrapping_sub(LO) & !q;
    let bs = w ^ (LO * u64::from(b'\\'));
    let bs = bs.wrapping_sub(LO) & !bs;
    (ctrl | q | bs) & HI
}

/// The first index from `i` on whose byte is a quote, a backslash or a
/// control character (or `b.len()`), eight bytes at a time.
#[inline]
pub(crate) fn plain_run(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(arr) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let m = special_bytes(u64::from_le_bytes(arr));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && STR_CLASS[b[i] as usize] == 0 {
        i += 1;
    }
    i
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn hex_val(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some(u16::from(b - b'0')),
        b'a'..=b'f' => Some(u16::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(b - b'A' + 10)),
        _ => None,
    }
}

/// A cursor over one JSON text.
pub(crate) struct Scanner<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Scanner<'a> {
        Scanner { b, pos: 0 }
    }

    pub(crate) fn err(&self, what: &'static str) -> JsonError {
        JsonError {
            what,
            offset: self.pos,
        }
    }

    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        while self.pos < self.b.len() && is_ws(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// After the value: only white space may follow.
    pub(crate) fn expect_end(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(self
                .err("unexpected characters after the JSON value (several values on one line?)"))
        }
    }

    pub(crate) fn expect_byte(&mut self, c: u8, what: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else if self.pos >= self.b.len() {
            Err(self.err("unexpected end of JSON"))
        } else {
            Err(self.err(what))
        }
    }

    fn literal(&mut self, lit: &'static [u8], kind: Kind) -> Result<Kind, JsonError> {
        if self.b[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(kind)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    /// Validates one `\…` escape starting at `i` (the backslash); returns
    /// the index after it and the code point it stands for.
    #[inline]
    fn escape_at(&self, i: usize) -> Result<(usize, char), JsonError> {
        let bad = |what| JsonError { what, offset: i };
        let c = match self.b.get(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4(i + 2).ok_or_else(|| bad("invalid \\u escape"))?;
                if (0xD800..0xDC00).contains(&hi) {
                    if self.b.get(i + 6) != Some(&b'\\') || self.b.get(i + 7) != Some(&b'u') {
                        return Err(bad("lone surrogate in \\u escape"));
                    }
                    let lo = self.hex4(i + 8).ok_or_else(|| bad("invalid \\u escape"))?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(bad("lone surrogate in \\u escape"));
                    }
                    let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                    let c = char::from_u32(cp).ok_or_else(|| bad("invalid \\u escape"))?;
                    return Ok((i + 12, c));
                }
                if (0xDC00..0xE000).contains(&hi) {
                    return Err(bad("lone surrogate in \\u escape"));
                }
                let c = char::from_u32(u32::from(hi)).ok_or_else(|| bad("invalid \\u escape"))?;
                return Ok((i + 6, c));
            }
            None => return Err(bad("unterminated string")),
            Some(_) => return Err(bad("invalid escape in string")),
        };
        Ok((i + 2, c))
    }

    fn hex4(&self, i: usize) -> Option<u16> {
        let h = self.b.get(i..i + 4)?;
        let mut v = 0u16;
        for &c in h {
            v = v << 4 | hex_val(c)?;
        }
        Some(v)
    }

    /// Skips a string (at its opening quote); returns whether it holds
    /// escapes.
    #[inline]
    pub(crate) fn skip_string(&mut self) -> Result<bool, JsonError> {
        let b = self.b;
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            i = plain_run(b, i);
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape_at(i)?.0;
                }
                Some(_) => {
                    return Err(JsonError {
                        what: "control character in string",
                        offset: i,
                    })
                }
                None => {
                    return Err(JsonError {
                        what: "unterminated string",
                        offset: self.pos,
                    })
                }
            }
        }
    }

    /// Decodes a string (at its opening quote) into `out` (UTF-8 bytes).
    pub(crate) fn unescape_string(&mut self, out: &mut Vec<u8>) -> Result<(), JsonError> {
        let b = self.b;
        let mut i = self.pos + 1;
        loop {
            let start = i;
            i = plain_run(b, i);
            out.extend_from_slice(&b[start..i]);
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(());
                }
                // The escapes of nested JSON text, inline.
                Some(b'\\') if b.get(i + 1) == Some(&b'"') => {
                    out.push(b'"');
                    i += 2;
                }
                Some(b'\\') if b.get(i + 1) == Some(&b'\\') => {
                    out.push(b'\\');
                    i += 2;
                }
                Some(b'\\') => {
                    let (next, c) = self.escape_at(i)?;
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                    i = next;
                }
                Some(_) => {
                    return Err(JsonError {
                        what: "control character in string",
                        offset: i,
                    })
                }
                None => {
                    return Err(JsonError {
                        what: "unterminated string",
                        offset: self.pos,
                    })
                }
            }
        }
    }

    /// Decodes a string (at its opening quote) into `buf` from index 0 and
    /// returns the decoded length; `buf` keeps its (larger) length between
    /// calls so that it is zeroed only when it grows. Plain bytes are copied
    /// eight at a time, overwriting past the end of what is decoded so far:
    /// escapes only shrink text, so the room needed is the rest of the
    /// input plus eight bytes.
    pub(crate) fn unescape_into(&mut self, buf: &mut Vec<u8>) -> Result<usize, JsonError> {
        let b = self.b;
        let mut i = self.pos + 1;
        let room = b.len().saturating_sub(i) + 8;
        if buf.len() < room {
            buf.resize(room, 0);
        }
        let mut o = 0;
        loop {
            if let Some(chunk) = b.get(i..i + 8) {
                let Ok(arr) = <[u8; 8]>::try_from(chunk) else {
                    break Err(self.err("unterminated string"));
                };
                buf[o..o + 8].copy_from_slice(&arr);
                let m = special_bytes(u64::from_le_bytes(arr));
                if m == 0 {
                    i += 8;
                    o += 8;
                    continue;
                }
                let k = (m.trailing_zeros() / 8) as usize;
                i += k;
                o += k;
            } else {
                while i < b.len() && STR_CLASS[b[i] as usize] == 0 {
                    buf[o] = b[i];
                    i += 1;
                    o += 1;
                }
            }
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    break Ok(o);
                }
                Some(b'\\') => match b.get(i + 1) {
                    Some(b'"') => {
                        buf[o] = b'"';
                        o += 1;
                        i += 2;
                    }
                    Some(b'\\') => {
                        buf[o] = b'\\';
                        o += 1;
                        i += 2;
                    }
                    _ => {
                        let (next, c) = self.escape_at(i)?;
                        o += c.encode_utf8(&mut buf[o..o + 4]).len();
                        i = next;
                    }
                },
                Some(_) => {
                    break Err(JsonError {
                        what: "control character in string",
                        offset: i,
                    })
                }
                None => {
                    break Err(JsonError {
                        what: "unterminated string",
                        offset: self.pos,
                    })
                }
            }
        }
    }

    fn skip_number(&mut self) -> Result<(), JsonError> {
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(b.get(i), Some(b'0'..=b'9')) {
                    return Err(JsonError {
                        what: "leading zero in number",
                        offset: i - 1,
                    });
                }
            }
            Some(b'1'..=b'9') => {
                while matches!(b.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => {
                return Err(JsonError {
                    what: "invalid number",
                    offset: i,
                })
            }
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(JsonError {
                    what: "invalid number",
                    offset: i,
                });
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(JsonError {
                    what: "invalid number",
                    offset: i,
                });
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        self.pos = i;
        Ok(())
    }

    fn bad_value_start(&self) -> JsonError {
        match self.peek() {
            None => self.err("unexpected end of JSON"),
            Some(b'+') => self.err("`+` before a number is not JSON"),
            Some(b'N' | b'I') => self.err("NaN and Infinity are not JSON"),
            Some(b'\'') => self.err("single quotes are not JSON"),
            Some(_) => self.err("expected a JSON value"),
        }
    }

    /// Validates and skips one value (white space before it allowed).
    pub(crate) fn skip_value(&mut self, depth: usize) -> Result<Kind, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => {
                self.skip_string()?;
                Ok(Kind::String)
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nested too deep"));
                }
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Kind::Object);
                }
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    self.skip_string()?;
                    self.skip_ws();
                    self.expect_byte(b':', "expected `:`")?;
                    self.skip_value(depth + 1)?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Kind::Object);
                        }
                        None => return Err(self.err("unexpected end of JSON")),
                        Some(_) => return Err(self.err("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nested too deep"));
                }
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Kind::Array);
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Kind::Array);
                        }
                        None => return Err(self.err("unexpected end of JSON")),
                        Some(_) => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            Some(b't') => self.literal(b"true", Kind::True),
            Some(b'f') => self.literal(b"false", Kind::False),
            Some(b'n') => self.literal(b"null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => {
                self.skip_number()?;
                Ok(Kind::Number)
            }
            _ => Err(self.bad_value_start()),
        }
    }
}

/// An identity hasher for already-hashed `u64` keys.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Multiplies into 128 bits and folds the halves: every input bit reaches
/// every output bit (the mixing step of wyhash/foldhash).
#[inline]
pub(crate) fn fold_mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// A fast 64-bit hash of a key, eight bytes at a time; a collision only
/// costs a trip down the slow path.
#[inline]
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = fold_mul(h ^ u64::from_le_bytes(w), K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = fold_mul(h ^ u64::from_le_bytes(w), K);
    }
    h ^ (h >> 29)
}

/// The keys seen so far in one object being compacted.
#[derive(Default)]
pub(crate) struct Frame {
    keys: Vec<u64>,
    set: HashSet<u64, BuildHasherDefault<IdHasher>>,
    using_set: bool,
}

const LINEAR_KEYS: usize = 16;

impl Frame {
    fn reset(&mut self) {
        self.keys.clear();
        if self.using_set {
            self.set.clear();
            self.using_set = false;
        }
    }

    /// False when the key was already there.
    pub(crate) fn insert(&mut self, h: u64) -> bool {
        if self.using_set {
            return self.set.insert(h);
        }
        if self.keys.contains(&h) {
            return false;
        }
        self.keys.push(h);
        if self.keys.len() > LINEAR_KEYS {
            self.set.extend(self.keys.iter().copied());
            self.using_set = true;
        }
        true
    }
}

/// Reusable state of the compactor (one per worker).
#[derive(Default)]
pub(crate) struct Compactor {
    frames: Vec<Frame>,
}

/// What the compaction of a top-level object should do with one key.
pub(crate) struct Special<'k> {
    /// Key (as written, without escapes) whose value is replaced.
    pub key: &'k [u8],
    /// Compact JSON text written instead of its value.
    pub value: &'k [u8],
}

struct Run<'a, 'o> {
    s: Scanner<'a>,
    out: &'o mut Vec<u8>,
    /// Start of the bytes not yet copied to `out`.
    run: usize,
}

impl Run<'_, '_> {
    /// Skips white space, copying the pending run first if there is any.
    #[inline]
    fn ws(&mut self) {
        if self.s.pos < self.s.b.len() && is_ws(self.s.b[self.s.pos]) {
            self.out.extend_from_slice(&self.s.b[self.run..self.s.pos]);
            self.s.skip_ws();
            self.run = self.s.pos;
        }
    }

    fn flush(&mut self) {
        self.out.extend_from_slice(&self.s.b[self.run..self.s.pos]);
        self.run = self.s.pos;
    }
}

impl Compactor {
    /// The frame of the object being read at `depth`, as it is.
    pub(crate) fn frames_at(&mut self, depth: usize) -> Option<&mut Frame> {
        self.frames.get_mut(depth)
    }

    /// The frame at `depth`, emptied for a new object.
    pub(crate) fn frame(&mut self, depth: usize) -> &mut Frame {
        if self.frames.len() <= depth {
            self.frames.resize_with(depth + 1, Frame::default);
        }
        let f = &mut self.frames[depth];
        f.reset();
        f
    }

    /// Compacts the whole text `b` (one JSON value, white space around it
    /// allowed) onto `out`. On error `out` may hold a partial value: the
    /// caller truncates.
    pub(crate) fn compact(&mut self, b: &[u8], out: &mut Vec<u8>) -> Result<Kind, Fail> {
        let mut r = Run {
            s: Scanner::new(b),
            out,
            run: 0,
        };
        r.ws();
        let kind = self.value(&mut r, 0)?;
        r.flush();
        r.s.expect_end()?;
        Ok(kind)
    }

    /// Compacts a text holding an object or `null`, setting `special.key`
    /// to `special.value`: in place when the key is there, else appended
    /// last; `null` becomes `{key: value}`. Other values: `Ok(Err(kind))`.
    pub(crate) fn compact_with_key(
        &mut self,
        b: &[u8],
        out: &mut Vec<u8>,
        special: &Special<'_>,
    ) -> Result<Result<(), Kind>, Fail> {
        let mut r = Run {
            s: Scanner::new(b),
            out,
            run: 0,
        };
        r.ws();
        match r.s.peek() {
            Some(b'{') => {}
            Some(b'n') => {
                r.s.literal(b"null", Kind::Null)?;
                r.s.expect_end()?;
                r.out.push(b'{');
                push_member(r.out, special);
                r.out.push(b'}');
                return Ok(Ok(()));
            }
            _ => {
                let kind = r.s.skip_value(0)?;
                r.s.expect_end()?;
                return Ok(Err(kind));
            }
        }
        r.s.pos += 1;
        let mut found = false;
        let mut members = 0usize;
        self.frame(0);
        r.ws();
        if r.s.peek() == Some(b'}') {
            r.s.pos += 1;
        } else {
            loop {
                r.ws();
                let key = self.key(&mut r, 0)?;
                members += 1;
                r.ws();
                r.s.expect_byte(b':', "expected `:`")?;
                r.ws();
                if key == special.key {
                    found = true;
                    r.flush();
                    r.out.extend_from_slice(special.value);
                    r.s.skip_value(1)?;
                    r.run = r.s.pos;
                } else {
                    self.value(&mut r, 1)?;
                }
                r.ws();
                match r.s.peek() {
                    Some(b',') => r.s.pos += 1,
                    Some(b'}') => {
                        r.s.pos += 1;
                        break;
                    }
                    None => return Err(r.s.err("unexpected end of JSON").into()),
                    Some(_) => return Err(r.s.err("expected `,` or `}`").into()),
                }
            }
        }
        if found {
            r.flush();
        } else {
            // Copy up to (not including) the closing brace, then append.
            r.s.pos -= 1;
            r.flush();
            if members > 0 {
                r.out.push(b',');
            }
            push_member(r.out, special);
            r.s.pos += 1;
            r.flush();
        }
        r.s.expect_end()?;
        Ok(Ok(()))
    }

    /// Reads a key (at its quote) and records it in the frame at `depth`;
    /// returns its bytes as written.
    #[inline]
    fn key<'b>(&mut self, r: &mut Run<'b, '_>, depth: usize) -> Result<&'b [u8], Fail> {
        if r.s.peek() != Some(b'"') {
            return Err(r.s.err("expected a string key").into());
        }
        let start = r.s.pos;
        let escaped = r.s.skip_string()?;
        if escaped {
            return Err(Fail::Slow);
        }
        let b: &'b [u8] = r.s.b;
        let key = &b[start + 1..r.s.pos - 1];
        if !self.frames[depth].insert(key_hash(key)) {
            return Err(Fail::Slow);
        }
        Ok(key)
    }

    fn value(&mut self, r: &mut Run<'_, '_>, depth: usize) -> Result<Kind, Fail> {
        match r.s.peek() {
            Some(b'"') => {
                r.s.skip_string()?;
                Ok(Kind::String)
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(r.s.err("nested too deep").into());
                }
                r.s.pos += 1;
                self.frame(depth);
                r.ws();
                if r.s.peek() == Some(b'}') {
                    r.s.pos += 1;
                    return Ok(Kind::Object);
                }
                loop {
                    r.ws();
                    self.key(r, depth)?;
                    r.ws();
                    r.s.expect_byte(b':', "expected `:`")?;
                    r.ws();
                    self.value(r, depth + 1)?;
                    r.ws();
                    match r.s.peek() {
                        Some(b',') => r.s.pos += 1,
                        Some(b'}') => {
                            r.s.pos += 1;
                            return Ok(Kind::Object);
                        }
                        None => return Err(r.s.err("unexpected end of JSON").into()),
                        Some(_) => return Err(r.s.err("expected `,` or `}`").into()),
                    }
                }
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(r.s.err("nested too deep").into());
                }
                r.s.pos += 1;
                r.ws();
                if r.s.peek() == Some(b']') {
                    r.s.pos += 1;
                    return Ok(Kind::Array);
                }
                loop {
                    r.ws();
                    self.value(r, depth + 1)?;
                    r.ws();
                    match r.s.peek() {
                        Some(b',') => r.s.pos += 1,
                        Some(b']') => {
                            r.s.pos += 1;
                            return Ok(Kind::Array);
                        }
                        None => return Err(r.s.err("unexpected end of JSON").into()),
                        Some(_) => return Err(r.s.err("expected `,` or `]`").into()),
                    }
                }
            }
            Some(b't') => Ok(r.s.literal(b"true", Kind::True)?),
            Some(b'f') => Ok(r.s.literal(b"false", Kind::False)?),
            Some(b'n') => Ok(r.s.literal(b"null", Kind::Null)?),
            Some(b'-' | b'0'..=b'9') => {
                r.s.skip_number()?;
                Ok(Kind::Number)
            }
            _ => Err(r.s.bad_value_start().into()),
        }
    }
}

fn push_member(out: &mut Vec<u8>, special: &Special<'_>) {
    out.push(b'"');
    out.extend_from_slice(special.key);
    out.extend_from_slice(b"\":");
    out.extend_from_slice(special.value);
}

/// Writes `s` as a JSON string (the escapes jq uses: `\"`, `\\`, the short
/// control escapes, `\u00XX` for the other control characters and DEL).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f | 0x7f => {
                out.extend_from_slice(&b[run..i]);
                let hex = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(hex[usize::from(c >> 4)]);
                out.push(hex[usize::from(c & 0xf)]);
                run = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&b[run..i]);
        out.extend_from_slice(esc);
        run = i + 1;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(s: &str) -> Result<String, Fail> {
        let mut out = Vec::new();
        Compactor::default().compact(s.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn with_key(s: &str) -> Result<Result<String, Kind>, Fail> {
        let mut out = Vec::new();
        let sp = Special {
            key: b"workspaceID",
            value: b"7",
        };
        Ok(Compactor::default()
            .compact_with_key(s.as_bytes(), &mut out, &sp)?
            .map(|()| String::from_utf8(out).unwrap()))
    }

    #[test]
    fn compaction_keeps_literals_as_written() {
        assert_eq!(
            compact(" { \"a\" : [ 1.0 , 1e400, -0, 123456789012345678901234567890 ] , \"b\":\"x \\u00e9\" } ").unwrap(),
            r#"{"a":[1.0,1e400,-0,123456789012345678901234567890],"b":"x \u00e9"}"#
        );
        assert_eq!(compact("\"\"").unwrap(), "\"\"");
        assert_eq!(compact("[]").unwrap(), "[]");
        assert_eq!(compact("{ }").unwrap(), "{}");
    }

    #[test]
    fn strictness() {
        for bad in [
            "NaN",
            "Infinity",
            "-Infinity",
            "+1",
            "01",
            "-01",
            "1.",
            ".5",
            "1e",
            "[1,]",
            "{\"a\":1,}",
            "1 2",
            "{} {}",
            "'a'",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "\"a\tb\"",
            "tru",
            "nul",
            "",
            "  ",
            "{\"a\"}",
            "{1:2}",
            "[",
            "\"abc",
        ] {
            assert!(
                matches!(compact(bad), Err(Fail::Json(_))),
                "{bad:?} accepted"
            );
        }
        assert_eq!(compact("\"\\ud83d\\ude00\"").unwrap(), "\"\\ud83d\\ude00\"");
    }

    #[test]
    fn duplicate_or_escaped_keys_go_the_slow_way() {
        assert_eq!(compact(r#"{"a":1,"a":2}"#), Err(Fail::Slow));
        assert_eq!(compact(r#"{"b":{"a":1,"a":2}}"#), Err(Fail::Slow));
        assert_eq!(compact(r#"{"\u0061":1}"#), Err(Fail::Slow));
        assert_eq!(
            compact(r#"[{"a":1},{"a":2}]"#).unwrap(),
            r#"[{"a":1},{"a":2}]"#
        );
        assert_eq!(compact(r#"{"a":{"a":1}}"#).unwrap(), r#"{"a":{"a":1}}"#);
        // Many keys: the hash set takes over.
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        let obj = format!("{{{}}}", many.join(","));
        assert_eq!(compact(&obj).unwrap(), obj);
        let dup = format!("{{{},\"k5\":0}}", many.join(","));
        assert_eq!(compact(&dup), Err(Fail::Slow));
        // Keys that differ in one byte don't collide (a collision would send
        // the whole value down the slow path).
        let mut seen = std::collections::HashSet::new();
        for p in ["count", "url", "result", "k"] {
            for i in 0..3000 {
                assert!(
                    seen.insert(key_hash(format!("{p}{i}").as_bytes())),
                    "{p}{i}"
                );
            }
        }
    }

    #[test]
    fn special_key_in_place_appended_or_from_null() {
        assert_eq!(
            with_key(r#"{"a":1,"workspaceID":"x","b":2}"#)
                .unwrap()
                .unwrap(),
            r#"{"a":1,"workspaceID":7,"b":2}"#
        );
        assert_eq!(
            with_key(r#" { "a" : 1 } "#).unwrap().unwrap(),
            r#"{"a":1,"workspaceID":7}"#
        );
        assert_eq!(with_key("{}").unwrap().unwrap(), r#"{"workspaceID":7}"#);
        assert_eq!(with_key(" null ").unwrap().unwrap(), r#"{"workspaceID":7}"#);
        assert_eq!(with_key("[1]").unwrap(), Err(Kind::Array));
        assert_eq!(with_key("\"s\"").unwrap(), Err(Kind::String));
        assert!(matches!(with_key("{\"a\":1} x"), Err(Fail::Json(_))));
        assert!(matches!(with_key("null x"), Err(Fail::Json(_))));
        assert!(matches!(with_key("[1] x"), Err(Fail::Json(_))));
        assert_eq!(
            with_key(r#"{"workspaceID":1,"workspaceID":2}"#),
            Err(Fail::Slow)
        );
    }

    #[test]
    fn plain_runs_find_the_first_special_byte() {
        let texts = [
            "",
            "abcdefghijklmnopq",
            "é\u{1}",
            "0123456789\"",
            "01234567\\x",
            "aaaaaaaa\u{1f}",
            "\u{7f}\u{80}ÿ\u{ff}x\"yyyyyyyy",
        ];
        for text in texts {
            let b = text.as_bytes();
            for start in 0..=b.len() {
                let want = b[start..]
                    .iter()
                    .position(|&c| STR_CLASS[c as usize] != 0)
                    .map_or(b.len(), |p| p + start);
                assert_eq!(plain_run(b, start), want, "{text:?} from {start}");
            }
        }
    }

    #[test]
    fn unescape() {
        let mut s = Scanner::new(br#""a\"b\\c\u00e9\ud83d\ude00\n" rest"#);
        let mut out = Vec::new();
        s.unescape_string(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a\"b\\cé😀\n");
        assert_eq!(&s.b[s.pos..], b" rest");
    }

    #[test]
    fn unescape_into_matches_unescape() {
        let texts: [&[u8]; 8] = [
            br#""""#,
            br#""a\"b\\c\u00e9\ud83d\ude00\n\/\t0123456789abcdef\"" tail"#,
            br#""0123456789abcdefghijklmnop""#,
            br#""\u0000\u001f\b\f\r""#,
            "\"é€😀 multi-byte runs longer than eight\"".as_bytes(),
            br#""unterminated"#,
            br#""bad \x escape""#,
            b"\"",
        ];
        let mut buf = Vec::new();
        for t in texts {
            let mut a = Scanner::new(t);
            let mut want = Vec::new();
            let r1 = a.unescape_string(&mut want);
            let mut b = Scanner::new(t);
            let r2 = b.unescape_into(&mut buf);
            match (r1, r2) {
                (Ok(()), Ok(n)) => {
                    assert_eq!(&buf[..n], &want[..], "{t:?}");
                    assert_eq!(a.pos, b.pos);
                }
                (Err(_), Err(_)) => {}
                (x, y) => panic!("{t:?}: {x:?} vs {y:?}"),
            }
        }
    }

    #[test]
    fn string_writer_escapes_like_jq() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\n\u{1}\u{7f}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\"b\\c\n\u0001\u007fé""#
        );
    }
}
