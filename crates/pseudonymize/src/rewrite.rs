//! Rewriting one event: every listed field's value replaced by its keyed
//! hash, everything else copied byte for byte (white space outside strings
//! removed, as every tool here emits events compact). Number literals,
//! string escapes and key order stay as written because nothing is parsed
//! into a value and printed again: the walker copies runs of the input and
//! splices the replacements in.
//!
//! What is replaced, per listed field (docs/tools/pseudonymize.md):
//! - a string: the HMAC of its decoded text (UTF-8), as a JSON string;
//! - a number: the HMAC of its literal as written, so `66507147` and
//!   `"66507147"` give the same id and joins across sources still work;
//! - `null`, `""` and an absent field: left as they are (nothing to hide,
//!   and an empty `userId` must stay empty for Segment's rules);
//! - `true`/`false`, an object or an array: the event is rejected, never
//!   sent with that field in the clear.
//!
//! A key that occurs twice in one object has both values replaced, so
//! whichever one a reader keeps is pseudonymous. Paths go through objects
//! only; a path that meets an array or a scalar on the way matches
//! nothing.

use segment_bridge_json::token::{self, Scalar, SyntaxError};

use crate::keyed::Keyed;

/// The fields to replace, as a tree of keys (`properties.workspaceID` is
/// `properties` → `workspaceID`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fields {
    children: Vec<(Vec<u8>, Fields)>,
    /// This node is itself a listed field.
    listed: bool,
}

/// A field path that can't be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "field path `{0}` has an empty key (write keys separated by dots: `properties.workspaceID`)"
)]
pub struct BadPath(pub String);

impl Fields {
    /// The tree of `paths`: keys separated by dots, an optional leading dot
    /// (`.userId` as jq writes it).
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<Fields, BadPath> {
        let mut root = Fields::default();
        for path in paths {
            let trimmed = path.trim();
            let keys = trimmed.strip_prefix('.').unwrap_or(trimmed);
            let mut node = &mut root;
            for key in keys.split('.') {
                if key.is_empty() {
                    return Err(BadPath(path.to_owned()));
                }
                let at = match node.children.iter().position(|(k, _)| k == key.as_bytes()) {
                    Some(i) => i,
                    None => {
                        node.children
                            .push((key.as_bytes().to_vec(), Fields::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at].1;
            }
            node.listed = true;
        }
        Ok(root)
    }

    fn child(&self, key: &[u8]) -> Option<&Fields> {
        self.children.iter().find(|(k, _)| k == key).map(|(_, f)| f)
    }
}

/// Why an event is not passed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unfit {
    #[error("not a JSON object")]
    NotObject,
    #[error("`{path}` is {kind}; only a string or a number can be pseudonymized")]
    NotScalar { path: String, kind: &'static str },
    #[error("invalid JSON: {0}")]
    Syntax(#[from] SyntaxError),
}

/// What one event came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    /// Values replaced.
    pub replaced: u64,
}

/// Writes the compact rewrite of `event` (one whole JSON value) to `out`.
/// On an error, `out` holds part of the event: the caller truncates it.
pub fn rewrite(
    event: &[u8],
    fields: &Fields,
    keyed: &Keyed,
    out: &mut Vec<u8>,
) -> Result<Rewritten, Unfit> {
    let start = token::skip_ws(event, 0);
    if event.get(start) != Some(&b'{') {
        return Err(Unfit::NotObject);
    }
    let mut w = Walker {
        b: event,
        out,
        keyed,
        path: Vec::new(),
        key: Vec::new(),
        value: Vec::new(),
        done: Rewritten::default(),
    };
    let end = w.object(start, fields)?;
    if token::skip_ws(event, end) != event.len() {
        return Err(Unfit::Syntax(token::Syntax::ExpectedValue.at(end)));
    }
    Ok(w.done)
}

/// What follows an item of an object or array.
enum Next {
    /// Another item, at this index.
    Item(usize),
    /// The container closed; the index after it.
    Closed(usize),
}

struct Walker<'a> {
    b: &'a [u8],
    out: &'a mut Vec<u8>,
    keyed: &'a Keyed,
    /// The keys down to where the walk is (for messages).
    path: Vec<Vec<u8>>,
    /// Scratch: a decoded key, a decoded string value.
    key: Vec<u8>,
    value: Vec<u8>,
    done: Rewritten,
}

impl Walker<'_> {
    /// The object at `i` (its `{`), members under `fields`; returns the
    /// index after its `}`.
    fn object(&mut self, i: usize, fields: &Fields) -> Result<usize, Unfit> {
        let b = self.b;
        let mut i = match self.open(i, b'}') {
            Next::Item(first) => first,
            Next::Closed(end) => return Ok(end),
        };
        loop {
            // A key, as written, and decoded for the comparison.
            let key_start = i;
            if b.get(i) != Some(&b'"') {
                return Err(token::bad_value_start(b, i).into());
            }
            self.key.clear();
            let key_end = token::unescape(b, i, &mut self.key)?;
            self.out.extend_from_slice(&b[key_start..key_end]);
            i = token::skip_ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return Err(token::Syntax::ExpectedValue.at(i).into());
            }
            self.out.push(b':');
            i = token::skip_ws(b, i + 1);
            i = match fields.child(&self.key) {
                Some(f) if f.listed => {
                    let key = std::mem::take(&mut self.key);
                    self.path.push(key);
                    let end = self.replace(i)?;
                    self.key = self.path.pop().unwrap_or_default();
                    end
                }
                Some(f) if b.get(i) == Some(&b'{') => {
                    self.path.push(self.key.clone());
                    let end = self.object(i, f)?;
                    self.path.pop();
                    end
                }
                _ => self.copy(i)?,
            };
            match self.after_item(i, b'}')? {
                Next::Item(next) => i = next,
                Next::Closed(end) => return Ok(end),
            }
        }
    }

    /// The opening bracket at `i` (copied), then: the first item's index,
    /// or `close` right away (copied; the index after it).
    fn open(&mut self, i: usize, close: u8) -> Next {
        let b = self.b;
        self.out.push(b[i]);
        let i = token::skip_ws(b, i + 1);
        if b.get(i) == Some(&close) {
            self.out.push(close);
            Next::Closed(i + 1)
        } else {
            Next::Item(i)
        }
    }

    /// After a member or element ending at `i`: a comma (copied; the next
    /// item's index) or `close` (copied; the index after it).
    fn after_item(&mut self, i: usize, close: u8) -> Result<Next, Unfit> {
        let b = self.b;
        let i = token::skip_ws(b, i);
        match b.get(i) {
            Some(b',') => {
                self.out.push(b',');
                Ok(Next::Item(token::skip_ws(b, i + 1)))
            }
            Some(&c) if c == close => {
                self.out.push(close);
                Ok(Next::Closed(i + 1))
            }
            _ => Err(token::Syntax::ExpectedValue.at(i).into()),
        }
    }

    /// The listed field's value at `i`, replaced; returns the index after it.
    fn replace(&mut self, i: usize) -> Result<usize, Unfit> {
        let b = self.b;
        match b.get(i) {
            Some(b'{') => return Err(self.not_scalar("an object")),
            Some(b'[') => return Err(self.not_scalar("an array")),
            _ => {}
        }
        let (scalar, end) = token::scalar(b, i)?;
        let text: &[u8] = match scalar {
            Scalar::True | Scalar::False => return Err(self.not_scalar("a boolean")),
            Scalar::Null => b"",
            Scalar::Number => &b[i..end],
            Scalar::String => {
                self.value.clear();
                token::unescape(b, i, &mut self.value)?;
                &self.value
            }
        };
        if text.is_empty() {
            self.out.extend_from_slice(&b[i..end]);
        } else {
            let mut hex = String::with_capacity(66);
            hex.push('"');
            self.keyed.hex_into(text, &mut hex);
            hex.push('"');
            self.out.extend_from_slice(hex.as_bytes());
            self.done.replaced += 1;
        }
        Ok(end)
    }

    fn not_scalar(&self, kind: &'static str) -> Unfit {
        let path = self
            .path
            .iter()
            .map(|k| String::from_utf8_lossy(k))
            .collect::<Vec<_>>()
            .join(".");
        Unfit::NotScalar { path, kind }
    }

    /// Copies the value at `i` compactly; returns the index after it.
    fn copy(&mut self, i: usize) -> Result<usize, Unfit> {
        let b = self.b;
        match b.get(i) {
            Some(b'{') => self.object(i, &Fields::default()),
            Some(b'[') => {
                let mut i = match self.open(i, b']') {
                    Next::Item(first) => first,
                    Next::Closed(end) => return Ok(end),
                };
                loop {
                    i = self.copy(i)?;
                    match self.after_item(i, b']')? {
                        Next::Item(next) => i = next,
                        Next::Closed(end) => return Ok(end),
                    }
                }
            }
            _ => {
                let (_, end) = token::scalar(b, i)?;
                self.out.extend_from_slice(&b[i..end]);
                Ok(end)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed() -> Keyed {
        Keyed::from_bytes(b"unit-test-key-0123456789abcdef")
    }

    fn run(event: &str, paths: &[&str]) -> Result<(String, u64), Unfit> {
        let fields = Fields::new(paths.iter().copied()).unwrap();
        let mut out = Vec::new();
        let done = rewrite(event.as_bytes(), &fields, &keyed(), &mut out)?;
        Ok((String::from_utf8(out).unwrap(), done.replaced))
    }

    fn h(v: &str) -> String {
        keyed().hex(v.as_bytes())
    }

    #[test]
    fn listed_fields_are_replaced_and_the_rest_is_kept_as_written() {
        let event = r#"{ "messageId":"m1", "userId": 66507147, "n": 1.50E+3, "s":"a\/b\u00e9",
            "properties": {"workspaceID": "ws\u0031", "x": [1, {"workspaceID": "in-array"}]} }"#;
        let (out, n) = run(event, &["userId", ".properties.workspaceID"]).unwrap();
        assert_eq!(
            out,
            format!(
                r#"{{"messageId":"m1","userId":"{}","n":1.50E+3,"s":"a\/b\u00e9","properties":{{"workspaceID":"{}","x":[1,{{"workspaceID":"in-array"}}]}}}}"#,
                h("66507147"),
                h("ws1")
            )
        );
        assert_eq!(n, 2);
    }

    #[test]
    fn a_number_and_its_digits_as_a_string_are_one_id() {
        let (a, _) = run(r#"{"userId":42}"#, &["userId"]).unwrap();
        let (b, _) = run(r#"{"userId":"42"}"#, &["userId"]).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn empty_null_and_absent_stay_and_duplicates_are_all_replaced() {
        assert_eq!(
            run(
                r#"{"userId":"","namespace":null}"#,
                &["userId", "namespace"]
            )
            .unwrap(),
            (r#"{"userId":"","namespace":null}"#.to_owned(), 0)
        );
        let (out, n) = run(r#"{"userId":"a","userId":"b"}"#, &["userId"]).unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            out,
            format!(r#"{{"userId":"{}","userId":"{}"}}"#, h("a"), h("b"))
        );
        // A key written with an escape is the same key.
        let (out, _) = run(r#"{"user\u0049d":"a"}"#, &["userId"]).unwrap();
        assert_eq!(out, format!(r#"{{"user\u0049d":"{}"}}"#, h("a")));
    }

    #[test]
    fn what_cannot_be_pseudonymized_is_rejected() {
        assert_eq!(run("[1]", &["userId"]), Err(Unfit::NotObject));
        assert_eq!(
            run(
                r#"{"properties":{"workspaceID":{"id":1}}}"#,
                &["properties.workspaceID"]
            ),
            Err(Unfit::NotScalar {
                path: "properties.workspaceID".into(),
                kind: "an object"
            })
        );
        assert!(matches!(
            run(r#"{"userId":true}"#, &["userId"]),
            Err(Unfit::NotScalar {
                kind: "a boolean",
                ..
            })
        ));
    }

    #[test]
    fn paths_need_keys() {
        assert_eq!(Fields::new(["a..b"]), Err(BadPath("a..b".into())));
        assert_eq!(Fields::new([""]), Err(BadPath(String::new())));
        assert!(Fields::new(["a.b", "a"]).is_ok());
    }
}
