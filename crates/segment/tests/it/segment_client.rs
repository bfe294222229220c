//! The Segment client against the Segment stand-in, in-process: which
//! answers are retried, what the retry loop is told to wait, the time
//! ceiling, and gzip bodies. No real sleeping: the policy's scale is tiny.

use std::time::Duration;

use segment_bridge_net::http::HttpConfig;
use segment_bridge_net::retry::{GaveUp, RetryPolicy};
use segment_bridge_net::Secret;
use segment_bridge_segment::{payload, Client, ClientConfig, Credentials, SendError};
use standins::segment::{Config, Fault, SegmentStandin};

const KEY: &str = "wk-Zq8sT3cr3t";

fn standin(faults: &[&str]) -> SegmentStandin {
    let mut c = Config::new(KEY);
    for f in faults {
        c = c.fault(Fault::parse(f).unwrap());
    }
    SegmentStandin::spawn(c).unwrap()
}

fn config(url: &str, policy: RetryPolicy) -> ClientConfig {
    ClientConfig {
        url: url.parse().unwrap(),
        credentials: Credentials::from_write_key(Secret::new(KEY)),
        policy,
        gzip: false,
        http: HttpConfig::default(),
    }
}

fn policy(retries: u32) -> RetryPolicy {
    let mut policy = RetryPolicy::new(retries);
    policy.scale = 0.001;
    policy
}

fn client(url: &str, retries: u32) -> Client {
    Client::new(config(url, policy(retries))).unwrap()
}

fn body() -> Vec<u8> {
    let evs: Vec<String> = (0..2)
        .map(|i| format!(r#"{{"messageId":"m-{i}","type":"track","userId":"u","event":"e"}}"#))
        .collect();
    payload(evs.iter().map(|e| e.as_bytes()))
}

fn both() -> Vec<String> {
    vec!["m-0".to_owned(), "m-1".to_owned()]
}

#[test]
fn every_retryable_status_is_retried_and_the_batch_delivered() {
    for status in [408, 410, 429, 460, 500, 502, 503, 504, 507, 599] {
        let s = standin(&[&format!("{status}@first=1")]);
        let sent = client(&s.url(), 3).send(&body());
        assert!(sent.result.is_ok(), "{status}: {:?}", sent.result);
        assert_eq!((sent.retries, s.requests()), (1, 2), "{status}");
        assert_eq!(s.message_ids(), both(), "{status}");
    }
}

#[test]
fn other_statuses_fail_at_once() {
    for status in [400, 401, 403, 404, 413, 422, 501, 505] {
        let s = standin(&[&format!("{status}@first=1")]);
        let sent = client(&s.url(), 3).send(&body());
        let e = sent.result.unwrap_err();
        assert!(
            matches!(e, SendError::Status { status: got, .. } if got == status),
            "{status}: {e:?}"
        );
        assert_eq!((sent.retries, s.requests()), (0, 1), "{status}");
        assert!(s.message_ids().is_empty());
    }
}

#[test]
fn retry_after_in_seconds_is_honoured_and_capped() {
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
    // 40 s asked; then 100,000 s asked, capped at 300 s (the delays passed
    // to the callback are the unscaled ones).
    assert!(delays[0].1 >= Duration::from_secs(40), "{delays:?}");
    assert_eq!(delays[1].1, Duration::from_secs(300), "{delays:?}");
    assert_eq!(s.message_ids(), both());
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let s = standin(&["460+date=30@first=1"]);
    let mut delays = Vec::new();
    let sent = client(&s.url(), 3).send_with(&body(), |_, _, d| delays.push(d));
    assert!(sent.result.is_ok());
    // The date has one-second resolution and a little time passes.
    assert!(
        delays[0] >= Duration::from_secs(28) && delays[0] <= Duration::from_secs(31),
        "{delays:?}"
    );
    assert_eq!(s.message_ids(), both());
}

/// A client with one retry of budget and a time ceiling of `secs`.
fn one_retry_with_ceiling(url: &str, secs: u64) -> Client {
    Client::new(config(
        url,
        policy(1).with_ceiling(Duration::from_secs(secs)),
    ))
    .unwrap()
}

#[test]
fn server_requested_waits_do_not_use_up_the_retry_budget() {
    // Five 429s with Retry-After, one retry of budget: still delivered.
    let s = standin(&["429+2@first=5"]);
    let c = one_retry_with_ceiling(&s.url(), 600);
    let sent = c.send(&body());
    assert!(sent.result.is_ok(), "{:?}", sent.result);
    assert_eq!(sent.retries, 5);
    assert_eq!(s.message_ids(), both());
}

#[test]
fn the_time_ceiling_bounds_a_batch() {
    // The server asks for 100 s every time; a 350 s ceiling fits three
    // waits, then the batch fails with the last answer.
    let s = standin(&["503+100"]);
    let c = one_retry_with_ceiling(&s.url(), 350);
    let sent = c.send(&body());
    assert!(matches!(
        sent.result,
        Err(SendError::Status { status: 503, .. })
    ));
    assert_eq!(sent.retries, 3);
    assert_eq!(s.requests(), 4);
    assert_eq!(
        sent.gave_up,
        Some(GaveUp::Ceiling {
            ceiling: Duration::from_secs(350)
        })
    );
}

#[test]
fn retries_are_bounded_and_the_last_error_is_returned() {
    let s = standin(&["502"]);
    let sent = client(&s.url(), 2).send_with(&body(), |_, _, _| {});
    assert_eq!(sent.retries, 2);
    assert_eq!(s.requests(), 3);
    assert_eq!(sent.gave_up, Some(GaveUp::Budget { retries: 2 }));
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

#[test]
fn a_timeout_is_retried() {
    let s = standin(&["slow=3000@first=1"]);
    let mut cfg = config(&s.url(), policy(2));
    cfg.http.timeout = Some(Duration::from_millis(300));
    let sent = Client::new(cfg).unwrap().send(&body());
    assert!(sent.result.is_ok(), "{:?}", sent.result);
    assert_eq!(sent.retries, 1);
}

#[test]
fn gzip_bodies_are_smaller_on_the_wire_and_arrive_whole() {
    let evs: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"messageId":"g-{i}","type":"track","userId":"user-{i}","event":"Build PipelineRun started","properties":{{"namespace":"tenant-ns","n":1.50}}}}"#))
        .collect();
    let plain = payload(evs.iter().map(|e| e.as_bytes()));
    let s = standin(&[]);
    let mut cfg = config(&s.url(), policy(0));
    cfg.gzip = true;
    let sent = Client::new(cfg).unwrap().send(&plain);
    let wire = sent.result.unwrap();
    let r = s.received();
    assert_eq!(r.gzip_requests, 1);
    assert_eq!(r.wire_bytes, wire as u64);
    assert_eq!(r.plain_bytes, plain.len() as u64);
    assert!(wire * 5 < plain.len(), "{wire} vs {}", plain.len());
    let ids: Vec<String> = (0..200).map(|i| format!("g-{i}")).collect();
    assert_eq!(s.message_ids(), ids);
}
