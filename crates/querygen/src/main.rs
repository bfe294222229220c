//! `querygen`: prints the Splunk searches for the user-journey events.
//! Everything is in the library; see `querygen::run`.

use std::process::ExitCode;

fn main() -> ExitCode {
    segment_bridge_core::cli::main("querygen", |args: querygen::GoArgs, input, output| {
        querygen::run(args.0, input, output)
    })
}
