//! The multicall binary: every tool linked into one executable, as
//! coreutils can be built. It runs the tool it is named after, so the image
//! and `scripts/build-release.sh` install one binary with a link under each
//! tool's name (`segment-uploader -> segment-bridge`) and each original
//! script's name (`segment-uploader.sh -> segment-uploader`, from
//! `scripts/script-names.sh`). `segment-bridge TOOL ARGS…` runs a tool by
//! its first argument instead.
//!
//! Why: each tool that speaks HTTP carries the same HTTP/TLS stack, clap,
//! tracing and std; ten separate binaries hold ten copies of them
//! (docs/design.md, "Binary and image size"). The tools are libraries with
//! a `main(argv)` entry, so this crate is only the table below: a tool
//! behaves the same whichever binary starts it (its name in logs, metrics,
//! `--help` and `--version` is its own).

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use segment_bridge_core::cli::VERSION;
use segment_bridge_core::ExitStatus;

/// The multicall binary's own name.
pub const NAME: &str = "segment-bridge";

/// A tool's entry: its command line, program name first.
type Entry = fn(Vec<OsString>) -> ExitCode;

/// Every tool, by name, in the order of the pipeline.
pub const TOOLS: &[(&str, Entry)] = &[
    ("querygen", querygen::main),
    ("fetch-uj-records", fetch_uj_records::main),
    ("fetch-audit-log", fetch_audit_log::main),
    ("extract-uj-records", extract_uj_records::main),
    ("splunk-to-segment", splunk_to_segment::main),
    ("pseudonymize", pseudonymize::main),
    ("mk-segment-batch-payload", mk_segment_batch_payload::main),
    ("segment-uploader", segment_uploader::main),
    ("segment-mass-uploader", segment_mass_uploader::main),
    ("get-uid-map", get_uid_map::main),
    ("get-workspace-map", get_workspace_map::main),
    ("bridge-window", bridge_window::main),
    ("bridge-heartbeat", bridge_heartbeat::main),
];

/// The tool a program name stands for: the last path component, without
/// an original script's `.sh` (`/usr/local/bin/segment-uploader.sh` is
/// `segment-uploader`).
pub fn tool_named(program: &OsString) -> Option<Entry> {
    let name = Path::new(program).file_name()?.to_str()?;
    let name = name.strip_suffix(".sh").unwrap_or(name);
    TOOLS.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// Runs the tool `argv[0]` names; under any other name (its own), the tool
/// its first argument names, with the arguments after it.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    if let Some(entry) = argv.first().and_then(tool_named) {
        return entry(argv);
    }
    let Some(first) = argv.get(1) else {
        return say(io::stderr(), &usage(), ExitStatus::Usage);
    };
    if let Some(entry) = tool_named(first) {
        return entry(argv.into_iter().skip(1).collect());
    }
    match first.to_str() {
        Some("--list") => {
            let names: String = TOOLS.iter().map(|(name, _)| format!("{name}\n")).collect();
            say(io::stdout(), &names, ExitStatus::Ok)
        }
        Some("-h" | "--help") => say(io::stdout(), &usage(), ExitStatus::Ok),
        Some("-V" | "--version") => {
            say(io::stdout(), &format!("{NAME} {VERSION}\n"), ExitStatus::Ok)
        }
        _ => {
            let message = format!(
                "{NAME}: no tool `{}` (`{NAME} --list` names them)\n",
                first.to_string_lossy()
            );
            say(io::stderr(), &message, ExitStatus::Usage)
        }
    }
}

/// Writes `text` and exits with `status`; a closed pipe (`--list | head`)
/// is not an error.
fn say(mut to: impl Write, text: &str, status: ExitStatus) -> ExitCode {
    // Nothing better can be done with a failed write of a message.
    let _ = to.write_all(text.as_bytes()).and_then(|()| to.flush());
    status.into()
}

fn usage() -> String {
    let mut s = format!(
        "Every segment-bridge tool in one binary.\n\n\
         Usage: {NAME} TOOL [ARGS]...\n       \
         TOOL [ARGS]...     (through a link named after the tool, or TOOL.sh)\n\n\
         Tools (each has its own --help):\n"
    );
    for (name, _) in TOOLS {
        s.push_str("  ");
        s.push_str(name);
        s.push('\n');
    }
    s.push_str(
        "\nOptions:\n  --list     the tool names, one per line\n  \
         -h, --help  this help\n  -V, --version\n\n\
         Example:\n  ln -s segment-bridge segment-uploader && ./segment-uploader --help\n  \
         segment-bridge querygen | head -1\n",
    );
    s
}
