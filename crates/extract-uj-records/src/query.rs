//! One query of the table, evaluated: which events it selects, the result
//! row it makes of each, and the order Splunk returns its rows in.
//!
//! Order: a search returns events newest first (descending `_time`), and
//! the rows of a query keep that order, except that `dedup … sortby
//! +_time` (the pull-request query) keeps the oldest event of each value
//! and returns them oldest first. Events with the same time keep the
//! reverse of their input order (newest first) or their input order
//! (oldest first) respectively.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};

use querygen::kind::{Kind, CONTEXT};
use querygen::spl::Step;

use crate::eval::{self, json_object, push_json_array, push_json_string, Regexes};
use crate::fields::{Env, Event, Val};
use crate::search;

/// A selected event's row, waiting for the end of the input.
#[derive(Debug)]
pub struct Row {
    /// `_time`, nanoseconds since the epoch (`None`: no time; sorts first).
    pub time: Option<i128>,
    /// Input position, for a stable order among equal times.
    pub seq: u64,
    /// Value of the dedup field (queries with a `dedup` step only).
    pub dedup_key: Option<String>,
    /// The `result` object, as Splunk's export prints it.
    pub result: Stored,
}

/// Where a row's `result` text waits: in memory, or in the spill file.
#[derive(Debug)]
pub enum Stored {
    Mem(String),
    Spilled { offset: u64, len: usize },
}

/// Keeps the `result` texts of the selected rows until the end of the
/// input: in memory up to a bound, then in an anonymous temporary file, so
/// that memory stays flat however many rows a log holds (what stays in
/// memory per spilled row is its time, position and file offset).
pub struct Store {
    limit: usize,
    in_memory: usize,
    file: Option<std::fs::File>,
    end: u64,
}

impl Store {
    /// A store that keeps up to `limit` bytes of text in memory.
    pub fn new(limit: usize) -> Store {
        Store {
            limit,
            in_memory: 0,
            file: None,
            end: 0,
        }
    }

    pub fn put(&mut self, text: String) -> std::io::Result<Stored> {
        if self.in_memory + text.len() <= self.limit {
            self.in_memory += text.len();
            return Ok(Stored::Mem(text));
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.seek(SeekFrom::Start(self.end))?;
        file.write_all(text.as_bytes())?;
        let offset = self.end;
        self.end += text.len() as u64;
        Ok(Stored::Spilled {
            offset,
            len: text.len(),
        })
    }

    /// The text of `stored`, read into `buf` when it was spilled.
    fn get<'a>(&mut self, stored: &'a Stored, buf: &'a mut Vec<u8>) -> std::io::Result<&'a [u8]> {
        match stored {
            Stored::Mem(s) => Ok(s.as_bytes()),
            Stored::Spilled { offset, len } => {
                let file = self.file.as_mut().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no spill file")
                })?;
                file.seek(SeekFrom::Start(*offset))?;
                buf.resize(*len, 0);
                file.read_exact(buf)?;
                Ok(buf)
            }
        }
    }
}

/// One kind's query, ready to run on events.
pub struct Query<'k> {
    pub kind: &'k Kind,
    /// The index every event of the input belongs to.
    index: String,
    columns: Vec<&'static str>,
    dedup: Option<&'static str>,
}

impl<'k> Query<'k> {
    pub fn new(kind: &'k Kind, index: &str) -> Query<'k> {
        let dedup = kind.steps.iter().find_map(|s| match s {
            Step::Dedup { field, .. } => Some(*field),
            _ => None,
        });
        Query {
            kind,
            index: index.to_owned(),
            columns: kind.output_fields(false),
            dedup,
        }
    }

    /// The regular expressions this query uses.
    pub fn regexes(&self, out: &mut Vec<String>) {
        for (_, e) in self.kind.top_level() {
            eval::collect_regexes(&e, out);
        }
        for (_, e) in self.kind.property_fields() {
            eval::collect_regexes(&e, out);
        }
        for s in self.kind.steps {
            eval::step_regexes(s, out);
        }
    }

    /// The row this query makes of `event`, if it selects it.
    pub fn select(
        &self,
        event: &Event,
        fixed: &[(&'static str, String)],
        re: &Regexes,
    ) -> Option<(Option<String>, String)> {
        let mut env = Env::new(event, fixed);
        let selected = self
            .kind
            .head(&self.index)
            .iter()
            .chain(self.kind.predicate)
            .all(|t| search::matches(t, &env));
        if !selected || !self.kind.steps.iter().all(|s| eval::step(s, &mut env, re)) {
            return None;
        }
        let dedup_key = match self.dedup {
            Some(f) => Some(env.get(f).first()?.to_owned()),
            None => None,
        };
        Some((dedup_key, self.result(&env, re)))
    }

    /// `{"col":"value",…}` in the `fields` order, null columns left out.
    fn result(&self, env: &Env<'_>, re: &Regexes) -> String {
        let top = self.kind.top_level();
        let mut out = String::from("{");
        for col in &self.columns {
            let v = match *col {
                "properties" => Val::One(object(&self.kind.property_fields(), env, re)),
                "context" => Val::One(object(CONTEXT, env, re)),
                name => top
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(Val::Null, |(_, e)| eval::eval(e, env, re)),
            };
            if v.is_null() {
                continue;
            }
            if out.len() > 1 {
                out.push(',');
            }
            push_json_string(&mut out, col);
            out.push(':');
            match &v {
                Val::One(s) => push_json_string(&mut out, s),
                other => push_json_array(&mut out, other.values(), push_json_string),
            }
        }
        out.push('}');
        out
    }

    /// The rows in Splunk's order, dedup applied.
    pub fn finish(&self, mut rows: Vec<Row>) -> Vec<Row> {
        if self.dedup.is_none() {
            rows.sort_by_key(|r| std::cmp::Reverse((r.time, r.seq)));
            return rows;
        }
        rows.sort_by_key(|r| (r.time, r.seq));
        let mut seen = HashSet::new();
        rows.retain(|r| r.dedup_key.as_ref().is_some_and(|k| seen.insert(k.clone())));
        rows
    }
}

fn object(fields: &[querygen::kind::Field], env: &Env<'_>, re: &Regexes) -> String {
    let pairs: Vec<(&str, Val)> = fields
        .iter()
        .map(|(k, e)| (*k, eval::eval(e, env, re)))
        .collect();
    json_object(&pairs)
}

/// Writes one query's rows as export lines: `offset` counting from 0, the
/// last row with `"lastrow":true`; no rows: the no-results line.
pub fn write_rows(out: &mut dyn Write, rows: &[Row], store: &mut Store) -> std::io::Result<()> {
    if rows.is_empty() {
        return out.write_all(b"{\"preview\":false,\"lastrow\":true}\n");
    }
    let mut buf = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let last = if i + 1 == rows.len() {
            ",\"lastrow\":true"
        } else {
            ""
        };
        write!(out, "{{\"preview\":false,\"offset\":{i}{last},\"result\":")?;
        out.write_all(store.get(&r.result, &mut buf)?)?;
        out.write_all(b"}\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: u64, store: &mut Store, text: &str) -> Row {
        Row {
            time: None,
            seq,
            dedup_key: None,
            result: store.put(text.to_owned()).unwrap(),
        }
    }

    #[test]
    fn rows_past_the_memory_bound_are_spilled_and_read_back() {
        let mut store = Store::new(10);
        let rows = vec![
            row(0, &mut store, r#"{"a":"1"}"#),
            row(1, &mut store, r#"{"b":"22"}"#),
            row(2, &mut store, r#"{"c":"333"}"#),
        ];
        assert!(matches!(rows[0].result, Stored::Mem(_)));
        assert!(matches!(rows[1].result, Stored::Spilled { offset: 0, .. }));
        assert!(matches!(rows[2].result, Stored::Spilled { offset: 10, .. }));
        let mut out = Vec::new();
        write_rows(&mut out, &rows, &mut store).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                "{\"preview\":false,\"offset\":0,\"result\":{\"a\":\"1\"}}\n",
                "{\"preview\":false,\"offset\":1,\"result\":{\"b\":\"22\"}}\n",
                "{\"preview\":false,\"offset\":2,\"lastrow\":true,\"result\":{\"c\":\"333\"}}\n"
            )
        );
    }
}
