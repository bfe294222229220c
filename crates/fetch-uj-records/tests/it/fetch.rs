//! fetch-uj-records against the Splunk stand-in: rows out = rows served,
//! configuration on the wire, credentials.

use crate::common::*;
use serde_json::{json, Value};
use standins::splunk::{AuthKind, Config, SplunkStandin, KINDS};

#[test]
fn all_eight_queries_rows_out_byte_for_byte() {
    let served = served();
    let cfg = Config {
        bom: true,
        previews: 2,
        chunk_size: 7,
        ..Config::default()
    };
    let s = standin_with(&served, cfg, |_, r| r);
    let out = cmd(&s.url()).assert().success();
    let out = out.get_output();
    assert_eq!(sorted_lines(&out.stdout), expected_lines(&served));

    // Rows of one query keep their order.
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    for rows in served.values() {
        let positions: Vec<usize> = rows
            .iter()
            .map(|r| text.find(r.as_str()).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }
    let exports = s.exports();
    assert_eq!(exports.len(), KINDS.len());
    for kind in KINDS.iter() {
        assert_eq!(
            exports
                .iter()
                .filter(|r| r.param("search").unwrap().contains(&kind.marker))
                .count(),
            1,
            "{}",
            kind.name
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("8 queries, 28 rows"), "{stderr}");
    // 2 preview sets per query: prefixes of 1/3 and 2/3 of its rows.
    let previews: usize = (0..8usize)
        .map(|k| k.div_ceil(3) + (2 * k).div_ceil(3))
        .sum();
    assert!(
        stderr.contains(&format!("{previews} preview rows dropped")),
        "{stderr}"
    );
}

#[test]
fn env_settings_reach_the_request() {
    let s = standin_with(&served(), Config::default(), |_, r| r);
    cmd(&s.url())
        .env("SPLUNK_APP_NAME", "my_app")
        .env("SPLUNK_INDEX", "my_index")
        .env("QUERY_EARLIEST_TIME", "-2hours@h")
        .env("QUERY_LATEST_TIME", "-1hours@h")
        .assert()
        .success();
    let exports = s.exports();
    assert_eq!(exports.len(), KINDS.len());
    for r in &exports {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/servicesNS/nobody/my_app/search/v2/jobs/export");
        assert_eq!(r.param("output_mode"), Some("json"));
        assert_eq!(r.param("earliest_time"), Some("-2hours@h"));
        assert_eq!(r.param("latest_time"), Some("-1hours@h"));
        assert!(r
            .param("search")
            .unwrap()
            .starts_with(r#"search index="my_index" log_type=audit"#));
        assert_eq!(r.auth, AuthKind::Bearer);
    }
    // Defaults of the original script.
    let s = standin_with(&served(), Config::default(), |_, r| r);
    cmd(&s.url()).assert().success();
    for r in &s.exports() {
        assert_eq!(r.path, "/servicesNS/nobody/rh_rhtap/search/v2/jobs/export");
        assert_eq!(r.param("earliest_time"), Some("-4hours"));
        assert_eq!(r.param("latest_time"), Some("-0hours"));
        assert!(r
            .param("search")
            .unwrap()
            .contains(r#"index="federated:rh_rhtap_stage_audit""#));
    }
}

#[test]
fn netrc_basic_auth_and_secrets_never_printed() {
    let (_dir, netrc) = testkit::temp_file(
        "netrc",
        "machine 127.0.0.1 login alice password netrc-pa55word\n",
    );
    let cfg = Config {
        users: vec![("alice".into(), "netrc-pa55word".into())],
        ..Config::default()
    };
    // One run with the netrc credentials and debug logs, against a
    // stand-in that knows them, then against one that does not.
    let run = |s: &SplunkStandin| {
        cmd(&s.url())
            .env_remove("SPLUNK_TOKEN")
            .env("CURL_NETRC", &netrc)
            .env("LOG_LEVEL", "debug")
            .output()
            .unwrap()
    };
    let s = standin_with(&served(), cfg, |_, r| r);
    let out = run(&s);
    testkit::exited(&out, 0);
    assert_eq!(sorted_lines(&out.stdout), expected_lines(&served()));
    assert!(s.exports().iter().all(|r| r.auth
        == AuthKind::Basic {
            user: "alice".into()
        }));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("netrc-pa55word"));

    // Refused: the password is not in the message either.
    let out = run(&standin_with(&served(), Config::default(), |_, r| r));
    let stderr = testkit::failed_with(&out, 1, &["refused the credentials (basic auth"]);
    assert!(!stderr.contains("netrc-pa55word"));
}

#[test]
fn unauthorized_is_one_request_and_a_clear_message() {
    let s = standin_with(&served(), Config::default(), |_, r| r);
    let secret = "sup3r-s3cret-t0ken";
    let out = cmd(&s.url())
        .env("SPLUNK_TOKEN", secret)
        .env("LOG_LEVEL", "debug")
        .args(["--parallel", "3"])
        .assert()
        .code(1);
    let out = out.get_output();
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused the credentials (bearer token; HTTP 401: Unauthorized)"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: check SPLUNK_TOKEN"), "{stderr}");
    assert!(!stderr.contains(secret));
    assert_eq!(s.requests().len(), 1, "no retry storm");
    for k in 0..8 {
        assert!(
            stderr.contains(&format!("query `{}` failed", title(k))),
            "{stderr}"
        );
    }
}

#[test]
fn no_credentials_is_a_usage_error() {
    let s = standin_with(&served(), Config::default(), |_, r| r);
    let out = cmd(&s.url()).env_remove("SPLUNK_TOKEN").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("no Splunk credentials for `127.0.0.1`"),
        "{stderr}"
    );
    assert!(s.requests().is_empty());
}

#[test]
fn lookup_queries_get_the_ids_from_the_kv_store() {
    // Rows served only to searches with the lookup (the rule looks for it);
    // the stand-in evaluates the lookups against its collections.
    let rows = vec![
        r#"{"preview":false,"offset":0,"result":{"userId":"alice","namespace":"ns1"}}"#.to_owned(),
        r#"{"preview":false,"offset":1,"lastrow":true,"result":{"userId":"bob","namespace":"ns2"}}"#.to_owned(),
    ];
    let cfg = Config {
        rules: vec![standins::splunk::Rule::new(
            "|lookup uid_lookup_kv username",
            rows,
        )],
        lookups: [("uid_lookup_kv", "uids"), ("ws_lookup_kv", "ws")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .into(),
        ..Config::default()
    };
    let s = SplunkStandin::start(cfg).unwrap();
    s.handle().set_collection(
        "uids",
        vec![
            json!({"_key": "alice", "username": "alice", "sso_id": 7}),
            json!({"_key": "carol", "username": "carol", "sso_id": "c-9"}),
        ],
    );
    s.handle().set_collection(
        "ws",
        vec![json!({"_key": "ns1", "namespace": "ns1", "owner": "carol"})],
    );
    let results = |args: &[&str]| -> Vec<Value> {
        let out = cmd(&s.url())
            .args(args)
            .args(["--name", "build-pipelinerun-started"])
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["result"].clone())
            .collect()
    };
    let uid_only = results(&["--uid-lookup", "uid_lookup_kv"]);
    assert_eq!(uid_only[0]["sso_id"], "7");
    assert!(uid_only[1].get("sso_id").is_none());
    assert!(uid_only[0].get("owner_sso_id").is_none());

    let both = results(&[
        "--uid-lookup",
        "uid_lookup_kv",
        "--ws-lookup",
        "ws_lookup_kv",
    ]);
    assert_eq!(
        (
            &both[0]["owner"],
            &both[0]["owner_sso_id"],
            &both[0]["sso_id"]
        ),
        (&json!("carol"), &json!("c-9"), &json!("7"))
    );
    assert!(both[1].get("owner").is_none() && both[1].get("owner_sso_id").is_none());
    let exports = s.exports();
    assert_eq!(exports.len(), 2);
    assert!(exports[1]
        .param("search")
        .unwrap()
        .contains("|lookup ws_lookup_kv namespace OUTPUT owner|"));

    // A lookup Splunk has no definition for fails the search (200, empty
    // body): the query fails after its retries.
    cmd(&s.url())
        .args([
            "--uid-lookup",
            "nope",
            "--name",
            "build-pipelinerun-started",
        ])
        .assert()
        .code(1);
}

#[test]
fn parallel_one_runs_them_all() {
    let s = standin_with(&served(), Config::default(), |_, r| r);
    let out = cmd(&s.url()).args(["--parallel", "1"]).assert().success();
    assert_eq!(
        sorted_lines(&out.get_output().stdout),
        expected_lines(&served())
    );
}

#[test]
fn a_reader_that_goes_away_is_a_quiet_exit() {
    use std::io::BufRead;
    let served: std::collections::BTreeMap<usize, Vec<String>> =
        (0..8).map(|k| (k, rows(k, 3000))).collect();
    let s = standin_with(&served, Config::default(), |_, r| r);
    let bin = assert_cmd::cargo::cargo_bin("fetch-uj-records");
    let mut child = std::process::Command::new(bin)
        .env_clear()
        .env("SPLUNK_API_URL", s.url())
        .env("SPLUNK_TOKEN", TOKEN)
        .env("HOME", "/nonexistent")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with(r#"{"preview":false"#));
    let out = child.wait_with_output().unwrap();
    testkit::exited(&out, 0);
}

#[test]
fn queries_from_stdin_or_a_file() {
    let served = served();
    let s = standin_with(&served, Config::default(), |_, r| r);
    let nul = querygen::render_nul(&querygen::queries(&querygen::Options::default()));
    let out = cmd(&s.url())
        .args(["--queries", "-"])
        .write_stdin(nul.clone())
        .assert()
        .success();
    assert_eq!(
        sorted_lines(&out.get_output().stdout),
        expected_lines(&served)
    );
    assert_eq!(s.exports().len(), KINDS.len());

    let (_dir, f) = testkit::temp_file("q", "search only one\n");
    let out = cmd(&s.url()).arg("--queries").arg(&f).assert().success();
    // No rule matches: the no-results line.
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "{\"preview\":false,\"lastrow\":true}\n"
    );
    assert_eq!(s.exports()[8].param("search"), Some("search only one"));

    cmd(&s.url())
        .args(["--queries", "-"])
        .write_stdin("\0\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no queries in `-`"));
    cmd(&s.url())
        .args(["--queries", "-", "--uid-lookup", "x"])
        .assert()
        .code(2);
}

#[test]
fn https_with_an_extra_ca_file() {
    let (ca, _dir, ca_file) = testkit::ca_file();
    let served = served();
    let cfg = Config {
        rules: KINDS
            .iter()
            .enumerate()
            .map(|(k, kind)| standins::splunk::Rule::new(&kind.marker, served[&k].clone()))
            .collect(),
        ..Config::default()
    };
    let s = SplunkStandin::start_tls(cfg, &ca).unwrap();
    assert!(s.url().starts_with("https://"));
    let out = cmd(&s.url())
        .arg("--ca-file")
        .arg(&ca_file)
        .assert()
        .success();
    assert_eq!(
        sorted_lines(&out.get_output().stdout),
        expected_lines(&served)
    );

    // Without it the certificate is not trusted: every query fails, and a
    // certificate error is not retried.
    let before = s.requests().len();
    let out = cmd(&s.url()).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("failed after 0 retries: cannot reach Splunk"),
        "{stderr}"
    );
    assert_eq!(s.requests().len(), before);

    cmd(&s.url())
        .args(["--ca-file", "/nonexistent/ca.pem"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot read `/nonexistent/ca.pem`",
        ));
}

/// Configuration as the original's users wrote it: URLs without a scheme
/// (curl's `http://`), URL problems reported as such, and the plain-HTTP
/// warning.
mod urls {
    use super::*;

    #[test]
    fn a_scheme_less_url_is_http_as_with_curl() {
        let s = standin_with(&served(), Config::default(), |_, r| r);
        let bare = s.url().trim_start_matches("http://").to_owned();
        assert!(!bare.contains("://"), "{bare}");
        let out = cmd(&bare)
            .arg("--name")
            .arg("application")
            .assert()
            .success();
        assert!(!out.get_output().stdout.is_empty());
        assert_eq!(s.exports().len(), 1);
    }

    #[test]
    fn a_url_problem_is_a_url_error_not_missing_credentials() {
        for (url, says) in [
            ("", "`SPLUNK_API_URL` is empty"),
            ("ftp://splunk:21", "`SPLUNK_API_URL` uses the scheme `ftp`"),
            ("splunk:99999", "`SPLUNK_API_URL` is not a valid URL"),
        ] {
            let out = cmd(url)
                .env_remove("SPLUNK_TOKEN")
                .assert()
                .code(2)
                .get_output()
                .clone();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(says), "{url}: {stderr}");
            assert!(!stderr.contains("credentials"), "{url}: {stderr}");
        }
    }

    #[test]
    fn credentials_over_plain_http_are_warned_about_once() {
        // Nothing listens on the name; the warning comes before any request.
        let out = cmd("splunk.invalid:8089")
            .args(["--splunk-retries", "0", "--parallel", "3"])
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let warning = "credentials will be sent over plain HTTP to `http://splunk.invalid:8089/`";
        assert_eq!(stderr.matches(warning).count(), 1, "{stderr}");
        assert!(!stderr.contains(TOKEN), "{stderr}");
        // A loopback stand-in gets no warning.
        let s = standin_with(&served(), Config::default(), |_, r| r);
        let out = cmd(&s.url()).assert().success().get_output().clone();
        assert!(!String::from_utf8_lossy(&out.stderr).contains("plain HTTP"));
    }
}

/// Rows in query order, whatever order the queries finish in.
mod query_order {
    use super::*;
    use std::time::Duration;

    /// All served lines, query by query, as the sequential original printed
    /// them.
    pub(super) fn in_query_order(
        served: &std::collections::BTreeMap<usize, Vec<String>>,
    ) -> String {
        let mut out = String::new();
        for rows in served.values() {
            if rows.is_empty() {
                out.push_str(standins::splunk::NO_RESULTS);
                out.push('\n');
            }
            for r in rows {
                out.push_str(r);
                out.push('\n');
            }
        }
        out
    }

    /// The first query answers last, the second streams slowly: every
    /// later query finishes before them.
    fn slow_head() -> SplunkStandin {
        standin_with(&served(), Config::default(), |k, r| match k {
            0 => r.delay(Duration::from_millis(400)),
            1 => r.stream_delay(Duration::from_millis(200)),
            _ => r,
        })
    }

    #[test]
    fn later_queries_finishing_first_still_print_in_query_order() {
        let want = in_query_order(&served());
        let mut runs = Vec::new();
        for _ in 0..2 {
            let s = slow_head();
            let out = cmd(&s.url()).args(["--parallel", "8"]).assert().success();
            let out = out.get_output();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(" 0 bytes waited for their turn on disk"),
                "{stderr}"
            );
            runs.push(out.stdout.clone());
        }
        assert_eq!(String::from_utf8_lossy(&runs[0]), want);
        assert!(runs[0] == runs[1], "two runs differ");
    }

    #[test]
    fn past_the_memory_bound_waiting_rows_spill_to_disk_in_order() {
        let s = slow_head();
        let out = cmd(&s.url())
            .env("SPLUNK_PARALLEL", "8")
            .env("FETCH_BUFFER_BYTES", "300")
            .assert()
            .success();
        let out = out.get_output();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            in_query_order(&served())
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let spilled: u64 = stderr
            .split(" bytes waited for their turn on disk")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stderr}"));
        assert!(spilled > 1000, "{stderr}");
    }

    #[test]
    fn parallel_has_its_environment_variable() {
        let s = slow_head();
        let out = cmd(&s.url()).env("SPLUNK_PARALLEL", "0").assert().code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains("'0'") && stderr.contains("--parallel"),
            "{stderr}"
        );
        assert!(s.requests().is_empty());
    }
}

/// HTTPS_PROXY / NO_PROXY (either case), as curl honours them, through a
/// real CONNECT proxy on loopback.
mod proxies {
    use super::*;
    use standins::proxy::ConnectProxy;

    fn tls_standin() -> (SplunkStandin, tempfile::TempDir, std::path::PathBuf) {
        let (ca, dir, ca_file) = testkit::ca_file();
        let cfg = Config {
            rules: KINDS
                .iter()
                .enumerate()
                .map(|(k, kind)| standins::splunk::Rule::new(&kind.marker, served()[&k].clone()))
                .collect(),
            ..Config::default()
        };
        (SplunkStandin::start_tls(cfg, &ca).unwrap(), dir, ca_file)
    }

    #[test]
    fn https_goes_through_the_proxy_unless_no_proxy_covers_the_host() {
        let (s, _dir, ca_file) = tls_standin();
        let hostport = s.url().trim_start_matches("https://").to_owned();
        let port = hostport.rsplit(':').next().unwrap().to_owned();
        let want = super::query_order::in_query_order(&served());
        for var in ["HTTPS_PROXY", "https_proxy"] {
            let proxy = ConnectProxy::start().unwrap();
            let out = cmd(&s.url())
                .arg("--ca-file")
                .arg(&ca_file)
                .env(var, proxy.url())
                .assert()
                .success();
            assert_eq!(String::from_utf8_lossy(&out.get_output().stdout), want);
            let tunnels = proxy.tunnels();
            assert!(!tunnels.is_empty(), "{var}: the proxy was not used");
            assert!(tunnels.iter().all(|t| t.target == hostport), "{tunnels:?}");
        }
        for no_proxy in ["127.0.0.1", "localhost,127.0.0.0/8", "*"] {
            let proxy = ConnectProxy::start().unwrap();
            cmd(&s.url())
                .arg("--ca-file")
                .arg(&ca_file)
                .env("HTTPS_PROXY", proxy.url())
                .env("no_proxy", no_proxy)
                .assert()
                .success();
            assert_eq!(proxy.tunnels(), vec![], "NO_PROXY={no_proxy}");
        }
        // A proxy nobody answers on: the queries fail, as with curl.
        let url = format!("https://127.0.0.1:{port}");
        cmd(&url)
            .args(["--splunk-retries", "0", "--name", "application"])
            .env("HTTPS_PROXY", "http://127.0.0.1:1")
            .assert()
            .code(1);
        // A proxy that is not a URL: a configuration error, nothing sent.
        let before = s.requests().len();
        let out = cmd(&url)
            .env("HTTPS_PROXY", "http://127.0.0.1:1:2")
            .output()
            .unwrap();
        testkit::failed_with(&out, 2, &["`HTTPS_PROXY` is not a valid proxy URL"]);
        assert_eq!(s.requests().len(), before);
    }
}
