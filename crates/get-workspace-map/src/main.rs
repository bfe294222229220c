//! `get-workspace-map`: the workspace map from the member clusters'
//! tenant namespaces. Everything is in the library; see
//! `get_workspace_map::run`.

use std::process::ExitCode;

fn main() -> ExitCode {
    segment_bridge_core::cli::main("get-workspace-map", get_workspace_map::run)
}
