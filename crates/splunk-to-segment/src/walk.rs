//! splunk-to-segment's visitors of the one JSON walker
//! (`segment_bridge_json::walk`, which holds the grammar, the
//! sources and `Validate`): compacting by copying runs of bytes as written
//! with duplicate-key detection and the `workspaceID` key ([`Copy`],
//! behind `Compactor`), and compacting with jq's duplicate-key semantics
//! ([`Slow`], behind `compact_slow`). `fused::Emit` compacts straight from
//! the escaped form, and `record` reads a row, through the same walker.
//! Every use is monomorphised, so the hot path (`fused`) runs as fast as a
//! hand-written walker.

use std::collections::HashMap;
use std::ops::Range;

use segment_bridge_json::token::{Syntax, SyntaxError};
pub(crate) use segment_bridge_json::walk::{walk, Src, Validate, Visit};

use crate::scan::{push_member, Fail, Frames, Kind, Scanner, Special};

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
    /// Members whose value a later one with the same key replaced.
    pub dups: u64,
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
            dups: 0,
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
            Some(&i) => {
                g.members[i].1 = value;
                self.dups += 1;
            }
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
