//! segment-mass-uploader against the Segment stand-in: every fault the
//! stand-in can make, and what ends up delivered, rejected or dead-lettered.

// The Segment test helpers are shared with segment-uploader: one copy.
use testkit::segment as common;

use std::collections::HashSet;
use std::io::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

const BIN: &str = "segment-mass-uploader";

/// Runs the tool against `url` with `lines` on stdin and a dead-letter file
/// in a fresh folder, and checks that it exits 1: the folder (kept alive),
/// the dead-letter file and stderr.
fn failed_with_dead_letters(
    url: &str,
    lines: &[String],
) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let (out, stderr) = send(BIN, dir.path(), url, &[&"--dead-letter", &dead], lines);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    (dir, dead, stderr)
}

#[test]
fn transient_faults_deliver_everything_exactly_once() {
    let lines = events(300, 4_000); // three batches
                                    // (faults, extra arguments, whether the fault makes the tool retry)
    let cases: &[(&[&str], &[&str], bool)] = &[
        (&["500@first=2"], &[], true),
        (&["502@every=2"], &[], true),
        (&["503@first=3"], &[], true),
        (&["504@random=0.3,seed=11"], &["--retries", "8"], true),
        (&["429+1@first=2"], &[], true),
        (&["429+30@every=3"], &[], true),
        (&["drop@first=2"], &[], true),
        (&["drop@every=2"], &[], true),
        // Slow, within the timeout: no retry needed.
        (&["slow=300@first=2"], &[], false),
        // Slower than the timeout: the attempt times out and is retried.
        (&["slow=10000@first=1"], &["--timeout", "0.5"], true),
        (&["408@first=1", "500@every=4"], &[], true),
    ];
    for (faults, extra, retried) in cases {
        let s = standin(faults);
        let home = tempfile::tempdir().unwrap();
        let (out, stderr) = output(tool(BIN, home.path(), &s.url()).args(*extra), &lines);
        assert_eq!(out.status.code(), Some(0), "{faults:?}: {stderr}");
        assert_eq!(s.message_ids(), ids(300), "{faults:?}");
        assert!(s.received().dropped.is_empty());
        assert_eq!(s.requests() > 3, *retried, "{faults:?}: {stderr}");
        assert_eq!(
            stderr.contains("retry 1 "),
            *retried,
            "{faults:?}: {stderr}"
        );
        assert!(
            stderr.contains("300 events read, 0 already delivered, 300 sent in 3 batches"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_permanent_fault_dead_letters_exactly_the_undelivered_events() {
    // Every second request is refused with 413 (not retried): batches 2
    // and 4 fail, 1, 3 and 5 go through.
    let lines = events(600, 4_000);
    let s = standin(&["413@every=2"]);
    let (dir, dead, stderr) = failed_with_dead_letters(&s.url(), &lines);
    let delivered = s.message_ids();
    let dead_ids = ids_of(&std::fs::read_to_string(&dead).unwrap());
    assert!(!delivered.is_empty() && !dead_ids.is_empty());
    let d: HashSet<_> = delivered.iter().collect();
    assert!(dead_ids.iter().all(|id| !d.contains(id)), "overlap");
    let mut all: Vec<String> = delivered.iter().chain(&dead_ids).cloned().collect();
    all.sort_by_key(|id| id[2..].parse::<u32>().unwrap());
    assert_eq!(all, ids(600));
    assert_eq!(s.requests(), 5, "413 must not be retried");
    assert!(
        stderr.contains("batch 2 (lines 125-248): 124 events not delivered: Segment answered 413"),
        "{stderr}"
    );
    assert!(stderr.contains("failed in 2 batches"), "{stderr}");
    // The dead-letter file is input for a second run.
    let s2 = standin(&[]);
    tool(BIN, dir.path(), &s2.url())
        .pipe_stdin(&dead)
        .unwrap()
        .assert()
        .code(0);
    assert_eq!(s2.message_ids(), dead_ids);
}

#[test]
fn a_refused_batch_is_bisected_and_only_the_refused_events_are_dead_lettered() {
    // Segment refuses (400) any batch holding a marked event; the marked
    // events are valid as far as our checks go.
    let marked = [7usize, 130, 131, 599];
    let lines: Vec<String> = events(600, 4_000)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if marked.contains(&i) {
                l.replace(r#""n":1.50"#, r#""n":1.50,"bad":"MARKED""#)
            } else {
                l
            }
        })
        .collect();
    let mut cfg = standins::segment::Config::new(KEY);
    cfg.refuse_marked = Some("MARKED".into());
    let s = standins::segment::SegmentStandin::spawn(cfg).unwrap();
    let (_dir, dead, stderr) = failed_with_dead_letters(&s.url(), &lines);
    let mut delivered = s.message_ids();
    delivered.sort_by_key(|id| id[2..].parse::<u32>().unwrap());
    let unmarked: Vec<String> = (0..600)
        .filter(|i| !marked.contains(i))
        .map(|i| format!("m-{i}"))
        .collect();
    assert_eq!(delivered, unmarked, "every unmarked event, once");
    let dead_ids = ids_of(&std::fs::read_to_string(&dead).unwrap());
    let want: Vec<String> = marked.iter().map(|i| format!("m-{i}")).collect();
    assert_eq!(dead_ids, want, "only the marked events");
    assert!(
        stderr.contains("4 failed in 4 batches (4 refused by Segment"),
        "{stderr}"
    );
    // Bounded: about 2·log2(124) extra requests per refused event.
    assert!(s.requests() <= 5 + 4 * 2 * 7, "{} requests", s.requests());
}

#[test]
fn the_time_ceiling_by_flag_or_env_bounds_server_requested_waits() {
    let lines = events(10, 200);
    for (args, env) in [
        (&["--max-retry-time", "250"][..], None),
        (&[][..], Some("250")),
    ] {
        // Segment asks for 100 s every time; one retry of budget would allow
        // only one wait, but server-requested waits are free up to the
        // ceiling: two waits fit in 250 s, the third does not.
        let s = standin(&["503+100"]);
        let home = tempfile::tempdir().unwrap();
        let mut cmd = tool(BIN, home.path(), &s.url());
        cmd.args(["--retries", "1"]).args(args);
        if let Some(v) = env {
            cmd.env("SEGMENT_MAX_RETRY_TIME", v);
        }
        let (out, stderr) = output(&mut cmd, &lines);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(s.requests(), 3, "{stderr}");
        assert!(stderr.contains("time ceiling of 250s"), "{stderr}");
    }
}

#[test]
fn gzip_bodies_by_flag_or_env_limits_on_the_uncompressed_body() {
    let lines = events(600, 4_000);
    for (flag, env) in [
        (Some("--gzip"), None),
        (None, Some("true")),
        (None, Some("1")),
    ] {
        let s = standin(&[]);
        let home = tempfile::tempdir().unwrap();
        let mut cmd = tool(BIN, home.path(), &s.url());
        cmd.args(flag);
        if let Some(v) = env {
            cmd.env("SEGMENT_GZIP", v);
        }
        let (out, stderr) = output(&mut cmd, &lines);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(s.message_ids(), ids(600));
        let r = s.received();
        // Five bodies of up to 500,000 bytes uncompressed, as without gzip:
        // the limit is counted before compression.
        assert_eq!((r.requests, r.gzip_requests), (5, 5), "{flag:?} {env:?}");
        assert!(r.plain_bytes > 2_000_000 && r.wire_bytes * 4 < r.plain_bytes);
    }
    // SEGMENT_GZIP=false: plain bodies.
    let s = standin(&[]);
    let home = tempfile::tempdir().unwrap();
    tool(BIN, home.path(), &s.url())
        .env("SEGMENT_GZIP", "false")
        .write_stdin(input(&lines))
        .assert()
        .code(0);
    assert_eq!(s.received().gzip_requests, 0);
    assert_eq!(s.received().wire_bytes, s.received().plain_bytes);
}

#[test]
fn the_ledger_skips_what_was_delivered_and_records_what_segment_accepts() {
    let lines = events(300, 4_000); // three batches of 124, 124, 52
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    // m-0..m-99 delivered before; a last line cut by a kill is not an id.
    let mut before: String = (0..100).map(|i| format!("m-{i}\n")).collect();
    before.push_str("m-29");
    std::fs::write(&ledger, &before).unwrap();
    // The second request fails for good: its events are not recorded.
    let s = standin(&["413@every=2"]);
    let (out, stderr) = send(BIN, dir.path(), &s.url(), &[&"--ledger", &ledger], &lines);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("300 events read, 100 already delivered, 124 sent in 1 batches"),
        "{stderr}"
    );
    let delivered = s.message_ids();
    assert!(delivered
        .iter()
        .all(|id| id[2..].parse::<u32>().unwrap() >= 100));
    // The file: what was there, then exactly the accepted ids, whole lines.
    let text = std::fs::read_to_string(&ledger).unwrap();
    // The cut line was ended first, so that no id is glued to it.
    assert!(text[before.len()..].starts_with('\n'));
    let after: Vec<&str> = text[before.len() + 1..].lines().collect();
    assert_eq!(
        after,
        delivered.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(delivered.len(), 124);

    // A ledger that can't be read: everything is sent, with a warning.
    let s = standin(&[]);
    let (out, stderr) = send(
        BIN,
        dir.path(),
        &s.url(),
        &[&"--ledger", &dir.path()],
        &lines,
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("cannot read the ledger"), "{stderr}");
    assert_eq!(s.message_ids(), ids(300));
}

#[test]
fn always_failing_server_everything_dead_lettered_to_the_rejects_file() {
    let lines = events(300, 4_000);
    let s = standin(&["500"]);
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let args: &[&dyn AsRef<std::ffi::OsStr>] = &[&"--retries", &"2", &"--rejects", &rejects];
    let (out, _) = send(BIN, dir.path(), &s.url(), args, &lines);
    assert_eq!(out.status.code(), Some(1));
    assert!(s.message_ids().is_empty());
    assert_eq!(s.requests(), 3 * 3);
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        input(&lines),
        "the events, as sent, in order"
    );
}

#[test]
fn without_a_dead_letter_file_the_lost_message_ids_are_logged() {
    let s = standin(&["503"]);
    let dir = tempfile::tempdir().unwrap();
    let (out, stderr) = send(
        BIN,
        dir.path(),
        &s.url(),
        &[&"--retries", &"1"],
        &events(3, 100),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("3 events not delivered") && stderr.contains("m-0 m-1 m-2"),
        "{stderr}"
    );
}

#[test]
fn invalid_events_are_rejected_reported_and_the_rest_delivered() {
    let good = events(10, 300);
    let big = events(1, 40_000).remove(0).replace("m-0", "big");
    let long_id = format!(
        r#"{{"messageId":"{}","userId":"u","type":"identify"}}"#,
        "i".repeat(101)
    );
    let bad = [
        r#"{"messageId":"nouser","type":"track","event":"x"}"#.to_owned(),
        r#"{"messageId":"noevent","type":"track","userId":"u"}"#.to_owned(),
        "[1,2,3]".to_owned(),
        "{not json".to_owned(),
        long_id,
        big,
    ];
    let mut lines = Vec::new();
    for (i, g) in good.iter().enumerate() {
        lines.push(g.clone());
        if let Some(b) = bad.get(i) {
            lines.push(b.clone());
        }
    }
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let (out, stderr) = send(BIN, dir.path(), &s.url(), &[&"--rejects", &rejects], &lines);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(s.message_ids(), ids(10));
    assert!(
        s.received().dropped.is_empty(),
        "nothing sent that Segment drops"
    );
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), input(&bad));
    for needle in [
        "line 2: no `userId` or `anonymousId`",
        "line 4: `track` event without `event`",
        "line 6: not a JSON object",
        "line 8: invalid JSON",
        "line 10: `messageId` of 101 characters",
        "line 12: event too large",
        "6 rejected",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
}

#[test]
fn request_bodies_stay_within_the_limit_and_batches_are_full() {
    // Mixed sizes, some close to the per-event limit.
    let mut lines = events(500, 700);
    lines.extend(
        events(40, 31_900)
            .into_iter()
            .map(|l| l.replace("\"m-", "\"b-")),
    );
    lines.extend(
        events(3_000, 130)
            .into_iter()
            .map(|l| l.replace("\"m-", "\"t-")),
    );
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    tool(BIN, dir.path(), &s.url())
        .write_stdin(input(&lines))
        .assert()
        .code(0);
    let r = s.received();
    assert!(r.body_sizes.iter().all(|&b| b <= 500_000));
    assert!(r.dropped.is_empty());
    assert_eq!(r.accepted_events as usize, lines.len());
    // Greedy is optimal: the same count as packing the lines by hand.
    let total: usize = lines.iter().map(|l| l.len() + 1).sum::<usize>() + 11;
    assert!(
        r.requests as usize <= total.div_ceil(500_000) + 2,
        "{} requests",
        r.requests
    );
}

#[test]
fn batches_go_out_while_input_is_still_being_read() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std_tool(BIN, dir.path(), &s.url());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // More than one batch, and keep stdin open.
    stdin
        .write_all(input(&events(200, 4_000)).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    while s.message_ids().is_empty() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent_before_eof = s.message_ids().len();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        sent_before_eof, 124,
        "the first full batch went out before the end of input"
    );
    assert_eq!(s.message_ids(), ids(200));
}

#[test]
fn dry_run_prints_one_payload_per_batch_and_sends_nothing() {
    let lines = events(300, 4_000);
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = output(
        tool(BIN, dir.path(), &s.url())
            .env_remove("SEGMENT_WRITE_KEY")
            .arg("--dry-run"),
        &lines,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(s.requests(), 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let payloads: Vec<&str> = stdout.lines().collect();
    assert_eq!(payloads.len(), 3);
    let mut seen = Vec::new();
    for p in payloads {
        assert!(p.len() <= 500_000);
        let v: serde_json::Value = serde_json::from_str(p).unwrap();
        for e in v["batch"].as_array().unwrap() {
            seen.push(e["messageId"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, ids(300));
    assert!(stdout.contains("\"n\":1.50"), "number literals as written");
}

#[test]
fn filter_pipes_each_batch_to_a_command() {
    let lines = events(300, 4_000);
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.jsonl");
    let names = dir.path().join("names");
    let cmd = format!(
        "cat >> '{}'; echo \"$FILE\" >> '{}'",
        out_file.display(),
        names.display()
    );
    tool(BIN, dir.path(), "http://127.0.0.1:9/unused")
        .env_remove("SEGMENT_WRITE_KEY")
        .args(["--filter", &cmd])
        .write_stdin(input(&lines))
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), input(&lines));
    assert_eq!(
        std::fs::read_to_string(&names).unwrap(),
        "batch-000001\nbatch-000002\nbatch-000003\n"
    );

    // A failing command fails its batch; that batch is dead-lettered.
    let dead = dir.path().join("dead.jsonl");
    let out_file2 = dir.path().join("out2.jsonl");
    let cmd = format!(
        "test \"$FILE\" != batch-000002 && cat >> '{}'",
        out_file2.display()
    );
    let unused = "http://127.0.0.1:9/unused";
    let args: &[&dyn AsRef<std::ffi::OsStr>] = &[&"--filter", &cmd, &"--dead-letter", &dead];
    let (out, stderr) = send(BIN, dir.path(), unused, args, &lines);
    assert_eq!(out.status.code(), Some(1));
    let delivered = ids_of(&std::fs::read_to_string(&out_file2).unwrap());
    let dead_ids = ids_of(&std::fs::read_to_string(&dead).unwrap());
    assert_eq!(dead_ids, ids(300)[124..248].to_vec());
    assert_eq!(delivered.len() + dead_ids.len(), 300);
    assert!(stderr.contains("the filter command failed"));
}

#[test]
fn in_process_run_reports_outcome_counts() {
    use clap::Parser as _;
    let s = standin(&["503@first=1"]);
    std::env::set_var("SEGMENT_BRIDGE_BACKOFF_SCALE", "0");
    let mut args = segment_mass_uploader::Args::parse_from([BIN, "--api-url", &s.url()]);
    args.upload.client.write_key = Some(segment_bridge_net::Secret::new(KEY));
    let mut text = input(&events(5, 200));
    text.push_str("{\"type\":\"track\"}\n");
    let mut out = Vec::new();
    let o = segment_mass_uploader::run(args, &mut text.as_bytes(), &mut out).unwrap();
    assert_eq!(o.status, segment_bridge_core::ExitStatus::Rejected);
    for c in [
        ("events_read", 6),
        ("events_sent", 5),
        ("events_rejected", 1),
        ("events_failed", 0),
        ("batches", 1),
        ("retries", 1),
    ] {
        assert_eq!(o.get(c.0), Some(c.1), "{c:?} in {:?}", o.counts);
    }
}

#[test]
fn a_refused_write_key_stops_sending_and_dead_letters_everything() {
    let lines = events(300, 4_000);
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let (out, stderr) = output(
        tool(BIN, dir.path(), &s.url())
            .env("SEGMENT_WRITE_KEY", "not-the-key")
            .arg("--dead-letter")
            .arg(&dead),
        &lines,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(s.requests(), 1, "no knocking again with the same key");
    assert_eq!(std::fs::read_to_string(&dead).unwrap(), input(&lines));
    assert!(
        stderr.contains("not sent: an earlier batch was refused"),
        "{stderr}"
    );
    assert!(stderr.contains("300 failed in 3 batches"), "{stderr}");
}
