//! End-to-end tests: the real driver scripts and tool binaries through
//! every stand-in, one binary with a module per concern.

mod audit;
mod cli;
mod exit_docs;
mod kill;
mod monitoring;
mod outage;
mod pipeline;
mod script_names;
