//! The integration tests of `fetch-audit-log`, one binary with a module per
//! concern, each running the real tool against the Loki stand-in.

mod common;
mod failures;
mod filter;
mod paging;
