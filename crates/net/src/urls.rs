//! How every tool reads a URL from its configuration, and prints one.
//!
//! # URLs as curl reads them
//!
//! The original scripts handed `SPLUNK_API_URL`, `SEGMENT_BATCH_API` and
//! `PUSHGATEWAY_URL` to curl, which takes `localhost:8089` or
//! `host:port/v1/batch` as `http://` URLs. [`parse_url`] does the same (the
//! differential test `crates/segment/tests/it/urls_curl.rs` checks it against curl): a
//! URL has a scheme only when letters, digits, `+`, `-` or `.` are followed
//! by `:/`; without one, curl guesses from the host's first label (`ftp.`,
//! `dict.`, `ldap.`, `imap.`, `smtp.`, `pop3.` give those protocols, which
//! our tools don't speak, so such a URL is refused) and otherwise takes
//! `http://`. Only `http` and `https` are accepted, and a URL must have a
//! host. Errors name the variable the URL came from, so a URL problem is
//! never mistaken for missing credentials. When credentials are about to
//! go over plain `http://` to a host that is not loopback, [`warn_plain_http`]
//! says so once per run (curl says nothing; a secret in clear text on the
//! network deserves a line on stderr).

use std::sync::atomic::{AtomicBool, Ordering};

/// The URL with any userinfo removed, safe to print.
pub fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Why a configured URL can't be used. `var` names where it came from
/// (`SPLUNK_API_URL`, `SEGMENT_BATCH_API`, …).
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("`{var}` is empty")]
    Empty { var: &'static str },
    #[error("`{var}` is not a valid URL (`{url}`): {reason}")]
    Invalid {
        var: &'static str,
        url: String,
        reason: url::ParseError,
    },
    #[error("`{var}` uses the scheme `{scheme}` (`{url}`); only http and https are spoken here\nhint: write the URL with `https://` in front")]
    Scheme {
        var: &'static str,
        url: String,
        scheme: String,
    },
    #[error("`{var}` has no host (`{url}`)")]
    NoHost { var: &'static str, url: String },
}

/// Host-name prefixes from which curl guesses a scheme other than http.
const GUESSED_SCHEMES: [(&str, &str); 6] = [
    ("ftp.", "ftp"),
    ("dict.", "dict"),
    ("ldap.", "ldap"),
    ("imap.", "imap"),
    ("smtp.", "smtp"),
    ("pop3.", "pop3"),
];

/// Reads the URL `text` configured in `var` as curl does (see the module
/// docs): a missing scheme means `http://`; only http(s) with a host is
/// accepted. Never prints the userinfo in an error.
pub fn parse_url(var: &'static str, text: &str) -> Result<reqwest::Url, UrlError> {
    if text.is_empty() {
        return Err(UrlError::Empty { var });
    }
    let shown = || redact_url_text(text);
    let full = if has_scheme(text) {
        text.to_owned()
    } else {
        let host = text.rsplit_once('@').map_or(text, |(_, h)| h);
        let guess = GUESSED_SCHEMES.iter().find(|(prefix, _)| {
            host.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        });
        let scheme = guess.map_or("http", |(_, s)| s);
        format!("{scheme}://{text}")
    };
    let url = reqwest::Url::parse(&full).map_err(|reason| UrlError::Invalid {
        var,
        url: shown(),
        reason,
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme {
            var,
            url: shown(),
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost { var, url: shown() });
    }
    Ok(url)
}

/// curl's test for an explicit scheme: `[A-Za-z0-9+.-]+` then `:/`.
fn has_scheme(text: &str) -> bool {
    let n = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    n > 0 && text.as_bytes().get(n..n + 2) == Some(b":/")
}

/// A URL from configuration, as it may be printed: any userinfo replaced.
pub fn redact_url_text(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => text.split_at(i + 3),
        None => ("", text),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}****@{}", &rest[at + 1..]),
        None => text.to_owned(),
    }
}

static PLAIN_HTTP_WARNED: AtomicBool = AtomicBool::new(false);

/// Warns (once per process) that credentials are about to be sent over plain
/// HTTP to `url`, configured in `var`. Loopback hosts are exempt: the
/// traffic doesn't leave the machine (local stand-ins, sidecars).
pub fn warn_plain_http(url: &reqwest::Url, var: &str) {
    if url.scheme() != "http" || is_loopback(url) {
        return;
    }
    if PLAIN_HTTP_WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    tracing::warn!(
        "credentials will be sent over plain HTTP to `{}` (`{var}` is an http:// URL)\nhint: use https:// unless the network path is trusted",
        redact_url(url)
    );
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_less_urls_are_http_as_in_curl() {
        let u = parse_url("V", "localhost:8089").unwrap();
        assert_eq!(u.as_str(), "http://localhost:8089/");
        let u = parse_url("V", "host:9/v1/batch").unwrap();
        assert_eq!(u.as_str(), "http://host:9/v1/batch");
        let u = parse_url("V", "HTTPS://Splunk:8089").unwrap();
        assert_eq!(u.as_str(), "https://splunk:8089/");
        let u = parse_url("V", "mailto:x@y").unwrap();
        assert_eq!(u.host_str(), Some("y"));
    }

    #[test]
    fn url_problems_name_the_variable_and_hide_secrets() {
        let e = parse_url("SPLUNK_API_URL", "").unwrap_err();
        assert_eq!(e.to_string(), "`SPLUNK_API_URL` is empty");
        let e = parse_url("SPLUNK_API_URL", "ftp://u:secret@h/").unwrap_err();
        assert!(matches!(e, UrlError::Scheme { .. }), "{e}");
        assert!(e.to_string().contains("`SPLUNK_API_URL`"));
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = parse_url("X", "ftp.example.com:21").unwrap_err();
        assert!(matches!(e, UrlError::Scheme { .. }), "{e}");
        let e = parse_url("X", "http://u:secret@h:99999/").unwrap_err();
        assert!(matches!(e, UrlError::Invalid { .. }), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
