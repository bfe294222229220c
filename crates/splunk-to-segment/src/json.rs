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

use segment_bridge_json::token::SyntaxError;

pub(crate) use crate::scan::{push_member, Fail, Frames, Kind, Scanner, Special};
use crate::walk::{walk, Copy, Slow, Visit};
pub(crate) use segment_bridge_json::token::plain_run;

/// Reusable state of the compactor (one per worker).
#[derive(Default)]
pub(crate) struct Compactor {
    frames: Frames,
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
    compact_slow_counting(b, out, &mut 0)
}

/// [`compact_slow`], counting in `dups` the members a later one with the
/// same key replaced.
pub(crate) fn compact_slow_counting(
    b: &[u8],
    out: &mut Vec<u8>,
    dups: &mut u64,
) -> Result<Kind, SyntaxError> {
    let mut s = Scanner::new(b);
    s.skip_ws();
    let mut v = Slow::new(out, None);
    let kind = walk(&mut s, &mut v, 0);
    *dups += v.dups;
    let kind = kind?;
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
    dups: &mut u64,
) -> Result<Result<(), Kind>, SyntaxError> {
    with_key(b, out, special, |s, out| {
        let mut v = Slow::new(out, Some(special));
        let r = walk(s, &mut v, 0).map(drop);
        *dups += v.dups;
        r
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
