//! Build facts for `--version`: the git commit and the target triple.
//!
//! The commit is `SEGMENT_BRIDGE_GIT_COMMIT` when set (an image build, where
//! the source has no `.git`), else `git rev-parse --short=12 HEAD` of the
//! checkout, else `unknown`: a build never fails for want of git. The build
//! script runs again when HEAD moves (the files git keeps it in).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=SEGMENT_BRIDGE_GIT_COMMIT");
    let commit = std::env::var("SEGMENT_BRIDGE_GIT_COMMIT")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            let c = git(&["rev-parse", "--short=12", "HEAD"])?;
            // Run again when HEAD or the branch it points at moves (only
            // files that exist: a missing one would rerun every build).
            let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
            if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
                watch.push(git(&["rev-parse", "--git-path", &r]));
                watch.push(git(&["rev-parse", "--git-path", "packed-refs"]));
            }
            for path in watch.into_iter().flatten() {
                let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(&path);
                if p.exists() {
                    println!("cargo:rerun-if-changed={}", p.display());
                }
            }
            Some(c)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SEGMENT_BRIDGE_GIT_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=SEGMENT_BRIDGE_TARGET={target}");
}
