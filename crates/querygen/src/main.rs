//! `querygen`: everything is in the library (`querygen::run`), so that tests can
//! call it in-process; the entry helper does the rest, on the command line as
//! the Go flag package reads it (`querygen::go_flags`).

fn main() -> std::process::ExitCode {
    querygen::main(std::env::args_os().collect())
}
