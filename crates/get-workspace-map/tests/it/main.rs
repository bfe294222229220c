//! The integration tests of `get-workspace-map`, one binary with a module per
//! concern (linking once instead of once per file).

mod cli;
