//! `bridge-heartbeat`: everything is in the library (`bridge_heartbeat::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    bridge_heartbeat::main(std::env::args_os().collect())
}
