//! Ordered parallel processing of JSON lines, and where results go.
//!
//! Lines are gathered into batches of about a megabyte. Workers (scoped
//! threads, one per core) transform whole batches while the main thread
//! reads the next ones; outputs, rejects and warnings are written in input
//! order. Memory is `threads + 1` batches plus their output, whatever the
//! input size (a single line longer than a batch makes its batch that
//! long).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc;

use segment_bridge_core::jsonl::LineReader;
use segment_bridge_core::rejects::Rejects;

use crate::transform::{Drop, Scratch, Transformer, Verdict};
use crate::Error;

/// Bytes of input per batch.
const BATCH_BYTES: usize = 1 << 20;
/// Bytes read from the input at a time.
const READ_BUFFER: usize = 256 << 10;
/// Below this many lines a batch is done on the main thread.
const PARALLEL_MIN_LINES: usize = 64;

/// The figures of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (non-blank lines, or CSV / document records).
    pub read: u64,
    pub emitted: u64,
    /// `null` lines and rows without a (truthy) `result`.
    pub markers: u64,
    pub no_workspace: u64,
    pub no_owner_id: u64,
    pub no_user_id: u64,
    pub rejected: u64,
}

impl Counts {
    pub fn add(&mut self, v: &Verdict) {
        self.read += 1;
        match v {
            Verdict::Emitted => self.emitted += 1,
            Verdict::Marker => self.markers += 1,
            Verdict::Dropped(Drop::NoWorkspace) => self.no_workspace += 1,
            Verdict::Dropped(Drop::NoOwnerId) => self.no_owner_id += 1,
            Verdict::Dropped(Drop::NoUserId) => self.no_user_id += 1,
            Verdict::Rejected(_) => self.rejected += 1,
        }
    }

    fn merge(&mut self, o: &Counts) {
        self.read += o.read;
        self.emitted += o.emitted;
        self.markers += o.markers;
        self.no_workspace += o.no_workspace;
        self.no_owner_id += o.no_owner_id;
        self.no_user_id += o.no_user_id;
        self.rejected += o.rejected;
    }

    /// All drops together.
    pub fn dropped(&self) -> u64 {
        self.no_workspace + self.no_owner_id + self.no_user_id
    }

    /// The summary line printed at the end.
    pub fn summary(&self) -> String {
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
        )
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
        self.output.write_all(out).map_err(Error::Write)
    }

    fn reject(&mut self, label: &str, number: u64, reason: &str, raw: &[u8]) -> Result<(), Error> {
        tracing::warn!(line = number, reason, "{label} {number}: {reason}");
        self.rejects.reject(raw)?;
        Ok(())
    }

    /// A record rejected before the transform (CSV problems).
    pub(crate) fn reject_counted(
        &mut self,
        label: &str,
        number: u64,
        reason: &str,
        raw: &[u8],
    ) -> Result<(), Error> {
        self.counts.add(&Verdict::Rejected(String::new()));
        self.reject(label, number, reason, raw)
    }

    /// One record done on the caller's thread.
    pub(crate) fn record(
        &mut self,
        t: &Transformer,
        label: &str,
        number: u64,
        raw: &[u8],
        part: &mut Part,
    ) -> Result<(), Error> {
        part.out.clear();
        let v = t.record(raw, &mut part.scratch, &mut part.out);
        self.counts.add(&v);
        if let Verdict::Rejected(reason) = &v {
            self.reject(label, number, reason, raw)?;
        }
        let Part { out, .. } = part;
        self.write(out)
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
    /// (line number, reason, start, end in the batch).
    rejected: Vec<(u64, String, usize, usize)>,
    counts: Counts,
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
            let Some((number, range)) =
                reader.next_line_into(&mut self.data).map_err(Error::Read)?
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
    part.rejected.clear();
    part.counts = Counts::default();
    for &(number, start, end) in &batch.lines {
        let v = t.record(&batch.data[start..end], &mut part.scratch, &mut part.out);
        part.counts.add(&v);
        if let Verdict::Rejected(reason) = v {
            part.rejected.push((number, reason, start, end));
        }
    }
}

/// JSON lines from `input`, `threads` workers.
///
/// The main thread reads batches and hands them out round robin; each
/// worker transforms whole batches in the order it gets them; the main
/// thread collects results in the order it handed batches out and writes
/// them. At most `threads + 1` batches exist, so memory stays flat; the
/// channels are unbounded, so nobody blocks but the main thread waiting
/// for the oldest batch.
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
    let mut part = Part::default();
    if threads <= 1 || (first.eof && first.lines.len() < PARALLEL_MIN_LINES) {
        let mut batch = first;
        loop {
            work(t, &batch, &mut part);
            emit(sink, &batch, &mut part)?;
            if batch.eof {
                return Ok(());
            }
            batch.fill(&mut reader)?;
        }
    }
    std::thread::scope(|s| {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (tx, rx) = mpsc::channel::<(Batch, Part)>();
            let (rtx, rrx) = mpsc::channel::<(Batch, Part)>();
            s.spawn(move || {
                for (batch, mut part) in rx {
                    work(t, &batch, &mut part);
                    if rtx.send((batch, part)).is_err() {
                        break;
                    }
                }
            });
            to_workers.push(tx);
            from_workers.push(rrx);
        }
        let mut spare: Vec<(Batch, Part)> = (0..threads).map(|_| Default::default()).collect();
        let mut pending: VecDeque<usize> = VecDeque::new();
        let mut next = Some((first, part));
        let mut seq = 0usize;
        loop {
            let (batch, part) = match next.take() {
                Some(x) => x,
                None => {
                    let (mut batch, part) = match spare.pop() {
                        Some(x) => x,
                        None => {
                            let Some(w) = pending.pop_front() else {
                                break;
                            };
                            // A worker that panicked: the scope re-raises it.
                            let Ok((done, mut part)) = from_workers[w].recv() else {
                                break;
                            };
                            emit(sink, &done, &mut part)?;
                            (done, part)
                        }
                    };
                    batch.fill(&mut reader)?;
                    (batch, part)
                }
            };
            let eof = batch.eof;
            let w = seq % threads;
            if to_workers[w].send((batch, part)).is_err() {
                break;
            }
            pending.push_back(w);
            seq += 1;
            if eof {
                break;
            }
        }
        drop(to_workers);
        while let Some(w) = pending.pop_front() {
            let Ok((done, mut part)) = from_workers[w].recv() else {
                break;
            };
            emit(sink, &done, &mut part)?;
        }
        Ok(())
    })
}

fn emit(sink: &mut Sink<'_>, batch: &Batch, part: &mut Part) -> Result<(), Error> {
    sink.counts.merge(&part.counts);
    for (number, reason, start, end) in &part.rejected {
        sink.reject("line", *number, reason, &batch.data[*start..*end])?;
    }
    sink.write(&part.out)?;
    part.counts = Counts::default();
    part.rejected.clear();
    part.out.clear();
    Ok(())
}
