//! The shared core of segment-bridge: running a tool.
//!
//! What every tool has in common lives here so that it is written once: the
//! entry helper that every `main.rs` calls (`cli`), logging to stderr, the
//! error type and the exit-code table (`docs/exit-codes.md`), the
//! environment-variable names, the one duration syntax, `--rejects` files
//! and the run's metrics (named and rendered here; pushed by
//! `segment-bridge-net`). It links no HTTP or TLS stack: networking, the
//! Segment and Splunk clients and JSON input are crates of their own built
//! on this one (crates/README.md), so that a tool links only what it uses.

pub mod cli;
pub mod duration;
pub mod env;
pub mod error;
pub mod exit;
pub mod exit_codes;
pub mod logging;
pub mod metrics;
pub mod rejects;

pub use error::{Error, ToolError};
pub use exit::{ExitStatus, Outcome};
