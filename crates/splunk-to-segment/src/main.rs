//! `splunk-to-segment`: Splunk export rows (JSON lines) in, Segment track
//! events (JSON lines) out. Everything lives in the library so that tests can
//! call `run` in-process.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main("splunk-to-segment", splunk_to_segment::run)
}
