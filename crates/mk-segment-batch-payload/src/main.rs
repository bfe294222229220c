//! `mk-segment-batch-payload`: see the library for what it does.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main("mk-segment-batch-payload", mk_segment_batch_payload::run)
}
