//! The blocking HTTP client every tool uses: rustls with verified TLS
//! (system roots, `SSL_CERT_FILE`, and an extra CA file), timeouts, proxies
//! as curl picks them ([`crate::proxy`]), and our user agent. How a URL is
//! read from the configuration is [`crate::urls`]'s (re-exported here).
//! Building requests and deciding about retries belong to the per-API
//! crates.

use std::path::{Path, PathBuf};
use std::time::Duration;

use segment_bridge_core::error::Error;

/// Building the HTTP client failed (bad CA file, TLS setup; exit 2, as
/// [`Error::Setup`]).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client")]
pub struct HttpSetup(#[source] pub reqwest::Error);

pub const USER_AGENT: &str = concat!("segment-bridge/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout; `None` for streams that may run long (Splunk
    /// export), which rely on `read_timeout` instead.
    pub timeout: Option<Duration>,
    pub connect_timeout: Duration,
    /// Extra PEM bundle of trusted CAs (`--ca-file`, `SEGMENT_BRIDGE_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Duration::from_secs(10),
            ca_file: None,
        }
    }
}

/// Builds the client. A CA file that can't be read or parsed is a
/// configuration error (exit 2).
pub fn client(cfg: &HttpConfig) -> Result<reqwest::blocking::Client, Error> {
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(cfg.connect_timeout)
        .timeout(cfg.timeout)
        .https_only(false)
        .use_rustls_tls();
    // Proxies as curl picks them (`crate::proxy`), not reqwest's own rules.
    let proxies = crate::proxy::ProxyEnv::from_env();
    proxies
        .validate()
        .map_err(|e| Error::config(e.to_string()))?;
    if !proxies.is_empty() {
        b = b.proxy(reqwest::Proxy::custom(move |url| proxies.proxy_for(url)));
    } else {
        b = b.no_proxy();
    }
    let env_ca = std::env::var_os(segment_bridge_core::env::SSL_CERT_FILE).map(PathBuf::from);
    for path in cfg.ca_file.iter().chain(env_ca.iter()) {
        for cert in load_pem_bundle(path)? {
            b = b.add_root_certificate(cert);
        }
    }
    b.build().map_err(|e| Error::setup(HttpSetup(e)))
}

fn load_pem_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let pem = std::fs::read(path).map_err(|source| Error::ReadConfigFile {
        path: path.to_owned(),
        source,
    })?;
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::setup(HttpSetup(e)))?;
    if certs.is_empty() {
        return Err(Error::config(format!(
            "no PEM certificate found in `{}`",
            path.display()
        )));
    }
    Ok(certs)
}

pub use crate::urls::{parse_url, redact_url, redact_url_text, warn_plain_http, UrlError};
