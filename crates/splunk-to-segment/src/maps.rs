//! The two lookup tables: uid map (cluster username → SSO id) and workspace
//! map (namespace → owner username), read from the files get-uid-map and
//! get-workspace-map write.
//!
//! The original slurped each file into jq (`--slurpfile`) and indexed its
//! first value, so: an empty file is "no mappings" (every row is then
//! dropped), only the first JSON value counts, and a value is used exactly
//! as it is in the map (a numeric SSO id stays a number literal, `1E5`
//! included). Values are kept as compact JSON text, written exactly as the
//! file has them (white space removed; duplicate keys inside a value as jq
//! treats them), ready to be written out.
//!
//! A map of a million users is tens of megabytes of JSON, read before the
//! first row, so the layout is about memory and one pass
//! (docs/tools/splunk-to-segment.md, "Map files"): the file is read once
//! into one buffer and walked once by the crate's one JSON walker
//! ([`walk`]), which validates it and hands each top-level member to
//! [`Members`]. A key or value is then a span of that buffer: no string per
//! entry, no `serde_json::Value`. Only what the file does not hold as it is
//! used goes to a second, small buffer: keys written with escapes (decoded),
//! container values (compacted), and the decoded text of string values
//! written with escapes. The index is an open-addressing table of entry
//! numbers, at most half full, probed linearly with the crate's key hash;
//! a key seen twice keeps its last value, as jq does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use segment_bridge_json::token::{Syntax, SyntaxError};

use crate::hash::{key_hash, Fast};
use crate::json::{compact_slow, Kind, Scanner};
use crate::walk::{walk, Visit};

/// One value of a map: its JSON text plus what the transform asks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapValue<'m> {
    /// Compact JSON text of the value (number literals as written).
    pub(crate) raw: &'m str,
    pub(crate) kind: Kind,
    /// The string, when the value is one.
    pub(crate) text: Option<&'m str>,
}

impl MapValue<'_> {
    /// The value as compact JSON text.
    pub fn json(&self) -> &str {
        self.raw
    }
}

/// A lookup table. `None` inside: the file was empty (or held `null`), and
/// jq's `null[key]` is `null` for any key.
#[derive(Debug, Clone, Default)]
pub struct Map {
    pub(crate) entries: Option<Table>,
}

/// Why a map file can't be used.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not valid JSON (line {line}, column {column})", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        #[source]
        source: Syntax,
    },
    #[error("`{}` is not UTF-8 (line {line}, column {column})", path.display())]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("`{}` holds a JSON {found}, not an object", path.display())]
    NotObject { path: PathBuf, found: &'static str },
    #[error("`{}` is {size} bytes; a map file may have at most {} bytes", path.display(), MAX_BYTES)]
    TooLarge { path: PathBuf, size: u64 },
}

/// Spans are 32-bit offsets, and the top bit says which buffer: a map file
/// may have at most 2 GiB (a million-user map is 21-26 MB).
pub const MAX_BYTES: usize = (1 << 31) - 1;
const SIDE: u32 = 1 << 31;

/// Where a key or value is: in the file's buffer, or (top bit of `at`
/// set) in the side buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    at: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    key: Span,
    value: Span,
}

/// The loaded map: the file's bytes, the side buffer, the entries and
/// their index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    file: String,
    side: String,
    entries: Vec<Entry>,
    /// Entry numbers, `EMPTY` for a free slot; the length is a power of two.
    slots: Vec<u32>,
    /// The decoded text of string values written with escapes, by entry.
    texts: HashMap<u32, Span, Fast>,
    len: usize,
}

const EMPTY: u32 = u32::MAX;

impl Table {
    fn text(&self, s: Span) -> &str {
        let (buf, at) = if s.at & SIDE != 0 {
            (&self.side, s.at & !SIDE)
        } else {
            (&self.file, s.at)
        };
        let at = at as usize;
        buf.get(at..at + s.len as usize).unwrap_or("")
    }

    /// The entry of `key`: its slot and, when the key is there, its number.
    #[inline]
    fn find(&self, key: &str) -> (usize, Option<u32>) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = key_hash(key.as_bytes()) as usize & mask;
        loop {
            match self.slots.get(i).copied() {
                None | Some(EMPTY) => return (i, None),
                Some(n) => {
                    let e = self.entries.get(n as usize).copied().unwrap_or_default();
                    if self.text(e.key) == key {
                        return (i, Some(n));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Indexes every entry; a later entry with the same key replaces the
    /// earlier one.
    fn index(&mut self) {
        let want = (self.entries.len() * 2).max(8).next_power_of_two();
        self.slots = vec![EMPTY; want];
        for n in 0..self.entries.len() {
            let key = self.entries[n].key;
            let (slot, found) = self.find(self.text(key));
            if found.is_none() {
                self.len += 1;
            }
            self.slots[slot] = n as u32;
        }
    }

    /// The value for `key`, if any.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<MapValue<'_>> {
        let n = self.find(key).1?;
        let e = self.entries.get(n as usize)?;
        let raw = self.text(e.value);
        let kind = kind_of(raw);
        let text = match kind {
            Kind::String => Some(match self.texts.get(&n) {
                Some(&s) => self.text(s),
                None => raw.get(1..raw.len().saturating_sub(1)).unwrap_or(""),
            }),
            _ => None,
        };
        Some(MapValue { raw, kind, text })
    }
}

/// The JSON type of a valid, compact value, from its first byte.
fn kind_of(raw: &str) -> Kind {
    match raw.as_bytes().first() {
        Some(b'"') => Kind::String,
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b't') => Kind::True,
        Some(b'f') => Kind::False,
        Some(b'n') | None => Kind::Null,
        Some(_) => Kind::Number,
    }
}

impl Map {
    /// No mappings at all (what an empty map file gives).
    pub fn none() -> Map {
        Map { entries: None }
    }

    /// Reads a map file; only its first JSON value counts.
    pub fn load(path: &Path) -> Result<Map, MapError> {
        let read = |source| MapError::Read {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_BYTES as u64 {
            return Err(MapError::TooLarge {
                path: path.to_owned(),
                size,
            });
        }
        let bytes = std::fs::read(path).map_err(read)?;
        Map::parse(bytes).map_err(|e| e.at(path))
    }

    /// A map from JSON text (first value only; empty text or `null`: no
    /// mappings).
    pub fn from_json(text: &str) -> Result<Map, MapError> {
        Map::parse(text.as_bytes().to_vec()).map_err(|e| e.at(Path::new("-")))
    }

    fn parse(mut bytes: Vec<u8>) -> Result<Map, ParseError> {
        if bytes.starts_with(segment_bridge_json::BOM) {
            bytes.drain(..segment_bridge_json::BOM.len());
        }
        if bytes.len() > MAX_BYTES {
            return Err(ParseError::TooLarge(bytes.len() as u64));
        }
        let mut s = Scanner::new(&bytes);
        s.skip_ws();
        match s.peek() {
            None => return Ok(Map::none()),
            Some(b'{') => {}
            Some(_) => {
                let kind = s
                    .skip_value(0)
                    .map_err(|e| ParseError::Json(e, bytes.clone()))?;
                if kind == Kind::Null {
                    return Ok(Map::none());
                }
                return Err(ParseError::NotObject(kind.name()));
            }
        }
        let mut members = Members::default();
        if let Err(e) = walk(&mut s, &mut members, 0) {
            return Err(ParseError::Json(e, bytes));
        }
        // Only the first value counts: what follows it is never looked at.
        let end = s.pos;
        bytes.truncate(end);
        let file = match String::from_utf8(bytes) {
            Ok(f) => f,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                return Err(ParseError::Utf8(at, e.into_bytes()));
            }
        };
        let mut table = Table {
            file,
            side: String::new(),
            entries: members.entries,
            slots: Vec::new(),
            texts: HashMap::with_hasher(Fast::default()),
            len: 0,
        };
        table.finish(&members.fix);
        table.index();
        Ok(Map {
            entries: Some(table),
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, |t| t.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value for `key`, if any.
    pub fn get(&self, key: &str) -> Option<MapValue<'_>> {
        self.entries.as_ref()?.get(key)
    }
}

/// What [`Members`] could not leave in place: keys written with escapes,
/// container values, string values written with escapes (by entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    Key(u32),
    Container(u32),
    Text(u32),
}

impl Table {
    /// Moves what [`Members`] marked into the side buffer: decoded keys,
    /// compacted containers, decoded string texts.
    fn finish(&mut self, fixes: &[Fix]) {
        let mut side = Vec::new();
        let mut texts = Vec::new();
        for &fix in fixes {
            let (Fix::Key(n) | Fix::Container(n) | Fix::Text(n)) = fix;
            let Some(e) = self.entries.get(n as usize).copied() else {
                continue;
            };
            let at = side.len();
            let span = |side: &Vec<u8>| Span {
                at: SIDE | at as u32,
                len: (side.len() - at) as u32,
            };
            match fix {
                Fix::Key(_) => {
                    // The span covers the key's quotes.
                    let quoted = &self.file.as_bytes()[e.key.at as usize..][..e.key.len as usize];
                    let _ = Scanner::new(quoted).unescape_string(&mut side);
                    self.entries[n as usize].key = span(&side);
                }
                Fix::Container(_) => {
                    let text = self.text(e.value).as_bytes();
                    if compact_slow(text, &mut side).is_err() {
                        side.truncate(at);
                        side.extend_from_slice(text);
                    }
                    self.entries[n as usize].value = span(&side);
                }
                Fix::Text(_) => {
                    let _ = Scanner::new(self.text(e.value).as_bytes()).unescape_string(&mut side);
                    texts.push((n, span(&side)));
                }
            }
        }
        // Decoded from valid UTF-8 JSON text: valid UTF-8 (lone surrogate
        // escapes are refused by the tokenizer).
        self.side = String::from_utf8(side)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        self.texts.extend(texts);
    }
}

/// The walk's visitor: each member of the top-level object becomes an
/// [`Entry`] (its value validated by the walker, not visited).
#[derive(Default)]
struct Members {
    entries: Vec<Entry>,
    fix: Vec<Fix>,
    key: Span,
    key_escaped: bool,
}

impl Visit<Scanner<'_>> for Members {
    type Err = SyntaxError;

    #[inline]
    fn key(&mut self, s: &mut Scanner<'_>, depth: usize) -> Result<bool, SyntaxError> {
        if depth > 0 {
            s.skip_string()?;
            return Ok(false);
        }
        let start = s.pos;
        self.key_escaped = s.skip_string()?;
        self.key = if self.key_escaped {
            // Kept with its quotes, decoded by `Table::finish`.
            Span {
                at: start as u32,
                len: (s.pos - start) as u32,
            }
        } else {
            Span {
                at: start as u32 + 1,
                len: (s.pos - start - 2) as u32,
            }
        };
        // The value is only validated; `replaced` gets its span.
        Ok(true)
    }

    #[inline]
    fn replaced(&mut self, s: &Scanner<'_>, start: usize) {
        let n = self.entries.len() as u32;
        let text = &s.b[start..s.pos];
        if self.key_escaped {
            self.fix.push(Fix::Key(n));
        }
        match text.first() {
            Some(b'{' | b'[') => self.fix.push(Fix::Container(n)),
            Some(b'"') if text.contains(&b'\\') => self.fix.push(Fix::Text(n)),
            _ => {}
        }
        self.entries.push(Entry {
            key: self.key,
            value: Span {
                at: start as u32,
                len: text.len() as u32,
            },
        });
    }
}

enum ParseError {
    /// Bad JSON, and the text (for the line and column).
    Json(SyntaxError, Vec<u8>),
    Utf8(usize, Vec<u8>),
    NotObject(&'static str),
    TooLarge(u64),
}

/// 1-based line and column (in bytes) of `offset`.
fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

impl ParseError {
    fn at(self, path: &Path) -> MapError {
        let path = path.to_owned();
        match self {
            ParseError::Json(e, text) => {
                let (line, column) = line_column(&text, e.offset);
                MapError::Invalid {
                    path,
                    line,
                    column,
                    source: e.syntax,
                }
            }
            ParseError::Utf8(at, text) => {
                let (line, column) = line_column(&text, at);
                MapError::NotUtf8 { path, line, column }
            }
            ParseError::NotObject(found) => MapError::NotObject { path, found },
            ParseError::TooLarge(size) => MapError::TooLarge { path, size },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_null_and_first_value_only() {
        assert!(Map::from_json("").unwrap().entries.is_none());
        assert!(Map::from_json("  \n").unwrap().entries.is_none());
        assert!(Map::from_json("null").unwrap().entries.is_none());
        let m = Map::from_json(r#"{"a":1} {"b":2} not json"#).unwrap();
        assert_eq!(m.len(), 1);
        assert!(m.get("b").is_none());
        assert!(Map::from_json("[1]").is_err());
        assert!(Map::from_json("{\"a\":").is_err());
    }

    #[test]
    fn values_kept_as_written() {
        let m = Map::from_json(r#"{"a":12345678901234567890123,"b":1.0,"c":"x","d":0,"e":false}"#)
            .unwrap();
        assert_eq!(m.get("a").unwrap().json(), "12345678901234567890123");
        assert_eq!(m.get("b").unwrap().json(), "1.0");
        let odd = Map::from_json(r#"{"a":1E5,"b":-0.0,"c":{"x":1e-7, "x":2E+1},"a":1E6}"#).unwrap();
        assert_eq!(odd.get("a").unwrap().json(), "1E6");
        assert_eq!(odd.get("b").unwrap().json(), "-0.0");
        assert_eq!(odd.get("c").unwrap().json(), r#"{"x":2E+1}"#);
        assert_eq!(odd.len(), 3);
        assert_eq!(m.get("c").unwrap().text, Some("x"));
        assert!(m.get("d").unwrap().kind.truthy());
        assert!(!m.get("e").unwrap().kind.truthy());
    }

    #[test]
    fn escapes_in_keys_and_values_are_decoded() {
        let m = Map::from_json(
            "\u{feff}{ \"a\\u00e9\" : \"x\\ny\" ,\n \"plain\":\"b\\\"c\", \"l\":[1, 2],\"\\u0062\u{e9}\":7, \"\\u0061\\u00e9\":\"z\\t\"}",
        )
        .unwrap();
        let v = m.get("a\u{e9}").unwrap();
        assert_eq!(v.text, Some("z\t"), "the later of two equal keys");
        assert_eq!(v.json(), "\"z\\t\"");
        assert_eq!(m.get("plain").unwrap().text, Some("b\"c"));
        assert_eq!(m.get("l").unwrap().json(), "[1,2]");
        assert_eq!(m.get("b\u{e9}").unwrap().json(), "7");
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let e = Map::from_json("{\"a\":1,\n  \"b\":tru}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`-` is not valid JSON (line 2, column 7)",
            "{e:?}"
        );
        let e = Map::parse(b"{\"a\":\"\xff\"}".to_vec())
            .unwrap_err()
            .at(Path::new("m"));
        assert_eq!(e.to_string(), "`m` is not UTF-8 (line 1, column 7)");
        // What follows the first value may be anything.
        assert_eq!(Map::parse(b"{\"a\":1}\xff".to_vec()).ok().unwrap().len(), 1);
        let e = Map::from_json("\"s\"").unwrap_err();
        assert_eq!(e.to_string(), "`-` holds a JSON string, not an object");
    }

    proptest::proptest! {
        /// Whatever the keys, the table finds each one's last value.
        #[test]
        fn finds_every_key(keys in proptest::collection::vec("\\PC{0,12}", 0..60)) {
            let mut text = String::from("{");
            let mut want = std::collections::HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                if i > 0 { text.push(','); }
                text.push_str(&serde_json::to_string(k).unwrap());
                text.push_str(&format!(":{i}"));
                want.insert(k.clone(), i.to_string());
            }
            text.push('}');
            let m = Map::from_json(&text).unwrap();
            proptest::prop_assert_eq!(m.len(), want.len());
            for (k, v) in &want {
                proptest::prop_assert_eq!(m.get(k).map(|v| v.json().to_owned()), Some(v.clone()));
            }
            let absent = "\u{7f}absent";
            proptest::prop_assert!(m.get(absent).is_none());
        }
    }
}
