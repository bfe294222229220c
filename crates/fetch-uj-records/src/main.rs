//! `fetch-uj-records`: runs the user-journey searches through Splunk's
//! export API and streams the result rows. Everything is in the library; see
//! `fetch_uj_records::run`.

use std::process::ExitCode;

fn main() -> ExitCode {
    segment_bridge_core::cli::main("fetch-uj-records", fetch_uj_records::run)
}
