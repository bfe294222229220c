//! `mk-segment-batch-payload`: everything is in the library (`mk_segment_batch_payload::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main(env!("CARGO_BIN_NAME"), mk_segment_batch_payload::run)
}
