//! Pseudonymous ids through the whole pipeline: with PSEUDONYMIZE_KEY_FILE
//! set, main-job.sh runs `pseudonymize` before the uploader, and Segment
//! receives the reference events with `userId`, `properties.workspaceID`
//! and `namespace` replaced by their HMAC under the key, nothing else
//! changed, and no identifier in the clear.

use e2e::*;
use pseudonymize::Keyed;
use serde_json::Value;

const KEY: &str = "e2e-pseudonymize-key-58e1c0d7a2";

/// HMAC of a field's text: a string's content, a number's literal.
fn pseudonym(keyed: &Keyed, v: &Value) -> Value {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    keyed.hex(text.as_bytes()).into()
}

#[test]
fn segment_receives_keyed_ids_and_nothing_in_the_clear() {
    let (site, splunk, seg) = sample_site();
    let key_file = site.path().join("pseudonymize.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();

    let ran = site
        .job(&splunk, &seg)
        .env("PSEUDONYMIZE_KEY_FILE", &key_file)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.contains("pseudonymize=0"), "{}", ran.stderr);
    assert!(!ran.stderr.contains(KEY));

    let keyed = Keyed::from_bytes(KEY.as_bytes());
    let mut want = expected_events();
    for v in want.values_mut() {
        for ptr in ["/userId", "/namespace", "/properties/workspaceID"] {
            if let Some(field) = v.pointer_mut(ptr) {
                *field = pseudonym(&keyed, field);
            }
        }
    }
    let got = received_events(&seg);
    assert_eq!(got, want);
    // No user, tenant or workspace id of the reference events in the clear.
    let wire: String = got.values().map(Value::to_string).collect();
    for v in expected_events().values() {
        for ptr in ["/userId", "/namespace", "/properties/workspaceID"] {
            let clear = v.pointer(ptr).unwrap().to_string();
            assert!(!wire.contains(&clear), "{clear} sent in the clear");
        }
    }
}

#[test]
fn a_key_that_cannot_be_used_fails_the_run_as_stage_6_and_sends_nothing() {
    let (site, splunk, seg) = sample_site();
    let key_file = site.path().join("short.key");
    std::fs::write(&key_file, "short\n").unwrap();
    let ran = site
        .job(&splunk, &seg)
        .env("PSEUDONYMIZE_KEY_FILE", &key_file)
        .run();
    // 62: pseudonymize exited 2 (configuration).
    assert_eq!(ran.code, 62, "{}", ran.stderr);
    assert!(ran.stderr.contains("pseudonymize failed (exit 2)"));
    assert_eq!(seg.received().events.len(), 0);
    assert_eq!(watermark(site.path()), None);
}
