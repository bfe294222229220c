//! Ordered parallel processing of a JSON text stream, and where results go.
//!
//! The fast path takes the input as JSON lines: lines are gathered into
//! batches of about a megabyte, and workers (scoped threads, one per core)
//! transform whole batches while the main thread reads the next ones. The
//! main thread takes the results from an ordered queue of batches in
//! flight and writes outputs, rejects and warnings in input order. Memory
//! is `threads + 1` batches plus their output, whatever the input size (a
//! single line longer than a batch makes its batch that long).
//!
//! A line that is not one good JSON value (a value spread over several
//! lines, several values on one line, or a bad one; docs/json-streams.md)
//! is told apart by the worker at no extra cost (its walk of the line
//! fails) and handed, in order, to core's stream reader on the main thread,
//! together with the lines after it until the stream is between values
//! again; the values it finds are transformed there. So every tool that
//! reads a stream splits it, and recovers from a bad value, the same way.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write;
use std::sync::{mpsc, Mutex};

use segment_bridge_core::rejects::{self, Rejects};
use segment_bridge_core::Outcome;
use segment_bridge_json::jq::Fixes;
use segment_bridge_json::{Framer, LineReader, Value};

use crate::reject::{Rejection, Unmapped, Verdict};
use crate::transform::{Scratch, Transformer};
use crate::Error;

/// Bytes of input per batch.
const BATCH_BYTES: usize = 1 << 20;
/// Bytes read from the input at a time.
const READ_BUFFER: usize = 256 << 10;
/// Below this many lines a batch is done on the main thread.
const PARALLEL_MIN_LINES: usize = 64;

/// The figures of a run, under their metrics' names (`serde(rename)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Records read (JSON values, or CSV / document records).
    #[serde(rename = "events_read")]
    pub read: u64,
    #[serde(rename = "events_emitted")]
    pub emitted: u64,
    /// `null` lines and rows without a (truthy) `result`.
    #[serde(rename = "markers_skipped")]
    pub markers: u64,
    #[serde(rename = "dropped_no_workspace")]
    pub no_workspace: u64,
    #[serde(rename = "dropped_no_owner_id")]
    pub no_owner_id: u64,
    #[serde(rename = "dropped_no_user_id")]
    pub no_user_id: u64,
    #[serde(rename = "events_rejected")]
    pub rejected: u64,
    /// What jq's rules changed in the events written (each warned with
    /// its line; docs/json-streams.md; figures by `Fixes::fields`).
    #[serde(skip)]
    pub fixes: Fixes,
}

impl Counts {
    pub fn add(&mut self, v: &Verdict) {
        self.read += 1;
        match v {
            Verdict::Emitted => self.emitted += 1,
            Verdict::Marker => self.markers += 1,
            Verdict::Dropped(Unmapped::NoWorkspace) => self.no_workspace += 1,
            Verdict::Dropped(Unmapped::NoOwnerId) => self.no_owner_id += 1,
            Verdict::Dropped(Unmapped::NoUserId) => self.no_user_id += 1,
            Verdict::Rejected(_) => self.rejected += 1,
        }
    }

    /// All drops together.
    pub fn dropped(&self) -> u64 {
        self.no_workspace + self.no_owner_id + self.no_user_id
    }

    /// Whether every record read was counted once, under its verdict:
    /// `read` is the sum of the others (what the tests and the fuzz
    /// harness, fuzz/fuzz_targets/s2s.rs, check of every run).
    pub fn adds_up(&self) -> bool {
        self.read == self.emitted + self.markers + self.dropped() + self.rejected
    }

    /// The figures of a run read back from its outcome ([`crate::run`]),
    /// by their names: a figure the outcome lacks is 0, and `fixes` is left
    /// empty (its figures are not read back).
    pub fn of(outcome: &Outcome) -> Counts {
        let figures: serde_json::Map<String, serde_json::Value> = outcome
            .counts
            .iter()
            .map(|(name, n)| (name.to_string(), (*n).into()))
            .collect();
        serde_json::from_value(figures.into()).expect("a run's figures are whole numbers")
    }

    /// The summary line printed at the end.
    pub fn summary(&self) -> String {
        let fixed = if self.fixes.any() {
            format!("; rewritten as jq does: {}", self.fixes.describe())
        } else {
            String::new()
        };
        format!(
            "read {}, emitted {}, markers skipped {}, dropped {} (no workspace {}, no owner id {}, no user id {}), rejected {}",
            self.read,
            self.emitted,
            self.markers,
            self.dropped(),
            self.no_workspace,
            self.no_owner_id,
            self.no_user_id,
            self.rejected
        ) + &fixed
    }
}

/// Where a record was in the input, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At {
    /// A JSON line, or a CSV record (its first line).
    Line(u64),
    /// A value of a JSON text stream: line and column where it starts.
    Value(u64, u64),
    /// A result of a `{"results":[…]}` document.
    Record(u64),
}

impl From<At> for rejects::At<'static> {
    fn from(at: At) -> Self {
        match at {
            At::Line(n) => rejects::At::line(n),
            At::Value(n, c) => rejects::At::value(n, c),
            At::Record(n) => rejects::At::record(n),
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Line(n) => write!(f, "line {n}"),
            At::Value(n, c) => write!(f, "line {n}, column {c}"),
            At::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// Where results go: stdout, the rejects file, warnings on stderr.
pub(crate) struct Sink<'o> {
    output: &'o mut dyn Write,
    rejects: Rejects,
    counts: Counts,
}

impl<'o> Sink<'o> {
    pub(crate) fn new(output: &'o mut dyn Write, rejects: Rejects) -> Self {
        Sink {
            output,
            rejects,
            counts: Counts::default(),
        }
    }

    fn write(&mut self, out: &[u8]) -> Result<(), Error> {
        Ok(self
            .output
            .write_all(out)
            .map_err(segment_bridge_core::Error::Stdout)?)
    }

    /// Reports a rejected record; `raw` goes to the rejects file as one
    /// line (a value that spanned lines has its line breaks made spaces:
    /// white space to JSON, as no string can hold a raw line break).
    fn reject(&mut self, at: At, reason: &Rejection, raw: &[u8]) -> Result<(), Error> {
        // Reported as every tool reports a rejection; one record per line
        // of the rejects file (core::rejects folds the line breaks of a
        // value that spanned lines).
        self.rejects.reject_at(at.into(), reason, raw)?;
        Ok(())
    }

    /// An event jq's rules changed: warned with where it was, counted.
    pub(crate) fn fixed(&mut self, at: At, fixes: Fixes) {
        if fixes.any() {
            let what = fixes.describe();
            tracing::warn!(at = %at, fixes = %what, "{at}: {what}");
            self.counts.fixes.add(fixes);
        }
    }

    /// A record rejected before the transform (CSV problems).
    pub(crate) fn reject_counted(
        &mut self,
        at: At,
        reason: Rejection,
        raw: &[u8],
    ) -> Result<(), Error> {
        let v = Verdict::Rejected(reason);
        self.counts.add(&v);
        if let Verdict::Rejected(reason) = &v {
            self.reject(at, reason, raw)?;
        }
        Ok(())
    }

    /// One record done on the caller's thread.
    pub(crate) fn record(
        &mut self,
        t: &Transformer,
        at: At,
        raw: &[u8],
        part: &mut Part,
    ) -> Result<(), Error> {
        part.out.clear();
        let v = t.record(raw, &mut part.scratch, &mut part.out);
        self.counts.add(&v);
        if let Verdict::Rejected(reason) = &v {
            self.reject(at, reason, raw)?;
        }
        self.fixed(at, part.scratch.fixes);
        let Part { out, .. } = part;
        self.write(out)
    }

    /// One value of the stream reader.
    fn value(&mut self, t: &Transformer, v: Value<'_>, part: &mut Part) -> Result<(), Error> {
        let at = At::Value(v.number, v.column);
        match v.error {
            Some(e) => self.reject_counted(at, Rejection::Stream(e), v.bytes),
            None => self.record(t, at, v.bytes, part),
        }
    }

    pub(crate) fn finish(self) -> Result<Counts, Error> {
        self.rejects.finish()?;
        Ok(self.counts)
    }
}

/// The work and results of one worker.
#[derive(Default)]
pub(crate) struct Part {
    pub(crate) scratch: Scratch,
    out: Vec<u8>,
    /// Per line of the batch: its verdict, where its output ends in
    /// `out`, and what jq's rules changed in it.
    results: Vec<(Verdict, usize, Fixes)>,
}

#[derive(Default)]
pub(crate) struct Batch {
    data: Vec<u8>,
    /// (line number, start, end) in `data`.
    lines: Vec<(u64, usize, usize)>,
    eof: bool,
}

impl Batch {
    fn fill(&mut self, reader: &mut LineReader<&mut dyn std::io::BufRead>) -> Result<(), Error> {
        self.data.clear();
        self.lines.clear();
        while self.data.len() < BATCH_BYTES {
            let before = self.data.len();
            let Some((number, range)) = reader
                .next_line_into(&mut self.data)
                .map_err(segment_bridge_core::Error::Stdin)?
            else {
                self.eof = true;
                break;
            };
            if self.data[range.clone()].iter().all(u8::is_ascii_whitespace) {
                self.data.truncate(before);
                continue;
            }
            self.lines.push((number, range.start, range.end));
        }
        Ok(())
    }
}

fn work(t: &Transformer, batch: &Batch, part: &mut Part) {
    part.out.clear();
    part.results.clear();
    for &(_, start, end) in &batch.lines {
        let v = t.record(&batch.data[start..end], &mut part.scratch, &mut part.out);
        part.results.push((v, part.out.len(), part.scratch.fixes));
    }
}

/// Writes the results of a batch in order; lines the fast path could not
/// take whole go to the stream reader (see the module doc).
struct Emitter<'t> {
    t: &'t Transformer,
    framer: Framer,
    /// For records transformed on the main thread.
    part: Part,
    last_line: u64,
}

impl Emitter<'_> {
    fn emit(&mut self, sink: &mut Sink<'_>, batch: &Batch, part: &Part) -> Result<(), Error> {
        // Output of consecutive fast-path lines is written in one piece.
        let (mut from, mut pending) = (0, 0);
        for (&(number, start, end), (v, to, fixes)) in batch.lines.iter().zip(&part.results) {
            let raw = &batch.data[start..end];
            self.last_line = number;
            if self.framer.in_value() || v.needs_stream() {
                sink.write(&part.out[pending..from])?;
                pending = *to;
                let (t, p) = (self.t, &mut self.part);
                self.framer
                    .feed_line(number, raw, &mut |value| sink.value(t, value, p))?;
            } else {
                sink.counts.add(v);
                if let Verdict::Rejected(reason) = v {
                    sink.reject(At::Line(number), reason, raw)?;
                }
                sink.fixed(At::Line(number), *fixes);
            }
            from = *to;
        }
        sink.write(&part.out[pending..from])
    }

    /// At the end of input: a value still open is cut off.
    fn finish(&mut self, sink: &mut Sink<'_>) -> Result<(), Error> {
        let (t, p) = (self.t, &mut self.part);
        self.framer
            .finish_input(self.last_line, &mut |value| sink.value(t, value, p))
    }
}

/// A JSON text stream from `input`, `threads` workers.
pub(crate) fn jsonl(
    t: &Transformer,
    input: &mut dyn std::io::BufRead,
    sink: &mut Sink<'_>,
    threads: usize,
) -> Result<(), Error> {
    // Big reads: stdin's own buffer is 8 KiB, a system call each.
    let mut big = std::io::BufReader::with_capacity(READ_BUFFER, input);
    let mut reader = LineReader::new(&mut big as &mut dyn std::io::BufRead);
    let mut first = Batch::default();
    first.fill(&mut reader)?;
    let mut emitter = Emitter {
        t,
        framer: Framer::new(),
        part: Part::default(),
        last_line: 0,
    };
    if threads <= 1 || (first.eof && first.lines.len() < PARALLEL_MIN_LINES) {
        sequential(&mut emitter, first, &mut reader, sink)?;
    } else {
        parallel(&mut emitter, first, &mut reader, sink, threads)?;
    }
    emitter.finish(sink)
}

fn sequential(
    emitter: &mut Emitter<'_>,
    mut batch: Batch,
    reader: &mut LineReader<&mut dyn std::io::BufRead>,
    sink: &mut Sink<'_>,
) -> Result<(), Error> {
    let mut part = Part::default();
    loop {
        work(emitter.t, &batch, &mut part);
        emitter.emit(sink, &batch, &part)?;
        if batch.eof {
            return Ok(());
        }
        batch.fill(reader)?;
    }
}

/// A batch handed to the workers, and where its results come back.
type Job = (Batch, Part, mpsc::SyncSender<(Batch, Part)>);

/// The main thread reads batches and queues them for the workers, keeping
/// for each one the receiving end of its result; it writes results in the
/// order of that queue. At most `threads + 1` batches are in flight, so
/// memory stays flat.
fn parallel(
    emitter: &mut Emitter<'_>,
    first: Batch,
    reader: &mut LineReader<&mut dyn std::io::BufRead>,
    sink: &mut Sink<'_>,
    threads: usize,
) -> Result<(), Error> {
    let t = emitter.t;
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Mutex::new(queue);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let queue = &queue;
            s.spawn(move || worker(t, queue));
        }
        let mut in_flight: VecDeque<mpsc::Receiver<(Batch, Part)>> = VecDeque::new();
        let mut next = Some((first, Part::default()));
        while let Some((batch, part)) = next.take() {
            let eof = batch.eof;
            let (done, result) = mpsc::sync_channel(1);
            if jobs.send((batch, part, done)).is_err() {
                break;
            }
            in_flight.push_back(result);
            if eof {
                break;
            }
            let (mut batch, part) = if in_flight.len() > threads {
                oldest(emitter, sink, &mut in_flight)?
            } else {
                Default::default()
            };
            batch.fill(reader)?;
            next = Some((batch, part));
        }
        drop(jobs);
        while !in_flight.is_empty() {
            oldest(emitter, sink, &mut in_flight)?;
        }
        Ok(())
    })
}

/// Waits for the oldest batch in flight, writes its results, and returns
/// its buffers for reuse.
fn oldest(
    emitter: &mut Emitter<'_>,
    sink: &mut Sink<'_>,
    in_flight: &mut VecDeque<mpsc::Receiver<(Batch, Part)>>,
) -> Result<(Batch, Part), Error> {
    let result = in_flight.pop_front().map(|r| r.recv());
    // A worker that panicked dropped its sender: the scope re-raises it.
    let Some(Ok((batch, part))) = result else {
        return Ok(Default::default());
    };
    emitter.emit(sink, &batch, &part)?;
    Ok((batch, part))
}

fn worker(t: &Transformer, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok((batch, mut part, done)) = job else {
            return;
        };
        work(t, &batch, &mut part);
        if done.send((batch, part)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_back_from_an_outcome() {
        let counts = Counts {
            read: 6,
            emitted: 1,
            markers: 1,
            no_workspace: 1,
            no_owner_id: 1,
            no_user_id: 1,
            rejected: 1,
            fixes: Fixes::default(),
        };
        assert!(counts.adds_up());
        let outcome = Outcome::ok().count_fields(&counts).count("other", 9);
        assert_eq!(Counts::of(&outcome), counts);
        assert_eq!(Counts::of(&Outcome::ok()), Counts::default());
        let short = Counts { read: 7, ..counts };
        assert!(!short.adds_up());
    }
}
