//! Run metrics for monitoring (SPEC §3): when `PUSHGATEWAY_URL` is set, the
//! entry helper pushes each tool run's figures and outcome to a Prometheus
//! Pushgateway.
//!
//! (Being written: the push itself lands with the monitoring issue.)

use std::time::Duration;

use crate::exit::Outcome;

/// Pushes the run's outcome (`None`: the run failed with an error) when
/// `PUSHGATEWAY_URL` is set; logs and otherwise ignores push failures.
pub fn push_if_configured(_tool: &str, _outcome: Option<&Outcome>, _elapsed: Duration) {}
