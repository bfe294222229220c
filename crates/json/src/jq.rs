//! jq's rules for what strict JSON leaves open, applied by every tool that
//! writes JSON it read (docs/json-streams.md, "What is rewritten, as jq
//! does"):
//!
//! - invalid UTF-8 inside a string: each invalid sequence becomes U+FFFD,
//!   sequence by sequence exactly as jq 1.6 cuts them ([`replace_invalid_utf8`]);
//! - a key twice in one object: the last value, at the first key's place
//!   (keys compared decoded);
//! - a number beyond the double range (`1e400`): ±1.7976931348623157e+308,
//!   as jq prints it. Every other literal is kept exactly as written.
//!
//! [`normalize`] applies all three to one value and compacts it (white
//! space outside strings left out, as `jq -c` does), borrowing the input
//! when nothing changes, and says what it changed ([`Fixes`]) so that each
//! case is counted and reported with its line.

use std::borrow::Cow;

use crate::token::{self, Syntax, SyntaxError};
use crate::walk::{walk, Kind, Scanner, Visit};

/// What [`normalize`] changed in one value, or in a run
/// ([`fields`](Fixes::fields) names its metrics).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fixes {
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    pub invalid_utf8: u64,
    /// Members dropped because their key came again later in the object.
    pub duplicate_keys: u64,
    /// Numbers beyond the double range, clamped.
    pub clamped_numbers: u64,
}

impl Fixes {
    /// Whether anything was changed.
    pub fn any(&self) -> bool {
        *self != Fixes::default()
    }

    /// Adds `other`'s figures.
    pub fn add(&mut self, other: Fixes) {
        self.invalid_utf8 += other.invalid_utf8;
        self.duplicate_keys += other.duplicate_keys;
        self.clamped_numbers += other.clamped_numbers;
    }

    /// What was changed, in words (for the warning naming the line).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.invalid_utf8 > 0 {
            parts.push(format!(
                "{} invalid UTF-8 sequence(s) replaced by U+FFFD",
                self.invalid_utf8
            ));
        }
        if self.duplicate_keys > 0 {
            parts.push(format!(
                "{} duplicate key(s): the last value kept",
                self.duplicate_keys
            ));
        }
        if self.clamped_numbers > 0 {
            parts.push(format!(
                "{} number(s) beyond the double range clamped to ±{MAX_DOUBLE}",
                self.clamped_numbers
            ));
        }
        parts.join(", ")
    }

    /// The figures under their metrics' names.
    pub fn fields(&self) -> [(&'static str, u64); 3] {
        [
            ("utf8_sequences_replaced", self.invalid_utf8),
            ("duplicate_keys_dropped", self.duplicate_keys),
            ("numbers_clamped", self.clamped_numbers),
        ]
    }
}

/// The largest double, as jq 1.6 prints it.
pub const MAX_DOUBLE: &str = "1.7976931348623157e+308";

/// U+FFFD REPLACEMENT CHARACTER in UTF-8.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// The length of the UTF-8 sequence a byte starts, as jq's table has it:
/// 1 for ASCII, 0 for a continuation byte or a byte that starts nothing
/// (`C0`, `C1`, `F5`–`FF`).
fn coding_length(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// How many bytes the string text `s` (no quotes) decodes to, counted up
/// to `enough`.
fn decoded_len(s: &[u8], enough: usize) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < s.len() && n < enough {
        if s[i] == b'\\' {
            match token::escape_at(s, i) {
                Ok((next, c)) => {
                    n += c.len_utf8();
                    i = next;
                }
                Err(_) => return enough,
            }
        } else {
            n += 1;
            i += 1;
        }
    }
    n
}

/// One step of jq 1.6's UTF-8 decoder (`jvp_utf8_next`) over the string
/// text `s` (no quotes) at `i`: the length of the sequence there and
/// whether it is valid. Bad bytes are cut as jq cuts them: a byte that
/// starts nothing is one sequence; a lead byte followed by too few
/// continuation bytes is one sequence up to the first byte that is not
/// one; a lead byte too close to the end of the string takes the rest of
/// it; overlong forms, surrogates and code points past U+10FFFF are one
/// sequence each.
fn jq_sequence(s: &[u8], i: usize) -> (usize, bool) {
    let first = s[i];
    let length = coding_length(first);
    if length == 1 {
        return (1, true);
    }
    if length == 0 {
        return (1, false);
    }
    // jq decodes escapes first: what remains is counted decoded.
    if decoded_len(&s[i..], length) < length {
        return (s.len() - i, false);
    }
    let mut cp = u32::from(first) & (0x7F >> length);
    for k in 1..length {
        match s.get(i + k) {
            Some(&c) if is_continuation(c) => cp = cp << 6 | u32::from(c & 0x3F),
            _ => return (k, false),
        }
    }
    let shortest = [0, 0, 0x80, 0x800, 0x10000][length];
    let valid = cp >= shortest && !(0xD800..=0xDFFF).contains(&cp) && cp <= 0x10FFFF;
    (length, valid)
}

/// Copies `text` to `out`, each invalid UTF-8 sequence inside a string
/// replaced by U+FFFD as jq 1.6 does (bytes outside strings are copied:
/// they are not JSON, and the parse after this reports them). Returns how
/// many sequences were replaced.
pub fn replace_invalid_utf8(text: &[u8], out: &mut Vec<u8>) -> u64 {
    let mut n = 0;
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'"' {
            out.push(text[i]);
            i += 1;
            continue;
        }
        // A string: find its end (a quote not escaped, or the end).
        let start = i + 1;
        let mut end = start;
        while end < text.len() && text[end] != b'"' {
            end += if text[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(text.len());
        let s = &text[start..end];
        out.push(b'"');
        let mut k = 0;
        while k < s.len() {
            if s[k] < 0x80 {
                let run = s[k..]
                    .iter()
                    .position(|&c| c >= 0x80)
                    .map_or(s.len(), |p| k + p);
                out.extend_from_slice(&s[k..run]);
                k = run;
                continue;
            }
            let (len, valid) = jq_sequence(s, k);
            if valid {
                out.extend_from_slice(&s[k..k + len]);
            } else {
                out.extend_from_slice(REPLACEMENT);
                n += 1;
            }
            k += len;
        }
        if end < text.len() {
            out.push(b'"');
        }
        i = end + 1;
    }
    n
}

/// Whether a number literal (valid JSON) is beyond the double range. Only
/// literals with an exponent or of 300 bytes or more can be; they alone
/// are converted to find out.
pub fn out_of_range(lit: &[u8]) -> bool {
    if lit.len() < 300 && !lit.iter().any(|&c| c == b'e' || c == b'E') {
        return false;
    }
    std::str::from_utf8(lit)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .is_some_and(f64::is_infinite)
}

/// One JSON value (white space around it allowed), compacted with jq's
/// rules (see the module doc); borrowed when nothing changes. Read by the
/// one walker ([`crate::walk`]): a compaction that notes each object's keys
/// ([`Compact`]), and, only for a value with a key given twice, one that
/// gathers each object's members first ([`Gather`]).
pub fn normalize(text: &[u8]) -> Result<(Cow<'_, [u8]>, Fixes), SyntaxError> {
    let mut fixes = Fixes::default();
    let fixed;
    let src: &[u8] = if std::str::from_utf8(text).is_ok() {
        text
    } else {
        let mut out = Vec::with_capacity(text.len() + 8);
        fixes.invalid_utf8 = replace_invalid_utf8(text, &mut out);
        fixed = out;
        &fixed
    };
    let mut out = Vec::with_capacity(src.len());
    let mut c = Compact {
        out: &mut out,
        clamped: 0,
        keys: Vec::new(),
        depth: 0,
        key: Vec::new(),
    };
    match read(src, &mut c) {
        Ok(()) => fixes.clamped_numbers = c.clamped,
        Err(Redo::Json(e)) => return Err(e),
        Err(Redo::Duplicate) => {
            out.clear();
            let mut g = Gather {
                out: &mut out,
                stack: Vec::new(),
                fixes: &mut fixes,
            };
            read(src, &mut g)?;
        }
    }
    if fixes.any() || out.len() != text.len() {
        Ok((Cow::Owned(out), fixes))
    } else {
        Ok((Cow::Borrowed(text), fixes))
    }
}

/// One value of `text`, white space around it, through `v`.
fn read<'a, V: Visit<Scanner<'a>>>(text: &'a [u8], v: &mut V) -> Result<(), V::Err> {
    let mut s = Scanner::new(text);
    s.skip_ws();
    walk(&mut s, v, 0)?;
    s.expect_end()?;
    Ok(())
}

/// Writes the number literal `lit`, clamped when it is beyond the double
/// range; true when it was.
fn number(lit: &[u8], out: &mut Vec<u8>) -> bool {
    if !out_of_range(lit) {
        out.extend_from_slice(lit);
        return false;
    }
    if lit[0] == b'-' {
        out.push(b'-');
    }
    out.extend_from_slice(MAX_DOUBLE.as_bytes());
    true
}

/// Reads the scalar at the source onto `out` (numbers clamped); true when
/// a number was clamped.
fn scalar_onto(s: &mut Scanner<'_>, out: &mut Vec<u8>) -> Result<(Kind, bool), SyntaxError> {
    let start = s.pos;
    let kind = s.scalar()?;
    let lit = &s.b[start..s.pos];
    if kind == Kind::Number {
        return Ok((kind, number(lit, out)));
    }
    out.extend_from_slice(lit);
    Ok((kind, false))
}

/// Why [`Compact`] stopped.
enum Redo {
    Json(SyntaxError),
    /// A key given twice: the value is read again by [`Gather`].
    Duplicate,
}

impl From<SyntaxError> for Redo {
    fn from(e: SyntaxError) -> Redo {
        Redo::Json(e)
    }
}

/// Compact text, token by token, noting the (decoded) keys of each open
/// object; gives up at a key given twice.
struct Compact<'o> {
    out: &'o mut Vec<u8>,
    clamped: u64,
    /// The keys of the open objects, one list per depth (reused).
    keys: Vec<Vec<Vec<u8>>>,
    depth: usize,
    key: Vec<u8>,
}

impl<'a> Visit<Scanner<'a>> for Compact<'_> {
    type Err = Redo;

    fn key(&mut self, s: &mut Scanner<'a>, _depth: usize) -> Result<bool, Redo> {
        let start = s.pos;
        self.key.clear();
        s.unescape_string(&mut self.key)?;
        let seen = &mut self.keys[self.depth - 1];
        if seen.contains(&self.key) {
            return Err(Redo::Duplicate);
        }
        seen.push(self.key.clone());
        self.out.extend_from_slice(&s.b[start..s.pos]);
        self.out.push(b':');
        Ok(false)
    }

    fn open(&mut self, _s: &Scanner<'a>, c: u8, _depth: usize) {
        self.out.push(c);
        if c == b'{' {
            if self.keys.len() <= self.depth {
                self.keys.push(Vec::new());
            }
            self.keys[self.depth].clear();
            self.depth += 1;
        }
    }

    fn comma(&mut self, _s: &Scanner<'a>, _c: u8) {
        self.out.push(b',');
    }

    fn close(&mut self, _s: &Scanner<'a>, c: u8, _depth: usize) {
        self.out.push(c);
        if c == b'}' {
            self.depth -= 1;
        }
    }

    fn scalar(&mut self, s: &mut Scanner<'a>) -> Result<Kind, Redo> {
        let (kind, clamped) = scalar_onto(s, self.out)?;
        self.clamped += u64::from(clamped);
        Ok(kind)
    }
}

/// An object being gathered: its members (the key as first written, its
/// decoded form, the last value), and the member being read.
#[derive(Default)]
struct Members {
    members: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    key: Vec<u8>,
    name: Vec<u8>,
    value: Vec<u8>,
}

/// Compact text with jq's rule for a key given twice (the last value, at
/// the first key's place): each object's members are gathered first.
struct Gather<'o, 'f> {
    out: &'o mut Vec<u8>,
    stack: Vec<Members>,
    fixes: &'f mut Fixes,
}

impl Gather<'_, '_> {
    /// Where output goes: the value of the member being read, or `out`.
    fn cur(&mut self) -> &mut Vec<u8> {
        match self.stack.last_mut() {
            Some(m) => &mut m.value,
            None => self.out,
        }
    }
}

impl<'a> Visit<Scanner<'a>> for Gather<'_, '_> {
    type Err = SyntaxError;

    fn key(&mut self, s: &mut Scanner<'a>, _depth: usize) -> Result<bool, SyntaxError> {
        let start = s.pos;
        let Some(m) = self.stack.last_mut() else {
            return Err(s.err(Syntax::ExpectedValue));
        };
        m.name.clear();
        s.unescape_string(&mut m.name)?;
        m.key.clear();
        m.key.extend_from_slice(&s.b[start..s.pos]);
        m.value.clear();
        Ok(false)
    }

    fn open(&mut self, _s: &Scanner<'a>, c: u8, _depth: usize) {
        if c == b'{' {
            self.stack.push(Members::default());
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
        let Some(m) = self.stack.last_mut() else {
            return;
        };
        let value = std::mem::take(&mut m.value);
        match m.members.iter_mut().find(|x| x.1 == m.name) {
            Some(x) => {
                x.2 = value;
                self.fixes.duplicate_keys += 1;
            }
            None => m.members.push((m.key.clone(), m.name.clone(), value)),
        }
    }

    fn close(&mut self, _s: &Scanner<'a>, c: u8, _depth: usize) {
        if c == b']' {
            self.cur().push(b']');
            return;
        }
        let Some(m) = self.stack.pop() else {
            return;
        };
        let out = self.cur();
        out.push(b'{');
        for (i, (key, _, value)) in m.members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
    }

    fn scalar(&mut self, s: &mut Scanner<'a>) -> Result<Kind, SyntaxError> {
        let mut lit = Vec::new();
        let (kind, clamped) = scalar_onto(s, &mut lit)?;
        self.fixes.clamped_numbers += u64::from(clamped);
        self.cur().extend_from_slice(&lit);
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &[u8]) -> (Vec<u8>, Fixes) {
        let (out, fixes) = normalize(text).unwrap();
        (out.into_owned(), fixes)
    }

    #[test]
    fn literals_stay_as_written_and_nothing_changed_is_borrowed() {
        let text = br#"{"a":[1.0,1E5,-0,123456789012345678901234567890,1e-400,"\u00e9"]}"#;
        let (out, fixes) = normalize(text).unwrap();
        assert!(matches!(out, Cow::Borrowed(_)));
        assert!(!fixes.any());
        assert_eq!(&*norm(b" { \"a\" : [ 1 , 2 ] } ").0, br#"{"a":[1,2]}"#);
    }

    #[test]
    fn last_value_wins_at_the_first_place() {
        let (out, fixes) = norm(br#"{"a":1,"b":{"x":1,"x":[2]},"\u0061":3}"#);
        assert_eq!(out, br#"{"a":3,"b":{"x":[2]}}"#);
        assert_eq!(fixes.duplicate_keys, 2);
    }

    #[test]
    fn numbers_beyond_the_double_range_are_clamped() {
        let (out, fixes) = norm(b"[1e400,-1e400,1.5e308,1e-400,1.7976931348623157e308]");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[1.7976931348623157e+308,-1.7976931348623157e+308,1.5e308,1e-400,1.7976931348623157e308]"
        );
        assert_eq!(fixes.clamped_numbers, 2);
    }

    #[test]
    fn invalid_utf8_is_cut_as_jq_cuts_it() {
        // (string content, how many U+FFFD jq 1.6 writes, what is kept)
        let fffd = "\u{FFFD}";
        for (raw, want) in [
            (&b"\xff"[..], fffd.to_owned()),
            (b"\xe6\x97\xa5\xd1\x88\xfa", format!("日ш{fffd}")),
            (b"\xed\xa0\x80", fffd.to_owned()),
            (b"\xf4\xbf\xbf\xbf", fffd.to_owned()),
            (b"\xc0\xaf", fffd.repeat(2)),
            (b"\xfc\x83\xbf\xbf\xbf\xbf", fffd.repeat(6)),
            (b"\xe0\xff", fffd.to_owned()),
            (b"\xe0\\n", fffd.to_owned()),
            (b"\xe0\\n\\n", format!("{fffd}\\n\\n")),
            (b"a\x81b", format!("a{fffd}b")),
        ] {
            let mut text = b"[\"".to_vec();
            text.extend_from_slice(raw);
            text.extend_from_slice(b"\"]");
            let (out, fixes) = norm(&text);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("[\"{want}\"]"),
                "{raw:?}"
            );
            assert_eq!(fixes.invalid_utf8, want.matches(fffd).count() as u64);
        }
    }

    #[test]
    fn strict_errors_stay_errors() {
        for bad in [
            &b"{\"a\":1,}"[..],
            b"[1e]",
            b"{\"a\" 1}",
            b"[1] 2",
            b"\xff",
            b"[NaN]",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }
}
