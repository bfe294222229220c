//! The integration tests of `splunk-to-segment`, one binary with a module per
//! concern (linking once instead of once per file).

mod broken_pipe;
#[allow(dead_code)]
mod common;
mod edge_cases;
mod fixtures;
mod fuzz;
mod prop;
mod streams;
mod suite;
