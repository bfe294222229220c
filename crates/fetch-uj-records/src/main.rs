//! `fetch-uj-records`: everything is in the library (`fetch_uj_records::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    fetch_uj_records::main(std::env::args_os().collect())
}
