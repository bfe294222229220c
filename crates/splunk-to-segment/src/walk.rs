//! The one walker of JSON values: the grammar (objects, arrays, members,
//! depth) written once, generic over where the bytes come from ([`Src`]:
//! plain text, or the escaped text inside a JSON string, `fused::Escaped`)
//! and over what is done on the way ([`Visit`]): validating ([`Validate`],
//! behind `Scanner::skip_value`), compacting by copying runs of bytes as
//! written with duplicate-key detection and the `workspaceID` key
//! ([`Copy`], behind `Compactor`), compacting with jq's duplicate-key
//! semantics ([`Slow`], behind `compact_slow`), and compacting straight
//! from the escaped form (`fused::Emit`). Sources and visitors are types,
//! so every use is monomorphised: the validator's hooks are empty and
//! compile away, and the hot path (`fused`) runs as fast as the
//! hand-written walker it replaced. The lexical rules are core's `token`.

use std::collections::HashMap;
use std::ops::Range;

use segment_bridge_json::token::{Syntax, SyntaxError, MAX_DEPTH};

use crate::json::{push_member, Fail, Frames, Kind, Scanner, Special};

/// Where a walk reads from: plain JSON text ([`Scanner`]), or JSON text
/// still inside a JSON string (`fused`), where a quote is `\"`.
pub(crate) trait Src {
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
pub(crate) trait Visit<S: Src> {
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
pub(crate) fn walk<S: Src, V: Visit<S>>(
    s: &mut S,
    v: &mut V,
    depth: usize,
) -> Result<Kind, V::Err> {
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
                let start = s.pos();
                walk(s, &mut Validate, depth + 1)?;
                v.replaced(s, start);
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
            walk(s, v, depth + 1)?;
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
pub(crate) struct Validate;

impl<S: Src> Visit<S> for Validate {
    type Err = SyntaxError;
}

/// Compacts by copying runs of bytes as written (white space left out),
/// detecting keys seen twice or written with escapes ([`Fail::Slow`]);
/// with a special key, sets it at the top level (in place, or appended).
pub(crate) struct Copy<'c, 'o, 'k> {
    pub frames: &'c mut Frames,
    pub out: &'o mut Vec<u8>,
    /// Start of the bytes not yet copied.
    pub run: usize,
    pub special: Option<&'k Special<'k>>,
    pub found: bool,
    pub members: usize,
}

impl<'c, 'o, 'k> Copy<'c, 'o, 'k> {
    /// A compaction into `out` of the text from `run` on.
    pub(crate) fn new(
        frames: &'c mut Frames,
        out: &'o mut Vec<u8>,
        run: usize,
        special: Option<&'k Special<'k>>,
    ) -> Self {
        Copy {
            frames,
            out,
            run,
            special,
            found: false,
            members: 0,
        }
    }

    /// Copies what is pending up to the scanner.
    pub(crate) fn flush(&mut self, s: &Scanner<'_>) {
        self.out.extend_from_slice(&s.b[self.run..s.pos]);
        self.run = s.pos;
    }
}

impl<'a> Visit<Scanner<'a>> for Copy<'_, '_, '_> {
    type Err = Fail;

    #[inline]
    fn ws(&mut self, s: &mut Scanner<'a>) {
        if s.peek().is_some_and(segment_bridge_json::token::is_ws) {
            self.flush(s);
            s.skip_ws();
            self.run = s.pos;
        }
    }

    #[inline]
    fn key(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<bool, Fail> {
        let start = s.pos;
        if s.skip_string()? {
            return Err(Fail::Slow);
        }
        let key = &s.b[start + 1..s.pos - 1];
        if !self.frames.insert(depth, key) {
            return Err(Fail::Slow);
        }
        if depth > 0 {
            return Ok(false);
        }
        self.members += 1;
        let replace = self.special.is_some_and(|sp| sp.key == key);
        self.found |= replace;
        Ok(replace)
    }

    #[inline]
    fn open(&mut self, _s: &Scanner<'a>, c: u8, depth: usize) {
        if c == b'{' {
            self.frames.open(depth);
        }
    }

    fn close(&mut self, s: &Scanner<'a>, c: u8, depth: usize) {
        let Some(special) = self.special else {
            return;
        };
        if c == b'}' && depth == 0 && !self.found {
            self.flush(s);
            if self.members > 0 {
                self.out.push(b',');
            }
            push_member(self.out, special);
        }
    }

    fn replaced(&mut self, s: &Scanner<'a>, start: usize) {
        if let Some(special) = self.special {
            self.out.extend_from_slice(&s.b[self.run..start]);
            self.out.extend_from_slice(special.value);
            self.run = s.pos;
        }
    }
}

/// Compacts with jq's semantics for keys seen twice (first position, last
/// value), keys compared decoded and written as first seen; literals and
/// strings copied as written. Objects are gathered member by member.
pub(crate) struct Slow<'o, 'k> {
    pub out: &'o mut Vec<u8>,
    pub special: Option<&'k Special<'k>>,
    stack: Vec<Gathered>,
}

/// An object being gathered.
#[derive(Default)]
struct Gathered {
    members: Vec<(Range<usize>, Vec<u8>)>,
    index: HashMap<Vec<u8>, usize>,
    /// The member being read: its key as written, decoded, and its value.
    key: Range<usize>,
    name: Vec<u8>,
    value: Vec<u8>,
}

impl<'o, 'k> Slow<'o, 'k> {
    pub(crate) fn new(out: &'o mut Vec<u8>, special: Option<&'k Special<'k>>) -> Self {
        Slow {
            out,
            special,
            stack: Vec::new(),
        }
    }

    /// Where output goes: the value of the member being read, or `out`.
    fn cur(&mut self) -> &mut Vec<u8> {
        match self.stack.last_mut() {
            Some(g) => &mut g.value,
            None => self.out,
        }
    }
}

impl<'a> Visit<Scanner<'a>> for Slow<'_, '_> {
    type Err = SyntaxError;

    fn key(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<bool, SyntaxError> {
        let start = s.pos;
        let Some(g) = self.stack.last_mut() else {
            return Err(s.err(Syntax::ExpectedValue));
        };
        g.name.clear();
        s.unescape_string(&mut g.name)?;
        g.key = start..s.pos;
        g.value.clear();
        Ok(depth == 0 && self.special.is_some_and(|sp| sp.key == g.name))
    }

    fn open(&mut self, _s: &Scanner<'a>, c: u8, _depth: usize) {
        if c == b'{' {
            self.stack.push(Gathered::default());
        } else {
            self.cur().push(b'[');
        }
    }

    fn comma(&mut self, _s: &Scanner<'a>, c: u8) {
        if c == b'[' {
            self.cur().push(b',');
        }
    }

    fn member_done(&mut self, _depth: usize) {
        let Some(g) = self.stack.last_mut() else {
            return;
        };
        let value = std::mem::take(&mut g.value);
        match g.index.get(&g.name) {
            Some(&i) => g.members[i].1 = value,
            None => {
                g.index.insert(g.name.clone(), g.members.len());
                g.members.push((g.key.clone(), value));
            }
        }
    }

    fn close(&mut self, s: &Scanner<'a>, c: u8, depth: usize) {
        if c == b']' {
            self.cur().push(b']');
            return;
        }
        let Some(g) = self.stack.pop() else {
            return;
        };
        let special = self
            .special
            .filter(|sp| depth == 0 && !g.index.contains_key(sp.key));
        let out = self.cur();
        out.push(b'{');
        for (i, (key, value)) in g.members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&s.b[key.clone()]);
            out.push(b':');
            out.extend_from_slice(value);
        }
        if let Some(sp) = special {
            if !g.members.is_empty() {
                out.push(b',');
            }
            push_member(out, sp);
        }
        out.push(b'}');
    }

    fn scalar(&mut self, s: &mut Scanner<'a>) -> Result<Kind, SyntaxError> {
        let start = s.pos;
        let kind = s.scalar()?;
        self.cur().extend_from_slice(&s.b[start..s.pos]);
        Ok(kind)
    }

    fn replaced(&mut self, _s: &Scanner<'a>, _start: usize) {
        if let Some(sp) = self.special {
            self.cur().extend_from_slice(sp.value);
        }
    }
}
