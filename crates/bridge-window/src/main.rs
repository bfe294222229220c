//! `bridge-window`: everything is in the library (`bridge_window::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    bridge_window::main(std::env::args_os().collect())
}
