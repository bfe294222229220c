//! segment-mass-uploader (docs/tools/segment-mass-uploader.md): streams any number of events into as
//! few Segment batch requests as the limits allow, and loses none silently.
//!
//! The calling thread reads, validates and packs (the front half shared with
//! segment-uploader, `segment-bridge-segment`'s `intake`); full batches go through a
//! channel of one slot to a sender thread, so requests go out while input is
//! still being read and memory stays at about three batches (one filling,
//! one waiting, one in flight) however long the input is. The sender thread
//! owns the rejects and dead-letter files. Every input event
//! ends up delivered, rejected (stderr + `--rejects`: what Segment would drop
//! silently or can't take) or dead-lettered (its batch failed after its
//! retries: `--dead-letter`, else the rejects file, else its `messageId`s in
//! the log), and the exit status says which happened.

mod deliver;
mod ledger;
mod letters;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;

use indicatif::{ProgressBar, ProgressStyle};
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::rejects::{At, Reporter};
use segment_bridge_core::{env, ExitStatus, Outcome};
use segment_bridge_segment::{
    read_batches, Client, Delivered, Intake, IntakeError, Limits, Step, UploadArgs,
};

pub use deliver::{Deliverer, Failure};
use deliver::{Sender, Work};
pub use letters::Letters;

/// Streams JSON-lines events from stdin to Segment's batch API in as few
/// requests as the limits allow (500,000 bytes, 2,500 events per request).
///
/// Credentials: `SEGMENT_WRITE_KEY`, else the login of the API host's entry
/// in the netrc file (`CURL_NETRC`, default `$HOME/.netrc`).
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Example:\n  fetch-uj-records | splunk-to-segment | segment-mass-uploader --rejects rejects.jsonl\n  \
                  segment-mass-uploader --filter 'segment-uploader' < events.jsonl   # as split --filter did"
)]
pub struct Args {
    #[command(flatten)]
    pub upload: UploadArgs,

    /// Write the events of batches that failed after their retries to this
    /// file [default: the --rejects file]. Feed it back in to retry them.
    #[arg(long, value_name = "FILE")]
    pub dead_letter: Option<PathBuf>,

    /// Pipe each batch's events (one per line) to `sh -c CMD` instead of
    /// sending them; a failing CMD fails the batch.
    #[arg(long, value_name = "CMD", conflicts_with = "dry_run")]
    pub filter: Option<String>,

    /// The delivery ledger: a file of `messageId`s, one per line. Events
    /// listed in it are skipped (`already delivered`); the ids of every
    /// batch Segment accepts are appended to it.
    #[arg(long, env = env::SEGMENT_LEDGER, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

/// The tool's errors are core's: configuration (exit 2), standard input
/// and output, the sender thread (exit 1).
pub use segment_bridge_core::Error;

/// The figures of the sending side (its fields are the metrics' names).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub events_sent: u64,
    pub events_failed: u64,
    pub batches: u64,
    pub batches_failed: u64,
    /// Bytes of the delivered bodies (uncompressed).
    pub bytes: u64,
    /// Bytes that went on the wire for them (compressed with `--gzip`).
    pub wire_bytes: u64,
    pub retries: u64,
    /// Events Segment refused one by one after bisection (dead-lettered).
    pub events_refused: u64,
    /// Requests made to send halves of refused batches.
    pub bisect_requests: u64,
}

pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let upload = &args.upload;
    let limits = upload
        .batch
        .limits(args.filter.is_none())
        .map_err(Error::from)?;
    // Files and credentials first: a misconfiguration is exit 2, nothing done.
    let letters = Letters::open(upload.rejects.as_deref(), args.dead_letter.as_deref())?;
    let deliverer = match (&args.filter, upload.dry_run) {
        (_, true) => None,
        (Some(cmd), false) => Some(Deliverer::Filter(cmd.clone())),
        (None, false) => Some(Deliverer::Http(Box::new(Client::new(
            upload.client.config()?,
        )?))),
    };
    let progress = progress_bar();
    let ledger = match (&args.ledger, &deliverer) {
        (Some(path), Some(Deliverer::Http(_))) => Some(ledger::open(path)),
        _ => None,
    };
    let (known, journal) = ledger.unzip();
    if let Some(k) = &known {
        tracing::debug!("ledger: {} messageIds delivered before", k.len());
    }
    let known = known.as_ref().map(|k| k as &dyn Delivered);
    let (intake, stats, letters) = match deliverer {
        None => print_batches(input, output, limits, letters, &progress),
        Some(d) => {
            let sender = Sender::new(d, letters, journal, progress.clone());
            send_batches(input, limits, known, sender)
        }
    }?;
    progress.finish_and_clear();
    segment_bridge_core::logging::set_suspender(None);
    let written = letters.finish();
    let intake = intake?;
    written?;
    Ok(summary(&intake, &stats, upload.dry_run))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}

/// What a run did: the read result (an error after what was read was
/// handed on), the sending figures, and the files to flush.
type Ran = (Result<Intake, Error>, Stats, Letters);

/// `--dry-run`: each batch's payload on stdout, on this thread.
fn print_batches(
    input: Input<'_>,
    output: Output<'_>,
    limits: Limits,
    mut letters: Letters,
    progress: &ProgressBar,
) -> Result<Ran, Error> {
    let mut st = Stats::default();
    let mut reporter = Reporter::default();
    let r = read_batches(input, limits, None, |step| match step {
        Step::Batch(b) => {
            progress.inc(b.len() as u64);
            st.batches += 1;
            st.events_sent += b.len() as u64;
            st.bytes += b.body().len() as u64;
            output
                .write_all(b.body())
                .and_then(|()| output.write_all(b"\n"))
                .map_err(Error::Stdout)
        }
        Step::Rejected { line, raw, why } => {
            reporter.report(At::line(line), &why);
            letters.reject(raw);
            Ok(())
        }
    });
    Ok((r.map_err(IntakeError::into_tool_error), st, letters))
}

/// Sends on a thread of its own while this one reads.
fn send_batches(
    input: Input<'_>,
    limits: Limits,
    known: Option<&dyn Delivered>,
    sender: Sender,
) -> Result<Ran, Error> {
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Work>(1);
        let consumer = s.spawn(move || sender.run(rx));
        let mut reporter = Reporter::default();
        let r = read_batches(input, limits, known, |step| {
            let work = match step {
                Step::Batch(b) => Work::Batch(b),
                Step::Rejected { line, raw, why } => {
                    reporter.report(At::line(line), &why);
                    Work::Reject(raw.to_vec())
                }
            };
            tx.send(work).map_err(|_| Error::Thread("sender"))
        });
        drop(tx);
        let (stats, letters) = consumer.join().map_err(|_| Error::Thread("sender"))?;
        Ok((r.map_err(IntakeError::into_tool_error), stats, letters))
    })
}

/// The summary line and the run's outcome.
fn summary(intake: &Intake, s: &Stats, dry_run: bool) -> Outcome {
    let verb = if dry_run { "printed" } else { "sent" };
    let status = if s.events_failed > 0 {
        ExitStatus::Failed
    } else if intake.events_rejected > 0 {
        ExitStatus::Rejected
    } else {
        ExitStatus::Ok
    };
    Outcome::with_status(status)
        .count_fields(intake)
        .count_all(intake.fixes.fields())
        .count_fields(s)
        .field("dry_run", dry_run)
        .summary(format!(
            "{} events read, {} already delivered, {} {verb} in {} batches ({} bytes, {} on the wire), \
             {} retries, {} rejected, {} failed in {} batches ({} refused by Segment, found in {} \
             bisection requests)",
            intake.events_read,
            intake.already_delivered,
            s.events_sent,
            s.batches,
            s.bytes,
            s.wire_bytes,
            s.retries,
            intake.events_rejected,
            s.events_failed,
            s.batches_failed,
            s.events_refused,
            s.bisect_requests
        ))
}

/// A spinner on stderr when it is a terminal and logs are text; hidden
/// otherwise. Log lines are written with the spinner suspended.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() || segment_bridge_core::logging::is_json() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos} events packed, {msg} [{elapsed}]")
    {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let bar = pb.clone();
    segment_bridge_core::logging::set_suspender(Some(std::sync::Arc::new(move |write| {
        bar.suspend(write)
    })));
    pb
}
