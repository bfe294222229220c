//! The `lookup` command in the Splunk stand-in's searches
//! (`docs/apis/splunk.md`, "Lookups"): the rows a rule serves go through
//! the search's `|lookup …` commands, evaluated against the stand-in's KV
//! store collections, and are then cut to the search's final `|fields`
//! list in its order, as a real Splunk's export prints them. So
//! `querygen --uid-lookup … --ws-lookup …` searches get their `sso_id` and
//! `owner_sso_id` from whatever the map makers wrote into the KV store, at
//! the moment the search runs.
//!
//! The subset evaluated: `lookup [local=…] [update=…] NAME FIELD [AS
//! EVENT_FIELD] (OUTPUT|OUTPUTNEW) SRC [AS DEST][, …]`, one match field.
//! `NAME` is a lookup definition, mapped to a collection by
//! [`Config::lookups`](crate::splunk::Config::lookups); a name without a
//! definition fails the search as Splunk does (200, empty body). Values
//! are compared as strings, case-sensitively (Splunk's default); a matched
//! value is copied as a string (Splunk's search results hold strings);
//! `OUTPUT` without a match leaves the destination field null (absent),
//! `OUTPUTNEW` leaves an existing field alone.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// One `lookup` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The lookup definition's name.
    pub definition: String,
    /// The field of the lookup's documents that is matched.
    pub match_field: String,
    /// The event's field whose value is matched.
    pub event_field: String,
    /// `(document field, event field)` copied on a match.
    pub outputs: Vec<(String, String)>,
    /// `OUTPUTNEW`: only fill fields the event does not have.
    pub output_new: bool,
}

/// The `lookup` commands of `search`, in order.
pub fn lookups(search: &str) -> Vec<Lookup> {
    search
        .split('|')
        .filter_map(|cmd| cmd.trim().strip_prefix("lookup "))
        .filter_map(parse_lookup)
        .collect()
}

fn parse_lookup(args: &str) -> Option<Lookup> {
    let tokens: Vec<String> = args
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_matches('"').to_owned())
        .collect();
    let mut it = tokens
        .into_iter()
        .skip_while(|t| t.starts_with("local=") || t.starts_with("update="))
        .peekable();
    let definition = it.next()?;
    let match_field = it.next()?;
    let mut event_field = match_field.clone();
    if it.peek().is_some_and(|t| t.eq_ignore_ascii_case("AS")) {
        it.next();
        event_field = it.next()?;
    }
    let mode = it.next()?;
    let output_new = if mode.eq_ignore_ascii_case("OUTPUTNEW") {
        true
    } else if mode.eq_ignore_ascii_case("OUTPUT") {
        false
    } else {
        return None;
    };
    let mut outputs = Vec::new();
    while let Some(src) = it.next() {
        let mut dest = src.clone();
        if it.peek().is_some_and(|t| t.eq_ignore_ascii_case("AS")) {
            it.next();
            dest = it.next()?;
        }
        outputs.push((src, dest));
    }
    Some(Lookup {
        definition,
        match_field,
        event_field,
        outputs,
        output_new,
    })
}

/// The search's last `fields` list that keeps fields (`fields a,b,c`), if
/// any.
pub fn final_fields(search: &str) -> Option<Vec<String>> {
    search
        .split('|')
        .filter_map(|cmd| cmd.trim().strip_prefix("fields "))
        .map(str::trim)
        .rfind(|list| !list.starts_with('-'))
        .map(|list| {
            list.trim_start_matches('+')
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
}

/// A lookup definition the search names that the stand-in has not got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingLookup(pub String);

/// Runs the `lookup` commands of `search` over `rows` (export lines),
/// with `docs` giving each definition's documents (`None`: no such
/// definition), then cuts each `result` to the final `fields` list.
/// Searches without a `lookup` get their rows back as they were.
pub fn evaluate<'a>(
    search: &str,
    rows: Vec<String>,
    docs: impl Fn(&str) -> Option<&'a [Value]>,
) -> Result<Vec<String>, MissingLookup> {
    let cmds = lookups(search);
    if cmds.is_empty() {
        return Ok(rows);
    }
    let mut tables = Vec::with_capacity(cmds.len());
    for l in &cmds {
        let Some(d) = docs(&l.definition) else {
            return Err(MissingLookup(l.definition.clone()));
        };
        tables.push(index(d, &l.match_field));
    }
    let fields = final_fields(search);
    Ok(rows
        .into_iter()
        .map(|line| {
            let Ok(Value::Object(mut row)) = serde_json::from_str::<Value>(&line) else {
                return line;
            };
            let Some(Value::Object(result)) = row.get_mut("result") else {
                return line;
            };
            for (l, table) in cmds.iter().zip(&tables) {
                apply(l, table, result);
            }
            if let Some(fields) = &fields {
                let mut kept = Map::new();
                for f in fields {
                    if let Some(v) = result.remove(f) {
                        kept.insert(f.clone(), v);
                    }
                }
                *result = kept;
            }
            Value::Object(row).to_string()
        })
        .collect())
}

/// The documents by the string value of `field` (the first one wins).
fn index<'a>(docs: &'a [Value], field: &str) -> HashMap<String, &'a Map<String, Value>> {
    let mut out = HashMap::new();
    for d in docs {
        if let (Some(obj), Some(v)) = (d.as_object(), d.get(field).and_then(as_text)) {
            out.entry(v).or_insert(obj);
        }
    }
    out
}

fn apply(
    l: &Lookup,
    table: &HashMap<String, &Map<String, Value>>,
    result: &mut Map<String, Value>,
) {
    let hit = result
        .get(&l.event_field)
        .and_then(as_text)
        .and_then(|v| table.get(&v));
    for (src, dest) in &l.outputs {
        if l.output_new && result.contains_key(dest) {
            continue;
        }
        match hit.and_then(|doc| doc.get(src)).and_then(as_text) {
            Some(v) => {
                result.insert(dest.clone(), Value::String(v));
            }
            None => {
                result.remove(dest);
            }
        }
    }
}

/// A value as Splunk's search results hold it: text (`null` has none).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_lookup_forms_querygen_writes() {
        let s = "search x|eval a=1|lookup uids username AS userId OUTPUT sso_id|lookup ws namespace OUTPUT owner|lookup local=true uids username AS owner OUTPUTNEW sso_id AS owner_sso_id, username AS u|fields a,b|fields - _*";
        let ls = lookups(s);
        assert_eq!(ls.len(), 3);
        assert_eq!(ls[0].event_field, "userId");
        assert_eq!(ls[1].event_field, "namespace");
        assert_eq!(
            ls[2].outputs,
            vec![
                ("sso_id".to_owned(), "owner_sso_id".to_owned()),
                ("username".to_owned(), "u".to_owned())
            ]
        );
        assert!(ls[2].output_new);
        assert_eq!(final_fields(s), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert!(lookups("search lookup=1 | stats count").is_empty());
    }

    #[test]
    fn evaluates_against_documents_and_cuts_to_the_fields() {
        let uids = [
            json!({"_key": "alice", "username": "alice", "sso_id": 123}),
            json!({"_key": "bob", "username": "bob", "sso_id": "b-1"}),
        ];
        let ws = [json!({"_key": "ns1", "namespace": "ns1", "owner": "bob"})];
        let search = "search x|lookup uids username AS userId OUTPUT sso_id|lookup ws namespace OUTPUT owner|lookup uids username AS owner OUTPUT sso_id AS owner_sso_id|fields namespace,owner,owner_sso_id,sso_id,userId|fields - _*";
        let rows = vec![
            r#"{"preview":false,"result":{"userId":"alice","namespace":"ns1","sso_id":"stale","x":"1"}}"#.to_owned(),
            r#"{"preview":false,"result":{"namespace":"ns2","userId":"carol"}}"#.to_owned(),
            r#"{"preview":false,"lastrow":true}"#.to_owned(),
        ];
        let docs = |name: &str| match name {
            "uids" => Some(&uids[..]),
            "ws" => Some(&ws[..]),
            _ => None,
        };
        let out = evaluate(search, rows, docs).unwrap();
        assert_eq!(
            out,
            vec![
                r#"{"preview":false,"result":{"namespace":"ns1","owner":"bob","owner_sso_id":"b-1","sso_id":"123","userId":"alice"}}"#,
                r#"{"preview":false,"result":{"namespace":"ns2","userId":"carol"}}"#,
                r#"{"preview":false,"lastrow":true}"#,
            ]
        );
        assert_eq!(
            evaluate("search x|lookup nope a OUTPUT b", vec![], docs),
            Err(MissingLookup("nope".into()))
        );
        let plain = vec!["not json".to_owned()];
        assert_eq!(
            evaluate("search x|fields a", plain.clone(), docs).unwrap(),
            plain
        );
    }
}
