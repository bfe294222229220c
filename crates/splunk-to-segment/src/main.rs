//! `splunk-to-segment`: everything is in the library (`splunk_to_segment::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    splunk_to_segment::main(std::env::args_os().collect())
}
