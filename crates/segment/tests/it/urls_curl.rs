//! URLs from configuration read as curl reads them: for each spelling, the
//! request our client sends (through `http::parse_url`) has the same request
//! line as the one `curl URL` sends to the loopback recorder.

use segment_bridge_net::http::{self, HttpConfig};

use testkit::recorder::Recorder;

const SPELLINGS: &[&str] = &[
    "127.0.0.1:{port}",
    "127.0.0.1:{port}/v1/batch",
    "localhost:{port}/servicesNS/nobody/app?x=1",
    "http://127.0.0.1:{port}",
    "HTTP://127.0.0.1:{port}/Upper/Path",
    "127.0.0.1:{port}/a/./b/../c",
    "user:pw@127.0.0.1:{port}/with/userinfo",
];

#[test]
fn scheme_less_urls_reach_the_same_place_as_with_curl() {
    let rec = Recorder::start("");
    let client = http::client(&HttpConfig::default()).unwrap();
    for spelling in SPELLINGS {
        let text = spelling.replace("{port}", &rec.port.to_string());
        let status = std::process::Command::new("/usr/bin/curl")
            .args(["-s", "-o", "/dev/null", &text])
            .env_clear()
            .status()
            .expect("these tests compare with the real curl: install it (apt-get install curl)");
        assert!(status.success(), "curl {text}: {status}");
        let url = http::parse_url("TEST_URL", &text).unwrap();
        let mut req = client.get(url.clone());
        if !url.username().is_empty() {
            req = req.basic_auth(url.username(), url.password());
        }
        req.send().unwrap();
        let seen = rec.seen();
        let (theirs, ours) = (&seen[seen.len() - 2], &seen[seen.len() - 1]);
        assert_eq!(theirs, ours, "{text}");
    }
}

#[test]
fn a_url_problem_is_reported_as_one() {
    let e = http::parse_url("SEGMENT_BATCH_API", "ftp.example.com/v1/batch").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("`SEGMENT_BATCH_API` uses the scheme `ftp`"),
        "{e}"
    );
}

#[derive(Debug, clap::Parser)]
struct SegmentFlags {
    #[command(flatten)]
    client: segment_bridge_segment::client::ClientArgs,
}

#[test]
fn segment_batch_api_without_a_scheme_is_http() {
    use clap::Parser as _;
    let rec = Recorder::start("{}");
    let (_dir, netrc) = testkit::temp_file("netrc", "machine 127.0.0.1 login WRITEKEY\n");
    let api = format!("127.0.0.1:{}/v1/batch", rec.port);
    let flags = SegmentFlags::try_parse_from([
        "t".as_ref(),
        "--api-url".as_ref(),
        api.as_ref(),
        "--netrc-file".as_ref(),
        netrc.as_os_str(),
    ])
    .unwrap();
    let client =
        segment_bridge_segment::client::Client::new(flags.client.config().unwrap()).unwrap();
    let _ = client.send(br#"{"batch":[]}"#);
    let seen = rec.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "POST /v1/batch HTTP/1.1");
    assert_eq!(seen[0].authorization.as_deref(), Some("Basic V1JJVEVLRVk6"));

    let err = SegmentFlags::try_parse_from(["t", "--api-url", "ftp.example.com/v1/batch"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`SEGMENT_BATCH_API` uses the scheme `ftp`"),
        "{err}"
    );
}
