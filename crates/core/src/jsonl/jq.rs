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

use super::token::{self, Syntax, SyntaxError, MAX_DEPTH};

/// What [`normalize`] changed in one value (or a run: the fields are the
/// metrics' names, see `Outcome::count_fields`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Fixes {
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    #[serde(rename = "utf8_sequences_replaced")]
    pub invalid_utf8: u64,
    /// Members dropped because their key came again later in the object.
    #[serde(rename = "duplicate_keys_dropped")]
    pub duplicate_keys: u64,
    /// Numbers beyond the double range, clamped.
    #[serde(rename = "numbers_clamped")]
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
                let run = s[k..].iter().position(|&c| c >= 0x80).map_or(s.len(), |p| k + p);
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
/// rules (see the module doc); borrowed when nothing changes.
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
    let mut w = Writer {
        b: src,
        out: Vec::with_capacity(src.len()),
        fixes: &mut fixes,
        key: Vec::new(),
    };
    let i = token::skip_ws(src, 0);
    let end = w.value(i, 0)?;
    let end = token::skip_ws(src, end);
    if end < src.len() {
        return Err(Syntax::Trailing.at(end));
    }
    let out = w.out;
    if fixes.any() || out.len() != text.len() {
        Ok((Cow::Owned(out), fixes))
    } else {
        Ok((Cow::Borrowed(text), fixes))
    }
}

/// The walk of [`normalize`]: the grammar of one value over core's tokens,
/// writing compact text.
struct Writer<'a, 'f> {
    b: &'a [u8],
    out: Vec<u8>,
    fixes: &'f mut Fixes,
    key: Vec<u8>,
}

impl Writer<'_, '_> {
    /// The value at `i` (no white space before it); returns the index
    /// after it.
    fn value(&mut self, i: usize, depth: usize) -> Result<usize, SyntaxError> {
        match self.b.get(i) {
            Some(b'{') => self.object(i, depth),
            Some(b'[') => self.array(i, depth),
            Some(_) => {
                let (kind, end) = token::scalar(self.b, i)?;
                let lit = &self.b[i..end];
                if kind == token::Scalar::Number && out_of_range(lit) {
                    self.fixes.clamped_numbers += 1;
                    if lit[0] == b'-' {
                        self.out.push(b'-');
                    }
                    self.out.extend_from_slice(MAX_DOUBLE.as_bytes());
                } else {
                    self.out.extend_from_slice(lit);
                }
                Ok(end)
            }
            None => Err(Syntax::UnexpectedEnd.at(i)),
        }
    }

    fn open(&self, i: usize, depth: usize) -> Result<(), SyntaxError> {
        if depth >= MAX_DEPTH {
            Err(Syntax::TooDeep.at(i))
        } else {
            Ok(())
        }
    }

    /// After a member or element: true at a comma (consumed), false at
    /// the closing bracket (consumed).
    fn next(&mut self, i: &mut usize, close: u8) -> Result<bool, SyntaxError> {
        *i = token::skip_ws(self.b, *i);
        match self.b.get(*i) {
            Some(b',') => {
                *i += 1;
                Ok(true)
            }
            Some(&c) if c == close => {
                *i += 1;
                Ok(false)
            }
            None => Err(Syntax::UnexpectedEnd.at(*i)),
            Some(_) if close == b'}' => Err(Syntax::ExpectedCommaOrBrace.at(*i)),
            Some(_) => Err(Syntax::ExpectedCommaOrBracket.at(*i)),
        }
    }

    fn array(&mut self, mut i: usize, depth: usize) -> Result<usize, SyntaxError> {
        self.open(i, depth)?;
        self.out.push(b'[');
        i = token::skip_ws(self.b, i + 1);
        if self.b.get(i) == Some(&b']') {
            self.out.push(b']');
            return Ok(i + 1);
        }
        loop {
            i = token::skip_ws(self.b, i);
            i = self.value(i, depth + 1)?;
            if !self.next(&mut i, b']')? {
                break;
            }
            self.out.push(b',');
        }
        self.out.push(b']');
        Ok(i)
    }

    /// An object: its members are written as they come, and their decoded
    /// keys noted; a key seen before sends the object to
    /// [`gather`](Self::gather), which rewrites it with jq's rule.
    fn object(&mut self, i: usize, depth: usize) -> Result<usize, SyntaxError> {
        self.open(i, depth)?;
        let (mark, before) = (self.out.len(), *self.fixes);
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut j = token::skip_ws(self.b, i + 1);
        self.out.push(b'{');
        if self.b.get(j) == Some(&b'}') {
            self.out.push(b'}');
            return Ok(j + 1);
        }
        loop {
            j = token::skip_ws(self.b, j);
            let key_end = self.key_at(j)?;
            if keys.contains(&self.key) {
                // Again from the start, counting its insides once.
                self.out.truncate(mark);
                *self.fixes = before;
                return self.gather(i, depth);
            }
            keys.push(self.key.clone());
            self.out.extend_from_slice(&self.b[j..key_end]);
            self.out.push(b':');
            j = self.colon(key_end)?;
            j = self.value(j, depth + 1)?;
            if !self.next(&mut j, b'}')? {
                break;
            }
            self.out.push(b',');
        }
        self.out.push(b'}');
        Ok(j)
    }

    /// The key at `i` decoded into `self.key`; returns the index after it.
    fn key_at(&mut self, i: usize) -> Result<usize, SyntaxError> {
        if self.b.get(i) != Some(&b'"') {
            return Err(match self.b.get(i) {
                None => Syntax::UnexpectedEnd.at(i),
                Some(_) => Syntax::ExpectedKey.at(i),
            });
        }
        self.key.clear();
        token::unescape(self.b, i, &mut self.key)
    }

    /// Past the `:` after a key (white space around it); returns where the
    /// value starts.
    fn colon(&self, i: usize) -> Result<usize, SyntaxError> {
        let i = token::skip_ws(self.b, i);
        match self.b.get(i) {
            Some(b':') => Ok(token::skip_ws(self.b, i + 1)),
            None => Err(Syntax::UnexpectedEnd.at(i)),
            Some(_) => Err(Syntax::ExpectedColon.at(i)),
        }
    }

    /// An object with a key seen twice, member by member: the last value
    /// at the first key's place, the key as first written.
    fn gather(&mut self, i: usize, depth: usize) -> Result<usize, SyntaxError> {
        let mut members: Vec<(Vec<u8>, std::ops::Range<usize>, Vec<u8>)> = Vec::new();
        let mut j = token::skip_ws(self.b, i + 1);
        loop {
            j = token::skip_ws(self.b, j);
            let key_end = self.key_at(j)?;
            let key = std::mem::take(&mut self.key);
            let at = j..key_end;
            j = self.colon(key_end)?;
            let outer = std::mem::take(&mut self.out);
            let r = self.value(j, depth + 1);
            let value = std::mem::replace(&mut self.out, outer);
            j = r?;
            match members.iter_mut().find(|m| m.0 == key) {
                Some(m) => {
                    m.2 = value;
                    self.fixes.duplicate_keys += 1;
                }
                None => members.push((key, at, value)),
            }
            if !self.next(&mut j, b'}')? {
                break;
            }
        }
        self.out.push(b'{');
        for (n, (_, at, value)) in members.iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(&self.b[at.clone()]);
            self.out.push(b':');
            self.out.extend_from_slice(value);
        }
        self.out.push(b'}');
        Ok(j)
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
        for bad in [&b"{\"a\":1,}"[..], b"[1e]", b"{\"a\" 1}", b"[1] 2", b"\xff", b"[NaN]"] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }
}
