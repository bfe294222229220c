//! The release layout `scripts/build-release.sh` makes: the multicall
//! binary `segment-bridge`, a link to it under every tool's name, and the
//! original script names (`segment-uploader.sh`, …) as links to the tools.
//! Every tool answers under each of its names exactly as its own binary
//! does; with that directory first in PATH, the original mass uploader's
//! own call, `split --line-bytes=490K --filter=segment-uploader.sh`,
//! reaches our uploader, and every event arrives at the Segment stand-in.

use std::path::Path;

use e2e::*;

/// A release-like directory: the multicall binary, then
/// scripts/script-names.sh (as scripts/build-release.sh does).
fn release_dir(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("dist");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(bin_dir().join("segment-bridge"), out.join("segment-bridge"))
        .unwrap();
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

/// Every tool `segment-bridge --list` names, under its name in the release
/// directory: a link to the multicall binary, whose `--help` and
/// `--version` are byte for byte its own binary's, and whose bad usage
/// exits as its own binary's does.
#[test]
fn every_tool_of_the_multicall_binary_is_its_own_binary() {
    let dir = tempfile::tempdir().unwrap();
    let links = release_dir(dir.path());
    let list = command(links.join("segment-bridge"), dir.path())
        .arg("--list")
        .output()
        .unwrap();
    testkit::succeeded(&list, "segment-bridge --list");
    let tools: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    // Every tool crate of the workspace with a binary (not the stand-ins),
    // so that a new tool cannot be left out of the multicall binary.
    let mut crates: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src/main.rs").exists() && !p.ends_with("segment-bridge"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    let mut listed = tools.clone();
    listed.sort();
    assert_eq!(listed, crates);
    for t in &tools {
        assert_eq!(
            std::fs::read_link(links.join(t)).unwrap(),
            Path::new("segment-bridge")
        );
        for args in [&["--help"][..], &["--version"], &["--no-such-option"]] {
            let ours = command(links.join(t), dir.path())
                .args(args)
                .output()
                .unwrap();
            let own = command(bin_dir().join(t), dir.path())
                .args(args)
                .output()
                .unwrap();
            assert_eq!(ours.status.code(), own.status.code(), "{t} {args:?}");
            assert_eq!(ours.stdout, own.stdout, "{t} {args:?}");
            assert_eq!(ours.stderr, own.stderr, "{t} {args:?}");
        }
    }
}

/// Through its link a tool logs under its own name, as its own binary
/// does: the same JSON log lines (`"tool"` field included), timestamps aside.
#[test]
fn a_tool_logs_under_its_own_name_through_the_multicall_binary() {
    let dir = tempfile::tempdir().unwrap();
    let links = release_dir(dir.path());
    let t = "mk-segment-batch-payload";
    let run = |program: &Path| {
        let mut c = command(program, dir.path());
        c.env("LOG_FORMAT", "json")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"{\"a\":1}\nnope\n").unwrap();
        let out = child.wait_with_output().unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out.stderr)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("timestamp");
                v
            })
            .collect();
        (out.status.code(), out.stdout, lines)
    };
    let ours = run(&links.join(t));
    let own = run(&bin_dir().join(t));
    assert!(!ours.2.is_empty(), "a bad line is logged");
    assert!(ours.2.iter().all(|l| l["tool"] == t), "{:?}", ours.2);
    assert_eq!(ours, own);
}

/// `segment-bridge TOOL ARGS…` runs the tool its first argument names: the
/// same output as the tool's own binary (querygen, with the Go flag
/// package's spelling of its flags); an unknown name is a usage error.
#[test]
fn segment_bridge_runs_the_tool_its_first_argument_names() {
    let dir = tempfile::tempdir().unwrap();
    let ours = command(bin_dir().join("segment-bridge"), dir.path())
        .args(["querygen", "-0"])
        .output()
        .unwrap();
    let own = command(bin_dir().join("querygen"), dir.path())
        .arg("-0")
        .output()
        .unwrap();
    testkit::succeeded(&ours, "segment-bridge querygen -0");
    assert!(!ours.stdout.is_empty());
    assert_eq!(ours.stdout, own.stdout);

    let bad = command(bin_dir().join("segment-bridge"), dir.path())
        .arg("no-such-tool")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("no tool `no-such-tool`"), "{err}");
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
