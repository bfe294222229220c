//! pseudonymize (docs/tools/pseudonymize.md): the pipeline stage between
//! splunk-to-segment and the uploader that replaces the fields naming a
//! person or a tenant (`userId`, `properties.workspaceID`, `namespace`, and
//! any the operator adds) with their HMAC-SHA256 under a secret key
//! ([`keyed`]), and copies everything else as written ([`rewrite`]).
//!
//! A stage of its own rather than an option of splunk-to-segment: the key
//! reaches one small process and nothing else, the transform's hot path
//! stays as it is, and the stage works on any stream of events (a
//! dead-letter file fed back in, events from another source) alike.
//!
//! Input is a JSON text stream (docs/json-streams.md); a value that is not
//! JSON, not an object, or holds a listed field that can't be pseudonymized
//! is reported with its line, written to `--rejects`, and the run exits 3.
//! The key never appears in output, logs or errors: it is held as a
//! [`Secret`] and only its derived HMAC state is kept.

pub mod keyed;
pub mod rewrite;

use std::path::{Path, PathBuf};

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::rejects::{At, Rejects};
use segment_bridge_core::{Error, Outcome};
use segment_bridge_json::JsonStream;
use segment_bridge_net::Secret;

pub use keyed::{Keyed, MIN_KEY_BYTES};
pub use rewrite::{rewrite, Fields, Unfit};

/// The environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "PSEUDONYMIZE_KEY_FILE";
/// The environment variable listing more fields (comma-separated).
pub const FIELDS_ENV: &str = "PSEUDONYMIZE_FIELDS";

/// The fields always replaced: who did it, whose workspace, which namespace
/// (the namespace is named after the user: `alice-tenant`).
pub const DEFAULT_FIELDS: [&str; 3] = ["userId", "properties.workspaceID", "namespace"];

/// Replaces `userId`, `properties.workspaceID`, `namespace` and every
/// `--field` of each event on stdin with HMAC-SHA256 of its value under the
/// key in `--key-file` (64 hex digits); everything else, `messageId`
/// included, is copied as written.
#[derive(Debug, clap::Parser)]
#[command(after_help = "Example:\n  \
    splunk-to-segment | pseudonymize --key-file /etc/segment-bridge/pseudonymize/key | segment-mass-uploader\n  \
    pseudonymize --key-file key --field properties.src_url --field context.ip < events.jsonl\n\n\
    Make a key with `openssl rand -hex 32`. The same value under the same key always gives\n\
    the same id; a new key gives new, unrelated ids (see docs/tools/pseudonymize.md).")]
pub struct Args {
    /// File holding the secret key (text, at least 16 bytes; one trailing
    /// newline is ignored).
    #[arg(long, env = KEY_FILE_ENV, value_name = "FILE")]
    pub key_file: PathBuf,

    /// Another field to replace: keys separated by dots
    /// (`properties.src_url`). Repeatable; the environment variable takes a
    /// comma-separated list.
    #[arg(long = "field", env = FIELDS_ENV, value_name = "PATH", value_delimiter = ',')]
    pub fields: Vec<String>,

    /// Write rejected input values, as read, to this file.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
}

/// The run's figures (their names are the metrics').
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub events_read: u64,
    pub events_written: u64,
    pub events_rejected: u64,
    /// Field values replaced.
    pub fields_pseudonymized: u64,
}

/// Reads the key: the file's text without one trailing newline, at least
/// [`MIN_KEY_BYTES`] bytes. Messages name the file and the length, never
/// the content.
pub fn read_key(path: &Path) -> Result<Secret, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadConfigFile {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::config(format!(
            "key file `{}` is not UTF-8 text (make a key with `openssl rand -hex 32`)",
            path.display()
        ))
    })?;
    let mut key = Secret::new(text);
    let trimmed = key
        .expose()
        .strip_suffix('\n')
        .map(|k| k.strip_suffix('\r').unwrap_or(k).to_owned());
    if let Some(k) = trimmed {
        key = Secret::new(k);
    }
    let len = key.expose().len();
    if len < MIN_KEY_BYTES {
        return Err(Error::config(format!(
            "key file `{}` holds {len} bytes, at least {MIN_KEY_BYTES} are needed (make a key with `openssl rand -hex 32`)",
            path.display()
        )));
    }
    Ok(key)
}

pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let paths = DEFAULT_FIELDS
        .iter()
        .copied()
        .chain(args.fields.iter().map(String::as_str));
    let fields = Fields::new(paths).map_err(|e| Error::config(e.to_string()))?;
    let keyed = Keyed::new(&read_key(&args.key_file)?);
    let mut rejects = Rejects::open(args.rejects.as_deref())?;

    let mut reader = JsonStream::new(input);
    let mut figures = Figures::default();
    let mut out = Vec::with_capacity(64 * 1024);
    while let Some(value) = reader.next_value().map_err(Error::Stdin)? {
        figures.events_read += 1;
        let start = out.len();
        let done = match value.error {
            Some(e) => Err(format!("invalid JSON: {e}")),
            None => rewrite(value.bytes, &fields, &keyed, &mut out).map_err(|e| e.to_string()),
        };
        match done {
            Ok(r) => {
                out.push(b'\n');
                figures.events_written += 1;
                figures.fields_pseudonymized += r.replaced;
            }
            Err(reason) => {
                out.truncate(start);
                rejects.reject_at(At::line(value.number), &reason, value.bytes)?;
                figures.events_rejected += 1;
            }
        }
        if out.len() >= 60 * 1024 {
            output.write_all(&out).map_err(Error::Stdout)?;
            out.clear();
        }
    }
    output.write_all(&out).map_err(Error::Stdout)?;
    rejects.finish()?;
    Ok(Outcome::from_rejects(figures.events_rejected)
        .count_fields(&figures)
        .summary(format!(
            "{} events, {} fields pseudonymized, {} rejected",
            figures.events_written, figures.fields_pseudonymized, figures.events_rejected
        )))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}
