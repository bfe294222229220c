//! Sending one request body to Segment's batch API, with the project's one
//! retry policy (`crate::retry`, docs/delivery.md): connection errors,
//! timeouts, 408, 410, 429, 460 and 5xx but 501/505 are retried with
//! jittered exponential backoff; `Retry-After` (seconds or an HTTP date) is
//! honoured on any of them without using up the retry budget, and one time
//! ceiling per batch (`--max-retry-time`) bounds it all. Any other 4xx fails
//! at once. A body is resent unchanged, so Segment's `messageId` dedup makes
//! a retry after a lost answer harmless. With `--gzip` the body goes out
//! compressed (`Content-Encoding: gzip`); its limits are still counted on
//! the uncompressed JSON, as Segment's libraries count them.
//!
//! The write key goes on the wire in exactly one place, [`Client::authorize`],
//! as a header value marked sensitive; any text the server sends back is
//! scrubbed of it before it reaches an error message.

use std::borrow::Cow;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};

use super::credentials::{self, Credentials};
use segment_bridge_core::env;
use segment_bridge_net::http::{self, HttpConfig};
use segment_bridge_net::retry::{self, Attempt, GaveUp, Retried, RetryPolicy, Verdict};
use segment_bridge_net::secret::Secret;

/// The command-line options every Segment-sending tool shares.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Segment batch API URL (EU workspaces:
    /// https://events.eu1.segmentapis.com/v1/batch).
    #[arg(long = "api-url", env = env::SEGMENT_BATCH_API, default_value = env::SEGMENT_BATCH_API_DEFAULT, value_parser = |s: &str| http::parse_url(env::SEGMENT_BATCH_API, s))]
    pub api_url: reqwest::Url,

    /// Retries of a failed request after its first attempt.
    #[arg(long, env = env::SEGMENT_RETRIES, default_value_t = 3)]
    pub retries: u32,

    /// netrc file holding the write key as the login of the API host's entry
    /// [default: $HOME/.netrc]. `SEGMENT_WRITE_KEY` in the environment
    /// overrides it (never pass the key as an argument: `ps` shows those).
    #[arg(long = "netrc-file", env = env::CURL_NETRC)]
    pub netrc: Option<PathBuf>,

    /// Extra PEM file of trusted CA certificates (`SSL_CERT_FILE` is honoured
    /// too).
    #[arg(long = "ca-file", env = env::CA_FILE, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Timeout of one request attempt (`30s`, `2m`, or seconds).
    #[arg(long = "timeout", env = env::SEGMENT_TIMEOUT, default_value = "60s", value_name = "DURATION", value_parser = segment_bridge_core::duration::duration_secs_f64)]
    pub timeout_secs: f64,

    /// Total time one batch may take, in seconds, its retries and the waits
    /// the server asks for included; then the batch fails.
    #[arg(long = "max-retry-time", env = env::SEGMENT_MAX_RETRY_TIME, default_value_t = 600.0)]
    pub max_retry_secs: f64,

    /// Gzip request bodies (`Content-Encoding: gzip`). The size limits still
    /// apply to the uncompressed body.
    #[arg(long, env = env::SEGMENT_GZIP, value_parser = clap::builder::BoolishValueParser::new(),
          num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    pub gzip: bool,

    /// The write key from `SEGMENT_WRITE_KEY` (environment only).
    #[arg(skip = credentials::write_key_from_env())]
    pub write_key: Option<Secret>,
}

impl ClientArgs {
    /// Finds the credentials and builds the configuration (exit 2 on error).
    pub fn config(&self) -> Result<ClientConfig, segment_bridge_core::Error> {
        let explicit = self.netrc.as_ref().filter(|p| !p.as_os_str().is_empty());
        let netrc = explicit
            .cloned()
            .or_else(segment_bridge_net::netrc::default_path);
        let credentials = credentials::resolve(
            &self.api_url,
            self.write_key.clone(),
            netrc.as_deref(),
            explicit.is_some(),
        )?;
        http::warn_plain_http(&self.api_url, env::SEGMENT_BATCH_API);
        let seconds = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(segment_bridge_core::Error::config(format!(
                    "{what} must be a positive number of seconds (`{v}`)"
                )))
            }
        };
        let timeout = seconds("timeout", self.timeout_secs)?;
        let ceiling = seconds("max-retry-time", self.max_retry_secs)?;
        Ok(ClientConfig {
            url: self.api_url.clone(),
            credentials,
            policy: RetryPolicy::new(self.retries).with_ceiling(ceiling),
            gzip: self.gzip,
            http: HttpConfig {
                timeout: Some(timeout),
                ca_file: self.ca_file.clone(),
                ..HttpConfig::default()
            },
        })
    }
}

/// Everything a [`Client`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub url: reqwest::Url,
    pub credentials: Credentials,
    pub policy: RetryPolicy,
    /// Gzip request bodies.
    pub gzip: bool,
    pub http: HttpConfig,
}

/// Why a request failed (after its retries, if it was worth retrying).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("Segment answered {status}{}", fmt_body(body))]
    Status { status: u16, body: String },
    #[error("request to Segment failed")]
    Transport(#[source] reqwest::Error),
    #[error("cannot gzip the request body")]
    Gzip(#[source] std::io::Error),
}

fn fmt_body(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" (`{body}`)")
    }
}

impl SendError {
    /// 400: Segment refused the request whole (for a batch that passed our
    /// checks: something in one of its events it does not like).
    pub fn is_refusal(&self) -> bool {
        matches!(self, SendError::Status { status: 400, .. })
    }

    /// 401/403: the write key is wrong; every other request will fail too.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            SendError::Status {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// What [`Client::send`] returns: the bytes that went on the wire (the
/// body, compressed with `--gzip`) and how many retries it took.
pub type Sent = Retried<usize, SendError>;

/// A Segment batch API client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::blocking::Client,
    url: reqwest::Url,
    auth: HeaderValue,
    /// To scrub it from server-sent text.
    write_key: Secret,
    policy: RetryPolicy,
    gzip: bool,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, segment_bridge_core::Error> {
        let http = http::client(&cfg.http)?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            cfg.credentials.write_key.expose(),
            cfg.credentials.password.expose()
        ));
        let mut auth = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
            segment_bridge_core::Error::config("the write key cannot be sent in a header")
        })?;
        auth.set_sensitive(true);
        Ok(Client {
            http,
            url: cfg.url,
            auth,
            write_key: cfg.credentials.write_key,
            policy: cfg.policy,
            gzip: cfg.gzip,
        })
    }

    /// The API URL, without any userinfo, for messages.
    pub fn url(&self) -> String {
        http::redact_url(&self.url)
    }

    /// The one place the credentials go on a request.
    fn authorize(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        req.header(AUTHORIZATION, self.auth.clone())
    }

    /// POSTs `body` (a whole `{"batch":[…]}` document), retrying per the
    /// policy; `on_retry` sees each failed attempt about to be retried.
    pub fn send_with(
        &self,
        body: &[u8],
        mut on_retry: impl FnMut(&SendError, u32, Duration),
    ) -> Sent {
        let wire = match self.encode(body) {
            Ok(w) => w,
            Err(e) => return Retried::once(Err(SendError::Gzip(e))),
        };
        let r = retry::run(
            &self.policy,
            |_| self.attempt(&wire),
            |e, n, d| on_retry(e, n, d),
        );
        if let Some(why @ GaveUp::Ceiling { .. }) = r.gave_up {
            tracing::warn!("{why} (--max-retry-time)");
        }
        Retried {
            result: r.result.map(|()| wire.len()),
            retries: r.retries,
            gave_up: r.gave_up,
        }
    }

    /// [`Client::send_with`], logging retries as warnings.
    pub fn send(&self, body: &[u8]) -> Sent {
        let max = self.policy.retries;
        self.send_with(body, |e, n, d| {
            tracing::warn!(
                retry = n, error = %segment_bridge_core::error::chain(e), delay_seconds = d.as_secs_f64(),
                "{}; retry {n} (budget {max}) in {:.1}s",
                segment_bridge_core::error::chain(e),
                d.as_secs_f64()
            );
        })
    }

    /// The bytes that go on the wire for `body`.
    fn encode<'a>(&self, body: &'a [u8]) -> std::io::Result<Cow<'a, [u8]>> {
        if !self.gzip {
            return Ok(Cow::Borrowed(body));
        }
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        gz.write_all(body)?;
        gz.finish().map(Cow::Owned)
    }

    fn attempt(&self, body: &[u8]) -> Attempt<(), SendError> {
        let mut req = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        let started = std::time::Instant::now();
        let resp = match self.authorize(req).send() {
            Ok(r) => r,
            Err(e) => {
                let verdict = retry::classify_reqwest(&e);
                let err = SendError::Transport(e.without_url());
                return match verdict {
                    Verdict::Retry => Attempt::Retry(err, None),
                    Verdict::Fail => Attempt::Fail(err),
                };
            }
        };
        let status = resp.status();
        tracing::debug!(
            bytes = body.len(),
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "sent {} bytes: {} in {} ms",
            body.len(),
            status.as_u16(),
            started.elapsed().as_millis()
        );
        if status.is_success() {
            // Read the (undocumented) answer so the connection can be reused;
            // the events are accepted whatever it says.
            let _ = resp.bytes();
            return Attempt::Done(());
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after);
        let text = resp.text().unwrap_or_default();
        let err = SendError::Status {
            status: status.as_u16(),
            body: self.excerpt(&text),
        };
        match retry::classify_status(status.as_u16()) {
            Verdict::Retry => Attempt::Retry(err, retry_after),
            Verdict::Fail => Attempt::Fail(err),
        }
    }

    /// The start of a server's answer, on one line, without the write key.
    fn excerpt(&self, text: &str) -> String {
        let mut s: String = text
            .chars()
            .take(200)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let key = self.write_key.expose();
        if !key.is_empty() {
            s = s.replace(key, "****");
        }
        s.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let c = Client::new(ClientConfig {
            url: reqwest::Url::parse("http://127.0.0.1:9/v1/batch").unwrap(),
            credentials: Credentials::from_write_key(Secret::new("SEKRIT-KEY")),
            policy: RetryPolicy::new(0),
            gzip: false,
            http: HttpConfig::default(),
        })
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("SEKRIT"), "{dbg}");
        assert!(!dbg.contains(&base64::engine::general_purpose::STANDARD.encode("SEKRIT-KEY:")));
        assert_eq!(c.excerpt("bad key SEKRIT-KEY\n"), "bad key ****");
    }
}
