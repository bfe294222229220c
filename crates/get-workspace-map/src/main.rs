//! `get-workspace-map`: everything is in the library (`get_workspace_map::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    get_workspace_map::main(std::env::args_os().collect())
}
