//! The blocking HTTP client every tool uses: rustls with verified TLS
//! (system roots, `SSL_CERT_FILE`, and an extra CA file), timeouts, and our
//! user agent. Building requests and deciding about retries belong to the
//! per-API modules; this only builds the client.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;

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
    let env_ca = std::env::var_os(crate::env::SSL_CERT_FILE).map(PathBuf::from);
    for path in cfg.ca_file.iter().chain(env_ca.iter()) {
        for cert in load_pem_bundle(path)? {
            b = b.add_root_certificate(cert);
        }
    }
    b.build().map_err(Error::HttpSetup)
}

fn load_pem_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let pem = std::fs::read(path).map_err(|source| Error::ReadConfigFile {
        path: path.to_owned(),
        source,
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(Error::HttpSetup)?;
    if certs.is_empty() {
        return Err(Error::config(format!(
            "no PEM certificate found in `{}`",
            path.display()
        )));
    }
    Ok(certs)
}

/// The host of a URL, for netrc look-ups and log lines (never the userinfo).
pub fn host_of(url: &reqwest::Url) -> Option<&str> {
    url.host_str()
}

/// The URL with any userinfo removed, safe to print.
pub fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}
