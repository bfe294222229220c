//! `extract-uj-records`: the user-journey rows of a raw audit log, as
//! Splunk's export would return them. Everything is in the library; see
//! `extract_uj_records::run`.

use std::process::ExitCode;

fn main() -> ExitCode {
    segment_bridge_net::main("extract-uj-records", extract_uj_records::run)
}
