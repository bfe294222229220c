//! `querygen -0 | fetch-uj-records --queries - | splunk-to-segment` as a
//! pipeline, against the stand-in serving the sample dump of the fixtures
//! split per query: the result is the reference output of the original
//! (in another order: queries run concurrently).
//!
//! The three stages are real processes connected by pipes when the
//! `querygen` and `splunk-to-segment` binaries have been built (as `cargo
//! test --workspace` does); otherwise the first and last stage run
//! in-process through the same library functions their binaries call.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::common::TOKEN;
use standins::splunk::{rules_for_kinds, split_dump, Config, SplunkStandin, KINDS};

/// The sample of the reference fixtures (`s2s/sample`).
fn sample_fixtures() -> PathBuf {
    testkit::fixture("s2s/sample")
}

fn built(name: &str) -> Option<PathBuf> {
    let p = assert_cmd::cargo::cargo_bin(name);
    p.exists().then_some(p)
}

fn sorted(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
    v.sort();
    v
}

#[test]
fn querygen_fetch_splunk_to_segment() {
    let dir = sample_fixtures();
    let dump = std::fs::read_to_string(dir.join("input.jsonl")).unwrap();
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let per_kind = split_dump(&dump);
    assert_eq!(
        per_kind.len(),
        KINDS.len(),
        "the sample has rows of every kind"
    );
    let s = SplunkStandin::start(Config {
        rules: rules_for_kinds(&per_kind),
        chunk_size: 100,
        ..Config::default()
    })
    .unwrap();

    let fetch_bin = assert_cmd::cargo::cargo_bin("fetch-uj-records");
    let mut fetch = Command::new(&fetch_bin);
    fetch
        .env_clear()
        .env("SPLUNK_API_URL", s.url())
        .env("SPLUNK_TOKEN", TOKEN)
        .env("SEGMENT_BRIDGE_BACKOFF_SCALE", "0")
        .env("HOME", "/nonexistent")
        .args(["--queries", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let out = match (built("querygen"), built("splunk-to-segment")) {
        (Some(qg), Some(s2s)) => {
            let mut qg = Command::new(qg)
                .arg("-0")
                .env_clear()
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut fetch = fetch.stdin(qg.stdout.take().unwrap()).spawn().unwrap();
            let mut s2s = Command::new(s2s)
                .env_clear()
                .env("UID_MAP_FILE", dir.join("uid-map.json"))
                .env("WS_MAP_FILE", dir.join("ws-map.json"))
                .stdin(fetch.stdout.take().unwrap())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = String::new();
            s2s.stdout.take().unwrap().read_to_string(&mut out).unwrap();
            assert!(qg.wait().unwrap().success());
            let mut err = String::new();
            fetch
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            assert!(fetch.wait().unwrap().success(), "{err}");
            assert!(s2s.wait().unwrap().success());
            out
        }
        _ => {
            let queries = querygen::render_nul(&querygen::queries(&querygen::Options::default()));
            let mut fetch = fetch.stdin(Stdio::piped()).spawn().unwrap();
            fetch
                .stdin
                .take()
                .unwrap()
                .write_all(queries.as_bytes())
                .unwrap();
            let out = fetch.wait_with_output().unwrap();
            testkit::succeeded(&out, "fetch-uj-records");
            let args = <splunk_to_segment::Args as clap::Parser>::try_parse_from(
                testkit::s2s_argv(&dir, &[]),
            )
            .unwrap();
            let mut rows = out.stdout.as_slice();
            let mut s2s_out = Vec::new();
            splunk_to_segment::run(args, &mut rows, &mut s2s_out).unwrap();
            String::from_utf8(s2s_out).unwrap()
        }
    };
    assert_eq!(sorted(&out), sorted(&expected));
    assert_eq!(s.exports().len(), KINDS.len());
}
