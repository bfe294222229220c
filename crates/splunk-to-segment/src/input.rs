//! The three input formats and how `auto` tells them apart.
//!
//! Splunk's export API sends JSON lines; results saved by hand from the UI
//! come as one `{"results":[…]}` document or as CSV. The document and CSV
//! records are turned into the JSON line the export API would have sent
//! (`{"result":{…}}`) and go through the same transform, so the semantics
//! can't drift apart. In CSV every cell is a string and Splunk writes null
//! or missing fields as empty cells, so an empty cell is an absent field.

use std::io::{BufRead, Cursor, Read};

use segment_bridge_json::token::Syntax;
use segment_bridge_json::{Framer, Value};
use serde::de::IgnoredAny;

use crate::json::{self, Scanner};
use crate::process::{self, At, Part, Sink};
use crate::reject::Rejection;
use crate::transform::Transformer;
use crate::{Error, InputFormat};

pub(crate) fn dispatch(
    format: InputFormat,
    t: &Transformer,
    input: &mut dyn BufRead,
    sink: &mut Sink<'_>,
    threads: usize,
) -> Result<(), Error> {
    let (format, prefix) = match format {
        InputFormat::Auto => sniff(input).map_err(segment_bridge_core::Error::Stdin)?,
        f => (f, Vec::new()),
    };
    let mut chained = Cursor::new(prefix).chain(input);
    match format {
        InputFormat::Json => document(t, &mut chained, sink),
        InputFormat::Csv => csv_records(t, &mut chained, sink),
        _ => process::jsonl(t, &mut chained, sink, threads),
    }
}

/// Looks at the first value (or, when the input does not start with an
/// object, its first non-blank line); returns the format and the bytes read
/// so far (to be read again). An object spread over lines (a pretty-printed
/// row, or a whole document) is read to its end to be told apart.
fn sniff(input: &mut dyn BufRead) -> std::io::Result<(InputFormat, Vec<u8>)> {
    let mut prefix = Vec::new();
    let mut framer = Framer::new();
    let format = std::cell::Cell::new(None);
    let mut judge = |v: Value<'_>| {
        if format.get().is_none() {
            format.set(Some(match v.error {
                None => probe_object(v.bytes),
                // A bad value: the stream reader will report it.
                Some(_) => InputFormat::Jsonl,
            }));
        }
        Ok::<(), std::convert::Infallible>(())
    };
    let mut number = 0;
    loop {
        let start = prefix.len();
        if input.read_until(b'\n', &mut prefix)? == 0 {
            let _ = framer.finish_input(number, &mut judge);
            return Ok((format.get().unwrap_or(InputFormat::Jsonl), prefix));
        }
        number += 1;
        let mut line = &prefix[start..];
        if start == 0 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        let line = line.trim_ascii();
        if !framer.in_value() {
            match line.first() {
                None => continue,
                Some(b'{') => {}
                Some(b'[') => return Ok((InputFormat::Json, prefix)),
                Some(_) => return Ok((scalar_or_csv(line), prefix)),
            }
        }
        let _ = framer.feed_line(number, line, &mut judge);
        if let Some(f) = format.get() {
            return Ok((f, prefix));
        }
    }
}

/// A first line that is not an object or array: JSON (a marker such as
/// `null`, read as JSON lines), a CSV header (it names a field the
/// transform reads, as the header of a Splunk export of our searches does),
/// or neither: a bad first record of a JSON stream, which the stream reader
/// reports before reading on. Taking any such line for a header would make
/// every row after it a bad CSV record.
fn scalar_or_csv(line: &[u8]) -> InputFormat {
    let mut s = json::Scanner::new(line);
    if s.skip_value(0).and_then(|_| s.expect_end()).is_ok() {
        return InputFormat::Jsonl;
    }
    let mut header = csv::ByteRecord::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    match rdr.read_byte_record(&mut header) {
        Ok(true) if header.iter().any(crate::record::is_result_field) => InputFormat::Csv,
        _ => InputFormat::Jsonl,
    }
}

#[derive(serde::Deserialize)]
struct Probe {
    result: Option<IgnoredAny>,
    results: Option<IgnoredAny>,
}

/// A first value that is an object: an export row, or a document.
fn probe_object(value: &[u8]) -> InputFormat {
    match serde_json::from_slice::<Probe>(value) {
        Ok(p) if p.results.is_some() && p.result.is_none() => InputFormat::Json,
        _ => InputFormat::Jsonl,
    }
}

/// Wraps one result as the export row it would have been.
fn row_of(result: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(result.len() + 11);
    line.extend_from_slice(b"{\"result\":");
    line.extend_from_slice(result);
    line.push(b'}');
    line
}

/// A whole `{"results":[…]}` document (or a bare array of results), read
/// into memory: the UI saves small ones. Each result is compacted the slow
/// way (literals as written, duplicate keys as jq treats them) into the row
/// the export API would have sent.
fn document(t: &Transformer, input: &mut dyn Read, sink: &mut Sink<'_>) -> Result<(), Error> {
    let mut data = Vec::new();
    input
        .read_to_end(&mut data)
        .map_err(segment_bridge_core::Error::Stdin)?;
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&data);
    let mut s = Scanner::new(body);
    s.skip_ws();
    let results = match s.peek() {
        Some(b'[') => s.pos,
        Some(b'{') => results_member(&mut s)?,
        _ => {
            s.skip_value(0).map_err(Error::Document)?;
            return Err(Error::NoResults);
        }
    };
    if s.pos == results {
        s.skip_value(0).map_err(Error::Document)?;
    }
    s.expect_end().map_err(Error::Document)?;
    let mut a = Scanner::new(body);
    a.pos = results + 1;
    a.skip_ws();
    if a.peek() == Some(b']') {
        return Ok(());
    }
    let mut part = Part::default();
    let mut result = Vec::new();
    for number in 1.. {
        a.skip_ws();
        let start = a.pos;
        a.skip_value(1).map_err(Error::Document)?;
        result.clear();
        json::compact_slow(&body[start..a.pos], &mut result).map_err(Error::Document)?;
        sink.record(t, At::Record(number), &row_of(&result), &mut part)?;
        if !a.comma_or(b']').map_err(Error::Document)? {
            break;
        }
    }
    Ok(())
}

/// Reads the top-level object (scanner at its `{`, left after its `}`);
/// returns where its last `results` member's array starts.
fn results_member(s: &mut Scanner<'_>) -> Result<usize, Error> {
    s.pos += 1;
    let mut results = None;
    let mut key = Vec::new();
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
        return Err(Error::NoResults);
    }
    loop {
        s.skip_ws();
        if s.peek() != Some(b'"') {
            return Err(Error::Document(s.err(Syntax::ExpectedKey)));
        }
        key.clear();
        s.unescape_string(&mut key).map_err(Error::Document)?;
        s.skip_ws();
        s.expect_byte(b':', Syntax::ExpectedColon)
            .map_err(Error::Document)?;
        s.skip_ws();
        if key == b"results" {
            results = (s.peek() == Some(b'[')).then_some(s.pos);
        }
        s.skip_value(1).map_err(Error::Document)?;
        if !s.comma_or(b'}').map_err(Error::Document)? {
            return results.ok_or(Error::NoResults);
        }
    }
}

fn csv_records(t: &Transformer, input: &mut dyn Read, sink: &mut Sink<'_>) -> Result<(), Error> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers: Vec<String> = rdr
        .byte_headers()
        .map_err(Error::Csv)?
        .iter()
        .map(|h| {
            let h = h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h);
            String::from_utf8(h.to_vec()).map_err(|_| Error::CsvHeader)
        })
        .collect::<Result<_, _>>()?;
    let mut part = Part::default();
    let mut rec = csv::ByteRecord::new();
    let mut result = Vec::new();
    while rdr.read_byte_record(&mut rec).map_err(Error::Csv)? {
        let number = rec.position().map_or(0, csv::Position::line);
        result.clear();
        result.push(b'{');
        let mut bad_utf8 = None;
        for (h, cell) in headers.iter().zip(rec.iter()) {
            if cell.is_empty() {
                continue;
            }
            let Ok(cell) = std::str::from_utf8(cell) else {
                bad_utf8 = Some(h.as_str());
                continue;
            };
            if result.len() > 1 {
                result.push(b',');
            }
            json::write_str(&mut result, h);
            result.push(b':');
            json::write_str(&mut result, cell);
        }
        result.push(b'}');
        let raw = row_of(&result);
        let problem = if let Some(h) = bad_utf8 {
            Some(Rejection::CsvUtf8(h.into()))
        } else if rec.len() != headers.len() {
            Some(Rejection::CsvFields {
                got: rec.len(),
                want: headers.len(),
            })
        } else {
            None
        };
        match problem {
            Some(reason) => sink.reject_counted(At::Line(number), reason, &raw)?,
            None => sink.record(t, At::Line(number), &raw, &mut part)?,
        }
    }
    Ok(())
}
