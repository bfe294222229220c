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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

use crate::hash::Fast;
use crate::json::{compact_slow, Kind, Scanner};

/// One value of a map, as JSON text plus what the transform asks of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapValue {
    /// Compact JSON text of the value (number literals as written).
    pub(crate) raw: Box<str>,
    pub(crate) kind: Kind,
    /// The string, when the value is one.
    pub(crate) text: Option<Box<str>>,
}

impl MapValue {
    /// The value as compact JSON text.
    pub fn json(&self) -> &str {
        &self.raw
    }
}

/// A lookup table. `None` inside: the file was empty (or held `null`), and
/// jq's `null[key]` is `null` for any key.
#[derive(Debug, Clone, Default)]
pub struct Map {
    pub(crate) entries: Option<HashMap<Box<str>, MapValue, Fast>>,
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
    #[error("`{}` is not valid JSON", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{}` holds a JSON {found}, not an object", path.display())]
    NotObject { path: PathBuf, found: &'static str },
}

impl Map {
    /// No mappings at all (what an empty map file gives).
    pub fn none() -> Map {
        Map { entries: None }
    }

    /// Reads a map file; only its first JSON value counts.
    pub fn load(path: &Path) -> Result<Map, MapError> {
        let bytes = std::fs::read(path).map_err(|source| MapError::Read {
            path: path.to_owned(),
            source,
        })?;
        Map::parse(&bytes).map_err(|e| match e {
            ParseError::Invalid(source) => MapError::Invalid {
                path: path.to_owned(),
                source,
            },
            ParseError::NotObject(found) => MapError::NotObject {
                path: path.to_owned(),
                found,
            },
        })
    }

    /// A map from JSON text (first value only; empty text or `null`: no
    /// mappings).
    pub fn from_json(text: &str) -> Result<Map, serde_json::Error> {
        Map::parse(text.as_bytes()).map_err(|e| match e {
            ParseError::Invalid(e) => e,
            ParseError::NotObject(found) => {
                <serde_json::Error as serde::de::Error>::custom(format!("a {found}, not an object"))
            }
        })
    }

    fn parse(bytes: &[u8]) -> Result<Map, ParseError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Box<RawValue>>();
        let first = match values.next() {
            None => return Ok(Map::none()),
            Some(Err(e)) => return Err(ParseError::Invalid(e)),
            Some(Ok(v)) => v,
        };
        let text = first.get().as_bytes();
        match text.first() {
            Some(b'{') => {}
            Some(b'n') => return Ok(Map::none()),
            _ => {
                let kind = Scanner::new(text).skip_value(0).unwrap_or(Kind::Null);
                return Err(ParseError::NotObject(kind.name()));
            }
        }
        Ok(Map {
            entries: Some(members(text)),
        })
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, HashMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&MapValue> {
        self.entries.as_ref()?.get(key)
    }
}

/// The members of an object serde_json has already validated (duplicate
/// keys: the last one wins, as in jq).
fn members(text: &[u8]) -> HashMap<Box<str>, MapValue, Fast> {
    let mut entries = HashMap::with_hasher(Fast::default());
    let mut s = Scanner::new(text);
    s.pos = 1;
    let mut key = Vec::new();
    loop {
        s.skip_ws();
        if s.peek() != Some(b'"') {
            break;
        }
        key.clear();
        if s.unescape_string(&mut key).is_err() {
            break;
        }
        s.skip_ws();
        s.pos += 1;
        s.skip_ws();
        let start = s.pos;
        let Ok(kind) = s.skip_value(1) else {
            break;
        };
        let value = map_value(&text[start..s.pos], kind);
        entries.insert(String::from_utf8_lossy(&key).into(), value);
        if !matches!(s.comma_or(b'}'), Ok(true)) {
            break;
        }
    }
    entries
}

fn map_value(text: &[u8], kind: Kind) -> MapValue {
    let mut raw = Vec::with_capacity(text.len());
    if compact_slow(text, &mut raw).is_err() {
        raw = text.to_vec();
    }
    let text = (kind == Kind::String).then(|| {
        let mut decoded = Vec::new();
        let _ = Scanner::new(&raw).unescape_string(&mut decoded);
        String::from_utf8_lossy(&decoded).into()
    });
    MapValue {
        raw: String::from_utf8_lossy(&raw).into(),
        kind,
        text,
    }
}

enum ParseError {
    Invalid(serde_json::Error),
    NotObject(&'static str),
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
        assert_eq!(m.get("c").unwrap().text.as_deref(), Some("x"));
        assert!(m.get("d").unwrap().kind.truthy());
        assert!(!m.get("e").unwrap().kind.truthy());
    }
}
