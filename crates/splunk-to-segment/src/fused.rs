//! The fast path for `properties` and `context`: compact the JSON text held
//! in a JSON string straight from its escaped form, in the same pass that
//! finds the end of the string, instead of unescaping it into a buffer and
//! walking that again.
//!
//! It is the one walker ([`walk`]) reading an escaped source ([`Escaped`]:
//! `\"` for an inner quote, `\\` for an inner backslash, `\n` `\t` `\r` as
//! white space between inner tokens) with a visitor that writes each token
//! ([`Emit`]). It gives up (`None`) on anything else: other escapes,
//! invalid inner JSON, keys with escapes or seen twice, nesting too deep.
//! The caller then takes the general path (unescape, validate, compact,
//! duplicate keys the slow way), which also words the error when there is
//! one. So this path only ever produces what the general one would (a
//! property test in `paths` checks it).

use segment_bridge_json::token::{self, Syntax, SyntaxError};

use crate::json::{plain_run, Compactor, Frames, Kind};
use crate::walk::{walk, Src, Visit};

/// A compacted nested text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fused {
    /// Bytes of compact JSON written to the buffer.
    pub len: usize,
    /// The text is `null` (only accepted with a special key).
    pub null: bool,
    /// Where the special key's value is in the buffer, when the top-level
    /// object has that key.
    pub special: Option<(usize, usize)>,
    /// Index in the outer text after the closing quote.
    pub end: usize,
}

/// JSON text inside a JSON string, read in its escaped form.
pub(crate) struct Escaped<'a> {
    b: &'a [u8],
    i: usize,
}

impl Escaped<'_> {
    #[inline]
    fn at(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    /// An inner string (at its `\"`), copied decoded to `out`.
    #[inline(always)]
    fn string(&mut self, out: &mut impl Out) -> Result<(), SyntaxError> {
        let b = self.b;
        let mut i = self.i + 2;
        out.push(b'"');
        loop {
            let run = plain_run(b, i);
            out.extend(&b[i..run]);
            i = run;
            if b.get(i) != Some(&b'\\') {
                // The outer string ends (or a control character): not ours.
                return Err(Syntax::UnterminatedString.at(i));
            }
            match b.get(i + 1) {
                Some(b'"') => {
                    out.push(b'"');
                    self.i = i + 2;
                    return Ok(());
                }
                Some(b'\\') => i = inner_escape(b, i, out).ok_or(Syntax::InvalidEscape.at(i))?,
                _ => return Err(Syntax::InvalidEscape.at(i)),
            }
        }
    }

    /// An inner key (at its `\"`) without escapes: its bytes.
    #[inline(always)]
    fn plain_key(&mut self) -> Option<&[u8]> {
        let b = self.b;
        let start = self.i + 2;
        let end = plain_run(b, start);
        if b.get(end) != Some(&b'\\') || b.get(end + 1) != Some(&b'"') {
            return None;
        }
        self.i = end + 2;
        Some(&b[start..end])
    }

    /// A scalar (string, number or literal), copied to `out` as written
    /// (an inner string decoded once); one dispatch on its first byte. No
    /// escapes can be inside a number or literal, so core's rules read
    /// them in the escaped text as it is.
    #[inline(always)]
    fn scalar_to(&mut self, out: &mut impl Out) -> Result<Kind, SyntaxError> {
        let start = self.i;
        let (kind, end) = match self.at(0) {
            b'\\' if self.at(1) == b'"' => {
                self.string(out)?;
                return Ok(Kind::String);
            }
            b't' => (Kind::True, token::literal(self.b, start, b"true")?),
            b'f' => (Kind::False, token::literal(self.b, start, b"false")?),
            b'n' => (Kind::Null, token::literal(self.b, start, b"null")?),
            b'-' | b'0'..=b'9' => (Kind::Number, token::skip_number(self.b, start)?),
            _ => return Err(Syntax::ExpectedValue.at(start)),
        };
        out.extend(&self.b[start..end]);
        self.i = end;
        Ok(kind)
    }
}

impl Src for Escaped<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        match self.b.get(self.i)? {
            // The outer string ends: so does the inner text.
            b'"' => None,
            b'\\' if self.at(1) == b'"' => Some(b'"'),
            &c => Some(c),
        }
    }
    #[inline]
    fn cursor(&mut self) -> &mut usize {
        &mut self.i
    }
    /// Inner white space: raw spaces and the `\n` `\t` `\r` escapes.
    #[inline]
    fn skip_ws(&mut self) {
        loop {
            match self.at(0) {
                b' ' => self.i += 1,
                b'\\' if matches!(self.at(1), b'n' | b't' | b'r') => self.i += 2,
                _ => return,
            }
        }
    }
    #[inline]
    fn scalar(&mut self) -> Result<Kind, SyntaxError> {
        self.scalar_to(&mut Discard)
    }
}

/// Where a copied string goes: the output, or nowhere (validation only).
trait Out {
    fn push(&mut self, c: u8);
    fn extend(&mut self, b: &[u8]);
}

impl Out for Vec<u8> {
    #[inline]
    fn push(&mut self, c: u8) {
        Vec::push(self, c);
    }
    #[inline]
    fn extend(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
}

struct Discard;

impl Out for Discard {
    #[inline]
    fn push(&mut self, _: u8) {}
    #[inline]
    fn extend(&mut self, _: &[u8]) {}
}

/// An inner escape: `\` then its letter, itself encoded (`\\` at `i`);
/// copied as written; returns the index after it.
fn inner_escape(b: &[u8], i: usize, out: &mut impl Out) -> Option<usize> {
    out.push(b'\\');
    match (b.get(i + 2), b.get(i + 3)) {
        (Some(b'\\'), Some(&x @ (b'"' | b'\\'))) => {
            out.push(x);
            Some(i + 4)
        }
        (Some(&x @ (b'/' | b'b' | b'f' | b'n' | b'r' | b't')), _) => {
            out.push(x);
            Some(i + 3)
        }
        (Some(b'u'), _) => {
            let hex = b.get(i + 3..i + 7)?;
            // Surrogates need their pair checked: general path.
            let surrogate = matches!(hex[0], b'd' | b'D')
                && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F');
            if !hex.iter().all(u8::is_ascii_hexdigit) || surrogate {
                return None;
            }
            out.push(b'u');
            out.extend(hex);
            Some(i + 7)
        }
        _ => None,
    }
}

/// Writes each token compactly; detects keys seen twice (gives up); notes
/// where the special key's value is.
struct Emit<'c, 'o, 'k> {
    frames: &'c mut Frames,
    out: &'o mut Vec<u8>,
    special: Option<&'k [u8]>,
    /// Where the special member's value starts, while it is being read.
    value_start: Option<usize>,
    slot: Option<(usize, usize)>,
}

/// Why the fast path gave up (the general path says why, if it's an error).
struct GiveUp;

impl From<SyntaxError> for GiveUp {
    fn from(_: SyntaxError) -> GiveUp {
        GiveUp
    }
}

impl<'a> Visit<Escaped<'a>> for Emit<'_, '_, '_> {
    type Err = GiveUp;

    #[inline(always)]
    fn key(&mut self, s: &mut Escaped<'a>, depth: usize) -> Result<bool, GiveUp> {
        let k = s.plain_key().ok_or(GiveUp)?;
        if !self.frames.insert(depth, k) {
            return Err(GiveUp);
        }
        self.out.push(b'"');
        self.out.extend_from_slice(k);
        self.out.extend_from_slice(b"\":");
        if depth == 0 && self.special == Some(k) {
            self.value_start = Some(self.out.len());
        }
        Ok(false)
    }

    #[inline]
    fn open(&mut self, _s: &Escaped<'a>, c: u8, depth: usize) {
        if c == b'{' {
            self.frames.open(depth);
        }
        self.out.push(c);
    }

    #[inline]
    fn comma(&mut self, _s: &Escaped<'a>, _c: u8) {
        self.out.push(b',');
    }

    #[inline]
    fn member_done(&mut self, depth: usize) {
        if depth == 0 {
            if let Some(start) = self.value_start.take() {
                self.slot = Some((start, self.out.len()));
            }
        }
    }

    #[inline]
    fn close(&mut self, _s: &Escaped<'a>, c: u8, _depth: usize) {
        self.out.push(c);
    }

    #[inline(always)]
    fn scalar(&mut self, s: &mut Escaped<'a>) -> Result<Kind, GiveUp> {
        Ok(s.scalar_to(self.out)?)
    }
}

/// Compacts the text encoded in the string whose opening quote is at
/// `start` in `b`, into `out` (cleared first). With `special`, the text
/// must be an object or `null` and the position of that key's value is
/// reported; without, any value.
pub(crate) fn compact_encoded(
    b: &[u8],
    start: usize,
    out: &mut Vec<u8>,
    c: &mut Compactor,
    special: Option<&[u8]>,
) -> Option<Fused> {
    out.clear();
    let mut s = Escaped { b, i: start + 1 };
    s.skip_ws();
    let mut null = false;
    let mut v = Emit {
        frames: c.frames(),
        out,
        special,
        value_start: None,
        slot: None,
    };
    match (special, s.peek()) {
        (Some(_), Some(b'{')) | (None, _) => {
            walk(&mut s, &mut v, 0).ok()?;
        }
        (Some(_), Some(b'n')) => {
            s.i = token::literal(b, s.i, b"null").ok()?;
            v.out.extend_from_slice(b"null");
            null = true;
        }
        _ => return None,
    }
    s.skip_ws();
    if s.b.get(s.i) != Some(&b'"') {
        return None;
    }
    Some(Fused {
        len: v.out.len(),
        null,
        special: v.slot,
        end: s.i + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outer: &str, special: Option<&[u8]>) -> Option<(String, Fused)> {
        let mut out = Vec::new();
        let f = compact_encoded(
            outer.as_bytes(),
            0,
            &mut out,
            &mut Compactor::default(),
            special,
        )?;
        Some((String::from_utf8(out).unwrap(), f))
    }

    #[test]
    fn compacts_encoded_json() {
        let enc = serde_json::to_string(
            "{ \"a\" : [1.0, -0, 1e5, true, null],\n\t\"workspaceID\": \"x\", \"s\": \"q\\\"b\\\\c\\n\\u00e9/\" }",
        )
        .unwrap();
        let (out, f) = run(&enc, Some(b"workspaceID")).unwrap();
        assert_eq!(
            out,
            r#"{"a":[1.0,-0,1e5,true,null],"workspaceID":"x","s":"q\"b\\c\n\u00e9/"}"#
        );
        let (a, b) = f.special.unwrap();
        assert_eq!(&out[a..b], "\"x\"");
        assert_eq!(f.end, enc.len());
        let (out, f) = run(r#""null" tail"#, Some(b"workspaceID")).unwrap();
        assert_eq!(out, "null");
        assert!(f.null);
        assert_eq!(f.end, 6);
        let (out, _) = run(r#""[1, \"x\"]""#, None).unwrap();
        assert_eq!(out, r#"[1,"x"]"#);
    }

    #[test]
    fn gives_up_on_what_the_general_path_must_judge() {
        for enc in [
            r#""[1]""#,                        // not an object (with a special key)
            r#""{\"a\":1,\"a\":2}""#,          // duplicate key
            r#""{\"\\u0061\":1}""#,            // escaped key
            r#""{\"a\":01}""#,                 // invalid inner JSON
            r#""{\"a\":1} x""#,                // trailing text
            r#""{\"a\":\"\u00e9\"}""#,         // an outer \u escape
            r#""{\"a\":\"\\ud83d\\ude00\"}""#, // surrogates
            r#""{\"a\":1"#,                    // cut
            r#""{\"a\":\/}""#,
        ] {
            assert!(run(enc, Some(b"workspaceID")).is_none(), "{enc}");
        }
    }
}
