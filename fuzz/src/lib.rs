//! What the harnesses in `fuzz_targets/` share: the checks of their
//! outputs (and the one the tests share too, compact JSON, in the json
//! crate: `segment_bridge_json::token::is_compact`). Each harness is a thin
//! call into the library code it covers (docs/fuzzing.md lists them); a
//! failed check panics, which libFuzzer reports as a crash and saves the
//! input.

use serde::de::IgnoredAny;

/// `bytes` is one JSON value (serde_json's grammar).
pub fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
}

/// Panics unless `bytes` is one JSON value, naming `what` and the text.
pub fn assert_json(bytes: &[u8], what: &str) {
    if let Err(e) = serde_json::from_slice::<IgnoredAny>(bytes) {
        panic!(
            "{what} is not JSON ({e}): {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// The non-empty lines of `out`, which must end with a newline (or be
/// empty).
pub fn lines(out: &[u8]) -> Vec<&[u8]> {
    assert!(
        out.is_empty() || out.ends_with(b"\n"),
        "output does not end with a newline"
    );
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

/// A count of an outcome, 0 when absent.
pub fn count(outcome: &segment_bridge_core::Outcome, name: &str) -> u64 {
    outcome.get(name).unwrap_or(0)
}

/// A file under the temporary folder unique to this process (the
/// harnesses run as parallel jobs).
pub fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("segment-bridge-fuzz-{}-{name}", std::process::id()))
}

/// `data` split at its first byte: that byte (0 when empty) and the rest.
pub fn selector(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, data),
    }
}
