//! `bridge-window`: everything is in the library (`bridge_window::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_BIN_NAME"), bridge_window::run)
}
