//! The core error type, and the trait that maps any tool's error to an exit
//! status (`docs/exit-codes.md`) so that the entry helper can print it and exit right.

use std::path::PathBuf;

use crate::exit::ExitStatus;

/// Implemented by every tool's error type: which exit status the error means.
///
/// Configuration and usage problems found before any work was done are
/// `ExitStatus::Usage` (2); everything else defaults to `Failed` (1).
pub trait ToolError: std::error::Error + Send + Sync + 'static {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::Failed
    }
}

/// Errors raised by the core crate itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is missing or invalid (exit 2).
    #[error("{what}")]
    Config { what: String },

    /// A file named by the configuration could not be read (exit 2).
    #[error("cannot read `{}`", path.display())]
    ReadConfigFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file named by the configuration could not be created (exit 2).
    #[error("cannot create `{}`", path.display())]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Reading input or writing output failed (exit 1).
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Reading standard input failed (exit 1).
    #[error("cannot read standard input")]
    Stdin(#[source] std::io::Error),

    /// Writing standard output failed (exit 1).
    #[error("cannot write standard output")]
    Stdout(#[source] std::io::Error),

    /// A worker thread of the tool ended early (it panicked); exit 1.
    #[error("the {0} thread stopped unexpectedly")]
    Thread(&'static str),

    /// A setup problem found by a crate built on this one, shown as it is
    /// (exit 2): no Segment write key, a batch size too small for any
    /// event, an HTTP client that cannot be built (bad CA file, TLS).
    #[error(transparent)]
    Setup(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn config(what: impl Into<String>) -> Error {
        Error::Config { what: what.into() }
    }

    /// [`Error::Setup`]: `e`, exit 2.
    pub fn setup(e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Setup(Box::new(e))
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Config { .. }
            | Error::ReadConfigFile { .. }
            | Error::CreateFile { .. }
            | Error::Setup(_) => ExitStatus::Usage,
            Error::Io { .. } | Error::Stdin(_) | Error::Stdout(_) | Error::Thread(_) => {
                ExitStatus::Failed
            }
        }
    }
}

/// The whole error chain on one line: `top: cause: cause` (hint lines kept
/// where they are; [`chain_with_hints`] takes them out).
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    walk(err, |m| (m.to_owned(), None)).0
}

/// The error chain on one line (`top: cause: cause`, as [`chain`]) with the
/// hints of every error in it taken out ([`split_hints`]).
pub fn chain_with_hints(err: &(dyn std::error::Error + 'static)) -> (String, Option<String>) {
    walk(err, split_hints)
}

/// The one walk down an error chain: each message split by `split` into
/// text and hint; a cause whose text the line already ends with is not
/// repeated (some libraries repeat their source in their own message).
fn walk(
    err: &(dyn std::error::Error + 'static),
    split: impl Fn(&str) -> (String, Option<String>),
) -> (String, Option<String>) {
    let mut out = String::new();
    let mut hints: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let (message, hint) = split(&e.to_string());
        if out.is_empty() {
            out = message;
        } else if !out.ends_with(&message) {
            out.push_str(": ");
            out.push_str(&message);
        }
        hints.extend(hint);
        cur = e.source();
    }
    (out, (!hints.is_empty()).then(|| hints.join("; ")))
}

/// Splits `text` into the message and its hints: lines starting with
/// `hint:` (or clap's `tip:`), wherever they are, joined with `; `.
pub fn split_hints(text: &str) -> (String, Option<String>) {
    let mut message = Vec::new();
    let mut hints = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(h) = trimmed
            .strip_prefix("hint:")
            .or_else(|| trimmed.strip_prefix("tip:"))
        {
            hints.push(h.trim().to_owned());
        } else {
            message.push(line);
        }
    }
    let message = message.join("\n").trim_end().to_owned();
    let hint = (!hints.is_empty()).then(|| hints.join("; "));
    (message, hint)
}

/// True when the error, or any error in its chain, is a broken pipe: the
/// reader of our stdout went away (`tool | head`), which is not a failure.
pub fn is_broken_pipe(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_joins_causes_once() {
        let e = Error::io(
            "cannot write output",
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe closed"),
        );
        assert_eq!(chain(&e), "cannot write output: pipe closed");
        assert!(is_broken_pipe(&e));
        assert_eq!(e.exit_status(), ExitStatus::Failed);
        assert_eq!(Error::config("x").exit_status(), ExitStatus::Usage);
    }

    #[test]
    fn hints_move_to_their_own_line() {
        let (m, h) = split_hints("cannot read the map\nhint: set UID_MAP_FILE");
        assert_eq!(m, "cannot read the map");
        assert_eq!(h.as_deref(), Some("set UID_MAP_FILE"));
        let (m, h) = split_hints("no hint here");
        assert_eq!((m.as_str(), h), ("no hint here", None));
    }

    #[test]
    fn hints_of_every_cause_go_last() {
        let e = crate::Error::io(
            "cannot read the map\nhint: set UID_MAP_FILE",
            std::io::Error::other("no such file"),
        );
        let (m, h) = chain_with_hints(&e);
        assert_eq!(m, "cannot read the map: no such file");
        assert_eq!(h.as_deref(), Some("set UID_MAP_FILE"));
    }
}
