//! `splunk-to-segment`: everything is in the library (`splunk_to_segment::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_BIN_NAME"), splunk_to_segment::run)
}
