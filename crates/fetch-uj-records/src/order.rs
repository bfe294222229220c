//! Rows in query order while the queries run concurrently.
//!
//! The original ran its queries one after the other, so its output was all
//! rows of query 1, then all rows of query 2, and so on: two runs over the
//! same data print the same bytes, and an operator can diff them. We run
//! queries concurrently and keep that order: the query at the *head* (the
//! lowest-numbered one not yet finished) streams straight to stdout; the
//! rows of every later query wait in a [`Spool`] of their own. When the
//! head finishes, the next query's spool is written out and that query
//! becomes the head (streaming from then on), and so on.
//!
//! Waiting rows are bounded in memory: all spools together hold at most
//! `memory_limit` bytes; a row that would pass it moves its spool to an
//! unnamed temporary file (gone when the process ends), where it keeps
//! growing in order. A spool is replayed file first, then memory, which is
//! its arrival order because a spool that has a file never writes to memory
//! again.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

/// Rows of one query waiting for their turn.
#[derive(Debug, Default)]
struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
}

/// What the writer did, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Bytes that waited in a temporary file.
    pub spilled_bytes: u64,
    /// The most bytes that waited in memory at once.
    pub peak_memory: usize,
}

/// Why the writer stopped.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("cannot write the rows")]
    Write(#[source] io::Error),
    #[error("cannot keep waiting rows in a temporary file")]
    Spool(#[source] io::Error),
}

/// Writes lines of `n` queries to `out` in query order (see the module
/// docs).
pub struct Ordered<'o> {
    out: &'o mut dyn Write,
    head: usize,
    spools: Vec<Spool>,
    done: Vec<bool>,
    memory_limit: usize,
    in_memory: usize,
    stats: Stats,
}

impl<'o> Ordered<'o> {
    pub fn new(out: &'o mut dyn Write, n: usize, memory_limit: usize) -> Self {
        Ordered {
            out,
            head: 0,
            spools: (0..n).map(|_| Spool::default()).collect(),
            done: vec![false; n],
            memory_limit,
            in_memory: 0,
            stats: Stats::default(),
        }
    }

    /// Whole lines (`\n` included) of query `i`.
    pub fn lines(&mut self, i: usize, buf: &[u8]) -> Result<(), OrderError> {
        if i == self.head {
            return self.out.write_all(buf).map_err(OrderError::Write);
        }
        let Some(spool) = self.spools.get_mut(i) else {
            return Ok(());
        };
        if spool.file.is_none() && self.in_memory + buf.len() > self.memory_limit {
            let mut file = tempfile::tempfile().map_err(OrderError::Spool)?;
            file.write_all(&spool.memory).map_err(OrderError::Spool)?;
            self.stats.spilled_bytes += spool.memory.len() as u64;
            self.in_memory -= spool.memory.len();
            spool.memory = Vec::new();
            spool.file = Some(file);
        }
        match &mut spool.file {
            Some(file) => {
                file.write_all(buf).map_err(OrderError::Spool)?;
                self.stats.spilled_bytes += buf.len() as u64;
            }
            None => {
                spool.memory.extend_from_slice(buf);
                self.in_memory += buf.len();
                self.stats.peak_memory = self.stats.peak_memory.max(self.in_memory);
            }
        }
        Ok(())
    }

    /// Query `i` has finished: if it was the head, the waiting queries that
    /// follow go out, up to the next one still running (the new head).
    pub fn done(&mut self, i: usize) -> Result<(), OrderError> {
        if let Some(d) = self.done.get_mut(i) {
            *d = true;
        }
        while self.done.get(self.head) == Some(&true) {
            self.head += 1;
            self.release(self.head)?;
        }
        Ok(())
    }

    /// Writes out the spool of query `i` and frees it.
    fn release(&mut self, i: usize) -> Result<(), OrderError> {
        let Some(spool) = self.spools.get_mut(i) else {
            return Ok(());
        };
        let spool = std::mem::take(spool);
        if let Some(mut file) = spool.file {
            file.seek(SeekFrom::Start(0)).map_err(OrderError::Spool)?;
            io::copy(&mut file, &mut *self.out).map_err(|e| {
                // io::copy can't say which side failed; a read error is
                // the temporary file's.
                if e.kind() == io::ErrorKind::BrokenPipe {
                    OrderError::Write(e)
                } else {
                    OrderError::Spool(e)
                }
            })?;
        }
        self.in_memory -= spool.memory.len();
        self.out.write_all(&spool.memory).map_err(OrderError::Write)
    }

    pub fn flush(&mut self) -> Result<(), OrderError> {
        self.out.flush().map_err(OrderError::Write)
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }
}

/// What a worker sends the writer: whole lines (each with its `\n`) of job
/// `.0`, or job `.0` is done, with its report.
pub enum Msg<R> {
    Lines(usize, Vec<u8>),
    Done(usize, R),
}

/// The writer's side of the channel: writes the lines of `n` jobs as they
/// come, in job order, and keeps each job's report. Flushes whenever the
/// channel runs dry, so lines reach the next tool of the pipeline without
/// waiting for a full buffer. Stops at the first write error (the workers
/// then stop too: their sends fail).
pub fn write_all<R>(
    rx: std::sync::mpsc::Receiver<Msg<R>>,
    out: &mut Ordered<'_>,
    n: usize,
) -> (Vec<Option<R>>, Option<OrderError>) {
    use std::sync::mpsc::TryRecvError;
    let mut reports: Vec<Option<R>> = (0..n).map(|_| None).collect();
    loop {
        let msg = match rx.try_recv() {
            Ok(m) => m,
            Err(TryRecvError::Empty) => {
                if let Err(e) = out.flush() {
                    return (reports, Some(e));
                }
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => return (reports, None),
                }
            }
            Err(TryRecvError::Disconnected) => return (reports, None),
        };
        let res = match msg {
            Msg::Lines(i, buf) => out.lines(i, &buf),
            Msg::Done(i, report) => {
                if let Some(slot) = reports.get_mut(i) {
                    *slot = Some(report);
                }
                out.done(i)
            }
        };
        if let Err(e) = res {
            return (reports, Some(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(limit: usize, events: &[(usize, Option<&str>)]) -> (String, Stats) {
        let mut buf: Vec<u8> = Vec::new();
        let mut w = Ordered::new(&mut buf, 3, limit);
        for (i, line) in events {
            match line {
                Some(l) => w.lines(*i, l.as_bytes()).unwrap(),
                None => w.done(*i).unwrap(),
            }
        }
        let stats = w.stats();
        drop(w);
        (String::from_utf8(buf).unwrap(), stats)
    }

    const EVENTS: &[(usize, Option<&str>)] = &[
        (2, Some("c1\n")),
        (1, Some("b1\n")),
        (0, Some("a1\n")),
        (2, Some("c2\n")),
        (2, None),
        (1, Some("b2\n")),
        (0, Some("a2\n")),
        (0, None),
        (1, Some("b3\n")),
        (1, None),
    ];

    #[test]
    fn later_queries_wait_for_earlier_ones() {
        let (out, stats) = run(1 << 20, EVENTS);
        assert_eq!(out, "a1\na2\nb1\nb2\nb3\nc1\nc2\n");
        assert_eq!(stats.spilled_bytes, 0);
        assert_eq!(stats.peak_memory, 12);
    }

    #[test]
    fn past_the_memory_limit_rows_wait_on_disk_in_the_same_order() {
        let (out, stats) = run(4, EVENTS);
        assert_eq!(out, "a1\na2\nb1\nb2\nb3\nc1\nc2\n");
        assert!(stats.spilled_bytes >= 9, "{stats:?}");
        assert!(stats.peak_memory <= 4, "{stats:?}");
    }
}
