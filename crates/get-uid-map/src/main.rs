//! `get-uid-map`: everything is in the library (`get_uid_map::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    get_uid_map::main(std::env::args_os().collect())
}
