//! mk-segment-batch-payload (docs/tools/mk-segment-batch-payload.md): a JSON
//! text stream in (values separated by any white space, as jq reads them;
//! docs/json-streams.md), one Segment batch payload `{"batch":[…]}` out,
//! compact and newline-terminated, as the original's `jq -c -s '{batch: .}'`
//! printed it. Each value's JSON text is embedded as written (white space
//! removed), so number literals survive untouched; invalid UTF-8 in
//! strings, keys given twice and numbers beyond the double range are
//! settled as jq settles them, each warned with its line and counted. An invalid value is an
//! error naming the line and column where it starts, and then nothing at all
//! is printed: a half payload is worse than none.

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{Outcome, ToolError};
use segment_bridge_json::jq::Fixes;
use segment_bridge_json::JsonStream;
use segment_bridge_segment::payload;

/// Wraps the JSON values on stdin (any white space between them) into one Segment batch payload on stdout.
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Example:\n  splunk-to-segment < rows.jsonl | mk-segment-batch-payload > payload.json\n\n\
                  Empty input gives {\"batch\":[]}. Values may be separated by any white space\n\
                  (several on a line, one over many lines, blank lines), as jq reads them. For\n\
                  input larger than one request may be, use segment-mass-uploader."
)]
pub struct Args {}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("line {line}, column {column}: invalid JSON: {reason}")]
    InvalidValue {
        line: u64,
        column: u64,
        reason: Reason,
    },
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
}

/// Every error here is a failure (exit 1), the trait's default.
impl ToolError for Error {}

/// Why a value is not valid JSON: what the stream reader found, or what
/// the payload writer's check found.
#[derive(Debug, thiserror::Error)]
pub enum Reason {
    #[error(transparent)]
    Syntax(#[from] segment_bridge_json::StreamError),
    #[error(transparent)]
    Json(#[from] segment_bridge_json::token::SyntaxError),
}

pub fn run(_args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let mut reader = JsonStream::new(input);
    // Every event, compact, one after the other; printed only once all are
    // known to be valid.
    let mut text = Vec::new();
    let mut spans = Vec::new();
    let mut fixes = Fixes::default();
    while let Some(value) = reader
        .next_value()
        .map_err(segment_bridge_core::Error::Stdin)?
    {
        let invalid = |reason| Error::InvalidValue {
            line: value.number,
            column: value.column,
            reason,
        };
        if let Some(e) = value.error {
            return Err(invalid(Reason::Syntax(e)));
        }
        let (json, changed) =
            payload::json_value(value.bytes).map_err(|e| invalid(Reason::Json(e)))?;
        if changed.any() {
            segment_bridge_segment::warn_fixes(value.number, value.column, changed);
            fixes.add(changed);
        }
        let start = text.len();
        text.extend_from_slice(&json);
        spans.push(start..text.len());
    }
    let events = spans.iter().map(|r| &text[r.clone()]);
    let bytes = payload::body_len(spans.iter().map(ExactSizeIterator::len));
    payload::write_payload(output, events)
        .and_then(|()| output.write_all(b"\n"))
        .map_err(segment_bridge_core::Error::Stdout)?;
    tracing::debug!(
        events = spans.len(),
        bytes,
        "{} events, {bytes} bytes",
        spans.len()
    );
    Ok(Outcome::ok()
        .count("events_read", spans.len() as u64)
        .count("bytes", bytes as u64)
        .count_all(fixes.fields()))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_core::cli::main(env!("CARGO_PKG_NAME"), argv, run)
}
