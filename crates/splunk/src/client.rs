//! Sending requests to Splunk: the HTTP client (timeouts, TLS, user agent),
//! credentials, status handling and the shared retry policy.
//!
//! # Retrying a query without duplicating rows
//!
//! Rows go out as they arrive (`docs/tools/fetch-uj-records.md`), so when an attempt fails half-way
//! its rows are already out. A retry can't just skip the first N rows of the
//! new response: `earliest_time=-4hours` is evaluated again, so the window
//! has moved, and the order and `offset` of rows can differ. Instead each
//! row is recognised by its `result` object (the whole line for the
//! no-results line; `offset` is outside `result`), kept as a 128-bit hash:
//! a row of a retry goes out only when the new response holds more copies of
//! it than have gone out so far. So every row goes out at most as many times
//! as one response holds it, and rows that only the failed attempt had are
//! real events that stay out. Memory: 16 bytes and a count per distinct row.
//!
//! # One refused login, not one per query
//!
//! Wrong credentials fail every request the same way, and a 401 is not
//! retried. So that running eight queries in parallel does not send eight
//! refused logins, a client (and its clones) sends its first request alone:
//! the others wait until that one's status is known. After a 401 nothing
//! more is sent ([`Error::NotSent`]); after any other answer requests go out
//! freely. A first request that gets no answer at all (connection refused)
//! lets the next one try.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufReader, Read};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Url;

use super::export::{ExportReader, StreamStats};
use super::request::{self, Search};
use super::{Credentials, Error};
use segment_bridge_net::http::{self, HttpConfig};
use segment_bridge_net::retry::{self, Attempt, RetryPolicy, Verdict};

/// Everything needed to talk to one Splunk.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `SPLUNK_API_URL`.
    pub api_url: Url,
    /// `SPLUNK_APP_NAME`.
    pub app: String,
    /// The `servicesNS` owner the searches run as (`nobody`, as the original).
    pub owner: String,
    pub credentials: Credentials,
    /// `SPLUNK_RETRIES` and the delays.
    pub retry: RetryPolicy,
    /// TLS (extra CA file) and the connect timeout; `timeout` is replaced by
    /// `read_timeout`.
    pub http: HttpConfig,
    /// How long a response may stay silent (waiting for headers, or between
    /// two reads of the body) before the attempt fails.
    pub read_timeout: Duration,
}

impl ClientConfig {
    /// Defaults: owner `nobody`, 3 retries, 300 s read timeout.
    pub fn new(api_url: Url, app: &str, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            api_url,
            app: app.to_owned(),
            owner: "nobody".to_owned(),
            credentials,
            retry: RetryPolicy::new(3),
            http: HttpConfig::default(),
            read_timeout: Duration::from_secs(300),
        }
    }
}

/// A Splunk REST client (blocking; share it between threads by reference).
#[derive(Debug, Clone)]
pub struct Client {
    cfg: ClientConfig,
    http: reqwest::blocking::Client,
    gate: Arc<AuthGate>,
}

/// What running one query did.
#[derive(Debug)]
pub struct QueryReport {
    /// `Err` when the query failed after its retries.
    pub result: Result<(), Error>,
    /// Lines handed to `emit` (result rows and no-results lines), over all
    /// attempts.
    pub emitted: u64,
    /// Result rows among them.
    pub rows: u64,
    /// Preview rows dropped, over all attempts.
    pub previews_dropped: u64,
    /// Rows of a retry not emitted because an earlier attempt had.
    pub duplicates_skipped: u64,
    pub retries: u32,
    /// Splunk's INFO/WARN messages of the last attempt.
    pub notes: Vec<String>,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, Error> {
        let mut http_cfg = cfg.http.clone();
        http_cfg.timeout = Some(cfg.read_timeout);
        let http = http::client(&http_cfg)?;
        Ok(Client {
            cfg,
            http,
            gate: Arc::default(),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// One attempt of an export search: the response checked for its status
    /// and turned into a reader of its final lines.
    pub fn export_once(&self, search: &Search) -> Result<ExportReader<BufReader<Response>>, Error> {
        let url = request::export_url(&self.cfg.api_url, &self.cfg.owner, &self.cfg.app);
        let rb = self
            .http
            .post(url.clone())
            .form(&request::export_form(search));
        let resp = self.send(rb, &url)?;
        Ok(ExportReader::new(BufReader::with_capacity(64 * 1024, resp)))
    }

    /// Runs `search` with retries, calling `emit` with each final line (no
    /// line terminator) as it arrives, never twice for the same row (see the
    /// module docs). `on_retry` sees each failed attempt about to be retried
    /// with the retry number and the delay. An `emit` error stops at once.
    pub fn export(
        &self,
        search: &Search,
        mut emit: impl FnMut(&[u8]) -> std::io::Result<()>,
        mut on_retry: impl FnMut(&Error, u32, Duration),
    ) -> QueryReport {
        let keyer = Keyer::new();
        let mut out_counts: HashMap<u128, u32> = HashMap::new();
        let mut report = QueryReport {
            result: Ok(()),
            emitted: 0,
            rows: 0,
            previews_dropped: 0,
            duplicates_skipped: 0,
            retries: 0,
            notes: Vec::new(),
        };
        let retried = retry::run(
            &self.cfg.retry,
            |_attempt| {
                let mut seen: HashMap<u128, u32> = HashMap::new();
                let mut reader = match self.export_once(search) {
                    Ok(r) => r,
                    Err(e) => return classify(e),
                };
                let res = loop {
                    match reader.next_line() {
                        Ok(Some(line)) => {
                            let key =
                                keyer.key(line.result.is_some(), line.result.unwrap_or(line.line));
                            let n_seen = seen.entry(key).or_insert(0);
                            *n_seen += 1;
                            let n_out = out_counts.entry(key).or_insert(0);
                            if *n_seen <= *n_out {
                                report.duplicates_skipped += 1;
                                continue;
                            }
                            if let Err(e) = emit(line.line) {
                                break Err(Error::Output(e));
                            }
                            *n_out += 1;
                            report.emitted += 1;
                            if line.result.is_some() {
                                report.rows += 1;
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(Error::Stream(e)),
                    }
                };
                let StreamStats {
                    previews_dropped,
                    notes,
                    ..
                } = reader.stats().clone();
                report.previews_dropped += previews_dropped;
                report.notes = notes;
                match res {
                    Ok(()) => Attempt::Done(()),
                    Err(e) => classify(e),
                }
            },
            |e, n, d| on_retry(e, n, d),
        );
        report.retries = retried.retries;
        report.result = retried.result;
        report
    }

    /// Sends a request (built afresh per attempt by `build`) with retries;
    /// returns the successful response and the number of retries.
    pub(crate) fn call(
        &self,
        url: &Url,
        build: impl Fn(&reqwest::blocking::Client) -> RequestBuilder,
        mut on_retry: impl FnMut(&Error, u32, Duration),
    ) -> (Result<Response, Error>, u32) {
        let r = retry::run(
            &self.cfg.retry,
            |_| match self.send(build(&self.http), url) {
                Ok(resp) => Attempt::Done(resp),
                Err(e) => classify(e),
            },
            |e, n, d| on_retry(e, n, d),
        );
        (r.result, r.retries)
    }

    /// Adds the credentials, sends, and turns a non-2xx answer into an error.
    fn send(&self, rb: RequestBuilder, url: &Url) -> Result<Response, Error> {
        let probe = self.gate.enter().ok_or_else(|| Error::NotSent {
            url: http::redact_url(url),
        })?;
        let resp = self
            .cfg
            .credentials
            .apply(rb)
            .send()
            .map_err(|source| Error::Transport {
                url: http::redact_url(url),
                source: source.without_url(),
            })?;
        let status = resp.status();
        probe.settle(status.as_u16() == 401);
        if status.is_success() {
            return Ok(resp);
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after);
        let message = first_message(resp);
        if status.as_u16() == 401 {
            return Err(Error::Unauthorized {
                url: http::redact_url(url),
                kind: self.cfg.credentials.kind(),
                message,
            });
        }
        Err(Error::Status {
            status: status.as_u16(),
            message,
            retry_after,
        })
    }
}

/// Whether a failed attempt is worth another.
fn classify<T>(e: Error) -> Attempt<T, Error> {
    let verdict = match &e {
        Error::Status { status, .. } => retry::classify_status(*status),
        Error::Transport { source, .. } => retry::classify_reqwest(source),
        // A 200 that failed: a cancelled search, a cut stream, Splunk's
        // empty answer. Often transient; bounded by the retry count.
        Error::Stream(_) => Verdict::Retry,
        _ => Verdict::Fail,
    };
    match (verdict, &e) {
        (Verdict::Retry, Error::Status { retry_after, .. }) => {
            let ra = *retry_after;
            Attempt::Retry(e, ra)
        }
        (Verdict::Retry, _) => Attempt::Retry(e, None),
        (Verdict::Fail, _) => Attempt::Fail(e),
    }
}

/// The text of the first message of a Splunk error body
/// (`{"messages":[{"type":…,"text":…}]}`), if it has one.
fn first_message(resp: Response) -> Option<String> {
    let mut body = Vec::new();
    resp.take(64 * 1024).read_to_end(&mut body).ok()?;
    #[derive(serde::Deserialize)]
    struct Body {
        messages: Vec<Msg>,
    }
    #[derive(serde::Deserialize)]
    struct Msg {
        #[serde(default)]
        text: String,
    }
    let b: Body = serde_json::from_slice(&body).ok()?;
    let text = b.messages.into_iter().next()?.text;
    let text: String = text.chars().take(500).collect();
    (!text.is_empty()).then_some(text)
}

/// 128-bit keys of rows: two SipHash-1-3 runs with independent random keys.
struct Keyer(
    std::collections::hash_map::RandomState,
    std::collections::hash_map::RandomState,
);

impl Keyer {
    fn new() -> Keyer {
        Keyer(Default::default(), Default::default())
    }

    fn key(&self, is_result: bool, bytes: &[u8]) -> u128 {
        let h = |s: &std::collections::hash_map::RandomState| {
            let mut h = s.build_hasher();
            h.write_u8(u8::from(is_result));
            h.write(bytes);
            h.finish()
        };
        (u128::from(h(&self.0)) << 64) | u128::from(h(&self.1))
    }
}

/// Lets one request through until the credentials are known to work (see
/// the module docs).
#[derive(Debug, Default)]
struct AuthGate {
    state: Mutex<Gate>,
    changed: Condvar,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// No answer yet; the next request probes.
    #[default]
    Unknown,
    /// A request is out; the others wait for its status.
    Probing,
    /// An answer other than 401 came: anything goes.
    Open,
    /// Splunk refused the credentials: nothing more is sent.
    Refused,
}

/// A request allowed through the gate; tells it how the request went.
struct Probe<'a> {
    gate: &'a AuthGate,
    /// This request is the probe (the gate waits for its outcome).
    probing: bool,
}

impl AuthGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `None` when the credentials were refused before.
    fn enter(&self) -> Option<Probe<'_>> {
        let mut g = self.lock();
        loop {
            match *g {
                Gate::Open => {
                    return Some(Probe {
                        gate: self,
                        probing: false,
                    })
                }
                Gate::Refused => return None,
                Gate::Unknown => {
                    *g = Gate::Probing;
                    return Some(Probe {
                        gate: self,
                        probing: true,
                    });
                }
                Gate::Probing => {
                    g = self.changed.wait(g).unwrap_or_else(|p| p.into_inner());
                }
            }
        }
    }
}

impl Probe<'_> {
    /// The request got an HTTP answer; `refused` when it was 401.
    fn settle(mut self, refused: bool) {
        let mut g = self.gate.lock();
        if refused {
            *g = Gate::Refused;
        } else if *g != Gate::Refused {
            *g = Gate::Open;
        }
        self.probing = false;
        self.gate.changed.notify_all();
    }
}

impl Drop for Probe<'_> {
    /// No answer (transport error): let the next request probe.
    fn drop(&mut self) {
        if self.probing {
            let mut g = self.gate.lock();
            if *g == Gate::Probing {
                *g = Gate::Unknown;
            }
            self.gate.changed.notify_all();
        }
    }
}
