//! mk-segment-batch-payload (SPEC §2.4): JSON lines in, one Segment batch
//! payload `{"batch":[…]}` out, compact and newline-terminated, as the
//! original's `jq -c -s '{batch: .}'` printed it. Each line's JSON text is
//! embedded as written (white space removed), so number literals survive
//! untouched. An invalid line is an error naming its line number, and then
//! nothing at all is printed: a half payload is worse than none.

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::jsonl::LineReader;
use segment_bridge_core::segment::payload;
use segment_bridge_core::{ExitStatus, Outcome, ToolError};

/// Wraps JSON lines from stdin into one Segment batch payload on stdout.
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Example:\n  splunk-to-segment < rows.jsonl | mk-segment-batch-payload > payload.json\n\n\
                  Empty input gives {\"batch\":[]}. Blank lines are skipped. For input larger than one\n\
                  request may be, use segment-mass-uploader."
)]
pub struct Args {}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("line {line}: {reason}")]
    InvalidLine { line: u64, reason: String },
    #[error("cannot read standard input")]
    Read(#[source] std::io::Error),
    #[error("cannot write standard output")]
    Write(#[source] std::io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::Failed
    }
}

pub fn run(_args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let mut reader = LineReader::new(input);
    let mut body = payload::BATCH_PREFIX.to_vec();
    let mut events = 0u64;
    while let Some(line) = reader.next_line().map_err(Error::Read)? {
        if line.is_blank() {
            continue;
        }
        let json = payload::json_value(line.bytes).map_err(|e| Error::InvalidLine {
            line: line.number,
            reason: format!("invalid JSON: {e}"),
        })?;
        if events > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&json);
        events += 1;
    }
    body.extend_from_slice(payload::BATCH_SUFFIX);
    body.push(b'\n');
    output.write_all(&body).map_err(Error::Write)?;
    tracing::debug!(
        events,
        bytes = body.len() - 1,
        "{events} events, {} bytes",
        body.len() - 1
    );
    Ok(Outcome::ok()
        .count("events_read", events)
        .count("bytes", body.len() as u64 - 1))
}
