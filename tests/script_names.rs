//! The original script names (`segment-uploader.sh`, …) as links to the
//! tools, as `scripts/build-release.sh` lays them out: with that directory
//! first in PATH, the original mass uploader's own call,
//! `split --line-bytes=490K --filter=segment-uploader.sh`, reaches our
//! uploader, and every event arrives at the Segment stand-in.

use std::path::Path;

use e2e::*;

/// A release-like directory: the tools, then scripts/script-names.sh.
fn release_dir(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("dist");
    std::fs::create_dir(&out).unwrap();
    for t in SCRIPT_TOOLS {
        std::os::unix::fs::symlink(bin_dir().join(t), out.join(t)).unwrap();
    }
    let status = std::process::Command::new(root().join("scripts/script-names.sh"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

/// A command with only the release directory and the system in PATH.
fn with_links_first(program: &str, links: &Path, home: &Path) -> std::process::Command {
    let mut c = command(program, home);
    c.env("PATH", format!("{}:/usr/bin:/bin", links.display()))
        .env("SHELL", "/bin/sh");
    c
}

#[test]
fn every_tool_answers_under_its_script_name() {
    let dir = tempfile::tempdir().unwrap();
    let links = release_dir(dir.path());
    for t in SCRIPT_TOOLS {
        let link = links.join(format!("{t}.sh"));
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new(t),
            "a relative link"
        );
        let out = with_links_first(&format!("{t}.sh"), &links, dir.path())
            .arg("--version")
            .output()
            .unwrap();
        assert!(out.status.success(), "{t}.sh: {out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains(t), "{out:?}");
    }
}

#[test]
fn split_filter_segment_uploader_sh_reaches_our_uploader() {
    let dir = tempfile::tempdir().unwrap();
    let links = release_dir(dir.path());
    let seg = segment(segment_config());
    let events = testkit::fixture_bytes("s2s/sample/expected.jsonl");
    // Small pieces, so that several uploader runs each send one batch.
    let mut split = with_links_first("split", &links, dir.path());
    split
        .args(["--line-bytes=2K", "--filter=segment-uploader.sh"])
        .env("SEGMENT_BATCH_API", seg.url())
        .env("SEGMENT_WRITE_KEY", WRITE_KEY)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = split.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &events).unwrap();
    let out = child.wait_with_output().unwrap();
    testkit::succeeded(&out, "split --filter=segment-uploader.sh");
    assert_eq!(received_events(&seg), expected_events());
    assert!(seg.requests() > 1, "one uploader run per piece");
}
