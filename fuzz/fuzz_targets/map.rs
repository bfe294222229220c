//! splunk-to-segment's map loader (`Map::from_json`, what `--uid-map` and
//! `--ws-map` files go through): only the first JSON value counts; empty
//! text or `null` is no mappings; an object's entries are those serde_json
//! reads (the last of duplicate keys wins, as in jq), each value kept as
//! compact JSON text that means the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segment_bridge_json::token::is_compact;
use serde_json::Value;
use splunk_to_segment::Map;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = Map::from_json(text);
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = serde_json::Deserializer::from_str(body)
        .into_iter::<Value>()
        .next();
    match (&ours, &first) {
        (Ok(m), None | Some(Ok(Value::Null))) => assert!(m.is_empty()),
        (Ok(m), Some(Ok(Value::Object(o)))) => {
            assert_eq!(m.len(), o.len(), "entries lost or made up");
            for (k, v) in o {
                let got = m.get(k).unwrap_or_else(|| panic!("key {k:?} missing"));
                assert!(is_compact(got.json().as_bytes()), "not compact");
                let back: Value = serde_json::from_str(got.json())
                    .unwrap_or_else(|e| panic!("value of {k:?} is not JSON: {e}"));
                assert_eq!(&back, v, "value of {k:?} changed");
            }
        }
        (Ok(_), Some(Ok(other))) => panic!("accepted a non-object: {other}"),
        (Err(e), None | Some(Ok(Value::Null | Value::Object(_)))) => {
            panic!("refused a good map: {e}")
        }
        // Accepted where serde_json's Value refuses (a lone surrogate
        // escape, which RawValue lets through) or refused a bad value.
        _ => {}
    }
});
