//! `segment-mass-uploader`: see the library for what it does.

fn main() -> std::process::ExitCode {
    segment_bridge_core::cli::main("segment-mass-uploader", segment_mass_uploader::run)
}
