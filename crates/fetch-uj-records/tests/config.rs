//! Configuration as the original's users wrote it: URLs without a scheme
//! (curl's `http://`), URL problems reported as such, and the plain-HTTP
//! warning.

mod common;

use common::*;
use standins::splunk::Config;

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
