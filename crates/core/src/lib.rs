//! The shared core of segment-bridge.
//!
//! Every tool is a small binary; what they have in common lives here so that
//! it is written once: reading and writing JSON lines, the error type and the
//! exit-code table (`docs/exit-codes.md`), the entry helper that every `main.rs` calls,
//! the environment-variable names, secrets that never print, netrc
//! credentials, and the HTTP client with its single retry policy. Clients of
//! the outside APIs (Segment, Splunk) build on those and live in their own
//! modules here too; Kubernetes lives in its own crate so that tools without
//! it don't compile `kube`.

pub mod cli;
pub mod env;
pub mod error;
pub mod exit;
pub mod figures;
pub mod http;
pub mod jsonl;
pub mod logging;
pub mod metrics;
pub mod netrc;
pub mod proxy;
pub mod rejects;
pub mod retry;
pub mod secret;
pub mod segment;
pub mod splunk;

pub use error::{Error, ToolError};
pub use exit::{ExitStatus, Outcome};
pub use secret::Secret;
