//! mk-segment-batch-payload's whole `run`: on success the output is one
//! compact `{"batch":[…]}` line holding `events_read` events, each the
//! input value with white space removed; on failure nothing is printed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segment_bridge_fuzz::{assert_json, count};
use segment_bridge_json::token::is_compact;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let args = mk_segment_batch_payload::Args {};
    match mk_segment_batch_payload::run(args, &mut &data[..], &mut out) {
        Err(_) => assert!(out.is_empty(), "output after an error"),
        Ok(outcome) => {
            let body = out.strip_suffix(b"\n").expect("newline-terminated");
            assert!(!body.contains(&b'\n'), "more than one line");
            assert!(is_compact(body), "white space outside strings");
            assert_eq!(count(&outcome, "bytes"), body.len() as u64);
            if std::str::from_utf8(body).is_err() {
                return;
            }
            assert_json(body, "the payload");
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            let batch = v["batch"].as_array().expect("a batch array");
            assert_eq!(batch.len() as u64, count(&outcome, "events_read"));
            assert_eq!(v.as_object().unwrap().len(), 1);
        }
    }
});
