//! segment-uploader (SPEC §2.5): sends the events on stdin to Segment's batch
//! API as one request. Events Segment would drop silently are rejected and
//! reported instead (stderr, `--rejects`); the rest go out in one body that
//! is built and counted exactly as segment-mass-uploader's. Input that does
//! not fit in one request is refused before anything is sent (exit 2: the
//! tool was handed a job that is segment-mass-uploader's).

use std::path::PathBuf;

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::env;
use segment_bridge_core::jsonl::LineReader;
use segment_bridge_core::rejects::Rejects;
use segment_bridge_core::segment::{
    self, check_event_with, Client, ClientArgs, Limits, Packer, SendError, SetupError,
};
use segment_bridge_core::{ExitStatus, Outcome, ToolError};

/// Sends JSON-lines events from stdin to Segment's batch API in one request.
///
/// Credentials: `SEGMENT_WRITE_KEY`, else the login of the API host's entry
/// in the netrc file (`CURL_NETRC`, default `$HOME/.netrc`).
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Example:\n  splunk-to-segment < rows.jsonl | segment-uploader --rejects rejected.jsonl\n  \
                  segment-uploader --dry-run < events.jsonl   # print the payload, send nothing\n\n\
                  Exit status: 0 sent, 1 failed, 2 usage/configuration error or input larger than one\n\
                  batch (nothing sent), 3 sent but some events were rejected."
)]
pub struct Args {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Largest request body in bytes (Segment refuses bodies over 500,000).
    #[arg(long = "batch-data-size", env = env::SEGMENT_BATCH_DATA_SIZE, default_value_t = segment::MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body: usize,

    /// Also write rejected input lines, as read, to this file.
    #[arg(long)]
    pub rejects: Option<PathBuf>,

    /// Print the payload on stdout instead of sending it (needs no write key).
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
    #[error(
        "input does not fit in one batch (at most {max_body} bytes and {max_events} events): \
         line {line} would pass it; nothing was sent\nhint: segment-mass-uploader sends any amount"
    )]
    TooBig {
        line: u64,
        max_body: usize,
        max_events: usize,
    },
    #[error("batch-data-size {0} is too small for any event")]
    BadLimit(usize),
    #[error("cannot deliver the batch of {events} events to {url}")]
    Send {
        events: usize,
        url: String,
        #[source]
        source: SendError,
    },
    #[error("cannot read standard input")]
    Read(#[source] std::io::Error),
    #[error("cannot write standard output")]
    Write(#[source] std::io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Setup(_) | Error::TooBig { .. } | Error::BadLimit(_) => ExitStatus::Usage,
            Error::Core(e) => e.exit_status(),
            Error::Send { .. } | Error::Read(_) | Error::Write(_) => ExitStatus::Failed,
        }
    }
}

pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let limits = Limits::with_max_body(args.max_body);
    if !limits.fits_alone(2) {
        return Err(Error::BadLimit(args.max_body));
    }
    let mut rejects = Rejects::open(args.rejects.as_deref())?;
    // Credentials before reading anything: a misconfiguration is exit 2 with
    // nothing done.
    let client = if args.dry_run {
        None
    } else {
        Some(Client::new(args.client.config()?)?)
    };

    let mut reader = LineReader::new(input);
    let mut packer = Packer::new(limits);
    let mut read = 0u64;
    while let Some(line) = reader.next_line().map_err(Error::Read)? {
        if line.is_blank() {
            continue;
        }
        read += 1;
        let pushed = match check_event_with(line.bytes, limits.max_event) {
            Ok(json) => packer.push(line.number, &json).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.to_string()),
        };
        match pushed {
            Ok(None) => {}
            Ok(Some(_full)) => {
                return Err(Error::TooBig {
                    line: line.number,
                    max_body: limits.max_body,
                    max_events: limits.max_events,
                })
            }
            Err(reason) => {
                tracing::warn!(line = line.number, reason = %reason, "line {}: {reason}", line.number);
                rejects.reject(line.bytes)?;
            }
        }
    }
    let rejected = rejects.finish()?;
    let batch = packer.finish();
    let (events, bytes) = batch.as_ref().map_or((0, 0), |b| (b.len(), b.body().len()));

    let mut retries = 0;
    match (&client, &batch) {
        (None, _) => {
            let empty = segment::payload([]);
            let body = batch.as_ref().map_or(&empty[..], |b| b.body());
            output
                .write_all(body)
                .and_then(|()| output.write_all(b"\n"))
                .map_err(Error::Write)?;
        }
        (Some(_), None) => tracing::info!("no events to send"),
        (Some(client), Some(batch)) => {
            let sent = client.send(batch.body());
            retries = sent.retries;
            sent.result.map_err(|source| Error::Send {
                events,
                url: client.url(),
                source,
            })?;
        }
    }
    let verb = if args.dry_run { "printed" } else { "sent" };
    tracing::info!(
        events_read = read, events_sent = events, bytes, retries, rejected, dry_run = args.dry_run,
        "{read} events read, {events} {verb} ({bytes} bytes), {retries} retries, {rejected} rejected"
    );
    Ok(Outcome::from_rejects(rejected)
        .count("events_read", read)
        .count("events_sent", if args.dry_run { 0 } else { events as u64 })
        .count("events_rejected", rejected)
        .count("batches", u64::from(!args.dry_run && events > 0))
        .count("retries", u64::from(retries)))
}
