//! The entry helper every tool's `main.rs` calls.
//!
//! It sets up logging to stderr (human text, or JSON lines with
//! `LOG_FORMAT=json`; see [`crate::logging`]), parses the arguments (clap;
//! `--help` carries the shared footer of [`footer`] (the tool's exit codes
//! from the one table, then the shared environment variables), `--version` the commit
//! and target the binary was built from; usage errors exit 2 and are logged
//! in the chosen format), hands locked stdin and buffered stdout to the
//! tool's `run`, flushes, prints the error chain of a failure (with any
//! `hint:` on its own line), and turns the result into the exit code of
//! `docs/exit-codes.md`. A reader that goes away (`tool | head`) is not an
//! error: the tool stops quietly with exit 0, as `ripgrep` does.
//!
//! `TOOL --generate SHELL|man` prints a shell completion script (bash, zsh,
//! fish, elvish, powershell) or the man page, for the image build.

use std::io::{self, BufRead, Write};

use clap::CommandFactory;

use crate::error::{chain_with_hints, is_broken_pipe, split_hints, ToolError};
use crate::exit::{ExitStatus, Outcome};
use crate::logging;
use crate::metrics::Pusher;

/// Standard input as handed to a tool.
pub type Input<'a> = &'a mut dyn BufRead;
/// Standard output as handed to a tool (already buffered; flushed after run).
pub type Output<'a> = &'a mut dyn Write;

/// `VERSION (commit COMMIT, TARGET)`: what `--version` prints after the
/// tool's name. The commit is the git commit the binary was built from
/// (`SEGMENT_BRIDGE_GIT_COMMIT` at build time, else `git rev-parse`, else
/// `unknown`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SEGMENT_BRIDGE_GIT_COMMIT"),
    ", ",
    env!("SEGMENT_BRIDGE_TARGET"),
    ")"
);

/// The git commit of the build (`unknown` when built outside a checkout).
pub const GIT_COMMIT: &str = env!("SEGMENT_BRIDGE_GIT_COMMIT");

/// The environment variables every tool reads: the end of every tool's
/// help footer, after its exit codes ([`footer`]).
pub const ENV_FOOTER: &str = "\
Environment (every tool):
  LOG_FORMAT       `json` for one JSON object per log line (default: text)
  LOG_LEVEL        trace, debug, info (default), warn, error, off, or a tracing
                   filter such as `info,segment_bridge_core=debug`
  RUST_LOG         used when LOG_LEVEL is unset";

/// The help footer of `tool`: its exit codes, rendered from the one table
/// (`crate::exit_codes`), then the environment variables every tool reads.
pub fn footer(tool: &str) -> String {
    format!("{}\n\n{ENV_FOOTER}", crate::exit_codes::help_block(tool))
}

/// The end of the help footer of a tool that speaks HTTP (its API, or only
/// the Pushgateway): the network variables every such tool reads.
pub const NETWORK_FOOTER: &str =
    "  PUSHGATEWAY_URL  push the run's metrics to this Prometheus Pushgateway
  SSL_CERT_FILE    extra PEM CA certificates (SEGMENT_BRIDGE_CA_FILE too)
  HTTPS_PROXY, NO_PROXY
                   proxy for HTTPS requests, and the hosts that bypass it";

/// Parses `argv` (the command line, program name first) as `A`, runs
/// `run(args, stdin, stdout)` and returns the exit code. `tool` is the
/// tool's name, whatever name it was started under (its own binary, or a
/// link to the multicall binary `segment-bridge`).
///
/// ```no_run
/// # use segment_bridge_core::{cli, Outcome, Error};
/// #[derive(clap::Parser)]
/// struct Args {}
/// fn main() -> std::process::ExitCode {
///     let argv = std::env::args_os().collect();
///     cli::main("my-tool", argv, |_args: Args, _input, _output| Ok::<_, Error>(Outcome::ok()))
/// }
/// ```
pub fn main<A, E, F>(
    tool: &'static str,
    argv: Vec<std::ffi::OsString>,
    run: F,
) -> std::process::ExitCode
where
    A: clap::Parser,
    E: ToolError,
    F: FnOnce(A, Input<'_>, Output<'_>) -> Result<Outcome, E>,
{
    main_with(tool, None, argv, run)
}

/// The entry helper itself: [`main`] with an optional metrics pusher. A
/// tool that pushes its run's metrics hands it `push` (the HTTP half,
/// `segment_bridge_net::push::push_gauges_if_configured`, through
/// `segment_bridge_net::main`): it sends them when `PUSHGATEWAY_URL` is
/// set, and `--help` names the network variables.
pub fn main_with<A, E, F>(
    tool: &'static str,
    push: Option<Pusher>,
    argv: Vec<std::ffi::OsString>,
    run: F,
) -> std::process::ExitCode
where
    A: clap::Parser,
    E: ToolError,
    F: FnOnce(A, Input<'_>, Output<'_>) -> Result<Outcome, E>,
{
    if let Err(e) = logging::init(tool) {
        let err: &(dyn std::error::Error + 'static) = &e;
        report_error(err);
        return ExitStatus::Usage.into();
    }
    let mut cmd = command::<A>(tool);
    if push.is_some() {
        cmd = with_network_help(cmd);
    }
    if let Some(status) = generate(&mut cmd) {
        return status.into();
    }
    let args = match parse::<A>(cmd, argv) {
        Ok(a) => a,
        Err(status) => return status.into(),
    };

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
                tracing::error!(error = %e, "cannot write standard output: {e}");
                ExitStatus::Failed
            }
        },
        Err(e) if is_broken_pipe(e) => ExitStatus::Ok,
        Err(e) => {
            report_error(e);
            e.exit_status()
        }
    };
    if let (Ok(outcome), Ok(())) = (&result, &flushed) {
        if let Some(message) = &outcome.summary {
            logging::summary(message, outcome.summary_fields());
        }
    }
    if let Some(push) = push {
        let outcome = result.as_ref().ok();
        crate::metrics::push_run_if_configured(tool, status, outcome, started.elapsed(), push);
    }
    crate::figures::append_if_configured(tool, status, result.as_ref().ok());
    status.into()
}

/// Logging for a program that does not go through [`main`] (the
/// stand-ins): as [`logging::init`], a bad setting falls back to defaults.
pub fn init_logging(tool: &'static str) {
    if let Err(e) = logging::init(tool) {
        report_error(&e);
    }
}

/// `A`'s command under the binary's name, with the shared version and help
/// footer (after the tool's own examples, if any).
pub fn command<A: CommandFactory>(tool: &'static str) -> clap::Command {
    let cmd = A::command().name(tool).bin_name(tool).version(VERSION);
    let footer = match cmd.get_after_help() {
        Some(own) => format!("{own}\n\n{}", footer(tool)),
        None => footer(tool),
    };
    cmd.after_help(footer)
}

/// `cmd` with [`NETWORK_FOOTER`] after the shared footer.
pub fn with_network_help(cmd: clap::Command) -> clap::Command {
    let footer = match cmd.get_after_help() {
        Some(own) => format!("{own}\n{NETWORK_FOOTER}"),
        None => NETWORK_FOOTER.to_owned(),
    };
    cmd.after_help(footer)
}

/// Parses the process arguments; on a usage error, reports it (in the log
/// format) and returns the exit status to end with.
fn parse<A: clap::Parser>(
    mut cmd: clap::Command,
    argv: Vec<std::ffi::OsString>,
) -> Result<A, ExitStatus> {
    let parsed = cmd
        .try_get_matches_from_mut(argv)
        .and_then(|mut m| A::from_arg_matches_mut(&mut m))
        .map_err(|e| e.format(&mut cmd));
    parsed.map_err(|e| {
        if !e.use_stderr() {
            // --help, --version: to stdout, exit 0.
            let _ = e.print();
            return ExitStatus::Ok;
        }
        if logging::is_json() {
            let text = e.render().to_string();
            let (message, hints) = split_hints(&text);
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            let message = message.lines().next().unwrap_or_default();
            tracing::error!(kind = %e.kind(), exit_code = 2, hint = hints.as_deref(), "{message}");
        } else {
            let _ = e.print();
        }
        ExitStatus::Usage
    })
}

/// Handles `TOOL --generate SHELL|man`: prints the completion script or man
/// page. `None` when not asked.
fn generate(cmd: &mut clap::Command) -> Option<ExitStatus> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "--generate" {
        return None;
    }
    let what = args
        .next()
        .and_then(|w| w.into_string().ok())
        .unwrap_or_default();
    let name = cmd.get_name().to_owned();
    let mut out = io::stdout().lock();
    let written = if what == "man" {
        clap_mangen::Man::new(cmd.clone()).render(&mut out)
    } else {
        match what.parse::<clap_complete::Shell>() {
            Ok(shell) => {
                clap_complete::generate(shell, cmd, name, &mut out);
                Ok(())
            }
            Err(_) => {
                tracing::error!(
                    value = %what,
                    "unknown --generate value (`{what}`)\nhint: one of bash, zsh, fish, elvish, powershell, man"
                );
                return Some(ExitStatus::Usage);
            }
        }
    };
    Some(match written.and_then(|()| out.flush()) {
        Ok(()) => ExitStatus::Ok,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitStatus::Ok,
        Err(e) => {
            tracing::error!(error = %e, "cannot write standard output: {e}");
            ExitStatus::Failed
        }
    })
}

/// Logs an error's chain as one error line; any `hint: …` lines of it go
/// last, on their own lines (a `hint` field in JSON).
pub fn report_error(e: &(dyn std::error::Error + 'static)) {
    let (message, hint) = chain_with_hints(e);
    match hint {
        Some(hint) if logging::is_json() => tracing::error!(hint = %hint, "{message}"),
        Some(hint) => tracing::error!("{message}\nhint: {hint}"),
        None => tracing::error!("{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_commit_and_target() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(VERSION.contains(GIT_COMMIT));
        assert!(VERSION.contains(env!("SEGMENT_BRIDGE_TARGET")));
    }

    #[test]
    fn footer_follows_the_tools_own_help() {
        #[derive(clap::Parser)]
        #[command(after_help = "Example:\n  t < in")]
        struct T {}
        let mut cmd = command::<T>("t");
        let help = cmd.render_long_help().to_string();
        let example = help.find("Example:").unwrap();
        let footer = help.find("Exit codes:").unwrap();
        assert!(example < footer, "{help}");
        assert!(!help.contains("PUSHGATEWAY_URL"), "{help}");
        assert_eq!(cmd.get_version(), Some(VERSION));
        let help = with_network_help(command::<T>("t"))
            .render_long_help()
            .to_string();
        assert!(
            help.contains("RUST_LOG         used when LOG_LEVEL is unset\n  PUSHGATEWAY_URL"),
            "{help}"
        );
    }
}
