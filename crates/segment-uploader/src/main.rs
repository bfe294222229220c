//! `segment-uploader`: see the library for what it does.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main("segment-uploader", segment_uploader::run)
}
