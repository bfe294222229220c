//! The integration tests of `querygen`, one binary with a module per
//! concern (linking once instead of once per file).

mod any_index;
mod cli;
