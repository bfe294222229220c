//! Proxies for the HTTP client, chosen from the environment exactly as curl
//! chooses them, because the original scripts were curl and the CronJobs'
//! proxy settings were written for it. The differential test
//! `tests/it/proxy_curl.rs` runs the real curl and our client through a
//! recording CONNECT proxy over a matrix of settings and compares.
//!
//! - The proxy for a URL is `<scheme>_proxy` (for https also
//!   `HTTPS_PROXY`; for http only the lowercase `http_proxy`, as curl
//!   refuses `HTTP_PROXY`, which a CGI request can set), else `all_proxy`
//!   or `ALL_PROXY`. A variable set to nothing counts as not set (so an
//!   empty `no_proxy` lets `NO_PROXY` apply); a proxy without a scheme is
//!   `http://`.
//! - `no_proxy` (else `NO_PROXY`) lists hosts that go direct, separated by
//!   commas or blanks: `*` alone means every host; a name covers itself
//!   and its subdomains (a leading or trailing dot is ignored, so
//!   `.example.com` also covers `example.com`); an IP address covers
//!   itself and `ADDR/BITS` a CIDR block (IP hosts only match those).
//!   Ports play no part. Loopback hosts are not special (curl proxies them
//!   too).

use std::net::IpAddr;

/// The proxy settings of the environment, read once.
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    /// Each proxy with the name of the variable it came from.
    http: Option<(&'static str, String)>,
    https: Option<(&'static str, String)>,
    all: Option<(&'static str, String)>,
    no_proxy: String,
}

/// A proxy variable that holds no usable URL.
#[derive(Debug, thiserror::Error)]
#[error("`{var}` is not a valid proxy URL (`{url}`): {reason}")]
pub struct ProxyUrlError {
    pub var: &'static str,
    pub url: String,
    pub reason: url::ParseError,
}

impl ProxyEnv {
    /// Reads the process environment.
    pub fn from_env() -> ProxyEnv {
        ProxyEnv::from_lookup(|n| std::env::var(n).ok())
    }

    /// Reads through `var` (tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        // As curl's getenv: a variable set to nothing is not set.
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|&n| var(n).filter(|v| !v.is_empty()).map(|v| (n, v)))
        };
        ProxyEnv {
            http: first(&["http_proxy"]),
            https: first(&["https_proxy", "HTTPS_PROXY"]),
            all: first(&["all_proxy", "ALL_PROXY"]),
            no_proxy: first(&["no_proxy", "NO_PROXY"])
                .map(|(_, v)| v)
                .unwrap_or_default(),
        }
    }

    /// Whether any proxy is configured at all.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.all.is_none()
    }

    /// Checks that every configured proxy is a URL (curl refuses to run
    /// with a bad one; without this check the client would silently go
    /// direct).
    pub fn validate(&self) -> Result<(), ProxyUrlError> {
        for (var, value) in [&self.http, &self.https, &self.all].into_iter().flatten() {
            reqwest::Url::parse(&with_scheme(value)).map_err(|reason| ProxyUrlError {
                var,
                url: crate::urls::redact_url_text(value),
                reason,
            })?;
        }
        Ok(())
    }

    /// The proxy URL (text, scheme added) for `url`, or `None` for a direct
    /// connection.
    pub fn proxy_for(&self, url: &reqwest::Url) -> Option<String> {
        let (_, proxy) = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }
        .or(self.all.as_ref())?;
        let host = url.host_str()?;
        if no_proxy_covers(&self.no_proxy, host) {
            return None;
        }
        Some(with_scheme(proxy))
    }
}

/// A proxy without a scheme is an `http://` proxy.
fn with_scheme(proxy: &str) -> String {
    if proxy.contains("://") {
        proxy.to_owned()
    } else {
        format!("http://{proxy}")
    }
}

/// curl's `no_proxy` match of `host` (a URL's host, IPv6 in brackets).
pub fn no_proxy_covers(no_proxy: &str, host: &str) -> bool {
    if no_proxy.eq_ignore_ascii_case("*") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ip = bare.parse::<IpAddr>().ok();
    let name = bare.strip_suffix('.').unwrap_or(bare);
    no_proxy
        .split([',', ' ', '\t'])
        .filter(|t| !t.is_empty())
        .any(|token| match ip {
            Some(ip) => ip_covers(token, ip),
            None => name_covers(token, name),
        })
}

fn name_covers(token: &str, name: &str) -> bool {
    let token = token.strip_suffix('.').unwrap_or(token);
    let token = token.strip_prefix('.').unwrap_or(token);
    if token.len() == name.len() {
        return token.eq_ignore_ascii_case(name);
    }
    token.len() < name.len()
        && name.as_bytes()[name.len() - token.len() - 1] == b'.'
        && name[name.len() - token.len()..].eq_ignore_ascii_case(token)
}

/// `ADDR` or `ADDR/BITS`; as in curl, bits 0 (or none) means the whole
/// address.
fn ip_covers(token: &str, ip: IpAddr) -> bool {
    let (addr, bits) = match token.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().unwrap_or(0)),
        None => (token, 0),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    let width = if net.is_ipv4() { 32 } else { 128 };
    in_cidr(ip, net, if bits == 0 { width } else { bits })
}

/// Whether `ip` is in the block `net/bits` (`bits` 0: every address of
/// that family). Different families never match; `bits` past the address
/// width never match.
pub fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> ProxyEnv {
        ProxyEnv::from_lookup(|n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn via(e: &ProxyEnv, url: &str) -> Option<String> {
        e.proxy_for(&reqwest::Url::parse(url).unwrap())
    }

    #[test]
    fn variables_by_scheme_as_curl() {
        let e = env(&[("HTTPS_PROXY", "p:1"), ("HTTP_PROXY", "up:2")]);
        assert_eq!(via(&e, "https://h/").as_deref(), Some("http://p:1"));
        assert_eq!(
            via(&e, "http://h/"),
            None,
            "uppercase HTTP_PROXY is ignored"
        );
        let e = env(&[
            ("http_proxy", "http://low:2"),
            ("ALL_PROXY", "http://all:3"),
        ]);
        assert_eq!(via(&e, "http://h/").as_deref(), Some("http://low:2"));
        assert_eq!(via(&e, "https://h/").as_deref(), Some("http://all:3"));
        let e = env(&[
            ("https_proxy", "http://low:1"),
            ("HTTPS_PROXY", "http://up:1"),
        ]);
        assert_eq!(via(&e, "https://h/").as_deref(), Some("http://low:1"));
        assert!(env(&[("https_proxy", "")]).is_empty());
        let e = env(&[("HTTPS_PROXY", "http://u:secret@[bad")])
            .validate()
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`HTTPS_PROXY` is not a valid proxy URL"),
            "{e}"
        );
        assert!(!e.to_string().contains("secret"), "{e}");
        env(&[("all_proxy", "proxy:3128")]).validate().unwrap();
    }

    #[test]
    fn no_proxy_matching_as_curl() {
        assert!(no_proxy_covers("*", "anything"));
        assert!(no_proxy_covers("example.com", "example.com"));
        assert!(no_proxy_covers("example.com", "api.Example.com"));
        assert!(no_proxy_covers(".example.com", "example.com"));
        assert!(!no_proxy_covers("example.com", "badexample.com"));
        assert!(no_proxy_covers("a, b example.com", "x.example.com."));
        assert!(no_proxy_covers("10.0.0.0/8", "10.1.2.3"));
        assert!(!no_proxy_covers("10.0.0.0/8", "11.1.2.3"));
        assert!(no_proxy_covers("127.0.0.1", "127.0.0.1"));
        assert!(!no_proxy_covers("127.0.0.1", "localhost"));
        assert!(!no_proxy_covers("0.0.1", "127.0.0.1"));
        assert!(no_proxy_covers("::1", "[::1]"));
        assert!(!no_proxy_covers("*,x", "h"));
    }
}
