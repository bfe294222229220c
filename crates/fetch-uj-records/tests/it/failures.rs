//! Each failure shape of `docs/apis/splunk.md` makes the failure happen at the
//! stand-in: the query is retried, then named, the exit is non-zero, and the
//! other queries' rows still come out, once.

use crate::common::*;
use standins::splunk::{Config, Fault};

/// The faulty query: "Release Succeeded or Failed events" (6 rows).
const BAD: usize = 6;

fn others(served: &std::collections::BTreeMap<usize, Vec<String>>) -> Vec<String> {
    let mut s = served.clone();
    s.remove(&BAD);
    expected_lines(&s)
}

#[test]
fn every_failure_shape_fails_its_query_only() {
    let served = served();
    let shapes = [
        ("500", Fault::Status(500), 2),
        ("503 every time", Fault::Status(503), 2),
        ("400", Fault::Status(400), 1),
        (
            "FATAL in a 200 stream",
            Fault::Message {
                kind: "FATAL".into(),
                after_rows: 2,
            },
            2,
        ),
        (
            "ERROR message",
            Fault::Message {
                kind: "ERROR".into(),
                after_rows: 0,
            },
            2,
        ),
        ("empty 200", Fault::EmptyBody, 2),
        ("cut mid-line", Fault::CutMidLine { after_rows: 3 }, 2),
        ("ended early", Fault::EndEarly { after_rows: 3 }, 2),
    ];
    for (what, fault, attempts) in shapes {
        let s = standin_with(&served, Config::default(), |k, r| {
            if k == BAD {
                r.fault(fault.clone())
            } else {
                r
            }
        });
        let out = cmd(&s.url()).env("SPLUNK_RETRIES", "1").assert().code(1);
        let out = out.get_output();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("query `{}` failed", title(BAD))),
            "{what}: {stderr}"
        );
        assert!(stderr.contains("1 failed"), "{what}: {stderr}");
        // Everything of the others; of the bad one only rows it sent before
        // failing, each once.
        let mut got = sorted_lines(&out.stdout);
        let bad_rows = &served[&BAD];
        let partial: Vec<String> = got
            .iter()
            .filter(|l| bad_rows.contains(l))
            .cloned()
            .collect();
        got.retain(|l| !bad_rows.contains(l));
        assert_eq!(got, others(&served), "{what}");
        let mut dedup = partial.clone();
        dedup.dedup();
        assert_eq!(partial, dedup, "{what}: a row went out twice");
        let bad_requests = s
            .exports()
            .iter()
            .filter(|r| {
                r.param("search")
                    .unwrap()
                    .contains(&standins::splunk::KINDS[BAD].marker)
            })
            .count();
        assert_eq!(bad_requests, attempts, "{what}");
    }
}

#[test]
fn connection_refused_names_every_query() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = cmd(&format!("http://127.0.0.1:{port}"))
        .env("SPLUNK_RETRIES", "1")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for k in 0..8 {
        assert!(
            stderr.contains(&format!(
                "query `{}` failed after 1 retries: cannot reach Splunk",
                title(k)
            )),
            "{stderr}"
        );
    }
    assert!(out.get_output().stdout.is_empty());
}

#[test]
fn quota_503_then_success_is_exit_0_without_duplicates() {
    let served = served();
    let s = standin_with(&served, Config::default(), |k, r| {
        if k == BAD {
            r.fault(Fault::Status(503)).fail_first(2)
        } else {
            r
        }
    });
    let out = cmd(&s.url()).assert().success();
    let out = out.get_output();
    assert_eq!(sorted_lines(&out.stdout), expected_lines(&served));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Splunk answered HTTP 503: Search not executed"),
        "{stderr}"
    );
    assert!(stderr.contains("2 retries"), "{stderr}");
    assert_eq!(s.exports().len(), 10);
}

#[test]
fn cut_then_success_emits_each_row_once() {
    let served = served();
    for fault in [
        Fault::CutMidLine { after_rows: 4 },
        Fault::Message {
            kind: "FATAL".into(),
            after_rows: 4,
        },
        Fault::EndEarly { after_rows: 5 },
    ] {
        let s = standin_with(&served, Config::default(), |k, r| {
            if k == BAD {
                r.fault(fault.clone()).fail_first(1)
            } else {
                r
            }
        });
        let out = cmd(&s.url()).assert().success();
        let out = out.get_output();
        assert_eq!(
            sorted_lines(&out.stdout),
            expected_lines(&served),
            "{fault:?}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("1 retries"), "{stderr}");
    }
}

#[test]
fn a_retry_with_a_moved_window_adds_new_rows_only() {
    // First attempt: rows 0..6 of the bad kind, cut after 3 (0, 1, 2 out).
    // The retry's window has moved: row 0 is gone, rows 1..6 come with other
    // offsets, and a new row follows. Out: 0..6 once each, plus the new row.
    let served = served();
    let first = served[&BAD].clone();
    let later: Vec<String> = first[1..]
        .iter()
        .map(|l| {
            l.replacen(r#""offset":"#, r#""offset":10"#, 1)
                .replace(r#","lastrow":true"#, "")
        })
        .chain(std::iter::once(
            r#"{"preview":false,"offset":99,"lastrow":true,"result":{"new":"row"}}"#.to_owned(),
        ))
        .collect();
    let s = standin_with(&served, Config::default(), |k, r| {
        if k == BAD {
            r.fault(Fault::CutMidLine { after_rows: 3 })
                .fail_first(1)
                .later_rows(later.clone())
        } else {
            r
        }
    });
    let out = cmd(&s.url()).assert().success();
    let out = out.get_output();
    let got = sorted_lines(&out.stdout);
    let mut want: Vec<String> = expected_lines(&served);
    // Rows 3.. came from the retry, with its offsets.
    for (i, l) in first.iter().enumerate().skip(3) {
        want.retain(|w| w != l);
        want.push(later[i - 1].clone());
    }
    want.push(later.last().unwrap().clone());
    want.sort();
    assert_eq!(got, want);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 repeated rows skipped"), "{stderr}");
}

#[test]
fn slow_and_delayed_streams_still_complete() {
    let served = served();
    let s = standin_with(&served, Config::default(), |k, r| {
        r.delay(std::time::Duration::from_millis(20 * k as u64))
            .slow(std::time::Duration::from_millis(1))
    });
    let out = cmd(&s.url()).args(["--parallel", "3"]).assert().success();
    assert_eq!(
        sorted_lines(&out.get_output().stdout),
        expected_lines(&served)
    );
}

#[test]
fn read_timeout_fails_a_silent_stream() {
    let served = served();
    let s = standin_with(&served, Config::default(), |k, r| {
        if k == BAD {
            r.stream_delay(std::time::Duration::from_secs(3))
        } else {
            r
        }
    });
    let out = cmd(&s.url())
        .env("SPLUNK_RETRIES", "0")
        .args(["--read-timeout", "1"])
        .assert()
        .code(1);
    let out = out.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("query `{}` failed", title(BAD))),
        "{stderr}"
    );
    assert_eq!(sorted_lines(&out.stdout), others(&served));
}
