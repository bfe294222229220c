//! segment-mass-uploader (SPEC §2.6): streams any number of events into as
//! few Segment batch requests as the limits allow, and loses none silently.
//!
//! The calling thread reads, validates and packs; full batches go through a
//! channel of one slot to a sender thread, so requests go out while input is
//! still being read and memory stays at about three batches (one filling,
//! one waiting, one in flight) however long the input is. Every input event
//! ends up delivered, rejected (stderr + `--rejects`: what Segment would drop
//! silently or can't take) or dead-lettered (its batch failed after its
//! retries: `--dead-letter`, else the rejects file, else its `messageId`s in
//! the log), and the exit status says which happened.

mod deliver;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};

use indicatif::{ProgressBar, ProgressStyle};
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::env;
use segment_bridge_core::error::chain;
use segment_bridge_core::jsonl::LineReader;
use segment_bridge_core::rejects::Rejects;
use segment_bridge_core::segment::{
    self, check_event_with, message_id, Batch, Client, ClientArgs, Limits, Packer, SetupError,
};
use segment_bridge_core::{ExitStatus, Outcome, ToolError};

pub use deliver::{Deliverer, Failure};

/// Streams JSON-lines events from stdin to Segment's batch API in as few
/// requests as the limits allow (500,000 bytes, 2,500 events per request).
///
/// Credentials: `SEGMENT_WRITE_KEY`, else the login of the API host's entry
/// in the netrc file (`CURL_NETRC`, default `$HOME/.netrc`).
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Example:\n  fetch-uj-records | splunk-to-segment | segment-mass-uploader --rejects rejects.jsonl\n  \
                  segment-mass-uploader --filter 'segment-uploader' < events.jsonl   # as split --filter did\n\n\
                  Exit status: 0 all delivered, 1 some batch could not be delivered (its events are in\n\
                  the dead-letter file), 2 usage/configuration error, 3 all delivered but some events\n\
                  were rejected."
)]
pub struct Args {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Largest request body in bytes (Segment refuses bodies over 500,000).
    #[arg(long = "batch-data-size", env = env::SEGMENT_BATCH_DATA_SIZE, default_value_t = segment::MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body: usize,

    /// Write rejected input lines, as read, to this file.
    #[arg(long)]
    pub rejects: Option<PathBuf>,

    /// Write the events of batches that failed after their retries to this
    /// file [default: the --rejects file]. Feed it back in to retry them.
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,

    /// Pipe each batch's events (one per line) to `sh -c CMD` instead of
    /// sending them; a failing CMD fails the batch.
    #[arg(long, value_name = "CMD", conflicts_with = "dry_run")]
    pub filter: Option<String>,

    /// Print each batch's payload on stdout instead of sending it.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
    #[error("batch-data-size {0} is too small for any event")]
    BadLimit(usize),
    #[error("cannot read standard input")]
    Read(#[source] std::io::Error),
    #[error("cannot write standard output")]
    Write(#[source] std::io::Error),
    #[error("the sender thread stopped unexpectedly")]
    Sender,
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Setup(_) | Error::BadLimit(_) => ExitStatus::Usage,
            Error::Core(e) => e.exit_status(),
            Error::Read(_) | Error::Write(_) | Error::Sender => ExitStatus::Failed,
        }
    }
}

/// The figures of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub events_read: u64,
    pub events_sent: u64,
    pub events_rejected: u64,
    pub events_failed: u64,
    pub batches: u64,
    pub batches_failed: u64,
    pub bytes: u64,
    pub retries: u64,
}

type SharedFile = Arc<Mutex<Rejects>>;

fn lock(f: &SharedFile) -> MutexGuard<'_, Rejects> {
    f.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where undelivered events go.
struct DeadLetter {
    file: Option<(PathBuf, SharedFile)>,
}

impl DeadLetter {
    /// Records a batch that could not be delivered; false when its events
    /// could only be logged (no file, or the file failed).
    fn write(&self, index: u64, batch: &Batch, why: &str) -> bool {
        let lines = batch
            .line_range()
            .map_or(String::new(), |(a, b)| format!(" (lines {a}-{b})"));
        let n = batch.len();
        if let Some((path, file)) = &self.file {
            let mut f = lock(file);
            match batch.events().try_for_each(|(_, e)| f.reject(e)) {
                Ok(()) => {
                    tracing::error!(
                        batch = index, events = n, reason = why, dead_letter = %path.display(),
                        "batch {index}{lines}: {n} events not delivered: {why}; written to `{}`",
                        path.display()
                    );
                    return true;
                }
                Err(e) => tracing::error!("{}", chain(&e)),
            }
        }
        let ids: Vec<String> = batch
            .events()
            .map(|(line, e)| message_id(e).unwrap_or_else(|| format!("<line {line}>")))
            .collect();
        tracing::error!(
            batch = index, events = n, reason = why,
            "batch {index}{lines}: {n} events not delivered: {why}; no dead-letter file, their messageIds: {}",
            ids.join(" ")
        );
        false
    }
}

pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let limits = Limits::with_max_body(args.max_body);
    if !limits.fits_alone(2) {
        return Err(Error::BadLimit(args.max_body));
    }
    if args.max_body > segment::MAX_BODY_BYTES && args.filter.is_none() {
        tracing::warn!(
            "batch-data-size {} is over Segment's limit of {} bytes: requests may be refused",
            args.max_body,
            segment::MAX_BODY_BYTES
        );
    }
    // Files and credentials first: a misconfiguration is exit 2, nothing done.
    let rejects: SharedFile = Arc::new(Mutex::new(Rejects::open(args.rejects.as_deref())?));
    let dead = match (&args.dead_letter, &args.rejects) {
        (Some(d), Some(r)) if d == r => Some((d.clone(), rejects.clone())),
        (Some(d), _) => Some((
            d.clone(),
            Arc::new(Mutex::new(Rejects::open(Some(d.as_path()))?)),
        )),
        (None, Some(r)) => Some((r.clone(), rejects.clone())),
        (None, None) => None,
    };
    let deliverer = match (&args.filter, args.dry_run) {
        (_, true) => None,
        (Some(cmd), false) => Some(Deliverer::Filter(cmd.clone())),
        (None, false) => Some(Deliverer::Http(Box::new(Client::new(
            args.client.config()?,
        )?))),
    };
    let progress = progress_bar();
    let dead = DeadLetter { file: dead };

    let mut stats = Stats::default();
    let read_result = match deliverer {
        None => {
            let mut printed = Stats::default();
            let r = read_and_pack(input, limits, &rejects, &mut stats, &progress, |b| {
                printed.batches += 1;
                printed.events_sent += b.len() as u64;
                printed.bytes += b.body().len() as u64;
                output
                    .write_all(b.body())
                    .and_then(|()| output.write_all(b"\n"))
                    .map_err(Error::Write)
            });
            stats.add_sent(&printed);
            r
        }
        Some(deliverer) => std::thread::scope(|s| {
            let (tx, rx) = sync_channel::<Batch>(1);
            let pb = progress.clone();
            let dead = &dead;
            let sender = s.spawn(move || send_all(&deliverer, rx, dead, &pb));
            let r = read_and_pack(input, limits, &rejects, &mut stats, &progress, |b| {
                tx.send(b).map_err(|_| Error::Sender)
            });
            drop(tx);
            match sender.join() {
                Ok(sent) => {
                    stats.add_sent(&sent);
                    r
                }
                Err(_) => Err(Error::Sender),
            }
        }),
    };
    progress.finish_and_clear();
    segment_bridge_core::logging::set_suspender(None);
    // Flush both files (they may be one) and report a failure to write them.
    let dead_file = dead.file.map(|(_, f)| f);
    let mut written = Ok(());
    for file in [Some(rejects), dead_file].into_iter().flatten() {
        if let Ok(m) = Arc::try_unwrap(file) {
            let r = m
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .finish();
            if let (Ok(()), Err(e)) = (&written, r) {
                written = Err(e);
            }
        }
    }
    read_result?;
    written?;

    let s = &stats;
    let verb = if args.dry_run { "printed" } else { "sent" };
    tracing::info!(
        events_read = s.events_read, events_sent = s.events_sent, batches = s.batches,
        bytes = s.bytes, retries = s.retries, rejected = s.events_rejected,
        failed = s.events_failed, batches_failed = s.batches_failed, dry_run = args.dry_run,
        "{} events read, {} {verb} in {} batches ({} bytes), {} retries, {} rejected, {} failed in {} batches",
        s.events_read,
        s.events_sent,
        s.batches,
        s.bytes,
        s.retries,
        s.events_rejected,
        s.events_failed,
        s.batches_failed
    );
    let status = if s.events_failed > 0 {
        ExitStatus::Failed
    } else if s.events_rejected > 0 {
        ExitStatus::Rejected
    } else {
        ExitStatus::Ok
    };
    Ok(Outcome::with_status(status)
        .count("events_read", s.events_read)
        .count("events_sent", s.events_sent)
        .count("events_rejected", s.events_rejected)
        .count("events_failed", s.events_failed)
        .count("batches", s.batches)
        .count("retries", s.retries))
}

impl Stats {
    fn add_sent(&mut self, o: &Stats) {
        self.events_sent += o.events_sent;
        self.events_failed += o.events_failed;
        self.batches += o.batches;
        self.batches_failed += o.batches_failed;
        self.bytes += o.bytes;
        self.retries += o.retries;
    }
}

/// Reads, validates and packs the input, handing each full batch to `emit`.
fn read_and_pack(
    input: Input<'_>,
    limits: Limits,
    rejects: &SharedFile,
    stats: &mut Stats,
    progress: &ProgressBar,
    mut emit: impl FnMut(Batch) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut reader = LineReader::new(input);
    let mut packer = Packer::new(limits);
    let read_error = loop {
        let line = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break None,
            // Send what was read before the error, then report it.
            Err(e) => break Some(e),
        };
        if line.is_blank() {
            continue;
        }
        stats.events_read += 1;
        progress.inc(1);
        let pushed = match check_event_with(line.bytes, limits.max_event) {
            Ok(json) => packer.push(line.number, &json).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.to_string()),
        };
        match pushed {
            Ok(None) => {}
            Ok(Some(batch)) => emit(batch)?,
            Err(reason) => {
                tracing::warn!(line = line.number, reason = %reason, "line {}: {reason}", line.number);
                stats.events_rejected += 1;
                lock(rejects).reject(line.bytes)?;
            }
        }
    };
    if let Some(batch) = packer.finish() {
        emit(batch)?;
    }
    match read_error {
        Some(e) => Err(Error::Read(e)),
        None => Ok(()),
    }
}

/// The sender thread: delivers each batch, dead-letters the ones that fail.
fn send_all(
    deliverer: &Deliverer,
    rx: Receiver<Batch>,
    dead: &DeadLetter,
    progress: &ProgressBar,
) -> Stats {
    let mut st = Stats::default();
    let mut refused: Option<String> = None;
    let mut index = 0u64;
    for batch in rx {
        index += 1;
        let n = batch.len() as u64;
        let failure = match &refused {
            // Same key, same answer: don't knock again with every batch.
            Some(why) => Some(format!("not sent: {why}")),
            None => {
                let (result, retries) = deliverer.deliver(index, &batch);
                st.retries += u64::from(retries);
                match result {
                    Ok(()) => None,
                    Err(e) => {
                        let why = chain(&e);
                        if e.is_auth() {
                            refused = Some(format!("an earlier batch was refused ({why})"));
                        }
                        Some(why)
                    }
                }
            }
        };
        match failure {
            None => {
                st.batches += 1;
                st.events_sent += n;
                st.bytes += batch.body().len() as u64;
            }
            Some(why) => {
                st.batches_failed += 1;
                st.events_failed += n;
                dead.write(index, &batch, &why);
            }
        }
        progress.set_message(format!(
            "{} events sent in {} batches",
            st.events_sent, st.batches
        ));
    }
    st
}

/// A spinner on stderr when it is a terminal and logs are text; hidden
/// otherwise. Log lines are written with the spinner suspended.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() || segment_bridge_core::logging::is_json() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos} events read, {msg} [{elapsed}]")
    {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let bar = pb.clone();
    segment_bridge_core::logging::set_suspender(Some(Arc::new(move |write| bar.suspend(write))));
    pb
}
