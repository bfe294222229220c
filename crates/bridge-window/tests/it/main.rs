//! The integration tests of `bridge-window`, one binary with a module per
//! concern (linking once instead of once per file).

mod cli;
mod configmap;
mod pushgateway;

/// The arguments `commit --latest LATEST --now NOW`.
fn commit_args(latest: i64, now: i64) -> [String; 5] {
    [
        "commit".into(),
        "--latest".into(),
        latest.to_string(),
        "--now".into(),
        now.to_string(),
    ]
}
