//! The KV store client (`segment_bridge_splunk::kvstore`, used by the map makers'
//! `--kvstore`) against the Splunk stand-in: list, upsert what changed in
//! chunks within the per-call limit, delete what is gone, with retries, and
//! never an empty collection in between.

use std::sync::{Arc, Mutex};

use segment_bridge_net::Secret;
use segment_bridge_splunk::kvstore::{self, Limits, Stats};
use segment_bridge_splunk::{Client, ClientConfig, Credentials, Error, Search};
use serde_json::{json, Value};
use standins::splunk::{AuthKind, Config, KvHook, Rule, SplunkStandin};

fn client(s: &SplunkStandin, token: &str) -> Client {
    let mut cfg = ClientConfig::new(
        s.url().parse().unwrap(),
        "rh_rhtap",
        Credentials::Bearer(Secret::new(token)),
    );
    cfg.retry.scale = 0.0;
    Client::new(cfg).unwrap()
}

fn docs_of(pairs: impl IntoIterator<Item = (String, Value)>) -> Vec<Value> {
    let map: serde_json::Map<String, Value> = pairs.into_iter().collect();
    kvstore::docs_from_map(
        map.iter().map(|(k, v)| (k.as_str(), v.clone())),
        "username",
        "sso_id",
    )
}

fn docs(n: usize) -> Vec<Value> {
    docs_of((0..n).map(|i| (format!("user{i}"), json!(1000 + i))))
}

/// The collection's documents by `_key`.
fn sorted(mut docs: Vec<Value>) -> Vec<Value> {
    docs.sort_by(|a, b| a["_key"].as_str().cmp(&b["_key"].as_str()));
    docs
}

#[test]
fn updates_in_place_within_the_limit() {
    let s = SplunkStandin::start(Config::default()).unwrap();
    let mut before = docs(2500);
    before[7]["sso_id"] = json!("old");
    before.push(json!({"_key": "stale", "username": "stale", "sso_id": 1}));
    s.handle().set_collection("uid_map", before);
    let want = docs(2500);
    let stats = kvstore::sync_collection(
        &client(&s, "standin-token"),
        "uid_map",
        &want,
        Limits {
            per_call: 1000,
            ..Limits::default()
        },
    )
    .unwrap();
    assert_eq!(
        stats,
        Stats {
            documents: 2500,
            saved: 1,
            unchanged: 2499,
            deleted: 1,
            batches: 1,
            retries: 0
        }
    );
    let reqs = s.requests();
    let calls: Vec<(&str, Option<usize>)> = reqs
        .iter()
        .map(|r| (r.method.as_str(), r.documents))
        .collect();
    assert_eq!(calls, [("GET", None), ("POST", Some(1)), ("DELETE", None)]);
    assert!(reqs.iter().all(|r| r.auth == AuthKind::Bearer
        && r.path
            .starts_with("/servicesNS/nobody/rh_rhtap/storage/collections/data/uid_map")));
    assert_eq!(reqs[0].query_param("sort").as_deref(), Some("_key"));
    assert_eq!(
        reqs[2].query_param("query").as_deref(),
        Some(r#"{"$or":[{"_key":"stale"}]}"#)
    );
    assert_eq!(sorted(s.collection("uid_map")), sorted(want));

    // A fresh collection: everything saved, in chunks within the limit.
    let stats = kvstore::sync_collection(
        &client(&s, "standin-token"),
        "fresh",
        &docs(2500),
        Limits::default(),
    )
    .unwrap();
    assert_eq!((stats.saved, stats.batches, stats.deleted), (2500, 3, 0));
    let saves: Vec<Option<usize>> = s
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("fresh/batch_save"))
        .map(|r| r.documents)
        .collect();
    assert_eq!(saves, vec![Some(1000), Some(1000), Some(500)]);
}

#[test]
fn a_collection_bigger_than_a_listing_page_is_listed_in_pages() {
    let s = SplunkStandin::start(Config::default()).unwrap();
    let n = kvstore::LIST_PAGE + 5;
    s.handle().set_collection("big", docs(n));
    let stats = kvstore::sync_collection(
        &client(&s, "standin-token"),
        "big",
        &docs(n - 3),
        Limits::default(),
    )
    .unwrap();
    assert_eq!((stats.saved, stats.unchanged, stats.deleted), (0, n - 3, 3));
    let gets: Vec<Option<String>> = s
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.query_param("skip"))
        .collect();
    assert_eq!(
        gets,
        [Some("0".into()), Some(kvstore::LIST_PAGE.to_string())]
    );
    assert_eq!(s.collection("big").len(), n - 3);
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
        kvstore::sync_collection(&client(&s, "standin-token"), "uid_map", &docs(2500), limits)
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
    assert_eq!(s.requests().len(), 2, "listing + one refused batch_save");

    // A smaller configured limit is obeyed.
    let (s, limits) = limited(50, 50);
    let stats =
        kvstore::sync_collection(&client(&s, "standin-token"), "c", &docs(120), limits).unwrap();
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
    let stats = kvstore::sync_collection(
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
        kvstore::sync_collection(&client(&s, secret), "uid_map", &docs(10), Limits::default())
            .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(secret));
    assert_eq!(s.requests().len(), 1);
}

/// What one search gave: each row's `userId` and `sso_id`.
type Searched = Vec<(String, Option<String>)>;

/// The property the update is built for: while it runs, a search's lookup
/// of a user whose id does not change never misses. After every KV store
/// write (and before the writer gets its answer) the stand-in's hook runs
/// a real export search with a `lookup` over the collection.
#[test]
fn lookups_of_unchanged_users_never_miss_during_an_update() {
    let rows: Vec<String> = ["alice", "bob", "carol", "dave"]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let last = if i == 3 { r#""lastrow":true,"# } else { "" };
            format!(r#"{{"preview":false,"offset":{i},{last}"result":{{"userId":"{u}"}}}}"#)
        })
        .collect();
    let seen: Arc<Mutex<Vec<Searched>>> = Arc::default();
    let url: Arc<Mutex<String>> = Arc::default();
    let hook = {
        let (seen, url) = (seen.clone(), url.clone());
        KvHook(Arc::new(move |_w| {
            let mut cfg = ClientConfig::new(
                url.lock().unwrap().parse().unwrap(),
                "rh_rhtap",
                Credentials::Bearer(Secret::new("standin-token")),
            );
            cfg.retry.scale = 0.0;
            let search = Search {
                query:
                    "search users|lookup uids username AS userId OUTPUT sso_id|fields userId,sso_id"
                        .into(),
                earliest_time: "-4hours".into(),
                latest_time: "-0hours".into(),
            };
            let mut got = Vec::new();
            let report = Client::new(cfg).unwrap().export(
                &search,
                |line| {
                    let v: Value = serde_json::from_slice(line).unwrap();
                    let r = &v["result"];
                    got.push((
                        r["userId"].as_str().unwrap().to_owned(),
                        r["sso_id"].as_str().map(str::to_owned),
                    ));
                    Ok(())
                },
                |_, _, _| {},
            );
            report.result.unwrap();
            seen.lock().unwrap().push(got);
        }))
    };
    let s = SplunkStandin::start(Config {
        rules: vec![Rule::new("search users", rows)],
        lookups: [("uids".to_owned(), "uid_map".to_owned())].into(),
        kv_hook: Some(hook),
        ..Config::default()
    })
    .unwrap();
    *url.lock().unwrap() = s.url();
    // Before: alice, bob, carol and 40 others; after: carol is gone, dave
    // is new, the 40 others have new ids (four batches of ten).
    let others = |v: u32| (0..40).map(move |i| (format!("u{i}"), json!(format!("{v}-{i}"))));
    let fixed = [("alice", json!(1)), ("bob", json!("b-2"))].map(|(k, v)| (k.to_owned(), v));
    let mut before = docs_of(fixed.clone().into_iter().chain(others(1)));
    before.extend(docs_of([("carol".to_owned(), json!(3))]));
    s.handle().set_collection("uid_map", before);
    let after = docs_of(
        fixed
            .into_iter()
            .chain([("dave".to_owned(), json!(4))])
            .chain(others(2)),
    );
    let limits = Limits {
        per_call: 10,
        ..Limits::default()
    };
    let stats =
        kvstore::sync_collection(&client(&s, "standin-token"), "uid_map", &after, limits).unwrap();
    assert_eq!((stats.batches, stats.deleted), (5, 1));

    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        6,
        "a search after each of 5 saves and the delete"
    );
    for (i, rows) in seen.iter().enumerate() {
        let id = |u: &str| {
            rows.iter()
                .find(|(n, _)| n == u)
                .and_then(|(_, id)| id.clone())
        };
        assert_eq!(id("alice").as_deref(), Some("1"), "search {i}: {rows:?}");
        assert_eq!(id("bob").as_deref(), Some("b-2"), "search {i}: {rows:?}");
        // A removed user stays until the last step; a new one comes in its
        // batch and stays.
        assert_eq!(id("carol").is_some(), i < 5, "search {i}: {rows:?}");
    }
    assert!(seen
        .last()
        .unwrap()
        .contains(&("dave".into(), Some("4".into()))));
    assert_eq!(sorted(s.collection("uid_map")), sorted(after));
}
