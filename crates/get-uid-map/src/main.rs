//! `get-uid-map`: everything is in the library (`get_uid_map::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_BIN_NAME"), get_uid_map::run)
}
