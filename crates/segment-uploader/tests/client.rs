//! The core Segment client against the stand-in, in-process: what the retry
//! loop is told to wait (no real sleeping: the policy's scale is tiny).

use testkit::segment as common;

use std::time::Duration;

use common::*;
use segment_bridge_core::http::HttpConfig;
use segment_bridge_core::retry::RetryPolicy;
use segment_bridge_core::segment::{payload, Client, ClientConfig, Credentials, SendError};
use segment_bridge_core::Secret;

fn client(url: &str, retries: u32) -> Client {
    let mut policy = RetryPolicy::new(retries);
    policy.scale = 0.001;
    Client::new(ClientConfig {
        url: url.parse().unwrap(),
        credentials: Credentials::from_write_key(Secret::new(KEY)),
        policy,
        http: HttpConfig::default(),
    })
    .unwrap()
}

fn body() -> Vec<u8> {
    let evs = events(2, 200);
    payload(evs.iter().map(|e| e.as_bytes()))
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let s = standin(&["429+40@first=1", "503+100000@every=2"]);
    let c = client(&s.url(), 3);
    let mut delays = Vec::new();
    let sent = c.send_with(&body(), |e, n, d| {
        assert!(matches!(
            e,
            SendError::Status {
                status: 429 | 503,
                ..
            }
        ));
        delays.push((n, d));
    });
    assert!(sent.result.is_ok());
    assert_eq!(sent.retries, 2);
    // 40 s asked, scaled by 0.001; then 100,000 s asked, capped at 300 s.
    assert!(delays[0].1 >= Duration::from_millis(40), "{delays:?}");
    assert!(delays[1].1 >= Duration::from_millis(300) && delays[1].1 <= Duration::from_millis(301));
    assert_eq!(s.message_ids(), ids(2));
}

#[test]
fn retries_are_bounded_and_the_last_error_is_returned() {
    let s = standin(&["502"]);
    let sent = client(&s.url(), 2).send_with(&body(), |_, _, _| {});
    assert_eq!(sent.retries, 2);
    assert_eq!(s.requests(), 3);
    let e = sent.result.unwrap_err();
    assert!(matches!(e, SendError::Status { status: 502, .. }));
    assert!(!e.is_auth());

    let s = standin(&["401"]);
    let sent = client(&s.url(), 5).send_with(&body(), |_, _, _| {});
    assert!(sent.result.unwrap_err().is_auth());
    assert_eq!(s.requests(), 1);

    // Nobody listening: a connection error, retried.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let sent = client(&format!("http://{dead}/v1/batch"), 1).send_with(&body(), |_, _, _| {});
    assert_eq!(sent.retries, 1);
    assert!(matches!(sent.result, Err(SendError::Transport(_))));
}
