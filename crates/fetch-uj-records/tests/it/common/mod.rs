//! Shared set-up of the tests: a Splunk stand-in serving its own rows to
//! each of the eight queries, and the tool's command wired to it.

use std::collections::BTreeMap;

use assert_cmd::Command;
use standins::splunk::{Config, Rule, SplunkStandin, KINDS, NO_RESULTS};

pub const TOKEN: &str = "standin-token";

/// `n` final rows for query kind `k`: varied bytes (a space after a comma,
/// escapes, non-ASCII) so that byte-for-byte copying is really checked; the
/// last one closes the set.
pub fn rows(k: usize, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let last = if i + 1 == n { r#","lastrow":true"# } else { "" };
            format!(
                r#"{{"preview":false,"offset":{i}{last},"result":{{"kind":"{}", "i":"{i}","s":"é\u00e9\"\\/","n":1.50}}}}"#,
                KINDS[k].name
            )
        })
        .collect()
}

/// Kind `k` gets `k` rows (so the first gets the no-results line).
pub fn served() -> BTreeMap<usize, Vec<String>> {
    (0..KINDS.len()).map(|k| (k, rows(k, k))).collect()
}

/// Every line the stand-in serves as final output, per kind.
pub fn expected_lines(served: &BTreeMap<usize, Vec<String>>) -> Vec<String> {
    let mut all: Vec<String> = served
        .values()
        .flat_map(|r| {
            if r.is_empty() {
                vec![NO_RESULTS.to_owned()]
            } else {
                r.clone()
            }
        })
        .collect();
    all.sort();
    all
}

/// A stand-in with one rule per kind; `tweak` adjusts each rule.
pub fn standin_with(
    served: &BTreeMap<usize, Vec<String>>,
    mut cfg: Config,
    tweak: impl Fn(usize, Rule) -> Rule,
) -> SplunkStandin {
    cfg.rules = KINDS
        .iter()
        .enumerate()
        .map(|(k, kind)| tweak(k, Rule::new(&kind.marker, served[&k].clone())))
        .collect();
    SplunkStandin::start(cfg).unwrap()
}

/// The tool against `url`, with a token, no netrc, no sleeping retries.
pub fn cmd(url: &str) -> Command {
    let mut c = Command::cargo_bin("fetch-uj-records").unwrap();
    c.env_clear()
        .env("SPLUNK_API_URL", url)
        .env("SPLUNK_TOKEN", TOKEN)
        .env("SEGMENT_BRIDGE_BACKOFF_SCALE", "0")
        .env("HOME", "/nonexistent");
    c
}

pub fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "output ends mid-line"
    );
    let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
    v.sort();
    v
}

pub fn title(k: usize) -> &'static str {
    querygen::queries(&querygen::Options::default())[k].title
}
