//! `bridge-heartbeat`: everything is in the library (`bridge_heartbeat::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main(env!("CARGO_BIN_NAME"), bridge_heartbeat::run)
}
