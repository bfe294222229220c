//! Paging by time and splitting into sub-windows: every stored line comes
//! out once, oldest first, also when lines share the nanosecond at a page
//! boundary and when sub-windows are fetched concurrently.

use std::collections::BTreeMap;

use super::common::*;

/// The `n` field of each output line, in output order.
fn numbers(out: &str) -> Vec<usize> {
    out.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["n"]
                .as_u64()
                .unwrap() as usize
        })
        .collect()
}

#[test]
fn lines_sharing_the_boundary_nanosecond_go_out_once() {
    // 30 lines in groups of three sharing a nanosecond, on two nodes; with
    // 4 lines a page, most boundaries fall inside a group.
    let ts = |i: usize| T0 + 1000 * (i as i64 / 3);
    let entries = (0..30)
        .map(|i| entry(ts(i), if i % 2 == 0 { "m0" } else { "m1" }, candidate(i)))
        .collect();
    let s = standin(entries);
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 1)
        .args(["--limit", "4"])
        .output()
        .unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    let got = numbers(&testkit::stdout(&out));
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..30).collect::<Vec<_>>(),
        "each line once: {got:?}"
    );
    assert!(
        got.windows(2).all(|w| ts(w[0]) <= ts(w[1])),
        "oldest first: {got:?}"
    );
    // Each page starts at the last nanosecond of the one before.
    let starts = answered_param(&s, "start");
    assert!(starts.len() >= 8, "{starts:?}");
    assert_eq!(starts[0], T0.to_string());
    for st in &starts[1..] {
        let st: i64 = st.parse().unwrap();
        assert!((0..30).any(|i| ts(i) == st), "{st}");
    }
    let err = testkit::stderr(&out);
    assert!(
        !err.contains(" 0 lines of a page boundary skipped"),
        "{err}"
    );
}

#[test]
fn more_lines_in_one_nanosecond_than_a_page_holds_is_a_failure() {
    let entries = (0..5).map(|i| entry(T0 + 7, "m0", candidate(i))).collect();
    let s = standin(entries);
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 1)
        .args(["--limit", "2"])
        .output()
        .unwrap();
    let err = testkit::exited(&out, 1);
    assert!(
        err.contains("more than 2 lines share the nanosecond 2024-03-03T08:00:00.000000007Z"),
        "{err}"
    );
    assert!(err.contains("hint: raise --limit"), "{err}");
    // What was read before the wall went out, once.
    assert_eq!(numbers(&testkit::stdout(&out)).len(), 2);
}

#[test]
fn sub_windows_are_fetched_concurrently_and_written_in_time_order() {
    // Lines spread over six hours, stored newest first.
    let entries: Vec<_> = (0..60)
        .rev()
        .map(|i| entry(T0 + i as i64 * HOUR / 10, "m0", candidate(i)))
        .collect();
    let s = standin(entries);
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 6)
        .args(["--split", "1h", "--parallel", "4", "--limit", "3"])
        .output()
        .unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    assert_eq!(numbers(&testkit::stdout(&out)), (0..60).collect::<Vec<_>>());
    // Six sub-windows of an hour, each asked for up to its own end.
    let ends: std::collections::BTreeSet<i64> = answered_param(&s, "end")
        .iter()
        .map(|e| e.parse().unwrap())
        .collect();
    assert_eq!(ends, (1..=6).map(|h| T0 + h * HOUR).collect());
}

#[test]
fn the_window_counts_from_bridge_now_as_for_the_other_fetchers() {
    let s = standin(vec![entry(T0 + HOUR, "m0", candidate(1))]);
    let home = tempfile::tempdir().unwrap();
    let out = testkit::tool("fetch-audit-log", home.path())
        .env("LOKI_URL", s.tenant_url("audit"))
        .env("LOKI_TOKEN", TOKEN)
        .env("BRIDGE_NOW", secs(T0 + 4 * HOUR))
        .args(["--split", "4h"])
        .output()
        .unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    assert_eq!(numbers(&testkit::stdout(&out)), [1]);
    let r = &s.handle().answered()[0];
    let q: BTreeMap<String, String> = ["start", "end"]
        .iter()
        .map(|k| ((*k).to_owned(), r.query_param(k).unwrap()))
        .collect();
    assert_eq!(q["start"], T0.to_string());
    assert_eq!(q["end"], (T0 + 4 * HOUR).to_string());
}
