//! The entry helper every tool's `main.rs` calls.
//!
//! It parses the arguments (clap: `--help`, usage errors exit 2), sets up
//! logging to stderr (human text, or JSON lines with `LOG_FORMAT=json`),
//! hands locked stdin and buffered stdout to the tool's `run`, flushes, prints
//! the error chain of a failure, and turns the result into the exit code of
//! `docs/exit-codes.md`. A reader that goes away (`tool | head`) is not an error: the tool
//! stops quietly with exit 0, as `ripgrep` does.

use std::fmt;
use std::io::{self, BufRead, Write};

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::error::{chain, is_broken_pipe, ToolError};
use crate::exit::{ExitStatus, Outcome};

/// Standard input as handed to a tool.
pub type Input<'a> = &'a mut dyn BufRead;
/// Standard output as handed to a tool (already buffered; flushed after run).
pub type Output<'a> = &'a mut dyn Write;

/// Parses `A`, runs `run(args, stdin, stdout)` and returns the exit code.
///
/// ```no_run
/// # use segment_bridge_core::{cli, Outcome, Error};
/// #[derive(clap::Parser)]
/// struct Args {}
/// fn main() -> std::process::ExitCode {
///     cli::main("my-tool", |_args: Args, _input, _output| Ok::<_, Error>(Outcome::ok()))
/// }
/// ```
pub fn main<A, E, F>(tool: &'static str, run: F) -> std::process::ExitCode
where
    A: clap::Parser,
    E: ToolError,
    F: FnOnce(A, Input<'_>, Output<'_>) -> Result<Outcome, E>,
{
    let args = match A::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // --help / --version print to stdout and exit 0; errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Usage.into()
            } else {
                ExitStatus::Ok.into()
            };
        }
    };
    init_logging(tool);

    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut output = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let started = std::time::Instant::now();
    let result = run(args, &mut input, &mut output);
    let flushed = output.flush();

    let status = match &result {
        Ok(outcome) => match &flushed {
            Ok(()) => outcome.status,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitStatus::Ok,
            Err(e) => {
                tracing::error!("cannot write standard output: {e}");
                ExitStatus::Failed
            }
        },
        Err(e) if is_broken_pipe(e) => ExitStatus::Ok,
        Err(e) => {
            tracing::error!("{}", chain(e));
            e.exit_status()
        }
    };
    let counts = result.as_ref().map_or(&[][..], |o| &o.counts[..]);
    crate::metrics::push_run_if_configured(tool, status, counts, started.elapsed());
    status.into()
}

/// Logging to stderr for `tool`: `LOG_LEVEL` (a tracing filter, default
/// `info`) and `LOG_FORMAT=json` for JSON lines. Safe to call twice.
pub fn init_logging(tool: &'static str) {
    // kube-client logs every failed request at error level, before our own
    // error (which carries the same cause) is printed: silence it unless
    // LOG_LEVEL asks.
    let filter = EnvFilter::try_from_env(crate::env::LOG_LEVEL)
        .unwrap_or_else(|_| EnvFilter::new("info,kube_client=off"));
    let json = std::env::var(crate::env::LOG_FORMAT).is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    let _ = if json {
        builder
            .json()
            .with_current_span(false)
            .flatten_event(true)
            .try_init()
    } else {
        builder.event_format(Human { tool }).try_init()
    };
}

/// `tool: message`, with `error: ` / `warning: ` before errors and warnings,
/// the way Unix tools talk.
struct Human {
    tool: &'static str,
}

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = *event.metadata().level();
        let prefix = match level {
            tracing::Level::ERROR => "error: ",
            tracing::Level::WARN => "warning: ",
            tracing::Level::DEBUG => "debug: ",
            tracing::Level::TRACE => "trace: ",
            tracing::Level::INFO => "",
        };
        write!(writer, "{}: {prefix}", self.tool)?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
