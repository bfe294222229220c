//! `bridge-window`: see the library for what it does.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main("bridge-window", bridge_window::run)
}
