//! `mk-segment-batch-payload`: everything is in the library (`mk_segment_batch_payload::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    mk_segment_batch_payload::main(std::env::args_os().collect())
}
