//! Walking and compacting JSON text, strictly, in one pass.
//!
//! The transform touches every input byte about once (docs/tools/
//! splunk-to-segment.md, "Performance"): the outer line is walked once, and
//! the nested `properties`/`context` texts are compacted straight from
//! their escaped form (`fused`) or, when that gives up, decoded and then
//! compacted by copying runs of bytes as written. Either way number
//! literals and string escapes come out exactly as they went in. The
//! lexical rules (strings, escapes, numbers, literals) are core's
//! `jsonl::token`, shared with the stream reader: strict RFC 8259, no
//! NaN/Infinity, no `+1`, no leading zeros, no control characters in
//! strings, no lone surrogate escapes, one value per text.
//!
//! jq keeps the first position and the last value of a key that appears
//! twice in one object. Compaction that copies bytes can't do that, so it
//! detects duplicate keys (and keys written with escapes, which could be
//! duplicates in disguise) and reports [`Fail::Slow`]; the caller then redoes
//! that one value with [`compact_slow`], which gathers each object's members
//! first, still copying literals and strings as written.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use segment_bridge_json::token::{self, Syntax, SyntaxError};

use crate::hash::{key_hash, IdHasher};
use crate::walk::{walk, Copy, Slow, Validate, Visit};
pub(crate) use segment_bridge_json::token::plain_run;

/// The JSON type of a value, for truthiness and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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
}

/// Failure of a compaction: bad JSON, or "redo this value the slow way".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fail {
    Json(SyntaxError),
    Slow,
}

impl From<SyntaxError> for Fail {
    fn from(e: SyntaxError) -> Fail {
        Fail::Json(e)
    }
}

/// A cursor over one JSON text; the lexical rules are core's
/// ([`token`]), shared with the stream reader.
pub(crate) struct Scanner<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Scanner<'a> {
        Scanner { b, pos: 0 }
    }

    pub(crate) fn err(&self, syntax: Syntax) -> SyntaxError {
        syntax.at(self.pos)
    }

    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        self.pos = token::skip_ws(self.b, self.pos);
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// After the value: only white space may follow.
    pub(crate) fn expect_end(&mut self) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(self.err(Syntax::Trailing))
        }
    }

    pub(crate) fn expect_byte(&mut self, c: u8, what: Syntax) -> Result<(), SyntaxError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else if self.pos >= self.b.len() {
            Err(self.err(Syntax::UnexpectedEnd))
        } else {
            Err(self.err(what))
        }
    }

    /// After a member or element: `,` (true) or the closing `close`
    /// (false).
    #[inline]
    pub(crate) fn comma_or(&mut self, close: u8) -> Result<bool, SyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            None => Err(self.err(Syntax::UnexpectedEnd)),
            Some(_) if close == b'}' => Err(self.err(Syntax::ExpectedCommaOrBrace)),
            Some(_) => Err(self.err(Syntax::ExpectedCommaOrBracket)),
        }
    }

    fn literal(&mut self, lit: &'static [u8], kind: Kind) -> Result<Kind, SyntaxError> {
        self.pos = token::literal(self.b, self.pos, lit)?;
        Ok(kind)
    }

    /// Skips a string (at its opening quote); returns whether it holds
    /// escapes.
    #[inline]
    pub(crate) fn skip_string(&mut self) -> Result<bool, SyntaxError> {
        let (end, escaped) = token::skip_string(self.b, self.pos)?;
        self.pos = end;
        Ok(escaped)
    }

    /// Decodes a string (at its opening quote), appending it to `out`.
    pub(crate) fn unescape_string(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        self.pos = token::unescape(self.b, self.pos, out)?;
        Ok(())
    }

    fn skip_number(&mut self) -> Result<(), SyntaxError> {
        self.pos = token::skip_number(self.b, self.pos)?;
        Ok(())
    }

    fn bad_value_start(&self) -> SyntaxError {
        token::bad_value_start(self.b, self.pos)
    }

    /// Reads a scalar (string, number, literal) at the scanner.
    #[inline]
    pub(crate) fn scalar(&mut self) -> Result<Kind, SyntaxError> {
        match self.peek() {
            Some(b'"') => {
                self.skip_string()?;
                Ok(Kind::String)
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

    /// Validates and skips one value (white space before it allowed).
    #[inline]
    pub(crate) fn skip_value(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.skip_ws();
        walk(self, &mut Validate, depth)
    }
}

/// The keys seen so far in one object being compacted.
#[derive(Default)]
struct Frame {
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

    /// False when the key was already there. Inlined for the common
    /// case, a small object: a look along a short list.
    #[inline]
    fn insert(&mut self, h: u64) -> bool {
        if self.using_set || self.keys.len() >= LINEAR_KEYS {
            return self.insert_in_set(h);
        }
        if self.keys.contains(&h) {
            return false;
        }
        self.keys.push(h);
        true
    }

    /// [`insert`](Frame::insert) past [`LINEAR_KEYS`] keys: a hash set.
    #[inline(never)]
    fn insert_in_set(&mut self, h: u64) -> bool {
        if !self.using_set {
            self.set.extend(self.keys.iter().copied());
            self.using_set = true;
        }
        self.set.insert(h)
    }
}

/// Duplicate-key detection for the compactions that copy keys as written
/// (`Copy`, `fused::Emit`): the keys seen in each open object, one frame
/// per depth, reused from value to value.
#[derive(Default)]
pub(crate) struct Frames(Vec<Frame>);

impl Frames {
    /// An object opens at `depth`: no keys seen in it yet.
    #[inline]
    pub(crate) fn open(&mut self, depth: usize) {
        if self.0.len() <= depth {
            self.0.resize_with(depth + 1, Frame::default);
        }
        self.0[depth].reset();
    }

    /// Notes `key` (as written) in the object at `depth`; false when it
    /// was seen there already.
    #[inline(always)]
    pub(crate) fn insert(&mut self, depth: usize, key: &[u8]) -> bool {
        self.0[depth].insert(key_hash(key))
    }
}

/// Reusable state of the compactor (one per worker).
#[derive(Default)]
pub(crate) struct Compactor {
    frames: Frames,
}

/// What the compaction of a top-level object should do with one key.
pub(crate) struct Special<'k> {
    /// Key (as written, without escapes) whose value is replaced.
    pub key: &'k [u8],
    /// Compact JSON text written instead of its value.
    pub value: &'k [u8],
}

impl Compactor {
    /// The duplicate-key frames, for another walk to use.
    pub(crate) fn frames(&mut self) -> &mut Frames {
        &mut self.frames
    }

    /// Compacts the whole text `b` (one JSON value, white space around it
    /// allowed) onto `out`. On error `out` may hold a partial value: the
    /// caller truncates.
    pub(crate) fn compact(&mut self, b: &[u8], out: &mut Vec<u8>) -> Result<Kind, Fail> {
        let mut s = Scanner::new(b);
        let mut v = Copy::new(&mut self.frames, out, 0, None);
        v.ws(&mut s);
        let kind = walk(&mut s, &mut v, 0)?;
        v.flush(&s);
        s.expect_end()?;
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
        let frames = &mut self.frames;
        with_key(b, out, special, |s, out| {
            let mut v = Copy::new(frames, out, s.pos, Some(special));
            walk(s, &mut v, 0)?;
            v.flush(s);
            Ok(())
        })
    }
}

/// The general compaction, for what the copying one can't do: keys seen
/// twice (jq keeps the first position and the last value) and keys written
/// with escapes (compared decoded, written as first seen). Strings and
/// number literals are copied as written, exactly as on the fast path, so
/// both paths give the same bytes for the same input.
pub(crate) fn compact_slow(b: &[u8], out: &mut Vec<u8>) -> Result<Kind, SyntaxError> {
    let mut s = Scanner::new(b);
    s.skip_ws();
    let kind = walk(&mut s, &mut Slow::new(out, None), 0)?;
    s.expect_end()?;
    Ok(kind)
}

/// [`compact_slow`] for a text that must be an object or `null`, setting
/// `special` as [`Compactor::compact_with_key`] does. Other values:
/// `Ok(Err(kind))`.
pub(crate) fn compact_slow_with_key(
    b: &[u8],
    out: &mut Vec<u8>,
    special: &Special<'_>,
) -> Result<Result<(), Kind>, SyntaxError> {
    with_key(b, out, special, |s, out| {
        walk(s, &mut Slow::new(out, Some(special)), 0).map(drop)
    })
}

/// The frame of both compactions with a special key: an object is
/// compacted by `object` (scanner at its `{`), `null` becomes `{key:
/// value}`, anything else is only validated and its kind returned.
fn with_key<E: From<SyntaxError>>(
    b: &[u8],
    out: &mut Vec<u8>,
    special: &Special<'_>,
    object: impl FnOnce(&mut Scanner<'_>, &mut Vec<u8>) -> Result<(), E>,
) -> Result<Result<(), Kind>, E> {
    let mut s = Scanner::new(b);
    s.skip_ws();
    let kind = match s.peek() {
        Some(b'{') => {
            object(&mut s, out)?;
            Kind::Object
        }
        Some(b'n') => {
            s.literal(b"null", Kind::Null)?;
            out.push(b'{');
            push_member(out, special);
            out.push(b'}');
            Kind::Object
        }
        _ => s.skip_value(0)?,
    };
    s.expect_end()?;
    Ok(if kind == Kind::Object {
        Ok(())
    } else {
        Err(kind)
    })
}

pub(crate) fn push_member(out: &mut Vec<u8>, special: &Special<'_>) {
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
    }

    #[test]
    fn the_slow_way_keeps_literals_and_strings_as_written() {
        let mut out = Vec::new();
        compact_slow(
            br#" {"x": 1E5, "\u0061": "\u00e9", "x" : [1E6, -0.0, 1e-7], "a": {"b":1,"b":2}} "#,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"x":[1E6,-0.0,1e-7],"\u0061":{"b":2}}"#
        );
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
    fn unescape() {
        let mut s = Scanner::new(br#""a\"b\\c\u00e9\ud83d\ude00\n" rest"#);
        let mut out = Vec::new();
        s.unescape_string(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a\"b\\cé😀\n");
        assert_eq!(&s.b[s.pos..], b" rest");
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
