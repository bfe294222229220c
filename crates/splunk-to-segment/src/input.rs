//! The three input formats and how `auto` tells them apart.
//!
//! Splunk's export API sends JSON lines; results saved by hand from the UI
//! come as one `{"results":[…]}` document or as CSV. The document and CSV
//! records are turned into the JSON line the export API would have sent
//! (`{"result":{…}}`) and go through the same transform, so the semantics
//! can't drift apart. In CSV every cell is a string and Splunk writes null
//! or missing fields as empty cells, so an empty cell is an absent field.

use std::io::{BufRead, Cursor, Read};

use segment_bridge_json::jq::Fixes;
use segment_bridge_json::token::SyntaxError;
use segment_bridge_json::{Framer, StreamError, Value, BOM};
use serde::de::IgnoredAny;

use crate::json::{self, Scanner};
use crate::process::{self, At, Part, Sink};
use crate::reject::Rejection;
use crate::transform::Transformer;
use crate::walk::{walk, Validate, Visit};
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
                // A bad value: a document that breaks part-way (its rows
                // before the break still count), or a bad row, which the
                // stream reader reports.
                Some(_) => broken_document(v.bytes),
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
            line = line.strip_prefix(BOM).unwrap_or(line);
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

/// A bad first value that is a document all the same: an object whose
/// `results` array starts before the break.
fn broken_document(value: &[u8]) -> InputFormat {
    let mut s = Scanner::new(value);
    s.skip_ws();
    match s.peek() {
        Some(b'{') if matches!(results_member(&mut s), Ok((Some(_), _))) => InputFormat::Json,
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
/// the export API would have sent. A document that breaks part-way (cut
/// off, or bad JSON in a row) still gives the rows before the break; the
/// break is one rejected record, reported with its line and column, its
/// text from the broken row on going to the rejects file (exit 3).
fn document(t: &Transformer, input: &mut dyn Read, sink: &mut Sink<'_>) -> Result<(), Error> {
    let mut data = Vec::new();
    input
        .read_to_end(&mut data)
        .map_err(segment_bridge_core::Error::Stdin)?;
    let body = data.strip_prefix(BOM).unwrap_or(&data);
    // Several documents one after the other are read one by one, as jq
    // reads a text stream (`[][]`).
    let mut s = Scanner::new(body);
    s.skip_ws();
    let mut number = 1;
    while s.pos < body.len() {
        match one_document(t, sink, body, s.pos, &mut number)? {
            Some(end) => s.pos = end,
            None => return Ok(()),
        }
        s.skip_ws();
    }
    Ok(())
}

/// The document at `start`: its rows (numbered on from `number`); returns
/// where it ends, or `None` when it broke (the break reported).
fn one_document(
    t: &Transformer,
    sink: &mut Sink<'_>,
    body: &[u8],
    start: usize,
    number: &mut u64,
) -> Result<Option<usize>, Error> {
    let stop = |r: Result<(), Error>| r.map(|()| None);
    let mut s = Scanner::new(body);
    s.pos = start;
    let (results, broken) = match s.peek() {
        Some(b'[') => (s.pos, None),
        Some(b'{') => match results_member(&mut s)? {
            (Some(r), e) => (r, e),
            (None, Some(e)) => return stop(broken_at(sink, body, start, *number, e)),
            (None, None) => return Err(Error::NoResults),
        },
        _ => {
            let e = match s.skip_value(0) {
                Err(e) => e,
                Ok(_) => return Err(Error::NoResults),
            };
            return stop(broken_at(sink, body, start, *number, e));
        }
    };
    let broken = match broken {
        None if s.pos == results => s.skip_value(0).err(),
        b => b,
    };
    let end = s.pos;
    let mut rows = Rows {
        t,
        sink,
        body,
        number: *number,
        row: None,
        part: Part::default(),
        result: Vec::new(),
    };
    let mut a = Scanner::new(body);
    a.pos = results;
    let walked = walk(&mut a, &mut rows, 0);
    *number = rows.number;
    match walked {
        Ok(_) => match broken {
            // After the results (`number` 0), from the end of the array on.
            Some(e) => stop(broken_at(sink, body, a.pos, 0, e)),
            None => Ok(Some(end)),
        },
        Err(Stop::Sink(e)) => Err(e),
        // In a row: that row is the break; between rows (a bad separator),
        // the break is where the next row would be.
        Err(Stop::Syntax(e)) => {
            let from = rows.row.unwrap_or(e.offset);
            stop(broken_at(sink, body, from, *number, e))
        }
    }
}

/// The walk of a document's `results` array: each element is a result,
/// validated, compacted the slow way and handed to the sink as the export
/// row it would have been (`row_of`), numbered on from `number`.
struct Rows<'a, 'o, 'k> {
    t: &'a Transformer,
    sink: &'a mut Sink<'o>,
    body: &'k [u8],
    number: u64,
    /// Where the row being read starts (`None` between rows).
    row: Option<usize>,
    part: Part,
    result: Vec<u8>,
}

/// Why the walk of the results stopped: the document broke, or the sink
/// failed (an output error, which ends the run).
enum Stop {
    Syntax(SyntaxError),
    Sink(Error),
}

impl From<SyntaxError> for Stop {
    fn from(e: SyntaxError) -> Stop {
        Stop::Syntax(e)
    }
}

impl<'k> Visit<Scanner<'k>> for Rows<'_, '_, 'k> {
    type Err = Stop;

    fn element(&mut self, s: &mut Scanner<'k>, depth: usize) -> Result<(), Stop> {
        let row = s.pos;
        self.row = Some(row);
        walk(s, &mut Validate, depth)?;
        self.result.clear();
        let mut dups = 0;
        json::compact_slow_counting(&self.body[row..s.pos], &mut self.result, &mut dups)
            .map_err(|e| e.syntax.at(e.offset + row))?;
        let at = At::Record(self.number);
        let line = row_of(&self.result);
        self.sink
            .record(self.t, at, &line, &mut self.part)
            .map_err(Stop::Sink)?;
        let fixes = Fixes {
            duplicate_keys: dups,
            ..Fixes::default()
        };
        self.sink.fixed(at, fixes);
        self.number += 1;
        self.row = None;
        Ok(())
    }
}

/// The break of a document: one rejected record (`number`: the record it
/// would have been, 0 when after the results), reported with the line and
/// column of the break, the text from `from` on going to the rejects file.
fn broken_at(
    sink: &mut Sink<'_>,
    body: &[u8],
    from: usize,
    number: u64,
    e: SyntaxError,
) -> Result<(), Error> {
    let before = &body[..e.offset.min(body.len())];
    let line = before.iter().filter(|&&c| c == b'\n').count() as u64 + 1;
    let column = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(before.len(), |p| before.len() - p - 1) as u64
        + 1;
    let at = if number == 0 {
        At::Value(line, column)
    } else {
        At::Record(number)
    };
    let err = StreamError {
        syntax: e.syntax,
        line,
        column,
    };
    let rest = body.get(from..).unwrap_or_default();
    sink.reject_counted(at, Rejection::Stream(err), rest.trim_ascii())
}

/// Reads the top-level object (scanner at its `{`, left after its `}`);
/// returns where its last `results` member's array starts, and where the
/// object broke, if it did (the `results` found before the break count).
fn results_member(s: &mut Scanner<'_>) -> Result<(Option<usize>, Option<SyntaxError>), Error> {
    let mut doc = Document {
        results: None,
        key: Vec::new(),
    };
    match walk(s, &mut doc, 0) {
        Ok(_) if doc.results.is_none() => Err(Error::NoResults),
        Ok(_) => Ok((doc.results, None)),
        Err(e) => Ok((doc.results, Some(e))),
    }
}

/// The walk of a document's top-level object: notes where each `results`
/// array starts (the last one counts, as in jq).
struct Document {
    results: Option<usize>,
    key: Vec<u8>,
}

impl<'a> Visit<Scanner<'a>> for Document {
    type Err = SyntaxError;

    fn key(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<bool, SyntaxError> {
        if depth > 0 {
            s.skip_string()?;
            return Ok(false);
        }
        self.key.clear();
        s.unescape_string(&mut self.key)?;
        Ok(self.key == b"results")
    }

    fn own_value(&mut self, s: &mut Scanner<'a>, depth: usize) -> Result<(), SyntaxError> {
        self.results = (s.peek() == Some(b'[')).then_some(s.pos);
        walk(s, &mut Validate, depth).map(drop)
    }
}

fn csv_records(t: &Transformer, input: &mut dyn Read, sink: &mut Sink<'_>) -> Result<(), Error> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers: Vec<String> = rdr
        .byte_headers()
        .map_err(Error::Csv)?
        .iter()
        .map(|h| {
            let h = h.strip_prefix(BOM).unwrap_or(h);
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
