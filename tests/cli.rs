//! One CLI across all tools, tried on the real binaries: the shared help
//! footer, `--version` with the commit and target, usage errors and a bad
//! `LOG_LEVEL` exiting 2, JSON log lines that name the tool and carry
//! structured fields, `RUST_LOG` as the fallback filter, and the generated
//! completions and man pages.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use e2e::{bin_dir, root, SCRIPT_TOOLS};
use serde_json::Value;

/// The tools that never speak HTTP (no metrics push either): they link no
/// HTTP or TLS stack (docs/design.md).
const OFFLINE: [&str; 3] = ["querygen", "mk-segment-batch-payload", "bridge-heartbeat"];

/// Every tool: querygen, those that replace a script, bridge-window,
/// fetch-audit-log, and the opt-in stages.
fn tools() -> impl Iterator<Item = &'static str> {
    std::iter::once("querygen")
        .chain(SCRIPT_TOOLS)
        .chain(["bridge-window", "fetch-audit-log"])
        .chain(["pseudonymize", "bridge-heartbeat"])
}

/// `tool args…` with a clean environment plus `env`, `stdin` fed in.
fn run(tool: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut c = Command::new(bin_dir().join(tool));
    c.env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // A tool may exit before reading (usage errors): ignore a broken pipe.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every stderr line as JSON (panics, naming the line, when one is not).
fn json_lines(o: &Output) -> Vec<Value> {
    stderr(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The commit the binaries must report: the checkout's HEAD, or `unknown`
/// when there is no git.
fn expected_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[test]
fn every_tool_has_the_shared_help_footer() {
    for tool in tools() {
        let o = run(tool, &["--help"], &[], "");
        assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
        let help = String::from_utf8(o.stdout).unwrap();
        assert!(help.contains(&format!("Usage: {tool}")), "{tool}:\n{help}");
        // The exit codes, rendered from the one table, once: no tool
        // describes them again in its own words.
        let codes = segment_bridge_core::exit_codes::help_block(tool);
        assert_eq!(help.matches(&codes).count(), 1, "{tool}:\n{help}");
        assert_eq!(help.matches("Exit codes:").count(), 1, "{tool}:\n{help}");
        assert!(!help.contains("Exit status"), "{tool}:\n{help}");
        for needle in [
            "  2  usage or configuration error, nothing done",
            "LOG_FORMAT",
            "LOG_LEVEL",
            "RUST_LOG",
        ] {
            assert!(help.contains(needle), "{tool}: no `{needle}` in:\n{help}");
        }
        // The network variables: every tool that speaks HTTP (its API, or
        // only the Pushgateway); the two that print text link no HTTP.
        let networked = !OFFLINE.contains(&tool);
        for needle in ["PUSHGATEWAY_URL", "SSL_CERT_FILE", "HTTPS_PROXY, NO_PROXY"] {
            assert_eq!(
                help.contains(needle),
                networked,
                "{tool}: `{needle}` in:\n{help}"
            );
        }
    }
}

#[test]
fn every_tool_reports_version_commit_and_target() {
    let commit = expected_commit();
    for tool in tools() {
        let o = run(tool, &["--version"], &[], "");
        assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
        let v = String::from_utf8(o.stdout).unwrap();
        let want = format!("{tool} {} (commit {commit}, ", env!("CARGO_PKG_VERSION"));
        assert!(
            v.starts_with(&want),
            "{tool}: `{v}` does not start with `{want}`"
        );
        assert!(
            v.trim_end().ends_with("-linux-gnu)") || v.trim_end().ends_with("-linux-musl)"),
            "{v}"
        );
    }
}

#[test]
fn a_bad_log_level_is_a_usage_error() {
    for tool in tools() {
        let o = run(tool, &[], &[("LOG_LEVEL", "verbose")], "");
        assert_eq!(o.status.code(), Some(2), "{tool}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{tool} printed data");
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!(
                "{tool}: error: invalid `LOG_LEVEL` (`verbose`)\nhint: "
            )),
            "{tool}: {err}"
        );
    }
    // The same in JSON: the hint is a field.
    let o = run(
        "querygen",
        &[],
        &[("LOG_LEVEL", "loud"), ("LOG_FORMAT", "json")],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1, "{}", stderr(&o));
    assert_eq!(lines[0]["message"], "invalid `LOG_LEVEL` (`loud`)");
    assert!(lines[0]["hint"]
        .as_str()
        .unwrap()
        .contains("info,segment_bridge_core=debug"));
}

#[test]
fn usage_errors_are_json_with_log_format_json() {
    for tool in tools() {
        let o = run(tool, &["--no-such-flag"], &[("LOG_FORMAT", "json")], "");
        assert_eq!(o.status.code(), Some(2), "{tool}: {}", stderr(&o));
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 1, "{tool}: {}", stderr(&o));
        let l = &lines[0];
        assert_eq!(l["tool"], tool);
        assert_eq!(l["level"], "ERROR");
        assert_eq!(l["exit_code"], 2);
        assert_eq!(l["kind"], "unexpected argument found");
        assert!(
            l["message"].as_str().unwrap().contains("--no-such-flag"),
            "{l}"
        );
    }
    // Text stays clap's own message.
    let o = run("querygen", &["--no-such-flag"], &[], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: unexpected argument '--no-such-flag' found"));
}

const EVENT: &str = r#"{"type":"track","event":"e","userId":"u","messageId":"m1","timestamp":"2026-01-01T00:00:00Z"}"#;

#[test]
fn json_log_lines_carry_structured_fields() {
    let input = format!("not json\n{EVENT}\n");
    let o = run(
        "segment-mass-uploader",
        &["--dry-run"],
        &[("LOG_FORMAT", "json")],
        &input,
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let lines = json_lines(&o);
    for l in &lines {
        assert_eq!(l["tool"], "segment-mass-uploader", "{l}");
        assert!(l["timestamp"].is_string() && l["level"].is_string() && l["message"].is_string());
    }
    let reject = lines
        .iter()
        .find(|l| l["level"] == "WARN")
        .unwrap_or_else(|| panic!("no warning: {}", stderr(&o)));
    assert_eq!(reject["line"], 1, "{reject}");
    assert!(
        reject["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{reject}"
    );
    let summary = lines
        .iter()
        .find(|l| l["level"] == "INFO" && l.get("events_read").is_some())
        .unwrap_or_else(|| panic!("no summary with fields: {}", stderr(&o)));
    assert_eq!(summary["events_read"], 2, "{summary}");
    assert_eq!(summary["events_rejected"], 1, "{summary}");
    assert_eq!(summary["dry_run"], true, "{summary}");

    // splunk-to-segment: a rejected row names its line and reason.
    let o = run(
        "splunk-to-segment",
        &[],
        &[("LOG_FORMAT", "json")],
        "{\"result\":{}}\n[oops\n",
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let lines = json_lines(&o);
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "WARN" && l["line"] == 2 && l["reason"].is_string()),
        "{}",
        stderr(&o)
    );
    assert!(lines.iter().all(|l| l["tool"] == "splunk-to-segment"));
}

#[test]
fn the_summary_line_carries_the_figures_and_follows_its_own_target() {
    let input = "{\"result\":{}}\n[oops\n";
    let s2s = |level: &str| {
        let env = [("LOG_FORMAT", "json"), ("LOG_LEVEL", level)];
        let o = run("splunk-to-segment", &[], &env, input);
        assert_eq!(o.status.code(), Some(3), "{level}: {}", stderr(&o));
        json_lines(&o)
    };
    let summary_of = |lines: &[Value]| {
        let found = lines
            .iter()
            .filter(|l| l["target"] == "segment_bridge::summary");
        found.cloned().collect::<Vec<_>>()
    };
    // Every figure as a field, under its metric's name.
    let lines = s2s("info");
    let summary = summary_of(&lines);
    assert_eq!(summary.len(), 1, "{lines:?}");
    let s = &summary[0];
    assert_eq!(s["level"], "INFO", "{s}");
    for (figure, n) in [
        ("events_read", 2),
        ("events_emitted", 0),
        ("markers_skipped", 0),
        ("dropped_no_workspace", 1),
        ("events_rejected", 1),
    ] {
        assert_eq!(s[figure], n, "{figure} in {s}");
    }
    assert!(
        s["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("read 2, emitted 0")),
        "{s}"
    );
    // A crate's filter leaves it alone; its own target or the level hides it,
    // and the warnings stay.
    assert_eq!(summary_of(&s2s("info,segment_bridge_core=warn")).len(), 1);
    for level in ["warn", "info,segment_bridge::summary=off"] {
        let lines = s2s(level);
        assert!(summary_of(&lines).is_empty(), "{level}: {lines:?}");
        assert!(
            lines.iter().any(|l| l["level"] == "WARN"),
            "{level}: {lines:?}"
        );
    }
}

#[test]
fn rust_log_is_the_fallback_filter() {
    let input = format!("not json\n{EVENT}\n");
    let warns = |env: &[(&str, &str)]| {
        let o = run("segment-mass-uploader", &["--dry-run"], env, &input);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        stderr(&o).contains(": warning: line 1")
    };
    assert!(warns(&[]));
    assert!(!warns(&[("RUST_LOG", "error")]));
    // LOG_LEVEL wins over RUST_LOG.
    assert!(warns(&[("RUST_LOG", "error"), ("LOG_LEVEL", "warn")]));
}

#[test]
fn completions_and_man_pages_are_generated() {
    for tool in tools() {
        let o = run(tool, &["--generate", "bash"], &[], "");
        assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
        let script = String::from_utf8(o.stdout).unwrap();
        assert!(
            script.contains(&format!("complete -F _{}", tool.replace('-', "__")))
                || script.contains(tool),
            "{tool}"
        );
        let o = run(tool, &["--generate", "man"], &[], "");
        assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
        let page = String::from_utf8(o.stdout).unwrap();
        assert!(
            page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH"),
            "{tool}"
        );
        assert!(
            page.contains("Exit codes:"),
            "{tool}: the man page lacks the footer"
        );
    }
    let o = run("querygen", &["--generate", "tcsh"], &[], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown --generate value (`tcsh`)\nhint: "));
}

#[test]
fn timeouts_take_duration_strings_and_value_names_agree() {
    for tool in tools() {
        let help = String::from_utf8(run(tool, &["--help"], &[], "").stdout).unwrap();
        for old in [
            "<SECONDS>",
            "<TIMEOUT_SECS>",
            "<MAX_BODY>",
            "<READ_TIMEOUT>",
        ] {
            assert!(!help.contains(old), "{tool}: {old} in:\n{help}");
        }
        for line in help.lines().filter(|l| l.contains("timeout <")) {
            assert!(line.contains("<DURATION>"), "{tool}: {line}");
        }
    }
    let ok = run(
        "segment-mass-uploader",
        &["--dry-run", "--timeout", "2m"],
        &[],
        "",
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let bad = run(
        "segment-mass-uploader",
        &["--dry-run", "--timeout", "2 weeks"],
        &[],
        "",
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("`2 weeks` is not a duration"),
        "{}",
        stderr(&bad)
    );
    let env = run(
        "segment-uploader",
        &["--dry-run"],
        &[("SEGMENT_TIMEOUT", "90s")],
        "",
    );
    assert_eq!(env.status.code(), Some(0), "{}", stderr(&env));
}

#[test]
fn every_reader_reports_a_rejected_record_the_same_way() {
    // 150 lines that are not JSON, each its own bad value (a first line
    // that starts with `[` would make splunk-to-segment read one broken
    // document): every tool that rejects records reports
    // them through core's one reporter: a warning per record with `line`
    // and `reason` fields and a message that starts with where it was, the
    // first LISTED (100) of them one by one, then one line saying the rest
    // are counted, not listed.
    let input = "{oops\n".repeat(150);
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), "a key of at least sixteen bytes").unwrap();
    let key_file = key.path().to_str().unwrap();
    /// A tool, its arguments, and environment variables of its own.
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 5] = [
        ("splunk-to-segment", &[], &[]),
        ("segment-uploader", &["--dry-run"], &[]),
        ("segment-mass-uploader", &["--dry-run"], &[]),
        ("pseudonymize", &[], &[("PSEUDONYMIZE_KEY_FILE", key_file)]),
        ("extract-uj-records", &[], &[]),
    ];
    for (tool, args, extra) in cases {
        let mut env = vec![("LOG_FORMAT", "json")];
        env.extend_from_slice(extra);
        let o = run(tool, args, &env, &input);
        assert_eq!(o.status.code(), Some(3), "{tool}: {}", stderr(&o));
        let lines = json_lines(&o);
        let warns: Vec<&Value> = lines.iter().filter(|l| l["level"] == "WARN").collect();
        let listed: Vec<&&Value> = warns.iter().filter(|l| l["line"].is_u64()).collect();
        assert_eq!(listed.len(), 100, "{tool}: {}", stderr(&o));
        for (n, w) in listed.iter().enumerate() {
            assert_eq!(w["line"], n as u64 + 1, "{tool}: {w}");
            assert!(
                w["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{tool}: {w}"
            );
            let message = w["message"].as_str().unwrap_or_default();
            assert!(
                message.starts_with(&format!("line {}", n + 1)),
                "{tool}: {w}"
            );
        }
        let more = warns
            .iter()
            .filter(|l| {
                l["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("more rejected records"))
            })
            .count();
        assert_eq!(more, 1, "{tool}: {}", stderr(&o));
    }
}
