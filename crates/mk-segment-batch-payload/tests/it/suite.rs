//! JSONTestSuite through mk-segment-batch-payload (testkit::reemit_suite
//! has the rules), with jq 1.6 as the anchor: the payload of every file
//! it accepts means what `jq -c -s '{batch: .}'` prints, and is the same
//! bytes for invalid UTF-8 (U+FFFD) and numbers beyond the double range
//! (clamped).

use testkit::reemit_suite::{self, Reports};

fn event(id: &str) -> Vec<u8> {
    format!(r#"{{"userId":"u","type":"track","event":"e","messageId":"{id}"}}"#).into_bytes()
}

#[test]
fn the_suite_alone_and_between_two_events() {
    let found = reemit_suite::violations(
        "mk-segment-batch-payload",
        &[],
        Reports::AllOrNothing,
        event,
        |name, input, out| {
            let want = testkit::jq(&["-c", "-s", "{batch: .}"], input);
            let same = if reemit_suite::same_bytes_as_jq(name) {
                want == out
            } else {
                let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
                reemit_suite::same_value(&parse(out), &parse(&want))
            };
            (!same).then(|| {
                format!(
                    "not jq's payload: {} != {}",
                    String::from_utf8_lossy(out),
                    String::from_utf8_lossy(&want)
                )
            })
        },
    );
    assert!(
        found.is_empty(),
        "{} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_five_valid_streams_are_what_jq_reads() {
    for name in reemit_suite::STREAMS {
        let input = testkit::fixture_bytes(format!("jsontestsuite/test_parsing/{name}"));
        // jq reads them without error; each value it prints is JSON.
        let out = testkit::jq(&["-c", "."], &input);
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            serde_json::from_slice::<serde_json::Value>(line).unwrap();
        }
    }
}
