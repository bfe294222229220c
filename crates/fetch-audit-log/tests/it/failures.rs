//! Every failure the gateway and the store produce, made to happen: what is
//! retried, what is refused at once, what still goes out, the exit status,
//! and that the token never shows.

use standins::loki::{Config, Fault, LokiStandin, When};
use standins::recording::AuthKind;

use super::common::*;

fn three_hours() -> Vec<standins::loki::Entry> {
    (0..3)
        .map(|h| entry(T0 + h * HOUR + 5, "m0", candidate(h as usize)))
        .collect()
}

#[test]
fn busy_and_failing_stores_are_retried_honouring_retry_after() {
    let s = standin(three_hours());
    s.handle().fail(
        Fault::Status {
            status: 429,
            retry_after: Some(7),
        },
        When::First(1),
    );
    s.handle().fail(Fault::status(503), When::First(2));
    s.handle().fail(Fault::CutBody, When::First(3));
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 3)
        .args(["--split", "3h"])
        .output()
        .unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    assert_eq!(testkit::stdout(&out).lines().count(), 3);
    let err = testkit::stderr(&out);
    assert!(
        err.contains("Loki answered HTTP 429: too many outstanding requests; retry 1 of 3 in 7.0s"),
        "{err}"
    );
    assert!(err.contains("3 retries"), "{err}");
    assert_eq!(s.handle().requests().len(), 4);
}

#[test]
fn a_window_that_keeps_failing_is_named_and_the_others_still_go_out() {
    let s = standin(three_hours());
    // One request per window, in order: the second window's fails.
    s.handle().fail(Fault::status(500), When::Every(2));
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 3)
        .args(["--split", "1h", "--parallel", "1", "--retries", "0"])
        .output()
        .unwrap();
    let err = testkit::exited(&out, 1);
    assert_eq!(testkit::stdout(&out).lines().count(), 2);
    assert!(
        err.contains("window 2024-03-03T09:00:00Z..2024-03-03T10:00:00Z failed"),
        "{err}"
    );
    assert!(
        err.contains("1 failed (2024-03-03T09:00:00Z..2024-03-03T10:00:00Z)"),
        "{err}"
    );
}

#[test]
fn a_token_the_gateway_cannot_authenticate_is_refused_once_and_never_shown() {
    let s = standin(three_hours());
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 3)
        .env("LOKI_TOKEN", "sekrit-wrong-token")
        .args(["--split", "1h", "--parallel", "1"])
        .output()
        .unwrap();
    let err = testkit::failed(&out, 1);
    assert!(
        err.contains("refused the request (HTTP 302): it redirected to its login page"),
        "{err}"
    );
    assert!(
        err.contains("not fetched: the gateway refused the token for an earlier window"),
        "{err}"
    );
    assert!(!err.contains("sekrit"), "{err}");
    // Not retried, and the later windows were not tried with it.
    let reqs = s.handle().requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].auth, AuthKind::Bearer);
    assert!(!reqs[0].authorized);
}

#[test]
fn a_token_without_read_access_to_the_audit_tenant_gets_the_role_to_bind() {
    let s = LokiStandin::spawn(Config {
        entries: three_hours(),
        tokens: vec![("app-reader".into(), vec!["application".into()])],
        ..Config::default()
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 3)
        .env("LOKI_TOKEN", "app-reader")
        .args(["--split", "3h"])
        .output()
        .unwrap();
    testkit::failed_with(
        &out,
        1,
        &[
            "HTTP 403",
            "no read access to the tenant",
            "cluster-logging-audit-view",
        ],
    );
    assert_eq!(s.handle().requests().len(), 1);
}

#[test]
fn the_token_file_is_read_and_a_missing_one_is_a_configuration_error() {
    let s = standin(three_hours());
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("no-token");
    let mut cmd = fetch(&s, home.path(), 3);
    cmd.env_remove("LOKI_TOKEN")
        .env("LOKI_TOKEN_FILE", &missing);
    testkit::failed_with(
        &cmd.output().unwrap(),
        2,
        &["cannot read the bearer token from"],
    );
    assert!(s.handle().requests().is_empty());

    let (_dir, file) = testkit::temp_file("token", format!("{TOKEN}\n"));
    let mut cmd = fetch(&s, home.path(), 3);
    cmd.env_remove("LOKI_TOKEN").env("LOKI_TOKEN_FILE", &file);
    let out = cmd.output().unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    assert_eq!(testkit::stdout(&out).lines().count(), 3);
}

#[test]
fn tls_is_verified_against_the_given_ca() {
    let (ca, _dir, ca_path) = testkit::ca_file();
    let s = LokiStandin::spawn_with(
        Config {
            entries: three_hours(),
            ..Config::default()
        },
        standins::server::Listen::default().tls(&ca).unwrap(),
    )
    .unwrap();
    assert!(s.url().starts_with("https://"));
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 3).output().unwrap();
    testkit::failed_with(&out, 1, &["cannot reach the gateway"]);
    let out = fetch(&s, home.path(), 3)
        .env("LOKI_CA_FILE", &ca_path)
        .output()
        .unwrap();
    testkit::succeeded(&out, "fetch-audit-log");
    assert_eq!(testkit::stdout(&out).lines().count(), 3);
}

#[test]
fn a_bad_window_or_selector_is_exit_2_with_nothing_sent() {
    let s = standin(three_hours());
    let home = tempfile::tempdir().unwrap();
    let out = fetch(&s, home.path(), 3)
        .env("QUERY_EARLIEST_TIME", "yesterday")
        .output()
        .unwrap();
    testkit::failed_with(
        &out,
        2,
        &["QUERY_EARLIEST_TIME is not a time (`yesterday`)"],
    );
    let out = fetch(&s, home.path(), 3)
        .args(["--selector", "log_type=audit"])
        .output()
        .unwrap();
    testkit::failed_with(&out, 2, &["must be a LogQL stream selector"]);
    assert!(s.handle().requests().is_empty());
}
