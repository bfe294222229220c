//! Networking for segment-bridge's tools, built on `segment-bridge-core`:
//! the blocking HTTP client (rustls, verified TLS, an extra CA), URLs as curl
//! reads them (`urls`), proxies as curl picks them (`proxy`), netrc with
//! curl's rules, `Secret` (a string that never prints), the one retry
//! policy (`retry`, docs/delivery.md), and the Pushgateway push (`push`).
//!
//! Module dependencies run one way: `http` → `proxy` → `urls`, `http` →
//! `urls`; `netrc` → `secret`; `push` → `http`, `retry`.

pub mod http;
pub mod netrc;
pub mod proxy;
pub mod push;
pub mod retry;
pub mod secret;
pub mod urls;

pub use secret::Secret;

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{Outcome, ToolError};

/// The entry helper (`segment_bridge_core::cli::main`) for a tool that
/// pushes its run's metrics to the Pushgateway when `PUSHGATEWAY_URL` is
/// set: every tool that speaks HTTP, and the stages of the main job.
/// `argv` is the command line, program name first.
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
    segment_bridge_core::cli::main_with(tool, Some(push::push_gauges_if_configured), argv, run)
}
