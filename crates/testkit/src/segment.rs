//! The uploaders' test kit: realistic events, a Segment stand-in with
//! faults, and an uploader binary wired to it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use standins::segment::{Config, Fault, SegmentStandin};

pub const KEY: &str = "wk-Zq8sT3cr3t";

/// `n` valid track events of about `size` bytes each, messageIds `m-0…`.
pub fn events(n: usize, size: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let base = format!(
                r#"{{"messageId":"m-{i}","timestamp":"2024-03-03T08:26:54.481756Z","type":"track","userId":66507147,"event":"Build PipelineRun started","properties":{{"n":1.50,"pad":""}}}}"#
            );
            let pad = "x".repeat(size.saturating_sub(base.len()));
            base.replace(r#""pad":"""#, &format!(r#""pad":"{pad}""#))
        })
        .collect()
}

pub fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("m-{i}")).collect()
}

pub fn input(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

pub fn standin(faults: &[&str]) -> SegmentStandin {
    let mut c = Config::new(KEY);
    for f in faults {
        c = c.fault(Fault::parse(f).unwrap());
    }
    SegmentStandin::spawn(c).unwrap()
}

/// The tool with a clean environment ([`crate::tool`]), the stand-in's URL
/// and the right key.
pub fn tool(bin: &str, home: &Path, url: &str) -> Command {
    Command::from_std(std_tool(bin, home, url))
}

/// [`tool`] as a `std::process::Command`, for streaming stdin by hand.
pub fn std_tool(bin: &str, home: &Path, url: &str) -> std::process::Command {
    let mut cmd = crate::std_tool(bin, home);
    cmd.env("SEGMENT_BATCH_API", url)
        .env("SEGMENT_WRITE_KEY", KEY);
    cmd
}

/// Runs `cmd` with `lines` on stdin: its output, and its stderr as text.
pub fn output(cmd: &mut Command, lines: &[String]) -> (Output, String) {
    let out = cmd.write_stdin(input(lines)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

/// [`tool`] with `args`, run with `lines` on stdin: its output, and its
/// stderr as text.
pub fn send(
    bin: &str,
    home: &Path,
    url: &str,
    args: &[&dyn AsRef<OsStr>],
    lines: &[String],
) -> (Output, String) {
    output(
        tool(bin, home, url).args(args.iter().map(|a| a.as_ref())),
        lines,
    )
}

/// Runs `bin` ([`tool`]) against a new stand-in with `text` on stdin: its
/// output, and the events the stand-in accepted, each as the JSON text it
/// received.
pub fn run_on_standin(bin: &str, text: impl Into<Vec<u8>>) -> (Output, Vec<String>) {
    let s = standin(&[]);
    let home = tempfile::tempdir().unwrap();
    let out = tool(bin, home.path(), &s.url())
        .write_stdin(text)
        .output()
        .unwrap();
    let events = s.received().events;
    (out, events.iter().map(|e| e.get().to_owned()).collect())
}

/// Message ids of JSON lines.
pub fn ids_of(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["messageId"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// `events` pretty-printed, each over several lines.
pub fn pretty(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        })
        .collect()
}

/// Checks that `bin` reads a JSON text stream as the original's jq did:
/// the same events pretty-printed, or several on a line with blank lines
/// between, are sent exactly as one per line.
pub fn assert_streams_are_sent_as_lines(bin: &str) {
    let lines = events(40, 300);
    let packed: String = lines.chunks(3).map(|c| c.join(" ") + "\n\n").collect();
    let mut sent = Vec::new();
    for text in [input(&lines), pretty(&lines), packed] {
        let (out, events) = run_on_standin(bin, text);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{bin}: {err}");
        sent.push(events);
    }
    assert_eq!(sent[0].len(), 40, "{bin}");
    assert_eq!(sent[1], sent[0], "{bin}: pretty-printed");
    assert_eq!(sent[2], sent[0], "{bin}: several per line");
}

/// Checks the options both uploaders share (`segment_bridge_segment::UploadArgs`):
/// a `--batch-data-size` too small for any event, and a timeout of zero,
/// are usage errors (exit 2) that send nothing; `--dry-run` needs no write
/// key and sends nothing.
pub fn assert_upload_options_are_checked_first(bin: &str) {
    let lines = events(3, 200);
    for (args, says) in [
        (
            &["--batch-data-size", "3"][..],
            "batch-data-size 3 is too small",
        ),
        (&["--timeout", "0"][..], "timeout must be a positive number"),
    ] {
        let s = standin(&[]);
        let home = tempfile::tempdir().unwrap();
        let (out, err) = output(tool(bin, home.path(), &s.url()).args(args), &lines);
        crate::failed_with(&out, 2, &[says]);
        assert_eq!(s.received().requests, 0, "{bin} {args:?}: {err}");
    }
    let s = standin(&[]);
    let home = tempfile::tempdir().unwrap();
    let mut dry = tool(bin, home.path(), &s.url());
    dry.arg("--dry-run").env_remove("SEGMENT_WRITE_KEY");
    let (out, _) = output(&mut dry, &lines);
    let printed = crate::exited(&out, 0);
    assert_eq!(s.received().requests, 0, "{bin} --dry-run: {printed}");
    assert!(crate::stdout(&out).starts_with("{\"batch\":["), "{bin}");
}

/// Checks JSONTestSuite through `bin` (`crate::reemit_suite` has the
/// rules), with `--dry-run`, which prints the payloads it would send.
pub fn assert_the_suite_is_read_right(bin: &str) {
    let event = |id: &str| {
        format!(r#"{{"userId":"u","type":"track","event":"e","messageId":"{id}"}}"#).into_bytes()
    };
    let found = crate::reemit_suite::violations(
        bin,
        &["--dry-run"],
        crate::reemit_suite::Reports::Rejects,
        event,
        |_, _, _| None,
    );
    assert!(
        found.is_empty(),
        "{bin}: {} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Checks that what strict JSON leaves open reaches Segment as jq 1.6
/// writes it: invalid UTF-8 in strings (the suite's cases), duplicate keys,
/// numbers beyond the double range; each event warned with its line.
pub fn assert_jq_rules_reach_segment(bin: &str) {
    let mut values: Vec<Vec<u8>> = crate::reemit_suite::cases()
        .into_iter()
        .filter(|(name, _)| crate::reemit_suite::same_bytes_as_jq(name) && !name.contains("BOM"))
        .map(|(_, v)| v.trim_ascii().to_vec())
        .collect();
    values.push(br#"{"a":1,"b":[2],"a":{"c":3,"c":4}}"#.to_vec());
    let mut text = Vec::new();
    for (i, v) in values.iter().enumerate() {
        text.extend_from_slice(
            format!(r#"{{"userId":"u","type":"track","event":"e","messageId":"m-{i}","properties":{{"v":"#)
                .as_bytes(),
        );
        text.extend_from_slice(v);
        text.extend_from_slice(b"}}\n");
    }
    let want = crate::jq(&["-c", "."], &text);
    let want: Vec<&[u8]> = want
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let (out, got) = run_on_standin(bin, text);
    let err = crate::exited(&out, 0);
    assert_eq!(got.len(), values.len(), "{bin}: {err}");
    for (i, (got, want)) in got.iter().zip(&want).enumerate() {
        assert_eq!(got.as_bytes(), *want, "{bin}: event {i}");
        assert!(
            err.contains(&format!("line {}, column 1: ", i + 1)),
            "{bin}: {err}"
        );
    }
}
