//! The integration tests of `fetch-uj-records`, one binary with a module per
//! concern (linking once instead of once per file).

#[allow(dead_code)]
mod common;
mod failures;
mod fetch;
mod pipeline;
