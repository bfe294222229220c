//! segment-uploader (docs/tools/segment-uploader.md): sends the events on stdin to Segment's batch
//! API as one request. Events Segment would drop silently are rejected and
//! reported instead (stderr, `--rejects`); the rest go out in one body that
//! is built and counted exactly as segment-mass-uploader's (the front half
//! they share, `segment-bridge-segment`'s `intake`). Input that does
//! not fit in one request is refused before anything is sent (exit 2: the
//! tool was handed a job that is segment-mass-uploader's).

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::rejects::{self, Rejects};
use segment_bridge_core::{Error as CoreError, ExitStatus, Outcome, ToolError};
use segment_bridge_segment::{
    self as segment, read_batches, Batch, Client, Intake, IntakeError, Limits, SendError, Step,
    UploadArgs,
};

/// Sends JSON-lines events from stdin to Segment's batch API in one request.
///
/// Credentials: `SEGMENT_WRITE_KEY`, else the login of the API host's entry
/// in the netrc file (`CURL_NETRC`, default `$HOME/.netrc`).
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Example:\n  splunk-to-segment < rows.jsonl | segment-uploader --rejects rejected.jsonl\n  \
                  segment-uploader --dry-run < events.jsonl   # print the payload, send nothing"
)]
pub struct Args {
    #[command(flatten)]
    pub upload: UploadArgs,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
    #[error(
        "input does not fit in one batch (at most {max_body} bytes and {max_events} events): \
         line {line} would pass it; nothing was sent\n\
         hint: segment-mass-uploader sends any amount"
    )]
    TooBig {
        line: u64,
        max_body: usize,
        max_events: usize,
    },
    #[error("cannot deliver the batch of {events} events to {url}")]
    Send {
        events: usize,
        url: String,
        #[source]
        source: SendError,
    },
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::TooBig { .. } => ExitStatus::Usage,
            Error::Core(e) => e.exit_status(),
            Error::Send { .. } => ExitStatus::Failed,
        }
    }
}

/// Reads the input into at most one batch; rejected lines go to `rejects`.
fn one_batch(
    input: Input<'_>,
    limits: Limits,
    rejects: &mut Rejects,
) -> Result<(Intake, Option<Batch>), Error> {
    let mut batch = None;
    let r = read_batches(input, limits, None, |step| match step {
        // The packer hands a batch on only when the next event did not fit
        // (or at the end): a second one means the input is too big.
        Step::Batch(b) if batch.is_some() => Err(Error::TooBig {
            line: b.line_range().map_or(0, |(first, _)| first),
            max_body: limits.max_body,
            max_events: limits.max_events,
        }),
        Step::Batch(b) => {
            batch = Some(b);
            Ok(())
        }
        Step::Rejected { line, raw, why } => rejects
            .reject_at(rejects::At::line(line), &why, raw)
            .map_err(Error::from),
    });
    let intake = r.map_err(IntakeError::into_tool_error)?;
    Ok((intake, batch))
}

pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let args = args.upload;
    let limits = args.batch.limits(!args.dry_run).map_err(CoreError::from)?;
    let mut rejects = Rejects::open(args.rejects.as_deref())?;
    // Credentials before reading anything: a misconfiguration is exit 2 with
    // nothing done.
    let client = if args.dry_run {
        None
    } else {
        Some(Client::new(args.client.config()?)?)
    };
    let (intake, batch) = one_batch(input, limits, &mut rejects)?;
    let rejected = rejects.finish()?;
    let (events, bytes) = batch.as_ref().map_or((0, 0), |b| (b.len(), b.body().len()));

    let mut retries = 0;
    match (&client, &batch) {
        (None, _) => {
            let empty = segment::payload([]);
            let body = batch.as_ref().map_or(&empty[..], |b| b.body());
            output
                .write_all(body)
                .and_then(|()| output.write_all(b"\n"))
                .map_err(CoreError::Stdout)?;
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
    let read = intake.events_read;
    Ok(Outcome::from_rejects(rejected)
        .count_fields(&intake)
        .count_all(intake.fixes.fields())
        .count("events_sent", if args.dry_run { 0 } else { events as u64 })
        .count("batches", u64::from(!args.dry_run && events > 0))
        .count("bytes", bytes as u64)
        .count("retries", u64::from(retries))
        .field("dry_run", args.dry_run)
        .summary(format!(
            "{read} events read, {events} {verb} ({bytes} bytes), {retries} retries, {rejected} rejected"
        )))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}
