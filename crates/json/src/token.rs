//! The tokens of strict JSON text (RFC 8259), read from a byte slice.
//!
//! One place for the lexical rules every reader of JSON here shares: what a
//! string, an escape, a number and a literal are, and the exact reason when
//! they are not. Strict on purpose: no NaN or Infinity, no `+1`, no leading
//! zeros, no control characters inside strings, no lone surrogate escapes.
//! A JSON string can't hold a raw newline, and a number or literal ends at
//! white space, so no token ever spans two lines: the stream reader relies
//! on that to work line by line.

/// Deepest nesting accepted (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// Why a text is not strict JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Syntax {
    #[error("unexpected end of JSON")]
    UnexpectedEnd,
    #[error("unterminated string")]
    UnterminatedString,
    #[error("control character in string")]
    ControlInString,
    #[error("invalid escape in string")]
    InvalidEscape,
    #[error("invalid \\u escape")]
    InvalidUnicodeEscape,
    #[error("lone surrogate in \\u escape")]
    LoneSurrogate,
    #[error("leading zero in number")]
    LeadingZero,
    #[error("invalid number")]
    InvalidNumber,
    #[error("invalid literal")]
    InvalidLiteral,
    #[error("`+` before a number is not JSON")]
    PlusSign,
    #[error("NaN and Infinity are not JSON")]
    NanOrInfinity,
    #[error("single quotes are not JSON")]
    SingleQuote,
    #[error("expected a JSON value")]
    ExpectedValue,
    #[error("expected a string key")]
    ExpectedKey,
    #[error("expected `:`")]
    ExpectedColon,
    #[error("expected `,` or `}}`")]
    ExpectedCommaOrBrace,
    #[error("expected `,` or `]`")]
    ExpectedCommaOrBracket,
    #[error("nested too deep")]
    TooDeep,
    #[error("unexpected characters after the JSON value")]
    Trailing,
}

/// A [`Syntax`] problem and where it is (0-based byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{syntax} at column {}", .offset + 1)]
pub struct SyntaxError {
    pub syntax: Syntax,
    pub offset: usize,
}

impl Syntax {
    pub fn at(self, offset: usize) -> SyntaxError {
        SyntaxError {
            syntax: self,
            offset,
        }
    }
}

/// JSON white space.
#[inline]
pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Index of the first non-white-space byte from `i` on (or `b.len()`).
#[inline]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    i
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is a quote, a backslash or a
/// control character (exact for the lowest such byte).
#[inline]
pub fn special_bytes(w: u64) -> u64 {
    let ctrl = w.wrapping_sub(LO * 0x20) & !w;
    let q = w ^ (LO * u64::from(b'"'));
    let q = q.wrapping_sub(LO) & !q;
    let bs = w ^ (LO * u64::from(b'\\'));
    let bs = bs.wrapping_sub(LO) & !bs;
    (ctrl | q | bs) & HI
}

/// Whether `c` may stand in a string as it is (not a quote, backslash or
/// control character).
#[inline]
pub fn is_plain(c: u8) -> bool {
    c >= 0x20 && c != b'"' && c != b'\\'
}

/// The first index from `i` on whose byte is a quote, a backslash or a
/// control character (or `b.len()`), eight bytes at a time.
#[inline]
pub fn plain_run(b: &[u8], mut i: usize) -> usize {
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
    while i < b.len() && is_plain(b[i]) {
        i += 1;
    }
    i
}

fn hex4(b: &[u8], i: usize) -> Option<u16> {
    let h = b.get(i..i + 4)?;
    let mut v = 0u16;
    for &c in h {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = v << 4 | u16::from(d);
    }
    Some(v)
}

/// Validates one `\…` escape whose backslash is at `i`; returns the index
/// after it and the character it stands for.
#[inline]
pub fn escape_at(b: &[u8], i: usize) -> Result<(usize, char), SyntaxError> {
    let c = match b.get(i + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode_escape(b, i),
        None => return Err(Syntax::UnterminatedString.at(i)),
        Some(_) => return Err(Syntax::InvalidEscape.at(i)),
    };
    Ok((i + 2, c))
}

fn unicode_escape(b: &[u8], i: usize) -> Result<(usize, char), SyntaxError> {
    let bad = Syntax::InvalidUnicodeEscape.at(i);
    let lone = Syntax::LoneSurrogate.at(i);
    let hi = hex4(b, i + 2).ok_or(bad)?;
    if (0xDC00..0xE000).contains(&hi) {
        return Err(lone);
    }
    if !(0xD800..0xDC00).contains(&hi) {
        let c = char::from_u32(u32::from(hi)).ok_or(bad)?;
        return Ok((i + 6, c));
    }
    if b.get(i + 6) != Some(&b'\\') || b.get(i + 7) != Some(&b'u') {
        return Err(lone);
    }
    let lo = hex4(b, i + 8).ok_or(bad)?;
    if !(0xDC00..0xE000).contains(&lo) {
        return Err(lone);
    }
    let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
    let c = char::from_u32(cp).ok_or(bad)?;
    Ok((i + 12, c))
}

/// Validates the string whose opening quote is at `start`; returns the
/// index after its closing quote and whether it holds escapes.
#[inline]
pub fn skip_string(b: &[u8], start: usize) -> Result<(usize, bool), SyntaxError> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        i = plain_run(b, i);
        match b.get(i) {
            Some(b'"') => return Ok((i + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                i = escape_at(b, i)?.0;
            }
            Some(_) => return Err(Syntax::ControlInString.at(i)),
            None => return Err(Syntax::UnterminatedString.at(start)),
        }
    }
}

/// Decodes the string whose opening quote is at `start`, appending its
/// UTF-8 bytes to `out`; returns the index after its closing quote.
pub fn unescape(b: &[u8], start: usize, out: &mut Vec<u8>) -> Result<usize, SyntaxError> {
    let mut i = start + 1;
    loop {
        let run = plain_run(b, i);
        out.extend_from_slice(&b[i..run]);
        i = run;
        match b.get(i) {
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => {
                let (next, c) = escape_at(b, i)?;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                i = next;
            }
            Some(_) => return Err(Syntax::ControlInString.at(i)),
            None => return Err(Syntax::UnterminatedString.at(start)),
        }
    }
}

#[inline]
fn digits(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    i
}

/// Validates the number starting at `start`; returns the index after it.
/// The literal is never converted: callers copy it as written.
#[inline(always)]
pub fn skip_number(b: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') if matches!(b.get(i + 1), Some(b'0'..=b'9')) => {
            return Err(Syntax::LeadingZero.at(i))
        }
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(b, i),
        Some(b'I') => return Err(Syntax::NanOrInfinity.at(start)),
        _ => return Err(Syntax::InvalidNumber.at(i)),
    }
    if b.get(i) == Some(&b'.') {
        if !matches!(b.get(i + 1), Some(b'0'..=b'9')) {
            return Err(Syntax::InvalidNumber.at(i + 1));
        }
        i = digits(b, i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return Err(Syntax::InvalidNumber.at(i));
        }
        let from = i;
        i = digits(b, i);
        if i - from >= 3 {
            note_wide_number();
        }
    } else if i - start > 300 {
        note_wide_number();
    }
    Ok(i)
}

thread_local! {
    static WIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cold]
fn note_wide_number() {
    WIDE.with(|w| w.set(true));
}

/// Whether [`skip_number`] read, on this thread since the last call, a
/// number that may be beyond the double range (an exponent of three
/// digits or more, or a literal of over 300 bytes); clears the note. A
/// reader that copies literals as written checks this once per record
/// and, only then, looks for numbers to clamp (`jq::normalize`), so the
/// common record pays nothing for the rule.
pub fn take_wide_number() -> bool {
    WIDE.with(|w| w.replace(false))
}

/// Checks that `lit` (`true`, `false`, `null`) is at `i`; returns the index
/// after it.
#[inline]
pub fn literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, SyntaxError> {
    if b[i..].starts_with(lit) {
        Ok(i + lit.len())
    } else {
        Err(Syntax::InvalidLiteral.at(i))
    }
}

/// The reason a value can't start at `i`.
pub fn bad_value_start(b: &[u8], i: usize) -> SyntaxError {
    let syntax = match b.get(i) {
        None => Syntax::UnexpectedEnd,
        Some(b'+') => Syntax::PlusSign,
        Some(b'N' | b'I') => Syntax::NanOrInfinity,
        Some(b'-') if matches!(b.get(i + 1), Some(b'I')) => Syntax::NanOrInfinity,
        Some(b'\'') => Syntax::SingleQuote,
        Some(_) => Syntax::ExpectedValue,
    };
    syntax.at(i)
}

/// Whether `json` has no white space outside its strings: compact JSON, as
/// the tools write it. A check of their output, written once for the tests
/// (crates/splunk-to-segment/tests) and the fuzz harnesses
/// (fuzz/fuzz_targets); any ASCII white space counts, form feed included.
pub fn is_compact(json: &[u8]) -> bool {
    let (mut in_str, mut esc) = (false, false);
    for &b in json {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b.is_ascii_whitespace() {
            return false;
        }
    }
    true
}

/// What a scalar token was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Number,
    True,
    False,
    Null,
}

/// Reads the scalar at `i` (a string, number or literal); returns its kind
/// and the index after it. A number or literal must be followed by white
/// space, a structural character, a quote or the end (so `1.5.3` and
/// `truefalse` are errors, not two values).
pub fn scalar(b: &[u8], i: usize) -> Result<(Scalar, usize), SyntaxError> {
    let (kind, end) = match b.get(i) {
        Some(b'"') => return skip_string(b, i).map(|(end, _)| (Scalar::String, end)),
        Some(b'-' | b'0'..=b'9') => (Scalar::Number, skip_number(b, i)?),
        Some(b't') => (Scalar::True, literal(b, i, b"true")?),
        Some(b'f') => (Scalar::False, literal(b, i, b"false")?),
        Some(b'n') => (Scalar::Null, literal(b, i, b"null")?),
        _ => return Err(bad_value_start(b, i)),
    };
    match b.get(end) {
        None
        | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b']' | b'}' | b'[' | b'{' | b'"') => {
            Ok((kind, end))
        }
        Some(_) if kind == Scalar::Number => Err(Syntax::InvalidNumber.at(end)),
        Some(_) => Err(Syntax::InvalidLiteral.at(i)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_means_no_white_space_outside_strings() {
        for yes in [&b""[..], b"{}", br#"{"a b":[1,"\" \\"]}"#, br#""\\""#] {
            assert!(is_compact(yes), "{}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b" 1"[..],
            b"[1,\n2]",
            br#"{"a":"\"" }"#,
            br#""\\" "#,
            b"{}\x0c",
        ] {
            assert!(!is_compact(no), "{}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn plain_runs_find_the_first_special_byte() {
        for text in [
            "",
            "abcdefghijklmnopq",
            "é\u{1}",
            "0123456789\"",
            "01234567\\x",
        ] {
            let b = text.as_bytes();
            for start in 0..=b.len() {
                let want = b[start..]
                    .iter()
                    .position(|&c| !is_plain(c))
                    .map_or(b.len(), |p| p + start);
                assert_eq!(plain_run(b, start), want, "{text:?} from {start}");
            }
        }
    }

    #[test]
    fn unescape_decodes_every_escape() {
        let b = br#""a\"b\\c\u00e9\ud83d\ude00\n\/" rest"#;
        let mut out = Vec::new();
        let end = unescape(b, 0, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a\"b\\cé😀\n/");
        assert_eq!(&b[end..], b" rest");
    }

    #[test]
    fn strict_scalars() {
        for (bad, why) in [
            ("01", Syntax::LeadingZero),
            ("-01", Syntax::LeadingZero),
            ("1.", Syntax::InvalidNumber),
            ("1e", Syntax::InvalidNumber),
            ("1.5.3", Syntax::InvalidNumber),
            ("+1", Syntax::PlusSign),
            ("NaN", Syntax::NanOrInfinity),
            ("-Infinity", Syntax::NanOrInfinity),
            ("'a'", Syntax::SingleQuote),
            ("truefalse", Syntax::InvalidLiteral),
            ("tru", Syntax::InvalidLiteral),
            ("\"\\ud800\"", Syntax::LoneSurrogate),
            ("\"\\x\"", Syntax::InvalidEscape),
            ("\"a\tb\"", Syntax::ControlInString),
            ("\"abc", Syntax::UnterminatedString),
        ] {
            assert_eq!(
                scalar(bad.as_bytes(), 0).map_err(|e| e.syntax),
                Err(why),
                "{bad}"
            );
        }
        for good in [
            "1E5",
            "-0.0",
            "1e-7",
            "123456789012345678901234567890",
            "1\"a\"",
        ] {
            assert_eq!(
                scalar(good.as_bytes(), 0).unwrap().0,
                Scalar::Number,
                "{good}"
            );
        }
    }
}
