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

    /// No Segment write key to be found (exit 2).
    #[error(transparent)]
    SegmentCredentials(#[from] crate::segment::CredentialsError),

    /// `--batch-data-size` too small for any event (exit 2).
    #[error(transparent)]
    BatchSize(#[from] crate::segment::BadLimit),

    /// Building the HTTP client failed (bad CA file, TLS setup; exit 2).
    #[error("cannot set up the HTTP client")]
    HttpSetup(#[source] reqwest::Error),
}

impl Error {
    pub fn config(what: impl Into<String>) -> Error {
        Error::Config { what: what.into() }
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
            | Error::SegmentCredentials(_)
            | Error::BatchSize(_)
            | Error::HttpSetup(_) => ExitStatus::Usage,
            Error::Io { .. } | Error::Stdin(_) | Error::Stdout(_) | Error::Thread(_) => {
                ExitStatus::Failed
            }
        }
    }
}

/// The whole error chain on one line: `top: cause: cause`.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        // Some libraries repeat their source in their own message; don't
        // print the same text twice.
        if !out.ends_with(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
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
}
