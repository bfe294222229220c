//! JSONTestSuite through core's stream reader and jq's rules
//! (`jsonl::JsonStream`, `jsonl::jq::normalize`): the rules of
//! testkit::reemit_suite at the level of values, alone and between two
//! good lines.

use segment_bridge_json::jq;
use segment_bridge_json::JsonStream;
use testkit::reemit_suite;

/// Every value of `input`: its text, and whether it is good (the reader's
/// verdict, then jq's rules on it).
fn values(input: &[u8]) -> Vec<(Vec<u8>, bool)> {
    let mut r = JsonStream::new(input);
    let mut out = Vec::new();
    while let Some(v) = r.next_value().unwrap() {
        let good = v.error.is_none() && jq::normalize(v.bytes).is_ok();
        out.push((v.bytes.to_vec(), good));
    }
    out
}

#[test]
fn every_file_alone_and_between_two_good_lines() {
    let mut found = Vec::new();
    for (name, bytes) in reemit_suite::cases() {
        let alone = values(&bytes);
        let between = values(&[&b"{\"n\":1}\n"[..], &bytes, b"\n{\"n\":2}\n"].concat());
        for (what, got, placed) in [("alone", &alone, false), ("between", &between, true)] {
            let all_good = got.iter().all(|(_, good)| *good);
            if reemit_suite::accepted(&name, placed) != all_good {
                found.push(format!("{name} ({what}): {got:?}"));
            }
        }
        let first = between.first().map(|(t, g)| (t.as_slice(), *g));
        let last = between.last().map(|(t, g)| (t.as_slice(), *g));
        if first != Some((&b"{\"n\":1}"[..], true)) || last != Some((&b"{\"n\":2}"[..], true)) {
            found.push(format!("{name}: a neighbour lost: {between:?}"));
        }
    }
    assert!(
        found.is_empty(),
        "{} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
