//! netrc parsing with curl's rules (`netrc::Netrc`): the first line is the
//! host to look up, the rest the file. Never a panic; a match needs a
//! `machine` naming the host or a `default`; a host named nowhere can
//! only be matched by `default`; a secret never shows in `Debug`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segment_bridge_net::netrc::Netrc;
use segment_bridge_net::Secret;

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fuzz_target!(|data: &[u8]| {
    let (host, file) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[][..], data),
    };
    let host = String::from_utf8_lossy(host);
    let text = String::from_utf8_lossy(file);
    let netrc = Netrc::parse(&text).expect("parse never fails");
    let has_default = contains_ci(text.as_bytes(), b"default");
    if let Ok(Some(entry)) = netrc.lookup(&host) {
        assert!(
            has_default || contains_ci(text.as_bytes(), b"machine"),
            "a match without machine or default"
        );
        assert!(entry.login.is_some() && entry.password.is_some());
        if let Some(p) = &entry.password {
            let shown = format!("{p:?} {p}");
            let secret = p.expose();
            let redacted = format!("{0:?} {0}", Secret::new(""));
            if !secret.is_empty() && !redacted.contains(secret) {
                assert!(!shown.contains(secret), "a password shows");
            }
        }
    }
    // A host the file does not name.
    let stranger = "\u{1}no-such-host\u{1}";
    if !text.contains(stranger) {
        if let Ok(Some(_)) = netrc.lookup(stranger) {
            assert!(has_default, "a stranger matched without `default`");
        }
    }
});
