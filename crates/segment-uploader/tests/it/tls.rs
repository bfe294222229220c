//! TLS is verified: the stand-in's certificate is trusted only through the
//! extra CA file (`--ca-file` / `SEGMENT_BRIDGE_CA_FILE`) or `SSL_CERT_FILE`.

use testkit::segment as common;

use common::*;
use standins::segment::{Config, SegmentStandin};

const BIN: &str = "segment-uploader";

#[test]
fn the_certificate_is_verified_against_the_configured_ca() {
    let (ca, dir, ca_file) = testkit::ca_file();
    let mut cfg = Config::new(KEY);
    cfg.tls = Some(ca.server_config().unwrap());
    let s = SegmentStandin::spawn(cfg).unwrap();
    assert!(s.url().starts_with("https://"));

    // Unknown issuer: fails at once (a certificate won't verify on retry).
    let out = tool(BIN, dir.path(), &s.url())
        .write_stdin(input(&events(2, 200)))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("retry"), "{stderr}");
    assert_eq!(s.requests(), 0);

    tool(BIN, dir.path(), &s.url())
        .arg("--ca-file")
        .arg(&ca_file)
        .write_stdin(input(&events(2, 200)))
        .assert()
        .code(0);
    tool(BIN, dir.path(), &s.url())
        .env("SSL_CERT_FILE", &ca_file)
        .write_stdin(input(&events(3, 200)))
        .assert()
        .code(0);
    assert_eq!(s.message_ids(), [ids(2), ids(3)].concat());
}
