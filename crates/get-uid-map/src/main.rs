//! `get-uid-map`: the uid map from the host cluster's UserSignups.
//! Everything is in the library; see `get_uid_map::run`.

use std::process::ExitCode;

fn main() -> ExitCode {
    segment_bridge_core::cli::main("get-uid-map", get_uid_map::run)
}
