//! nst/JSONTestSuite's parsing cases (`fixtures/jsontestsuite`) through a
//! tool that re-emits JSON, alone and between two good records, with the
//! rules of docs/json-streams.md ("The conformance suite"):
//!
//! - never a crash;
//! - every `n_` file reported as bad (exit 3, a line in the rejects file;
//!   an all-or-nothing tool: exit 1 naming the bad value's line, nothing
//!   printed), except the five that jq 1.6 reads as a valid text stream
//!   ([`STREAMS`]);
//! - every `y_` file accepted (never reported as invalid JSON);
//! - every `i_` file as documented ([`I_ACCEPTED`], the rest rejected);
//! - both good neighbours delivered.
//!
//! The violations are listed and counted when a test fails; to count them
//! for another build (main's, for figures before a change), point
//! `SEGMENT_BRIDGE_SUITE_BINS` at its binaries' folder:
//! `SEGMENT_BRIDGE_SUITE_BINS=/other/target/debug cargo test -p TOOL suite`.

use std::path::Path;

/// `n_` files that are valid JSON text streams, as jq 1.6 reads them:
/// nothing, white space, a lone byte-order mark, `[][]`, `{"a": true} "x"`.
pub const STREAMS: [&str; 5] = [
    "n_single_space.json",
    "n_structure_UTF8_BOM_no_data.json",
    "n_structure_double_array.json",
    "n_structure_no_data.json",
    "n_structure_object_with_trailing_garbage.json",
];

/// `i_` files we accept (docs/json-streams.md): numbers of any size
/// (beyond the double range clamped), invalid UTF-8 inside strings
/// (replaced by U+FFFD), a byte-order mark before an object. The others
/// (`\u` escapes of lone surrogates, UTF-16 text, 500 nested arrays) are
/// rejected.
pub const I_ACCEPTED: [&str; 21] = [
    "i_number_double_huge_neg_exp.json",
    "i_number_huge_exp.json",
    "i_number_neg_int_huge_exp.json",
    "i_number_pos_double_huge_exp.json",
    "i_number_real_neg_overflow.json",
    "i_number_real_pos_overflow.json",
    "i_number_real_underflow.json",
    "i_number_too_big_neg_int.json",
    "i_number_too_big_pos_int.json",
    "i_number_very_big_negative_int.json",
    "i_string_UTF-8_invalid_sequence.json",
    "i_string_UTF8_surrogate_U+D800.json",
    "i_string_invalid_utf-8.json",
    "i_string_iso_latin_1.json",
    "i_string_lone_utf8_continuation_byte.json",
    "i_string_not_in_unicode_range.json",
    "i_string_overlong_sequence_2_bytes.json",
    "i_string_overlong_sequence_6_bytes.json",
    "i_string_overlong_sequence_6_bytes_null.json",
    "i_string_truncated-utf-8.json",
    "i_structure_UTF-8_BOM_empty_object.json",
];

/// Accepted `i_` files whose output is jq 1.6's byte for byte (U+FFFD,
/// clamping); the other accepted numbers keep their literal as written,
/// and `y_` files mean the same as jq's output ([`same_value`]: we keep
/// escapes and literals as written, jq rewrites them).
pub fn same_bytes_as_jq(name: &str) -> bool {
    (name.starts_with("i_string_") && I_ACCEPTED.contains(&name))
        || [
            "i_number_huge_exp.json",
            "i_number_neg_int_huge_exp.json",
            "i_number_pos_double_huge_exp.json",
            "i_number_real_neg_overflow.json",
            "i_number_real_pos_overflow.json",
            "i_structure_UTF-8_BOM_empty_object.json",
        ]
        .contains(&name)
}

/// Whether two JSON values mean the same, numbers compared as the
/// doubles jq 1.6 makes of them.
pub fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => x.as_f64() == y.as_f64(),
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// A byte-order mark is dropped at the very start of the input only (as
/// jq 1.6 does): between two records it is not JSON.
const BOM_FILES: [&str; 2] = [
    "n_structure_UTF8_BOM_no_data.json",
    "i_structure_UTF-8_BOM_empty_object.json",
];

/// Whether the file (alone, or between two records) must be accepted.
pub fn accepted(name: &str, between: bool) -> bool {
    if between && BOM_FILES.contains(&name) {
        return false;
    }
    name.starts_with("y_") || STREAMS.contains(&name) || I_ACCEPTED.contains(&name)
}

/// Every case: its file name and bytes.
pub fn cases() -> Vec<(String, Vec<u8>)> {
    let dir = crate::fixture("jsontestsuite/test_parsing");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert_eq!(out.len(), 318, "the suite's parsing cases");
    out
}

/// How a tool reports a bad value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reports {
    /// Exit 3, a warning, the value in the rejects file (`--rejects` is
    /// added to the command line), the rest delivered.
    Rejects,
    /// Exit 1 naming the bad value's line, nothing printed.
    AllOrNothing,
}

/// One run of `bin` with `args` on `input`: exit code, stdout, stderr,
/// the rejects file.
fn run(
    bin: &str,
    args: &[&str],
    reports: Reports,
    input: &[u8],
    home: &Path,
) -> (Option<i32>, Vec<u8>, String, Vec<u8>) {
    use std::io::Write as _;
    let rejects = home.join("rejects");
    let _ = std::fs::remove_file(&rejects);
    let mut cmd = crate::std_tool(bin, home);
    if let Some(dir) = std::env::var_os("SEGMENT_BRIDGE_SUITE_BINS") {
        let other = std::process::Command::new(Path::new(&dir).join(bin));
        cmd = copy_env(&cmd, other);
    }
    cmd.args(args);
    if reports == Reports::Rejects {
        cmd.arg("--rejects").arg(&rejects);
    }
    let input = input.to_vec();
    let (child, writer) = crate::spawn_fed(&mut cmd, move |mut stdin| {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let rejected = std::fs::read(&rejects).unwrap_or_default();
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        rejected,
    )
}

/// `to` with `from`'s environment (a clean one, see [`crate::std_tool`]).
fn copy_env(from: &std::process::Command, mut to: std::process::Command) -> std::process::Command {
    to.env_clear();
    for (k, v) in from.get_envs() {
        if let Some(v) = v {
            to.env(k, v);
        }
    }
    to
}

/// The violations of the rules above by `bin` (`args`), whose good
/// records are `good("before")` and `good("after")`. `same_as` checks an
/// accepted file's output alone (`None`: fine).
pub fn violations(
    bin: &str,
    args: &[&str],
    reports: Reports,
    good: impl Fn(&str) -> Vec<u8>,
    same_as: impl Fn(&str, &[u8], &[u8]) -> Option<String>,
) -> Vec<String> {
    let home = tempfile::tempdir().unwrap();
    let mut found = Vec::new();
    for (name, bytes) in cases() {
        let mut between = good("before");
        between.push(b'\n');
        between.extend_from_slice(&bytes);
        between.push(b'\n');
        between.extend_from_slice(&good("after"));
        between.push(b'\n');
        for (what, input, placed) in [("alone", &bytes, false), ("between", &between, true)] {
            let (code, out, err, rejected) = run(bin, args, reports, input, home.path());
            let mut bad = |why: String| found.push(format!("{name} ({what}): {why}"));
            if code.is_none() || code == Some(101) || err.contains("panicked") {
                bad(format!("crashed ({code:?}): {err}"));
                continue;
            }
            let reported = err.contains("invalid JSON") || err.contains("invalid UTF-8 at");
            let good_file = accepted(&name, placed);
            let rejected_right = code == Some(3) && reported;
            let refused_right = code == Some(1) && out.is_empty();
            match reports {
                Reports::Rejects if !good_file && !rejected_right => {
                    bad(format!("not reported as bad (exit {code:?}): {err}"))
                }
                Reports::Rejects if !good_file && rejected.is_empty() => {
                    bad("nothing in the rejects file".into())
                }
                Reports::AllOrNothing if !good_file && !refused_right => {
                    bad(format!("not reported as bad (exit {code:?}): {err}"))
                }
                Reports::AllOrNothing if !good_file && placed && !err.contains("line 2,") => {
                    bad(format!("the error does not name line 2: {err}"))
                }
                _ => {}
            }
            if good_file && reported {
                bad(format!("reported as invalid: {err}"));
            }
            if good_file && reports == Reports::AllOrNothing && code != Some(0) {
                bad(format!("refused (exit {code:?}): {err}"));
            }
            let delivered = |id: &str| {
                let needle = format!("\"{id}\"");
                out.windows(needle.len()).any(|w| w == needle.as_bytes())
            };
            let neighbours_expected = reports == Reports::Rejects || good_file;
            if placed && neighbours_expected && !(delivered("before") && delivered("after")) {
                bad(format!(
                    "a neighbour lost: {}",
                    String::from_utf8_lossy(&out)
                ));
            }
            if !placed && good_file {
                if let Some(diff) = same_as(&name, &bytes, &out) {
                    bad(diff);
                }
            }
        }
    }
    found
}
