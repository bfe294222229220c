//! The integration tests of `bridge-window`, one binary with a module per
//! concern (linking once instead of once per file).

mod cli;
mod configmap;
mod pushgateway;
