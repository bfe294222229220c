//! netrc read as curl reads it, shown against the real curl: for every file
//! of a corpus, the `Authorization` header our Splunk client sends with
//! credentials from that file must equal the one `curl --netrc-file FILE`
//! sends to the same loopback recorder (no header on either side when
//! nothing matches, or both refusing the file). The corpus covers comments, `default`
//! placement, `macdef`, quoting and escapes, several entries for one host,
//! ports, CRLF line ends, white space quirks and a line too long for curl.

use segment_bridge_splunk::{Credentials, Error};

use testkit::recorder::Recorder;

/// `{port}` is replaced by the recorder's port.
const CORPUS: &[&str] = &[
    "machine 127.0.0.1 login a password b",
    "machine 127.0.0.1 login a password b\n",
    "",
    "# machine 127.0.0.1 login olduser password oldpass\n",
    "  #machine 127.0.0.1 login olduser password oldpass\nmachine 127.0.0.1 login new password pw\n",
    "machine 127.0.0.1 login a password b # trailing comment\n",
    "machine 127.0.0.1 login a password #b\nc\n",
    "machine 127.0.0.1 login a password b#c\n",
    "default login d password dp\nmachine 127.0.0.1 login a password b\n",
    "machine 127.0.0.1 login a password b\ndefault login d password dp\n",
    "machine other login o password p\ndefault login d password q\n",
    "default\nmachine 127.0.0.1 login a password b\n",
    "default\n",
    "default login d\nmachine 127.0.0.1 login a password b\n",
    "machine 127.0.0.1 password p\ndefault login d\n",
    "machine 127.0.0.1 login a password \"\"\ndefault login d password dp\n",
    "machine 127.0.0.1 login a\n",
    "machine 127.0.0.1 password p\n",
    "machine 127.0.0.1 login a\nmachine 127.0.0.1 login b password c\n",
    "machine 127.0.0.1 login a\nmachine x login b password c\n",
    "machine 127.0.0.1 login a\nmachine 127.0.0.1 password p\n",
    "machine 127.0.0.1 login a password b\nmachine 127.0.0.1 login c password d\n",
    "machine 127.0.0.1 login a password b\nmachine 127.0.0.1 login a password other\n",
    "macdef init\ncd /tmp\nmachine 127.0.0.1 login m password m\n\nmachine 127.0.0.1 login a password b\n",
    "macdef m\n  \nmachine 127.0.0.1 login a password b\n\n",
    "macdef m \nmachine 127.0.0.1 login a password b\n",
    "macdef\nmachine 127.0.0.1 login a password b\n",
    "machine 127.0.0.1 macdef m\nlogin x password y\n",
    "machine 127.0.0.1 login \"a b\\\"c\\n\" password \"p\\tq\\\\\\x\"\n",
    "machine 127.0.0.1 login \"a\"b password c\n",
    "machine \"127.0.0.1\" login a password \"b\" \n",
    "machine 127.0.0.1 login a password \"unterminated\n",
    "machine 127.0.0.1 login a password \"b\\\"\n",
    "machine other login a password \"broken\nmachine 127.0.0.1 login x password y\n",
    "machine 127.0.0.1 login a password b\nmachine other login a password \"broken\n",
    "machine 127.0.0.1:{port} login withport password p\n",
    "machine 127.0.0.1:{port} login withport password p\nmachine 127.0.0.1 login noport password q\n",
    "machine localhost login a password b\n",
    "MACHINE 127.0.0.1 LOGIN a PASSWORD b\n",
    "machine 127.0.0.1\r\nlogin a\r\npassword b\r\n",
    "machine 127.0.0.1 login a password \nb\n",
    "machine 127.0.0.1 login a account acct password b\n",
    "machine\n127.0.0.1\nlogin\na\npassword\nb\n",
    "machine 127.0.0.1\tlogin\ta\tpassword\tb",
    "machine 127.0.0.1 login a password b\x0bc\n",
    "machine 127.0.0.1 login é password ünïcode\n",
    "LONGLINE\nmachine 127.0.0.1 login after password long\n",
];

fn curl() -> &'static str {
    let path = "/usr/bin/curl";
    assert!(
        std::path::Path::new(path).exists(),
        "these tests compare with the real curl: install it (apt-get install curl)"
    );
    path
}

/// What curl sent: `Ok(header)` (`None`: no Authorization), `Err(status)`
/// when curl refused to run.
fn curl_sends(file: &std::path::Path, rec: &Recorder, n: usize) -> Result<Option<String>, i32> {
    let before = rec.seen().len();
    let status = std::process::Command::new(curl())
        .args(["-s", "-o", "/dev/null", "--netrc-file"])
        .arg(file)
        .arg(format!("http://127.0.0.1:{}/case-{n}", rec.port))
        .env_clear()
        .status()
        .unwrap();
    if !status.success() {
        return Err(status.code().unwrap_or(-1));
    }
    let seen = rec.seen();
    assert_eq!(seen.len(), before + 1, "curl sent one request");
    Ok(seen[before].authorization.clone())
}

/// What our Splunk client sends with credentials from `file` (the same
/// `Authorization` header code every request goes through): `Ok(None)`
/// when it finds no credentials, `Err` when it refuses the file.
fn we_send(file: &std::path::Path, rec: &Recorder) -> Result<Option<String>, String> {
    let url = reqwest::Url::parse(&format!("http://127.0.0.1:{}/ours", rec.port)).unwrap();
    let creds = match Credentials::resolve(None, Some(file), &url) {
        Ok(c) => c,
        Err(Error::Config(_)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let before = rec.seen().len();
    let client = reqwest::blocking::Client::new();
    creds.apply(client.get(url)).send().unwrap();
    Ok(rec.seen()[before].authorization.clone())
}

#[test]
fn our_netrc_reading_sends_what_curl_sends() {
    let rec = Recorder::start("");
    let dir = tempfile::tempdir().unwrap();
    let long = format!(
        "machine 127.0.0.1 login long password {}\n",
        "x".repeat(5000)
    );
    let mut mismatches = Vec::new();
    for (n, text) in CORPUS.iter().enumerate() {
        let text = text
            .replace("{port}", &rec.port.to_string())
            .replace("LONGLINE", long.trim_end());
        let file = dir.path().join(format!("netrc-{n}"));
        std::fs::write(&file, &text).unwrap();
        let theirs = curl_sends(&file, &rec, n);
        let ours = we_send(&file, &rec);
        let same = match (&theirs, &ours) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !same {
            mismatches.push(format!("{text:?}: curl {theirs:?}, ours {ours:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "netrc files read differently:\n{}",
        mismatches.join("\n")
    );
}
