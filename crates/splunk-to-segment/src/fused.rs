//! The fast path for `properties` and `context`: compact the JSON text held
//! in a JSON string straight from its escaped form, in the same pass that
//! finds the end of the string, instead of unescaping it into a buffer and
//! walking that again.
//!
//! It handles the escapes nested JSON is made of (`\"` for an inner quote,
//! `\\` for an inner backslash, `\n` `\t` `\r` as white space between inner
//! tokens) and gives up (`None`) on anything else: other escapes, invalid
//! inner JSON, keys with escapes or seen twice, nesting too deep. The caller
//! then takes the general path (unescape, validate, compact, duplicate keys
//! through serde_json), which also words the error when there is one. So
//! this path only ever produces what the general one would.

use segment_bridge_core::jsonl::token;

use crate::json::{plain_run, Compactor, MAX_DEPTH};

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

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    #[inline]
    fn at(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    /// Inner white space: raw spaces and the `\n` `\t` `\r` escapes.
    #[inline]
    fn ws(&mut self) {
        loop {
            match self.at(0) {
                b' ' => self.i += 1,
                b'\\' if matches!(self.at(1), b'n' | b't' | b'r') => self.i += 2,
                _ => return,
            }
        }
    }

    /// At an inner quote (`\"`)?
    #[inline]
    fn quote(&self) -> bool {
        self.at(0) == b'\\' && self.at(1) == b'"'
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
    let mut cur = Cur { b, i: start + 1 };
    cur.ws();
    let mut fused = Fused {
        len: 0,
        null: false,
        special: None,
        end: 0,
    };
    match special {
        Some(key) => match cur.at(0) {
            b'{' => object(&mut cur, out, c, 0, Some((key, &mut fused.special)))?,
            b'n' => {
                literal(&mut cur, out, b"null")?;
                fused.null = true;
            }
            _ => return None,
        },
        None => value(&mut cur, out, c, 0)?,
    }
    cur.ws();
    if cur.at(0) != b'"' {
        return None;
    }
    fused.len = out.len();
    fused.end = cur.i + 1;
    Some(fused)
}

fn literal(cur: &mut Cur<'_>, out: &mut Vec<u8>, lit: &[u8]) -> Option<()> {
    let end = token::literal(cur.b, cur.i, lit).ok()?;
    out.extend_from_slice(lit);
    cur.i = end;
    Some(())
}

fn value(cur: &mut Cur<'_>, out: &mut Vec<u8>, c: &mut Compactor, depth: usize) -> Option<()> {
    match cur.at(0) {
        b'\\' if cur.at(1) == b'"' => string(cur, out),
        b'{' => object(cur, out, c, depth, None),
        b'[' => array(cur, out, c, depth),
        b't' => literal(cur, out, b"true"),
        b'f' => literal(cur, out, b"false"),
        b'n' => literal(cur, out, b"null"),
        b'-' | b'0'..=b'9' => number(cur, out),
        _ => None,
    }
}

/// A number: no escapes can be inside one, so core's rule reads it in
/// the escaped text as it is.
fn number(cur: &mut Cur<'_>, out: &mut Vec<u8>) -> Option<()> {
    let end = token::skip_number(cur.b, cur.i).ok()?;
    out.extend_from_slice(&cur.b[cur.i..end]);
    cur.i = end;
    Some(())
}

/// An inner string (at its `\"`), copied decoded.
fn string(cur: &mut Cur<'_>, out: &mut Vec<u8>) -> Option<()> {
    let b = cur.b;
    let mut i = cur.i + 2;
    out.push(b'"');
    loop {
        let run = plain_run(b, i);
        out.extend_from_slice(&b[i..run]);
        i = run;
        if b.get(i) != Some(&b'\\') {
            // The outer string ends (or a control character): not ours.
            return None;
        }
        match b.get(i + 1) {
            Some(b'"') => {
                out.push(b'"');
                cur.i = i + 2;
                return Some(());
            }
            Some(b'\\') => i = inner_escape(b, i, out)?,
            _ => return None,
        }
    }
}

/// An inner escape: `\` then its letter, itself encoded (`\\` at `i`);
/// copied as written; returns the index after it.
fn inner_escape(b: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
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
            out.extend_from_slice(hex);
            Some(i + 7)
        }
        _ => None,
    }
}

/// An inner key (at its `\"`) without escapes, recorded for duplicates.
fn key<'a>(cur: &mut Cur<'a>, c: &mut Compactor, depth: usize) -> Option<&'a [u8]> {
    if !cur.quote() {
        return None;
    }
    let b = cur.b;
    let start = cur.i + 2;
    let end = plain_run(b, start);
    if b.get(end) != Some(&b'\\') || b.get(end + 1) != Some(&b'"') {
        return None;
    }
    let k = &b[start..end];
    if !c.frames_at(depth)?.insert(crate::hash::key_hash(k)) {
        return None;
    }
    cur.i = end + 2;
    Some(k)
}

type SpecialSlot<'s, 'k> = Option<(&'k [u8], &'s mut Option<(usize, usize)>)>;

fn object(
    cur: &mut Cur<'_>,
    out: &mut Vec<u8>,
    c: &mut Compactor,
    depth: usize,
    mut special: SpecialSlot<'_, '_>,
) -> Option<()> {
    if depth >= MAX_DEPTH {
        return None;
    }
    cur.i += 1;
    out.push(b'{');
    c.frame(depth);
    cur.ws();
    if cur.at(0) == b'}' {
        cur.i += 1;
        out.push(b'}');
        return Some(());
    }
    loop {
        cur.ws();
        let k = key(cur, c, depth)?;
        out.push(b'"');
        out.extend_from_slice(k);
        out.push(b'"');
        cur.ws();
        if cur.at(0) != b':' {
            return None;
        }
        cur.i += 1;
        out.push(b':');
        cur.ws();
        let value_start = out.len();
        value(cur, out, c, depth + 1)?;
        if let Some((name, slot)) = special.as_mut() {
            if k == *name {
                **slot = Some((value_start, out.len()));
            }
        }
        cur.ws();
        match cur.at(0) {
            b',' => {
                cur.i += 1;
                out.push(b',');
            }
            b'}' => {
                cur.i += 1;
                out.push(b'}');
                return Some(());
            }
            _ => return None,
        }
    }
}

fn array(cur: &mut Cur<'_>, out: &mut Vec<u8>, c: &mut Compactor, depth: usize) -> Option<()> {
    if depth >= MAX_DEPTH {
        return None;
    }
    cur.i += 1;
    out.push(b'[');
    cur.ws();
    if cur.at(0) == b']' {
        cur.i += 1;
        out.push(b']');
        return Some(());
    }
    loop {
        cur.ws();
        value(cur, out, c, depth + 1)?;
        cur.ws();
        match cur.at(0) {
            b',' => {
                cur.i += 1;
                out.push(b',');
            }
            b']' => {
                cur.i += 1;
                out.push(b']');
                return Some(());
            }
            _ => return None,
        }
    }
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
