//! `segment-mass-uploader`: everything is in the library (`segment_mass_uploader::run`), so that tests can
//! call it in-process; the entry helper does the rest.

fn main() -> std::process::ExitCode {
    segment_mass_uploader::main(std::env::args_os().collect())
}
