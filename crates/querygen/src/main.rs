//! `querygen`: everything is in the library (`querygen::run`), so that tests can
//! call it in-process; the entry helper does the rest.

use std::process::ExitCode;

fn main() -> ExitCode {
    segment_bridge_core::cli::main(env!("CARGO_BIN_NAME"), |args: querygen::GoArgs, input, output| {
        querygen::run(args.0, input, output)
    })
}
