//! Which proxy a Kubernetes client goes through, decided as kubectl
//! (client-go) decides it, so that a kubeconfig and environment that work
//! with `oc`/`kubectl` work with our tools too (`docs/configuration.md`).
//!
//! - A cluster's `proxy-url` in the kubeconfig is always used for that
//!   cluster; `NO_PROXY` does not apply to it.
//! - Otherwise the environment, as Go's `http.ProxyFromEnvironment` reads
//!   it: `HTTPS_PROXY` (else `https_proxy`) for an `https://` API server,
//!   `HTTP_PROXY` (else `http_proxy`) for `http://` (ignored when
//!   `REQUEST_METHOD` is set: a CGI environment controls that variable);
//!   a proxy without a scheme is `http://`.
//! - No proxy for `localhost` and loopback addresses, nor for hosts that
//!   `NO_PROXY` (else `no_proxy`) covers: a comma-separated list of `*`
//!   (everything), IP addresses and CIDR blocks, and domain names, where
//!   `example.com` covers it and its subdomains, `.example.com` and
//!   `*.example.com` only its subdomains, each optionally with `:port`.
//!
//! kube-rs reads the environment too, but checks `NO_PROXY` against the
//! proxy's address instead of the API server's; we replace its choice with
//! this one.

use std::net::IpAddr;

use segment_bridge_net::proxy::in_cidr;

/// Where the decision reads variables from (the process environment, or a
/// map in tests).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The proxy URL for an API server `scheme://host:port`, given the
/// cluster's `proxy-url` (if any), as text; `None`: connect directly.
pub fn choose(
    scheme: &str,
    host: &str,
    port: Option<u16>,
    proxy_url: Option<&str>,
    env: &dyn Env,
) -> Option<String> {
    if let Some(p) = proxy_url.filter(|p| !p.is_empty()) {
        return Some(p.to_owned());
    }
    let first = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| env.var(n).filter(|v| !v.is_empty()))
    };
    let proxy = match scheme {
        "https" => first(["HTTPS_PROXY", "https_proxy"]),
        "http" if env.var("REQUEST_METHOD").is_none() => first(["HTTP_PROXY", "http_proxy"]),
        _ => None,
    }?;
    let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    let no_proxy = first(["NO_PROXY", "no_proxy"]).unwrap_or_default();
    if !use_proxy(host, port, &no_proxy) {
        return None;
    }
    Some(if proxy.contains("://") {
        proxy
    } else {
        format!("http://{proxy}")
    })
}

/// Go's `useProxy`: false for loopback and for what `no_proxy` covers.
fn use_proxy(host: &str, port: u16, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return false;
    }
    let port = port.to_string();
    !no_proxy
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .any(|p| covers(&p, &host, ip, &port))
}

/// Whether one `NO_PROXY` entry covers `host:port`.
fn covers(entry: &str, host: &str, ip: Option<IpAddr>, port: &str) -> bool {
    if entry == "*" {
        return true;
    }
    if let Some((net, bits)) = entry.split_once('/') {
        return match (net.parse::<IpAddr>(), bits.parse::<u32>(), ip) {
            (Ok(net), Ok(bits), Some(ip)) => in_cidr(ip, net, bits),
            _ => false,
        };
    }
    let (phost, pport) = split_host_port(entry);
    let port_ok = pport.is_none_or(|p| p == port);
    if let Ok(pip) = phost.parse::<IpAddr>() {
        return ip == Some(pip) && port_ok;
    }
    if ip.is_some() || phost.is_empty() {
        return false;
    }
    let phost = phost.strip_prefix('*').unwrap_or(phost);
    let (suffix, match_host) = match phost.strip_prefix('.') {
        Some(_) => (phost.to_owned(), false),
        None => (format!(".{phost}"), true),
    };
    (host.ends_with(&suffix) || (match_host && host == &suffix[1..])) && port_ok
}

/// `host:port`, `[v6]:port` or a bare host.
fn split_host_port(entry: &str) -> (&str, Option<&str>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once("]:") {
            Some((h, p)) => (h, Some(p)),
            None => (rest.trim_end_matches(']'), None),
        };
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn via(
        server: (&str, &str, u16),
        vars: &'static [(&'static str, &'static str)],
    ) -> Option<String> {
        choose(server.0, server.1, Some(server.2), None, &env(vars))
    }

    const P: (&str, &str) = ("HTTPS_PROXY", "proxy:3128");

    #[test]
    fn the_kubeconfig_proxy_wins_and_ignores_no_proxy() {
        let e = env(&[("NO_PROXY", "*"), ("HTTPS_PROXY", "http://other:1")]);
        let got = choose("https", "127.0.0.1", Some(6443), Some("http://p:8"), &e);
        assert_eq!(got.as_deref(), Some("http://p:8"));
    }

    #[test]
    fn environment_by_scheme_uppercase_first() {
        let api = ("https", "api.example.com", 6443);
        assert_eq!(via(api, &[P]).as_deref(), Some("http://proxy:3128"));
        assert_eq!(
            via(
                api,
                &[
                    ("https_proxy", "http://low:1"),
                    ("HTTPS_PROXY", "http://up:1")
                ]
            )
            .as_deref(),
            Some("http://up:1")
        );
        assert_eq!(via(api, &[("HTTP_PROXY", "http://p:1")]), None);
        let plain = ("http", "api.example.com", 80);
        assert_eq!(
            via(plain, &[("http_proxy", "p:1")]).as_deref(),
            Some("http://p:1")
        );
        assert_eq!(
            via(plain, &[("HTTP_PROXY", "p:1"), ("REQUEST_METHOD", "GET")]),
            None
        );
    }

    #[test]
    fn loopback_and_no_proxy_go_direct() {
        assert_eq!(via(("https", "127.0.0.1", 6443), &[P]), None);
        assert_eq!(via(("https", "localhost", 6443), &[P]), None);
        assert_eq!(via(("https", "::1", 6443), &[P]), None);
        let covered = |host: &str, no: &'static str| {
            let vars: &'static [(&str, &str)] = Box::leak(Box::new([P, ("NO_PROXY", no)]));
            via(("https", host, 6443), vars).is_none()
        };
        assert!(covered("api.example.com", "*"));
        assert!(covered("api.example.com", "other, example.com"));
        assert!(covered("example.com", "example.com"));
        assert!(covered("api.example.com", ".example.com"));
        assert!(!covered("example.com", ".example.com"));
        assert!(covered("api.example.com", "*.example.com"));
        assert!(covered("api.example.com", "api.example.com:6443"));
        assert!(!covered("api.example.com", "api.example.com:443"));
        assert!(!covered("badexample.com", "example.com"));
        assert!(covered("10.1.2.3", "10.0.0.0/8"));
        assert!(!covered("11.1.2.3", "10.0.0.0/8"));
        assert!(covered("10.1.2.3", "10.1.2.3"));
        assert!(!covered("10.1.2.3", "10.1.2.3:443"));
        assert!(!covered("10.1.2.3", "1.2.3"));
        assert!(covered("fd00::1", "fd00::/8"));
        assert!(covered("API.Example.COM", "EXAMPLE.com"));
    }
}
