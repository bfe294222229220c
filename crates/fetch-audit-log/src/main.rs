//! `fetch-audit-log`: everything is in the library (`fetch_audit_log::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    fetch_audit_log::main(std::env::args_os().collect())
}
