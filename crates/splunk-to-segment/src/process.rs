//! Ordered parallel processing of JSON lines, and where results go.
//!
//! Lines are gathered into batches of about a megabyte. While the workers
//! (scoped threads, one per core) transform the parts of one batch, the
//! main thread reads the next; the parts' outputs, rejects and warnings are
//! then written in input order. Memory is two batches plus their output,
//! whatever the input size (a single line longer than a batch makes its
//! batch that long).

use std::io::Write;

use segment_bridge_core::jsonl::LineReader;
use segment_bridge_core::rejects::Rejects;

use crate::transform::{Drop, Scratch, Transformer, Verdict};
use crate::Error;

/// Bytes of input per batch.
const BATCH_BYTES: usize = 1 << 20;
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
        tracing::warn!("{label} {number}: {reason}");
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
struct Batch {
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
            let Some(line) = reader.next_line().map_err(Error::Read)? else {
                self.eof = true;
                break;
            };
            if line.is_blank() {
                continue;
            }
            let start = self.data.len();
            self.data.extend_from_slice(line.bytes);
            self.lines.push((line.number, start, self.data.len()));
        }
        Ok(())
    }
}

fn work(t: &Transformer, batch: &Batch, lines: &[(u64, usize, usize)], part: &mut Part) {
    part.out.clear();
    part.rejected.clear();
    part.counts = Counts::default();
    for &(number, start, end) in lines {
        let v = t.record(&batch.data[start..end], &mut part.scratch, &mut part.out);
        part.counts.add(&v);
        if let Verdict::Rejected(reason) = v {
            part.rejected.push((number, reason, start, end));
        }
    }
}

/// Splits `lines` into `n` runs of about equal bytes.
fn split(lines: &[(u64, usize, usize)], n: usize) -> Vec<&[(u64, usize, usize)]> {
    let total = lines.last().map_or(0, |l| l.2);
    let mut parts = Vec::with_capacity(n);
    let mut rest = lines;
    for i in 1..n {
        let goal = total * i / n;
        let cut = rest.partition_point(|l| l.2 <= goal);
        let (a, b) = rest.split_at(cut);
        parts.push(a);
        rest = b;
    }
    parts.push(rest);
    parts
}

/// JSON lines from `input`, `threads` workers.
pub(crate) fn jsonl(
    t: &Transformer,
    input: &mut dyn std::io::BufRead,
    sink: &mut Sink<'_>,
    threads: usize,
) -> Result<(), Error> {
    let mut reader = LineReader::new(input);
    let threads = threads.max(1);
    let mut parts: Vec<Part> = (0..threads).map(|_| Part::default()).collect();
    let mut cur = Batch::default();
    let mut next = Batch::default();
    cur.fill(&mut reader)?;
    loop {
        if cur.lines.is_empty() && cur.eof {
            return Ok(());
        }
        let read_next = !cur.eof;
        if threads == 1 || cur.lines.len() < PARALLEL_MIN_LINES {
            work(t, &cur, &cur.lines, &mut parts[0]);
            emit(sink, &cur, &mut parts[..1])?;
            if !read_next {
                return Ok(());
            }
            cur.fill(&mut reader)?;
            continue;
        }
        let chunks = split(&cur.lines, threads);
        let filled = std::thread::scope(|s| {
            let cur = &cur;
            let handles: Vec<_> = chunks
                .into_iter()
                .zip(parts.iter_mut())
                .map(|(lines, part)| s.spawn(move || work(t, cur, lines, part)))
                .collect();
            let filled = if read_next {
                next.fill(&mut reader)
            } else {
                next.lines.clear();
                next.eof = true;
                Ok(())
            };
            for h in handles {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            filled
        });
        emit(sink, &cur, &mut parts)?;
        filled?;
        std::mem::swap(&mut cur, &mut next);
    }
}

fn emit(sink: &mut Sink<'_>, batch: &Batch, parts: &mut [Part]) -> Result<(), Error> {
    for part in parts {
        sink.counts.merge(&part.counts);
        for (number, reason, start, end) in &part.rejected {
            sink.reject("line", *number, reason, &batch.data[*start..*end])?;
        }
        sink.write(&part.out)?;
        part.counts = Counts::default();
        part.rejected.clear();
        part.out.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_balanced_and_complete() {
        let lines: Vec<(u64, usize, usize)> = (0..10)
            .map(|i| (i, i as usize * 10, i as usize * 10 + 10))
            .collect();
        let parts = split(&lines, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 10);
        assert!(parts.iter().all(|p| !p.is_empty()));
        assert_eq!(split(&[], 2).iter().map(|p| p.len()).sum::<usize>(), 0);
    }
}
