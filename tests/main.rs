//! End-to-end tests: the real driver scripts and tool binaries through
//! every stand-in, one binary with a module per concern.

mod audit;
mod cli;
mod dashboard;
mod exit_docs;
mod heartbeat;
mod kill;
mod kvstore;
mod loki;
mod monitoring;
mod outage;
mod pipeline;
mod pseudonyms;
mod script_names;
