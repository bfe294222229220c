//! `splunk-to-segment` (docs/tools/splunk-to-segment.md): Splunk export rows
//! in, Segment track events out.
//!
//! The library holds the whole tool: [`Args`] and [`run`] for the binary and
//! the tests, [`Transformer`] for one record at a time, [`Map`] for the uid
//! and workspace maps, [`Verdict`] and [`Rejection`] for what became of a
//! record. The input is a JSON text stream (docs/json-streams.md), cut into
//! batches of lines that are transformed on all cores and written in input
//! order, so the output does not depend on the machine (nor on how the
//! input arrives). `record` reads a line, `transform` does the rest.

mod fused;
mod hash;
mod input;
mod json;
mod maps;
#[cfg(test)]
mod paths;
mod process;
mod record;
mod reject;
mod scan;
mod transform;
mod walk;

use std::path::PathBuf;

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::rejects::Rejects;
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};

pub use maps::{Map, MapError, MapValue};
pub use process::Counts;
pub use reject::{FieldName, Rejection, Unmapped, Verdict};
pub use scan::Kind;
pub use transform::{Scratch, Transformer, EVENT_KEYS};

const AFTER_HELP: &str = "\
Examples:
  fetch-uj-records | UID_MAP_FILE=uid-map.json WS_MAP_FILE=ws-map.json \\
      splunk-to-segment --rejects rejected.jsonl | segment-mass-uploader
  splunk-to-segment --uid-map uid-map.json --ws-map ws-map.json \\
      --input-format csv < splunk-export.csv > events.jsonl

Rules: docs/tools/splunk-to-segment.md.";

/// Turn Splunk export rows (`{"preview":…,"result":{…}}`, one per line or
/// any JSON text stream jq reads) into Segment track events (JSON lines),
/// mapping cluster usernames to SSO ids.
///
/// A row is dropped (and counted) when its namespace has no workspace owner,
/// the owner has no SSO id, or the acting user has no SSO id; a row that is
/// not what Splunk sends is rejected and reported, and the rest goes on.
#[derive(Debug, Clone, clap::Parser)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// JSON object: cluster username → SSO user id (from get-uid-map). An
    /// empty file means no mappings (every row is dropped).
    #[arg(long, env = env::UID_MAP_FILE, value_name = "FILE", default_value = "/dev/null")]
    pub uid_map: PathBuf,

    /// JSON object: namespace → workspace owner username (from
    /// get-workspace-map). An empty file means no mappings.
    #[arg(long, env = env::WS_MAP_FILE, value_name = "FILE", default_value = "/dev/null")]
    pub ws_map: PathBuf,

    /// Write each rejected record here, as it was read (csv and json input:
    /// as the JSON line it became), so it can be fixed and fed back.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// What stdin holds: Splunk export rows (JSON lines, or any JSON text
    /// stream: pretty-printed, several per line), a `{"results":[…]}`
    /// document, or a CSV export with a header row (empty cells are absent
    /// fields). `auto` looks at the first value (or non-blank line).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Don't print the summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,

    /// Worker threads for JSON lines (0: one per core, at most 8).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
}

/// The most worker threads `--threads 0` picks: past this, more threads only
/// wait on the one ordered writer (docs/tools/splunk-to-segment.md).
const MAX_AUTO_THREADS: usize = 8;

/// See [`Args::input_format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Auto,
    Jsonl,
    Json,
    Csv,
}

/// What can stop the tool as a whole (a bad record never does).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad uid map (--uid-map / UID_MAP_FILE)")]
    UidMap(#[source] MapError),
    #[error("bad workspace map (--ws-map / WS_MAP_FILE)")]
    WsMap(#[source] MapError),
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
    #[error("the input document has no `results` array")]
    NoResults,
    #[error("cannot read the CSV input")]
    Csv(#[source] csv::Error),
    #[error("the CSV header is not UTF-8")]
    CsvHeader,
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::UidMap(_) | Error::WsMap(_) => ExitStatus::Usage,
            Error::Core(e) => e.exit_status(),
            _ => ExitStatus::Failed,
        }
    }
}

/// Runs the tool: maps and the rejects file first (a problem there exits 2
/// before stdin is touched), then the records.
pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let transformer = load_maps(&args)?;
    run_with(&transformer, &args, input, output)
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}

/// The transform of `args`' two maps, read side by side (they are
/// independent).
pub fn load_maps(args: &Args) -> Result<Transformer, Error> {
    let (uid, ws) = std::thread::scope(|s| {
        let ws = s.spawn(|| Map::load(&args.ws_map));
        let uid = Map::load(&args.uid_map);
        (uid, ws.join())
    });
    let uid = uid.map_err(Error::UidMap)?;
    let ws = ws
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        .map_err(Error::WsMap)?;
    Ok(Transformer::new(uid, ws))
}

/// [`run`] with the maps loaded before (`args`' map paths are not read):
/// many runs can share one transform, as the fuzz harness's do.
pub fn run_with(
    transformer: &Transformer,
    args: &Args,
    input: Input<'_>,
    output: Output<'_>,
) -> Result<Outcome, Error> {
    let rejects = Rejects::open(args.rejects.as_deref())?;
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_AUTO_THREADS))
    } else {
        args.threads
    };
    let mut sink = process::Sink::new(output, rejects);
    input::dispatch(args.input_format, transformer, input, &mut sink, threads)?;
    let counts = sink.finish()?;
    let outcome = Outcome::from_rejects(counts.rejected)
        .count_fields(&counts)
        .count_all(counts.fixes.fields());
    let outcome = [
        ("no_workspace", counts.no_workspace),
        ("no_owner_id", counts.no_owner_id),
        ("no_user_id", counts.no_user_id),
    ]
    .into_iter()
    .fold(outcome, |o, (reason, n)| {
        o.count_by("events_dropped", "reason", reason, n)
    });
    Ok(if args.quiet {
        outcome
    } else {
        outcome.summary(counts.summary())
    })
}
