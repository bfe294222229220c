//! Where the write key comes from, and that it never shows.

// The Segment test helpers are shared with segment-uploader: one copy.
use testkit::segment as common;

use base64::Engine as _;
use common::*;

const BIN: &str = "segment-mass-uploader";

/// `dir/netrc` with one entry for the stand-in's host.
fn write_netrc(dir: &std::path::Path, login: &str, password: &str) -> std::path::PathBuf {
    let netrc = dir.join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login {login} password {password}\n"),
    )
    .unwrap();
    netrc
}

#[test]
fn netrc_login_is_the_write_key_and_the_env_overrides_it() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let netrc = write_netrc(dir.path(), KEY, "\"\"");
    // From the netrc file named by CURL_NETRC.
    tool(BIN, dir.path(), &s.url())
        .env_remove("SEGMENT_WRITE_KEY")
        .env("CURL_NETRC", &netrc)
        .write_stdin(input(&events(2, 200)))
        .assert()
        .code(0);
    assert_eq!(s.message_ids().len(), 2);

    // From $HOME/.netrc when CURL_NETRC is not set.
    std::fs::copy(&netrc, dir.path().join(".netrc")).unwrap();
    tool(BIN, dir.path(), &s.url())
        .env_remove("SEGMENT_WRITE_KEY")
        .write_stdin(input(&events(1, 200)))
        .assert()
        .code(0);
    assert_eq!(s.message_ids().len(), 3);

    // SEGMENT_WRITE_KEY wins over a netrc entry with another login.
    std::fs::write(&netrc, "machine 127.0.0.1 login WRONG\n").unwrap();
    tool(BIN, dir.path(), &s.url())
        .env("CURL_NETRC", &netrc)
        .write_stdin(input(&events(1, 200)))
        .assert()
        .code(0);
    assert_eq!(s.message_ids().len(), 4);
}

#[test]
fn no_credentials_is_a_configuration_error_and_nothing_is_sent() {
    let s = standin(&[]);
    let dir = tempfile::tempdir().unwrap();
    let lines = events(2, 200);
    let no_key = || {
        let mut cmd = tool(BIN, dir.path(), &s.url());
        cmd.env_remove("SEGMENT_WRITE_KEY");
        cmd
    };
    let (out, stderr) = output(&mut no_key(), &lines);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(s.requests(), 0);
    assert!(stderr.contains("no Segment write key"), "{stderr}");

    let (out, stderr) = output(
        no_key().env("CURL_NETRC", dir.path().join("missing")),
        &lines,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("cannot read netrc file"));
}

/// Neither the key nor the password nor their Basic encoding may show up,
/// whatever the log level, also when the server refuses them.
#[test]
fn secrets_never_reach_stdout_or_stderr() {
    let wrong_key = "wk-WR0NG-s3cr3t";
    let password = "pw-n3tRc-s3cr3t";
    let dir = tempfile::tempdir().unwrap();
    let netrc = write_netrc(dir.path(), wrong_key, password);
    let needles: Vec<String> = [KEY, wrong_key, password]
        .iter()
        .map(|s| s.to_string())
        .chain(
            [
                format!("{KEY}:"),
                format!("{wrong_key}:{password}"),
                format!("{wrong_key}:"),
            ]
            .iter()
            .map(|s| base64::engine::general_purpose::STANDARD.encode(s)),
        )
        .collect();
    for level in ["info", "debug", "trace"] {
        for format in ["text", "json"] {
            // 401 from the stand-in (wrong key from netrc, with a password).
            let s = standin(&[]);
            let logged = |url: &str| {
                let mut cmd = tool(BIN, dir.path(), url);
                cmd.env("LOG_LEVEL", level).env("LOG_FORMAT", format);
                cmd
            };
            let (out, _) = output(
                logged(&s.url())
                    .env_remove("SEGMENT_WRITE_KEY")
                    .env("CURL_NETRC", &netrc),
                &events(3, 200),
            );
            assert_eq!(out.status.code(), Some(1));
            // 403 injected, and a good run, with the right key from the env.
            let s2 = standin(&["403@first=1"]);
            let (out2, _) = output(&mut logged(&s2.url()), &events(300, 4_000));
            assert_eq!(out2.status.code(), Some(1));
            for o in [&out, &out2] {
                let all = format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                assert!(all.contains("40"), "the refusal is reported: {all}");
                for n in &needles {
                    assert!(!all.contains(n.as_str()), "{level}/{format}: `{n}` leaked");
                }
            }
        }
    }
}
