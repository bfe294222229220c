//! A compact JSON object of a million entries, for the map makers
//! (`docs/tools/get-uid-map.md`, "Memory").
//!
//! A `serde_json::Map` of `Value`s costs about 280 bytes an entry; this keeps
//! each entry's key and its value's JSON text in one string and 12 bytes of
//! offsets (plus a 4-byte slot of a hash table while the map is built), so a
//! million-entry uid map takes about as much memory as its JSON text.
//! Entries keep the order their keys were first inserted in, and inserting a
//! key again replaces its value in place: what `serde_json::Map` does with
//! `preserve_order`, so the JSON rendered is the same, byte for byte.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;
use serde_json::Value;

/// One entry: its key at `at` in the text, its value right after.
#[derive(Debug, Clone, Copy)]
struct Span {
    at: u32,
    key: u32,
    value: u32,
}

/// A JSON object kept as text (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct EntryMap {
    text: String,
    spans: Vec<Span>,
    /// Entry numbers by key, while inserting; dropped by [`EntryMap::seal`]
    /// and rebuilt by the next insert.
    index: HashTable<u32>,
    hasher: RandomState,
}

/// The text of a map past 4 GiB cannot be addressed by its 32-bit offsets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the map is larger than 4 GiB")]
pub struct TooLarge;

impl EntryMap {
    pub fn new() -> EntryMap {
        EntryMap::default()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn key_of(text: &str, s: Span) -> &str {
        let at = s.at as usize;
        text.get(at..at + s.key as usize).unwrap_or_default()
    }

    fn value_of(text: &str, s: Span) -> &str {
        let at = s.at as usize + s.key as usize;
        text.get(at..at + s.value as usize).unwrap_or_default()
    }

    fn reindex(&mut self) {
        let (text, spans, hasher) = (&self.text, &self.spans, &self.hasher);
        let mut index = HashTable::with_capacity(spans.len());
        for (n, s) in spans.iter().enumerate() {
            let h = hasher.hash_one(Self::key_of(text, *s));
            index.insert_unique(h, n as u32, |&m| {
                hasher.hash_one(Self::key_of(text, spans[m as usize]))
            });
        }
        self.index = index;
    }

    /// Inserts `key` with a value given as JSON text (`42`, `"abc"`): a new
    /// key goes last, a known one keeps its place and takes the new value.
    /// Returns the entry's number (its place) and whether the key was
    /// already there.
    pub fn insert_json(&mut self, key: &str, value: &str) -> Result<(usize, bool), TooLarge> {
        if self.index.len() != self.spans.len() {
            self.reindex();
        }
        let end = self.text.len() + key.len() + value.len();
        let (Ok(at), Ok(klen), Ok(vlen), Ok(_), Ok(n)) = (
            u32::try_from(self.text.len()),
            u32::try_from(key.len()),
            u32::try_from(value.len()),
            u32::try_from(end),
            u32::try_from(self.spans.len()),
        ) else {
            return Err(TooLarge);
        };
        let span = Span {
            at,
            key: klen,
            value: vlen,
        };
        let (text, spans, hasher) = (&self.text, &mut self.spans, &self.hasher);
        let h = hasher.hash_one(key);
        let found = self
            .index
            .find(h, |&m| Self::key_of(text, spans[m as usize]) == key)
            .copied();
        let place = match found {
            // The old value's text stays behind, unused: duplicates are rare.
            Some(m) => {
                spans[m as usize] = span;
                m
            }
            None => {
                self.index.insert_unique(h, n, |&m| {
                    hasher.hash_one(Self::key_of(text, spans[m as usize]))
                });
                spans.push(span);
                n
            }
        };
        self.text.push_str(key);
        self.text.push_str(value);
        Ok((place as usize, found.is_some()))
    }

    /// [`EntryMap::insert_json`] of a `Value`.
    pub fn insert(&mut self, key: &str, value: &Value) -> Result<(usize, bool), TooLarge> {
        self.insert_json(key, &value.to_string())
    }

    /// Whether `key` is in the map.
    pub fn contains_key(&mut self, key: &str) -> bool {
        if self.index.len() != self.spans.len() {
            self.reindex();
        }
        let (text, spans) = (&self.text, &self.spans);
        self.index
            .find(self.hasher.hash_one(key), |&m| {
                Self::key_of(text, spans[m as usize]) == key
            })
            .is_some()
    }

    /// Entries in order: the key and its value's JSON text.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.spans
            .iter()
            .map(|s| (Self::key_of(&self.text, *s), Self::value_of(&self.text, *s)))
    }

    /// Entries in order with their values as `Value`s.
    pub fn values(&self) -> impl Iterator<Item = (&str, Value)> + '_ {
        self.iter()
            .map(|(k, v)| (k, serde_json::from_str(v).unwrap_or(Value::Null)))
    }

    /// Done inserting: drops the index and spare capacity.
    pub fn seal(&mut self) {
        self.index = HashTable::new();
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
    }

    /// Appends the compact JSON object (as `serde_json` writes a `Map`).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.reserve(self.text.len() + 4 * self.spans.len() + 2);
        out.push(b'{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, k);
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The same inserts into a `serde_json::Map` and an `EntryMap` render the
    /// same text.
    fn same(inserts: &[(&str, Value)]) {
        let mut m = serde_json::Map::new();
        let mut e = EntryMap::new();
        for (k, v) in inserts {
            let had = m.insert((*k).to_owned(), v.clone()).is_some();
            assert_eq!(e.insert(k, v).map(|(_, known)| known), Ok(had));
            if inserts.len().is_multiple_of(2) {
                e.seal();
            }
        }
        let mut out = Vec::new();
        e.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&m).unwrap()
        );
        assert_eq!(e.len(), m.len());
        let back: Vec<(String, Value)> = e.values().map(|(k, v)| (k.to_owned(), v)).collect();
        let want: Vec<(String, Value)> = m.into_iter().collect();
        assert_eq!(back, want);
    }

    #[test]
    fn renders_as_serde_json_does() {
        same(&[]);
        same(&[("b", json!(1)), ("a", json!("x")), ("b", json!(2))]);
        same(&[
            ("q\"\\\u{1}é", json!("v\n\"")),
            ("", json!(0)),
            (
                "big",
                serde_json::from_str("123456789012345678901234567890").unwrap(),
            ),
            ("", json!("again")),
        ]);
    }

    proptest::proptest! {
        #[test]
        fn any_inserts_render_as_serde_json_does(
            ops in proptest::collection::vec(("\\PC{0,3}", "\\PC{0,4}|[0-9]{1,5}"), 0..40)
        ) {
            let inserts: Vec<(&str, Value)> = ops
                .iter()
                .map(|(k, v)| (k.as_str(), v.parse::<u64>().map_or(json!(v), |n| json!(n))))
                .collect();
            same(&inserts);
        }
    }
}
