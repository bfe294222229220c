//! Where a finished batch goes: Segment's batch API (with retries), or, in
//! the compatibility mode of the original `split --filter`, the standard
//! input of a shell command, one event per line; and the sender thread that
//! sends each batch and dead-letters what fails.

use std::io::{BufWriter, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;

use indicatif::ProgressBar;
use segment_bridge_core::error::chain;
use segment_bridge_net::retry::Retried;
use segment_bridge_segment::{Batch, Client, SendError};

use crate::ledger::Journal;
use crate::{Letters, Stats};

/// How batches are delivered.
#[derive(Debug)]
pub enum Deliverer {
    Http(Box<Client>),
    /// `sh -c CMD` per batch; a non-zero exit fails the batch.
    Filter(String),
}

/// Why a batch could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error("cannot run the filter command")]
    Spawn(#[source] std::io::Error),
    #[error("cannot write to the filter command")]
    Pipe(#[source] std::io::Error),
    #[error("the filter command failed ({0})")]
    Filter(std::process::ExitStatus),
}

impl Failure {
    /// Segment refused the request whole (400): worth sending its halves.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Failure::Send(e) if e.is_refusal())
    }

    /// The write key was refused: every other batch will be refused too.
    pub fn is_auth(&self) -> bool {
        matches!(self, Failure::Send(e) if e.is_auth())
    }
}

impl Deliverer {
    /// Delivers batch number `index` (1-based); the bytes that went out
    /// (compressed ones with `--gzip`), and how many retries it took.
    pub fn deliver(&self, index: u64, batch: &Batch) -> Retried<usize, Failure> {
        match self {
            Deliverer::Http(client) => client.send(batch.body()).map_err(Failure::from),
            Deliverer::Filter(cmd) => {
                Retried::once(run_filter(cmd, index, batch).map(|()| batch.body().len()))
            }
        }
    }
}

/// Pipes the batch's events, one per line, to `sh -c CMD`. `FILE` is set to
/// a name per batch, as `split --filter` set it to the chunk's file name.
fn run_filter(cmd: &str, index: u64, batch: &Batch) -> Result<(), Failure> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("FILE", format!("batch-{index:06}"))
        .stdin(Stdio::piped())
        .spawn()
        .map_err(Failure::Spawn)?;
    let written = match child.stdin.take() {
        Some(stdin) => {
            let mut w = BufWriter::with_capacity(64 * 1024, stdin);
            batch
                .events()
                .try_for_each(|(_, e)| w.write_all(e).and_then(|()| w.write_all(b"\n")))
                .and_then(|()| w.flush())
        }
        None => Ok(()),
    };
    let status = child.wait().map_err(Failure::Spawn)?;
    if !status.success() {
        return Err(Failure::Filter(status));
    }
    // A command that exits 0 without reading all its input chose to.
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Pipe(e)),
        _ => Ok(()),
    }
}

/// What the reading thread hands the sender thread.
pub enum Work {
    Batch(Batch),
    /// A rejected input line, as read, for the rejects file.
    Reject(Vec<u8>),
}

/// The sender thread: delivers each batch, dead-letters what fails, and
/// owns the files that undelivered events go to.
pub struct Sender {
    deliverer: Deliverer,
    letters: Letters,
    /// Where accepted `messageId`s are recorded (`--ledger`).
    journal: Option<Journal>,
    progress: ProgressBar,
    stats: Stats,
    /// Set once the write key was refused: same key, same answer.
    refused: Option<String>,
    index: u64,
}

impl Sender {
    pub fn new(
        deliverer: Deliverer,
        letters: Letters,
        journal: Option<Journal>,
        progress: ProgressBar,
    ) -> Sender {
        Sender {
            deliverer,
            letters,
            journal,
            progress,
            stats: Stats::default(),
            refused: None,
            index: 0,
        }
    }

    /// Runs until the reading side hangs up.
    pub fn run(mut self, rx: Receiver<Work>) -> (Stats, Letters) {
        for work in rx {
            match work {
                Work::Reject(raw) => self.letters.reject(&raw),
                Work::Batch(batch) => {
                    self.index += 1;
                    self.progress.inc(batch.len() as u64);
                    self.batch(&batch);
                    self.progress.set_message(format!(
                        "{} events sent in {} batches",
                        self.stats.events_sent, self.stats.batches
                    ));
                }
            }
        }
        (self.stats, self.letters)
    }

    fn batch(&mut self, batch: &Batch) {
        if let Some(why) = &self.refused {
            let why = format!("not sent: {why}");
            return self.failed(batch, &why);
        }
        self.send(batch, false);
    }

    /// Sends `batch`. When Segment refuses it whole (400) although every
    /// event passed our checks, its halves are sent again, recursively, so
    /// that only the events Segment refuses end up dead-lettered: about
    /// 2·log2(batch size) extra requests per refused event.
    fn send(&mut self, batch: &Batch, is_half: bool) {
        let sent = self.deliverer.deliver(self.index, batch);
        self.stats.retries += u64::from(sent.retries);
        if is_half {
            self.stats.bisect_requests += 1 + u64::from(sent.retries);
        }
        let e = match sent.result {
            Ok(wire) => {
                self.stats.batches += 1;
                self.stats.events_sent += batch.len() as u64;
                self.stats.bytes += batch.body().len() as u64;
                self.stats.wire_bytes += wire as u64;
                if let Some(j) = &mut self.journal {
                    j.accepted(batch);
                }
                return;
            }
            Err(e) => e,
        };
        if e.is_refusal() && batch.len() > 1 {
            let (left, right) = batch.halves();
            tracing::warn!(
                "batch {}: {} events refused whole ({}); sending each half again",
                self.index,
                batch.len(),
                chain(&e)
            );
            self.send(&left, true);
            self.send(&right, true);
            return;
        }
        if e.is_refusal() {
            self.stats.events_refused += 1;
        }
        let why = chain(&e);
        if e.is_auth() {
            self.refused = Some(format!("an earlier batch was refused ({why})"));
        }
        self.failed(batch, &why);
    }

    fn failed(&mut self, batch: &Batch, why: &str) {
        self.stats.batches_failed += 1;
        self.stats.events_failed += batch.len() as u64;
        self.letters.dead_letter(self.index, batch, why);
    }
}
