//! Proxies from the environment as curl picks them: over a matrix of
//! `https_proxy`/`HTTPS_PROXY`/`all_proxy`/`ALL_PROXY` and `no_proxy`/
//! `NO_PROXY` settings and two spellings of the target host, our client
//! goes through the recording CONNECT proxy exactly when the real curl
//! does. The decision is made per URL from the settings read when the
//! client is built, so the matrix runs in-process through
//! `proxy::ProxyEnv` with a client built the same way `http::client` builds
//! it.

use std::path::Path;

use segment_bridge_net::proxy::ProxyEnv;
use standins::proxy::ConnectProxy;
use standins::splunk::{Config, SplunkStandin};

const PROXY_VARS: &[&str] = &[
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "http_proxy",
];
const NO_PROXY: &[&str] = &[
    "",
    "127.0.0.1",
    "*",
    "localhost",
    ".localhost",
    "localhost.",
    "127.0.0.0/8",
    "127.0.0.0/24",
    "10.0.0.0/8",
    "0.0.1",
    "host",
    "other, localhost",
    "other 127.0.0.1",
    "*,other",
    "LOCALHOST",
];

/// Whether `curl URL` with `vars` went through `proxy`.
fn curl_uses(proxy: &ConnectProxy, url: &str, ca: &Path, vars: &[(&str, String)]) -> bool {
    let mut cmd = std::process::Command::new("/usr/bin/curl");
    cmd.args(["-s", "-o", "/dev/null", "--cacert"])
        .arg(ca)
        .arg(url)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (k, v)));
    cmd.status()
        .expect("these tests compare with the real curl: install it (apt-get install curl)");
    !proxy.tunnels().is_empty()
}

/// Whether our client, configured from `vars`, went through `proxy`.
fn we_use(proxy: &ConnectProxy, url: &str, ca_pem: &str, vars: &[(&str, String)]) -> bool {
    let env = ProxyEnv::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()));
    let client = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .proxy(reqwest::Proxy::custom(move |u| env.proxy_for(u)))
        .build()
        .unwrap();
    let _ = client.get(url).send();
    !proxy.tunnels().is_empty()
}

/// The settings to compare: every proxy variable alone, then every
/// `no_proxy` value (lowercase and uppercase names, and both at once).
fn matrix() -> Vec<Vec<(&'static str, &'static str)>> {
    let mut m: Vec<Vec<(&str, &str)>> = PROXY_VARS.iter().map(|v| vec![(*v, "PROXY")]).collect();
    for no in NO_PROXY {
        m.push(vec![("https_proxy", "PROXY"), ("no_proxy", no)]);
    }
    for no in &NO_PROXY[..4] {
        m.push(vec![("HTTPS_PROXY", "PROXY"), ("NO_PROXY", no)]);
    }
    m.push(vec![
        ("https_proxy", "PROXY"),
        ("no_proxy", ""),
        ("NO_PROXY", "*"),
    ]);
    m.push(vec![
        ("https_proxy", "PROXY"),
        ("no_proxy", "other"),
        ("NO_PROXY", "*"),
    ]);
    m.push(vec![("https_proxy", ""), ("ALL_PROXY", "PROXY")]);
    m.push(vec![("https_proxy", "127.0.0.1:PORT")]);
    m
}

#[test]
fn our_client_uses_the_proxy_exactly_when_curl_does() {
    let (ca, _dir, ca_file) = testkit::ca_file();
    let s = SplunkStandin::start_tls(Config::default(), &ca).unwrap();
    let port = s.url().rsplit(':').next().unwrap().to_owned();
    let mut differences = Vec::new();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{port}/services/server/info");
        for settings in matrix() {
            let mut seen = [false; 2];
            for (i, side) in seen.iter_mut().enumerate() {
                let proxy = ConnectProxy::start().unwrap();
                let proxy_port = proxy.url().rsplit(':').next().unwrap().to_owned();
                let vars: Vec<(&str, String)> = settings
                    .iter()
                    .map(|(k, v)| {
                        (
                            *k,
                            v.replace("PROXY", &proxy.url())
                                .replace("PORT", &proxy_port),
                        )
                    })
                    .collect();
                *side = if i == 0 {
                    curl_uses(&proxy, &url, &ca_file, &vars)
                } else {
                    we_use(&proxy, &url, ca.ca_pem(), &vars)
                };
            }
            if seen[0] != seen[1] {
                differences.push(format!(
                    "{url} {settings:?}: curl {}, ours {}",
                    seen[0], seen[1]
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
