//! The test kit: what the tests of several crates share, written once.
//!
//! - [`root`] and [`fixture`]: the repository and its one copy of the
//!   reference fixtures (`fixtures/` at the root; see its README).
//! - [`tool`]: a tool binary with a clean environment (no ambient
//!   kubeconfig or netrc, no sleeping between retries), [`spawn_fed`] to
//!   run one with its stdin written from another thread, and [`stdout`] /
//!   [`stderr`] of its output as text; [`succeeded`], [`exited`], [`failed`] and
//!   [`failed_with`] to check how it ended; [`s2s_argv`] to run
//!   splunk-to-segment in-process on a fixture's maps.
//! - [`temp_file`] and [`ca_file`]: one file (a netrc, a CA certificate…)
//!   in a temporary folder.
//! - [`kube`]: Kubernetes stand-in clusters loaded from a fixture, and
//!   kubeconfigs for them.
//! - [`segment`]: realistic events and a Segment stand-in with faults, for
//!   the uploaders.
//!
//! A test crate takes it as a dev-dependency and never reaches into another
//! crate's `tests/` folder.

#![allow(clippy::missing_panics_doc)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Output, Stdio};
use std::thread::JoinHandle;

use assert_cmd::Command;

pub mod kube;
pub mod pushgateway;
pub mod recorder;
pub mod reemit_suite;
pub mod segment;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A path under the reference fixtures (`fixtures/` at the root), e.g.
/// `fixture("s2s/sample")`.
pub fn fixture(rel: impl AsRef<Path>) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// The bytes of a reference fixture file.
pub fn fixture_bytes(rel: impl AsRef<Path>) -> Vec<u8> {
    let p = fixture(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", p.display()))
}

/// The text of a reference fixture file.
pub fn fixture_text(rel: impl AsRef<Path>) -> String {
    let p = fixture(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", p.display()))
}

/// The binary `bin` of the package under test, with a clean environment:
/// only `PATH` and `HOME` (= `home`, so no netrc or kubeconfig of the
/// machine is read), and retries that don't sleep.
pub fn tool(bin: &str, home: &Path) -> Command {
    Command::from_std(std_tool(bin, home))
}

/// [`tool`] as a `std::process::Command`, for streaming stdin by hand.
pub fn std_tool(bin: &str, home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin(bin));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("SEGMENT_BRIDGE_BACKOFF_SCALE", "0");
    cmd
}

/// Starts `cmd` with stdin, stdout and stderr piped, and `feed` writing its
/// stdin on a thread of its own, so that a tool that writes while it reads
/// cannot stall on a full pipe: the child (its stdin taken) and the
/// writer, to join once the child is done.
pub fn spawn_fed(
    cmd: &mut std::process::Command,
    feed: impl FnOnce(ChildStdin) + Send + 'static,
) -> (Child, JoinHandle<()>) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    (child, std::thread::spawn(move || feed(stdin)))
}

/// A finished tool's stdout, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A finished tool's stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// querygen's reference output, for `include`-style constants.
pub mod querygen {
    /// The eight searches for the default index, NUL-separated.
    pub const DEFAULT_NUL: &str = include_str!("../../../fixtures/querygen/index-default.0.txt");
    /// The titled listing for the default index.
    pub const DEFAULT_PRETTY: &str =
        include_str!("../../../fixtures/querygen/index-default.pretty.txt");
    /// The searches for `--index test_index`, NUL-separated.
    pub const TEST_INDEX_NUL: &str =
        include_str!("../../../fixtures/querygen/index-test_index.0.txt");
}

/// Asserts that a finished program succeeded, naming it `what` with its
/// stderr when not.
pub fn succeeded(o: &Output, what: impl std::fmt::Display) {
    assert!(o.status.success(), "{what}: {}", stderr(o));
}

/// Asserts that a finished tool exited with `code` (showing its stderr when
/// not); returns its stderr.
pub fn exited(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    err
}

/// Asserts that a finished tool exited with `code` and printed nothing on
/// stdout (a failure writes nothing partial); returns its stderr.
pub fn failed(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(stdout(o), "", "nothing on stdout when failing");
    err
}

/// [`failed`], and each of `needles` is on stderr; returns stderr.
pub fn failed_with(o: &Output, code: i32, needles: &[&str]) -> String {
    let err = failed(o, code);
    for n in needles {
        assert!(err.contains(n), "{err}");
    }
    err
}

/// A new temporary folder holding one file, `name`, with `contents`: the
/// folder (deleted when dropped) and the file's path.
pub fn temp_file(name: &str, contents: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("cannot make a temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, contents)
        .unwrap_or_else(|e| panic!("cannot write `{}`: {e}", path.display()));
    (dir, path)
}

/// A CA generated for this run, and its certificate in `ca.pem` in a new
/// temporary folder (as [`temp_file`]): for `--ca-file` and stand-ins
/// serving HTTPS with it.
pub fn ca_file() -> (standins::kube::TestCa, tempfile::TempDir, PathBuf) {
    let ca = standins::kube::TestCa::generate().expect("cannot generate a test CA");
    let (dir, path) = temp_file("ca.pem", ca.ca_pem());
    (ca, dir, path)
}

/// splunk-to-segment's command line, program name first, with the uid and
/// workspace maps of the folder `dir` (`uid-map.json`, `ws-map.json`, as
/// in a reference fixture), then `extra`: for running it in-process.
pub fn s2s_argv(dir: &Path, extra: &[&str]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![
        "splunk-to-segment".into(),
        "--uid-map".into(),
        dir.join("uid-map.json").into(),
        "--ws-map".into(),
        dir.join("ws-map.json").into(),
    ];
    argv.extend(extra.iter().map(OsString::from));
    argv
}

/// Where the tests find jq 1.6 (the Debian package), the original tools' JSON
/// processor.
pub const JQ: &str = "/usr/bin/jq";

/// Runs jq with `args` on `input`: its stdout; fails the test when jq is
/// missing or fails.
pub fn jq(args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    assert!(
        Path::new(JQ).exists(),
        "these tests need jq 1.6: apt-get install jq"
    );
    let mut child = std::process::Command::new(JQ)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "jq {args:?} failed");
    out.stdout
}
