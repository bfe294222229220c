//! Shared set-up: stored lines, a stand-in serving them, and the tool's
//! command wired to it.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use standins::loki::{Config, Entry, LokiStandin};

pub const TOKEN: &str = "standin-token";

/// 2024-03-03T08:00:00Z in nanoseconds.
pub const T0: i64 = 1_709_452_800_000_000_000;
pub const HOUR: i64 = 3_600_000_000_000;

/// An audit line of a candidate event (it passes the query's filters),
/// numbered so the test can tell lines apart.
pub fn candidate(n: usize) -> String {
    format!(
        r#"{{"log_type":"audit","verb":"update","objectRef":{{"resource":"pipelineruns","apiGroup":"tekton.dev"}},"responseStatus":{{"code":200}},"n":{n}}}"#
    )
}

/// A stored audit line on node `node` at `ts`.
pub fn entry(ts: i64, node: &str, line: String) -> Entry {
    Entry {
        tenant: "audit".into(),
        labels: BTreeMap::from([
            ("k8s_node_name".to_owned(), node.to_owned()),
            ("kubernetes_host".to_owned(), node.to_owned()),
            ("log_type".to_owned(), "audit".to_owned()),
            ("openshift_log_type".to_owned(), "audit".to_owned()),
        ]),
        ts,
        line,
    }
}

pub fn standin(entries: Vec<Entry>) -> LokiStandin {
    LokiStandin::spawn(Config {
        entries,
        ..Config::default()
    })
    .expect("cannot start the Loki stand-in")
}

/// The tool against `s`'s audit tenant with the stand-in's token and the
/// window `[T0, T0 + hours)`.
pub fn fetch(s: &LokiStandin, home: &Path, hours: i64) -> Command {
    let mut cmd = testkit::tool("fetch-audit-log", home);
    cmd.env("LOKI_URL", s.tenant_url("audit"))
        .env("LOKI_TOKEN", TOKEN)
        .env("QUERY_EARLIEST_TIME", secs(T0))
        .env("QUERY_LATEST_TIME", secs(T0 + hours * HOUR));
    cmd
}

/// A nanosecond time as epoch seconds with a fraction.
pub fn secs(ns: i64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

/// Every query parameter `name` the stand-in answered 200, in order.
pub fn answered_param(s: &LokiStandin, name: &str) -> Vec<String> {
    s.handle()
        .answered()
        .iter()
        .map(|r| r.query_param(name).unwrap_or_default())
        .collect()
}
