//! A fuzz harness without nightly (`cargo fuzz` needs it; this machine has
//! stable): proptest feeds arbitrary bytes and byte-level mutations of
//! realistic rows to the line parser/transform and to the whole tool in
//! every input format, asserting that nothing panics, the counts add up, and
//! every emitted line is a compact JSON object with the eight keys in order.
//!
//! `PROPTEST_CASES` sets the number of cases (256 by default); CI runs a
//! larger number in `.ci/steps/20-s2s-fuzz.sh`.

use crate::common::gen;
use proptest::prelude::*;
use segment_bridge_json::token::is_compact;
use serde_json::Value;
use splunk_to_segment::{
    Args, Counts, InputFormat, Map, Scratch, Transformer, Verdict, EVENT_KEYS,
};

const UID: &str =
    r#"{"owner":100,"alice":1,"":2,"zero":0,"nope":false,"big":123456789012345678901234567890}"#;
const WS: &str = r#"{"ns":"owner","ns-num":5,"ns-false":false}"#;

fn check_event(line: &[u8]) -> Result<(), TestCaseError> {
    let v: Value = serde_json::from_slice(line)
        .map_err(|e| TestCaseError::fail(format!("emitted invalid JSON: {e}")))?;
    let keys: Vec<&str> = v
        .as_object()
        .ok_or_else(|| TestCaseError::fail("not an object"))?
        .keys()
        .map(String::as_str)
        .collect();
    prop_assert_eq!(keys, EVENT_KEYS);
    prop_assert!(v["properties"].get("workspaceID").is_some());
    prop_assert!(
        is_compact(line),
        "white space outside strings: {}",
        String::from_utf8_lossy(line)
    );
    Ok(())
}

/// Byte edits: (position seed, operation, byte).
fn mutate(mut line: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, op, b) in edits {
        let at = if line.is_empty() {
            0
        } else {
            at % (line.len() + 1)
        };
        match op % 4 {
            0 => line.insert(at, b),
            1 if at < line.len() => {
                line.remove(at);
            }
            2 if at < line.len() => line[at] = b,
            _ => line.truncate(at),
        }
    }
    line
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => proptest::sample::select(&b"{}[]\":,\\ nu0-+.eE\n\r\t\x00\x7f\xff\xc3"[..]),
        1 => any::<u8>(),
    ]
}

fn run_all(input: &[u8], format: InputFormat, threads: usize) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("uid.json"), UID).unwrap();
    std::fs::write(dir.path().join("ws.json"), WS).unwrap();
    let rejects = dir.path().join("rejects");
    let args = Args {
        uid_map: dir.path().join("uid.json"),
        ws_map: dir.path().join("ws.json"),
        rejects: Some(rejects.clone()),
        input_format: format,
        quiet: true,
        threads,
    };
    let mut out = Vec::new();
    let result = splunk_to_segment::run(args, &mut &input[..], &mut out);
    let outcome = match (result, format) {
        (Ok(o), _) => o,
        // A whole document or CSV file can be unreadable as such: that is an
        // error of the run (exit 1), not a panic.
        (Err(_), InputFormat::Json | InputFormat::Csv | InputFormat::Auto) => return Ok(()),
        (Err(e), _) => return Err(TestCaseError::fail(format!("JSON lines run failed: {e}"))),
    };
    let c = Counts::of(&outcome);
    prop_assert!(c.adds_up(), "counts do not add up: {:?}", c);
    let lines: Vec<&[u8]> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    prop_assert_eq!(lines.len() as u64, c.emitted);
    prop_assert!(out.is_empty() || out.ends_with(b"\n"));
    for l in lines {
        check_event(l)?;
    }
    let rejected = std::fs::read(&rejects).unwrap();
    prop_assert_eq!(
        rejected.iter().filter(|&&b| b == b'\n').count() as u64,
        c.rejected
    );
    prop_assert_eq!(outcome.status.code(), if c.rejected > 0 { 3 } else { 0 });
    Ok(())
}

proptest! {
    #[test]
    fn transform_never_panics_on_mutated_rows(
        line in gen::line(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 0..6),
    ) {
        let t = Transformer::new(Map::from_json(UID).unwrap(), Map::from_json(WS).unwrap());
        let bytes = mutate(line.into_bytes(), &edits);
        let mut out = b"prefix".to_vec();
        let v = t.record(&bytes, &mut Scratch::default(), &mut out);
        if v == Verdict::Emitted {
            prop_assert!(out.starts_with(b"prefix") && out.ends_with(b"\n"));
            check_event(&out[6..out.len() - 1])?;
        } else {
            prop_assert_eq!(&out[..], b"prefix");
        }
    }

    #[test]
    fn tool_never_panics_on_arbitrary_bytes(
        input in prop::collection::vec(interesting_byte(), 0..400),
        format in proptest::sample::select(&[InputFormat::Auto, InputFormat::Jsonl, InputFormat::Json, InputFormat::Csv][..]),
    ) {
        run_all(&input, format, 1)?;
    }

    #[test]
    fn tool_never_panics_on_mutated_streams(
        lines in prop::collection::vec(gen::line(), 0..8),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 0..8),
        format in proptest::sample::select(&[InputFormat::Auto, InputFormat::Jsonl][..]),
    ) {
        let input = mutate(lines.join("\n").into_bytes(), &edits);
        run_all(&input, format, 2)?;
    }
}
