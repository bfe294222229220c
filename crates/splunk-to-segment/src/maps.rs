//! The two lookup tables: uid map (cluster username → SSO id) and workspace
//! map (namespace → owner username), read from the files get-uid-map and
//! get-workspace-map write.
//!
//! The original slurped each file into jq (`--slurpfile`) and indexed its
//! first value, so: an empty file is "no mappings" (every row is then
//! dropped), only the first JSON value counts, and a value is used exactly
//! as it is in the map (a numeric SSO id stays a number literal). Values are
//! kept as compact JSON text, ready to be written out.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::json::Kind;

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
        let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
        let obj = match values.next() {
            None | Some(Ok(Value::Null)) => return Ok(Map::none()),
            Some(Err(e)) => return Err(ParseError::Invalid(e)),
            Some(Ok(Value::Object(obj))) => obj,
            Some(Ok(other)) => return Err(ParseError::NotObject(Kind::of(&other).name())),
        };
        let mut entries = HashMap::with_capacity_and_hasher(obj.len(), Fast::default());
        for (k, v) in obj {
            let raw = serde_json::to_string(&v).map_err(ParseError::Invalid)?;
            let value = MapValue {
                raw: raw.into_boxed_str(),
                kind: Kind::of(&v),
                text: v.as_str().map(Box::from),
            };
            entries.insert(k.into_boxed_str(), value);
        }
        Ok(Map {
            entries: Some(entries),
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

/// A fast non-cryptographic hasher for the map keys: the keys come from our
/// own clusters, and SipHash showed in profiles of three look-ups a row.
pub(crate) type Fast = BuildHasherDefault<FastHasher>;

#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = crate::json::fold_mul(h ^ u64::from_le_bytes(w), K);
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = crate::json::fold_mul(h ^ u64::from_le_bytes(w), K ^ rest.len() as u64);
        self.0 = h;
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
        assert_eq!(m.get("c").unwrap().text.as_deref(), Some("x"));
        assert!(m.get("d").unwrap().kind.truthy());
        assert!(!m.get("e").unwrap().kind.truthy());
    }
}
