//! `pseudonymize`: everything is in the library (`pseudonymize::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    pseudonymize::main(std::env::args_os().collect())
}
