//! The pieces every walk of JSON text here shares: a cursor over the text
//! ([`Scanner`], the lexical rules being core's `jsonl::token`), the JSON
//! type of a value ([`Kind`]), duplicate-key frames ([`Frames`]), the key
//! a compaction sets ([`Special`]) and its failure ([`Fail`]). The grammar
//! is `walk`, the compactions `json` and `fused`; this module depends on
//! neither, so the modules form no cycle.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use segment_bridge_core::jsonl::token::{self, Syntax, SyntaxError};

use crate::hash::{key_hash, IdHasher};

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

    pub(crate) fn literal(&mut self, lit: &'static [u8], kind: Kind) -> Result<Kind, SyntaxError> {
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

/// What the compaction of a top-level object should do with one key.
pub(crate) struct Special<'k> {
    /// Key (as written, without escapes) whose value is replaced.
    pub key: &'k [u8],
    /// Compact JSON text written instead of its value.
    pub value: &'k [u8],
}

pub(crate) fn push_member(out: &mut Vec<u8>, special: &Special<'_>) {
    out.push(b'"');
    out.extend_from_slice(special.key);
    out.extend_from_slice(b"\":");
    out.extend_from_slice(special.value);
}
