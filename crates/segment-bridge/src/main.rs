//! `segment-bridge`: every tool in one binary. Everything is in the library
//! (`segment_bridge::main`), which picks the tool by the name it was
//! started under.

fn main() -> std::process::ExitCode {
    segment_bridge::main(std::env::args_os().collect())
}
