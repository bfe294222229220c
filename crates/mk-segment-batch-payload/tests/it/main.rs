//! The integration tests of `mk-segment-batch-payload`, one binary with a module per
//! concern (linking once instead of once per file).

mod cli;
mod streams;
mod suite;
