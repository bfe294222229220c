//! The core Splunk client (`splunk::Client::export`) against the stand-in,
//! in-process: what a report counts, auth schemes, what is not retried.

use segment_bridge_net::Secret;
use segment_bridge_splunk::{Client, ClientConfig, Credentials, Error, Search};
use standins::splunk::{AuthKind, Config, Rule, SplunkStandin};

fn client(s: &SplunkStandin, creds: Credentials) -> Client {
    let mut cfg = ClientConfig::new(s.url().parse().unwrap(), "app", creds);
    cfg.retry.scale = 0.0;
    Client::new(cfg).unwrap()
}

fn search(q: &str) -> Search {
    Search {
        query: q.into(),
        earliest_time: "-4hours".into(),
        latest_time: "-0hours".into(),
    }
}

fn rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let last = if i + 1 == n { r#","lastrow":true"# } else { "" };
            format!(r#"{{"preview":false,"offset":{i}{last},"result":{{"i":"{i}"}}}}"#)
        })
        .collect()
}

#[test]
fn report_counts_rows_previews_and_keeps_bytes() {
    let s = SplunkStandin::start(Config {
        rules: vec![Rule::new("search x", rows(5))],
        bom: true,
        previews: 3,
        chunk_size: 5,
        ..Config::default()
    })
    .unwrap();
    let c = client(&s, Credentials::SessionKey(Secret::new("standin-token")));
    let mut out = Vec::new();
    let report = c.export(
        &search("search x"),
        |l| {
            out.push(String::from_utf8(l.to_vec()).unwrap());
            Ok(())
        },
        |_, _, _| {},
    );
    report.result.unwrap();
    assert_eq!(out, rows(5));
    assert_eq!((report.rows, report.emitted, report.retries), (5, 5, 0));
    // Preview sets of 2, 3 and 4 rows.
    assert_eq!(report.previews_dropped, 9);
    assert_eq!(s.exports()[0].auth, AuthKind::Splunk);
}

#[test]
fn a_search_splunk_rejects_is_not_retried() {
    let s = SplunkStandin::start(Config::default()).unwrap();
    let c = client(&s, Credentials::Bearer(Secret::new("standin-token")));
    let report = c.export(&search("index=x"), |_| Ok(()), |_, _, _| {});
    match report.result {
        Err(Error::Status {
            status: 400,
            message: Some(m),
            ..
        }) => assert!(m.contains("Unknown search command 'index=x'"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.exports().len(), 1);
}

#[test]
fn an_output_error_stops_without_retry() {
    let s = SplunkStandin::start(Config {
        rules: vec![Rule::new("search", rows(3))],
        ..Config::default()
    })
    .unwrap();
    let c = client(&s, Credentials::Bearer(Secret::new("standin-token")));
    let report = c.export(
        &search("search x"),
        |_| Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "gone")),
        |_, _, _| {},
    );
    assert!(matches!(report.result, Err(Error::Output(_))));
    assert_eq!(s.exports().len(), 1);
}

#[test]
fn concurrent_requests_with_refused_credentials_send_one_login() {
    let s = SplunkStandin::start(Config::default()).unwrap();
    let c = client(
        &s,
        Credentials::Basic {
            user: "admin".into(),
            password: Secret::new("wrong"),
        },
    );
    let results: Vec<_> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                sc.spawn(|| {
                    c.export(&search("search x"), |_| Ok(()), |_, _, _| {})
                        .result
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(s.requests().len(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(Error::Unauthorized { .. })))
            .count(),
        1
    );
    assert!(results
        .iter()
        .all(|r| matches!(r, Err(Error::Unauthorized { .. } | Error::NotSent { .. }))));
}
