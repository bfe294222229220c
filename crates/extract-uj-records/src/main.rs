//! `extract-uj-records`: the user-journey rows of a raw audit log, as
//! Splunk's export would return them. Everything is in the library; see
//! `extract_uj_records::run`.

fn main() -> std::process::ExitCode {
    extract_uj_records::main(std::env::args_os().collect())
}
