//! Sending `query_range` requests: the bearer token (added in one place),
//! TLS with the service CA, proxies and the project's one retry policy
//! (429 and 5xx retried with backoff, `Retry-After` honoured; other 4xx
//! fail at once). Redirects are not followed: the gateway answers a token
//! it cannot authenticate with a 302 to its login page, which is a refusal,
//! not a page to fetch (docs/apis/loki.md, "Refusals").
//!
//! The token is read from its file at every request, so a projected service
//! account token that the kubelet rotates during a long backfill keeps
//! working.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use segment_bridge_net::http::{self, HttpConfig};
use segment_bridge_net::retry::{self, Attempt, Retried, RetryPolicy, Verdict};
use segment_bridge_net::Secret;

use super::request::{self, Page};
use super::response::{self, PageData};
use super::{Error, Refusal};

/// Where the bearer token comes from.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `LOKI_TOKEN`.
    Token(Secret),
    /// A file read at every request (the service account token).
    File(PathBuf),
}

impl Credentials {
    fn token(&self) -> Result<Secret, Error> {
        match self {
            Credentials::Token(t) => Ok(t.clone()),
            Credentials::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::TokenFile {
                    path: path.clone(),
                    source,
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(Error::EmptyToken { path: path.clone() });
                }
                Ok(Secret::new(token))
            }
        }
    }

    /// Fails early (exit 2) when the token can't be had at all.
    pub fn check(&self) -> Result<(), Error> {
        self.token().map(|_| ())
    }
}

/// Everything needed to talk to one tenant of one gateway.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The tenant's base URL (`…/api/logs/v1/audit`).
    pub base: Url,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    pub http: HttpConfig,
}

/// A client (blocking; share it between threads by reference).
#[derive(Debug, Clone)]
pub struct Client {
    cfg: ClientConfig,
    url: Url,
    http: reqwest::blocking::Client,
}

/// One page as received.
#[derive(Debug)]
pub struct Fetched {
    pub page: PageData,
    /// Bytes of the answer's body.
    pub bytes: u64,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, Error> {
        let http = http::client_with_redirects(&cfg.http, reqwest::redirect::Policy::none())?;
        let url = request::query_range_url(&cfg.base);
        Ok(Client { cfg, url, http })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The query URL with any userinfo removed, for messages.
    pub fn shown_url(&self) -> String {
        http::redact_url(&self.url)
    }

    /// One page, retried per the policy; `on_retry` sees each failure about
    /// to be retried with the retry number and the delay.
    pub fn query_range(
        &self,
        page: &Page<'_>,
        mut on_retry: impl FnMut(&Error, u32, Duration),
    ) -> Retried<Fetched, Error> {
        retry::run(
            &self.cfg.retry,
            |_| match self.once(page) {
                Ok(f) => Attempt::Done(f),
                Err(e) => classify(e),
            },
            |e, n, d| on_retry(e, n, d),
        )
    }

    fn once(&self, page: &Page<'_>) -> Result<Fetched, Error> {
        let token = self.cfg.credentials.token()?;
        let resp = self
            .http
            .get(self.url.clone())
            .query(&request::params(page))
            .bearer_auth(token.expose())
            .send()
            .map_err(|source| Error::Transport {
                url: self.shown_url(),
                source: source.without_url(),
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(self.refusal_or_status(resp));
        }
        let mut counted = Counted { inner: resp, n: 0 };
        let page = response::read(&mut counted)?;
        Ok(Fetched {
            page,
            bytes: counted.n,
        })
    }

    fn refusal_or_status(&self, resp: reqwest::blocking::Response) -> Error {
        let status = resp.status().as_u16();
        let why = match status {
            300..=399 => Some(Refusal::LoginRedirect),
            401 => Some(Refusal::Unauthenticated),
            403 => Some(Refusal::Forbidden),
            _ => None,
        };
        if let Some(why) = why {
            return Error::Refused {
                url: self.shown_url(),
                status,
                why,
            };
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after);
        let mut body = Vec::new();
        let _ = resp.take(4096).read_to_end(&mut body);
        let text: String = String::from_utf8_lossy(&body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(300)
            .collect();
        Error::Status {
            status,
            message: (!text.is_empty()).then_some(text),
            retry_after,
        }
    }
}

/// Whether a failed attempt is worth another.
fn classify<T>(e: Error) -> Attempt<T, Error> {
    let (verdict, retry_after) = match &e {
        Error::Status {
            status,
            retry_after,
            ..
        } => (retry::classify_status(*status), *retry_after),
        Error::Transport { source, .. } => (retry::classify_reqwest(source), None),
        // A 200 cut short or garbled on the way: often transient, and
        // bounded by the retry count.
        Error::Response(_) => (Verdict::Retry, None),
        _ => (Verdict::Fail, None),
    };
    verdict.attempt(e, retry_after)
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}
