//! The core KV store client (`splunk::kvstore`, used by `get-uid-map
//! --kvstore`) against the Splunk stand-in: delete, then `batch_save` in
//! chunks within the per-call limit, with retries.

use segment_bridge_net::Secret;
use segment_bridge_splunk::kvstore::{self, Limits, Stats};
use segment_bridge_splunk::{Client, ClientConfig, Credentials, Error};
use serde_json::{json, Value};
use standins::splunk::{AuthKind, Config, SplunkStandin};

fn client(s: &SplunkStandin, token: &str) -> Client {
    let mut cfg = ClientConfig::new(
        s.url().parse().unwrap(),
        "rh_rhtap",
        Credentials::Bearer(Secret::new(token)),
    );
    cfg.retry.scale = 0.0;
    Client::new(cfg).unwrap()
}

fn docs(n: usize) -> Vec<Value> {
    let map: serde_json::Map<String, Value> = (0..n)
        .map(|i| (format!("user{i}"), json!(1000 + i)))
        .collect();
    kvstore::docs_from_map(&map, "username", "sso_id")
}

#[test]
fn replaces_in_chunks_within_the_limit() {
    let s = SplunkStandin::start(Config::default()).unwrap();
    s.handle().set_collection(
        "uid_map",
        vec![json!({"_key": "stale", "username": "stale"})],
    );
    let docs = docs(2500);
    let stats = kvstore::replace_collection(
        &client(&s, "standin-token"),
        "uid_map",
        &docs,
        Limits::default(),
    )
    .unwrap();
    assert_eq!(
        stats,
        Stats {
            documents: 2500,
            batches: 3,
            retries: 0
        }
    );
    let reqs = s.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0].method, "DELETE");
    assert_eq!(
        reqs[0].path,
        "/servicesNS/nobody/rh_rhtap/storage/collections/data/uid_map"
    );
    let saves: Vec<Option<usize>> = reqs[1..].iter().map(|r| r.documents).collect();
    assert_eq!(saves, vec![Some(1000), Some(1000), Some(500)]);
    assert!(reqs[1..].iter().all(|r| r.method == "POST"
        && r.path
            .ends_with("/storage/collections/data/uid_map/batch_save")
        && r.auth == AuthKind::Bearer));
    assert_eq!(s.collection("uid_map"), docs);
}

/// A stand-in taking at most `kv_limit` documents a call, and client limits
/// of `per_call` documents a call.
fn limited(kv_limit: usize, per_call: usize) -> (SplunkStandin, Limits) {
    let s = SplunkStandin::start(Config {
        kv_limit,
        ..Config::default()
    })
    .unwrap();
    let limits = Limits {
        per_call,
        ..Limits::default()
    };
    (s, limits)
}

#[test]
fn the_stand_in_enforces_the_limit_and_the_client_does_not_retry_a_400() {
    let (s, limits) = limited(1000, 1500);
    let err =
        kvstore::replace_collection(&client(&s, "standin-token"), "uid_map", &docs(2500), limits)
            .unwrap_err();
    match &err {
        Error::Status {
            status: 400,
            message: Some(m),
            ..
        } => {
            assert!(m.contains("max_documents_per_batch_save=1000"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.requests().len(), 2, "DELETE + one refused batch_save");

    // A smaller configured limit is obeyed.
    let (s, limits) = limited(50, 50);
    let stats =
        kvstore::replace_collection(&client(&s, "standin-token"), "c", &docs(120), limits).unwrap();
    assert_eq!(stats.batches, 3);
    assert_eq!(s.collection("c").len(), 120);
}

#[test]
fn transient_failures_are_retried() {
    let s = SplunkStandin::start(Config {
        kv_fail_first: 2,
        kv_fail_status: 503,
        ..Config::default()
    })
    .unwrap();
    let stats = kvstore::replace_collection(
        &client(&s, "standin-token"),
        "uid_map",
        &docs(10),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(stats.retries, 2);
    assert_eq!(s.collection("uid_map").len(), 10);
}

#[test]
fn refused_credentials_stop_at_the_first_request() {
    let s = SplunkStandin::start(Config::default()).unwrap();
    let secret = "wr0ng-t0ken";
    let err =
        kvstore::replace_collection(&client(&s, secret), "uid_map", &docs(10), Limits::default())
            .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(secret));
    assert_eq!(s.requests().len(), 1);
}
