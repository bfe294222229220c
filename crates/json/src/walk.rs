//! The one walker of JSON values: the grammar (objects, arrays, members,
//! depth) written once, over core's tokens ([`crate::token`]), generic over
//! where the bytes come from ([`Src`]: plain text, [`Scanner`], or another
//! source such as splunk-to-segment's escaped text inside a JSON string)
//! and over what is done on the way ([`Visit`]): validating ([`Validate`],
//! behind [`Scanner::skip_value`]), compacting with jq's rules
//! ([`crate::jq`]), splunk-to-segment's compactions and its reading of a
//! row. Sources and visitors are types, so every use is monomorphised: the
//! validator's hooks are empty and compile away, and a fast path costs what
//! a hand-written loop would. The stream reader ([`crate::JsonStream`])
//! follows the same grammar incrementally, line by line, for recovery.

use crate::token::{self, Syntax, SyntaxError, MAX_DEPTH};

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
    pub fn truthy(self) -> bool {
        !matches!(self, Kind::Null | Kind::False)
    }

    pub fn name(self) -> &'static str {
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
    pub fn article(self) -> &'static str {
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

/// A cursor over one JSON text; the lexical rules are [`token`]'s, shared
/// with the stream reader.
pub struct Scanner<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(b: &'a [u8]) -> Scanner<'a> {
        Scanner { b, pos: 0 }
    }

    pub fn err(&self, syntax: Syntax) -> SyntaxError {
        syntax.at(self.pos)
    }

    #[inline]
    pub fn skip_ws(&mut self) {
        self.pos = token::skip_ws(self.b, self.pos);
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// After the value: only white space may follow.
    pub fn expect_end(&mut self) -> Result<(), SyntaxError> {
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
    pub fn comma_or(&mut self, close: u8) -> Result<bool, SyntaxError> {
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

    pub fn literal(&mut self, lit: &'static [u8], kind: Kind) -> Result<Kind, SyntaxError> {
        self.pos = token::literal(self.b, self.pos, lit)?;
        Ok(kind)
    }

    /// Skips a string (at its opening quote); returns whether it holds
    /// escapes.
    #[inline]
    pub fn skip_string(&mut self) -> Result<bool, SyntaxError> {
        let (end, escaped) = token::skip_string(self.b, self.pos)?;
        self.pos = end;
        Ok(escaped)
    }

    /// Decodes a string (at its opening quote), appending it to `out`.
    pub fn unescape_string(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
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
    pub fn scalar(&mut self) -> Result<Kind, SyntaxError> {
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

impl Scanner<'_> {
    /// Validates and skips one value (white space before it allowed).
    #[inline]
    pub fn skip_value(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.skip_ws();
        walk(self, &mut Validate, depth)
    }
}

/// Where a walk reads from: plain JSON text ([`Scanner`]), or JSON text
/// still inside a JSON string (`fused`), where a quote is `\"`.
pub trait Src {
    /// The next byte, a quote reported as `"` however it is spelled;
    /// `None` at the end of the text.
    fn peek(&self) -> Option<u8>;
    /// Where the source is: an index into its bytes, the state every
    /// source has ([`pos`](Src::pos), [`bump`](Src::bump) and
    /// [`err`](Src::err) are written once, on it).
    fn cursor(&mut self) -> &mut usize;
    fn skip_ws(&mut self);
    /// Reads (validates) a scalar: string, number or literal.
    fn scalar(&mut self) -> Result<Kind, SyntaxError>;

    /// Where the source is.
    #[inline]
    fn pos(&mut self) -> usize {
        *self.cursor()
    }
    /// Past one structural byte (`{}[],:`).
    #[inline]
    fn bump(&mut self) {
        *self.cursor() += 1;
    }
    /// `syntax`, at where the source is.
    fn err(&mut self, syntax: Syntax) -> SyntaxError {
        syntax.at(self.pos())
    }
}

/// What a walk does with what it reads. The source is always positioned
/// at what the hook is about.
pub trait Visit<S: Src> {
    type Err: From<SyntaxError>;

    /// Skips white space at the source.
    #[inline]
    fn ws(&mut self, s: &mut S) {
        s.skip_ws();
    }

    /// Reads the key at the source (its quote) in the object at `depth`;
    /// true when that member's value is to be replaced (it is then only
    /// validated, and [`replaced`](Visit::replaced) is called).
    #[inline]
    fn key(&mut self, s: &mut S, _depth: usize) -> Result<bool, Self::Err> {
        s.scalar()?;
        Ok(false)
    }

    /// A container opens (`c` is `{` or `[`, at the source).
    #[inline]
    fn open(&mut self, _s: &S, _c: u8, _depth: usize) {}

    /// A comma in the container opened by `c`.
    #[inline]
    fn comma(&mut self, _s: &S, _c: u8) {}

    /// After the value of a member of the object at `depth`.
    #[inline]
    fn member_done(&mut self, _depth: usize) {}

    /// A container closes (its bracket `c` is at the source).
    #[inline]
    fn close(&mut self, _s: &S, _c: u8, _depth: usize) {}

    /// Reads the scalar at the source.
    #[inline]
    fn scalar(&mut self, s: &mut S) -> Result<Kind, Self::Err> {
        Ok(s.scalar()?)
    }

    /// A replaced value was read, from `start` to the source's position.
    #[inline]
    fn replaced(&mut self, _s: &S, _start: usize) {}

    /// Reads an element of the array at `depth - 1` (source at the value):
    /// by default walks it. A visitor that takes whole elements (the
    /// results of a document, each a row) does it here.
    #[inline(always)]
    fn element(&mut self, s: &mut S, depth: usize) -> Result<(), Self::Err>
    where
        Self: Sized,
    {
        walk(s, self, depth).map(drop)
    }

    /// Reads the value of a member whose [`key`](Visit::key) said so
    /// (source at the value): by default validates it and calls
    /// [`replaced`](Visit::replaced). A visitor that reads some members
    /// itself (the fields of a row) does it here, the grammar around them
    /// staying the walker's.
    #[inline]
    fn own_value(&mut self, s: &mut S, depth: usize) -> Result<(), Self::Err> {
        let start = s.pos();
        walk(s, &mut Validate, depth)?;
        self.replaced(s, start);
        Ok(())
    }
}

impl Src for Scanner<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        Scanner::peek(self)
    }
    #[inline]
    fn cursor(&mut self) -> &mut usize {
        &mut self.pos
    }
    #[inline]
    fn skip_ws(&mut self) {
        Scanner::skip_ws(self);
    }
    #[inline]
    fn scalar(&mut self) -> Result<Kind, SyntaxError> {
        Scanner::scalar(self)
    }
}

/// Reads one value at the source (no white space before it). Inlined, so
/// that a scalar member or element is read in its container's loop, and
/// only containers cost a (recursive) call.
#[inline(always)]
pub fn walk<S: Src, V: Visit<S>>(s: &mut S, v: &mut V, depth: usize) -> Result<Kind, V::Err> {
    match s.peek() {
        Some(b'{') => object(s, v, depth),
        Some(b'[') => array(s, v, depth),
        _ => v.scalar(s),
    }
}

/// Into a container (at its bracket `open`); true when it is not empty.
#[inline]
fn enter<S: Src, V: Visit<S>>(
    s: &mut S,
    v: &mut V,
    open: u8,
    depth: usize,
) -> Result<bool, V::Err> {
    if depth >= MAX_DEPTH {
        return Err(s.err(Syntax::TooDeep).into());
    }
    v.open(s, open, depth);
    s.bump();
    v.ws(s);
    let close = if open == b'{' { b'}' } else { b']' };
    Ok(s.peek() != Some(close))
}

/// Out of a container (at its closing bracket).
#[inline]
fn leave<S: Src, V: Visit<S>>(s: &mut S, v: &mut V, close: u8, depth: usize) {
    v.close(s, close, depth);
    s.bump();
}

#[inline(never)]
fn object<S: Src, V: Visit<S>>(s: &mut S, v: &mut V, depth: usize) -> Result<Kind, V::Err> {
    if enter(s, v, b'{', depth)? {
        loop {
            v.ws(s);
            if s.peek() != Some(b'"') {
                return Err(s.err(Syntax::ExpectedKey).into());
            }
            let replace = v.key(s, depth)?;
            v.ws(s);
            match s.peek() {
                Some(b':') => s.bump(),
                None => return Err(s.err(Syntax::UnexpectedEnd).into()),
                Some(_) => return Err(s.err(Syntax::ExpectedColon).into()),
            }
            v.ws(s);
            if replace {
                v.own_value(s, depth + 1)?;
            } else {
                walk(s, v, depth + 1)?;
            }
            v.member_done(depth);
            if !separator(s, v, b'{')? {
                break;
            }
        }
    }
    leave(s, v, b'}', depth);
    Ok(Kind::Object)
}

#[inline(never)]
fn array<S: Src, V: Visit<S>>(s: &mut S, v: &mut V, depth: usize) -> Result<Kind, V::Err> {
    if enter(s, v, b'[', depth)? {
        loop {
            v.ws(s);
            v.element(s, depth + 1)?;
            if !separator(s, v, b'[')? {
                break;
            }
        }
    }
    leave(s, v, b']', depth);
    Ok(Kind::Array)
}

/// After a member or element: a comma (true, consumed) or the closing
/// bracket (false, left at the source).
#[inline]
fn separator<S: Src, V: Visit<S>>(s: &mut S, v: &mut V, open: u8) -> Result<bool, V::Err> {
    v.ws(s);
    let close = if open == b'{' { b'}' } else { b']' };
    match s.peek() {
        Some(b',') => {
            v.comma(s, open);
            s.bump();
            Ok(true)
        }
        Some(c) if c == close => Ok(false),
        None => Err(s.err(Syntax::UnexpectedEnd).into()),
        Some(_) if open == b'{' => Err(s.err(Syntax::ExpectedCommaOrBrace).into()),
        Some(_) => Err(s.err(Syntax::ExpectedCommaOrBracket).into()),
    }
}

/// Validates, nothing more.
pub struct Validate;

impl<S: Src> Visit<S> for Validate {
    type Err = SyntaxError;
}
