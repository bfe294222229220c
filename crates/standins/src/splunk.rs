//! Splunk export and KV store stand-in.
//!
//! `POST /servicesNS/{user}/{app}/search/v2/jobs/export` answers each search
//! from an ordered list of [`Rule`]s (the first whose substring the search
//! contains), streaming the rule's rows with chunked encoding in small
//! pieces, after optional preview sets and a BOM, and fails on demand
//! ([`Fault`]): quota 503, other statuses, an ERROR/FATAL message inside a
//! 200 stream, an empty 200 body, a stream cut mid-line, a stream that ends
//! early, slow streams, a delay before answering, the first N attempts only.
//! Authentication as Splunk's: Basic, `Bearer` and `Splunk <key>`; anything
//! else gets 401 with Splunk's JSON body. A search that does not start with
//! `search` or `|` gets 400 with a FATAL message.
//!
//! The KV store part takes `DELETE` (everything, or what a `query` on
//! `_key` selects) and `batch_save` on
//! `/servicesNS/nobody/{app}/storage/collections/data/{collection}` with the
//! per-call document limit enforced (400 beyond it), and `GET` to read a
//! collection back (`fields`, `sort=_key`, `limit`, `skip`). Searches'
//! `|lookup` commands are evaluated against the collections
//! ([`crate::splunk_lookup`]), also while a map maker updates them; a
//! [`KvHook`] runs after each KV store write, before it is answered, so a
//! test can search between two batches.
//!
//! Every request is recorded (method, path, form fields, auth kind, never
//! the secret) for tests to assert on what went over the wire.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

pub use crate::faults::When;
use crate::recording::Credentials;
pub use crate::recording::{AuthKind, Recorded};
use crate::server::{self, Listen, RunningServer};
use crate::tls::TestCa;

/// One query kind of querygen's table, as the stand-in tells them apart.
/// Everything here comes from the table (`querygen::table::KINDS`): the
/// stand-in keeps no list of its own.
pub struct Kind {
    /// Same name as `querygen --name`.
    pub name: &'static str,
    /// A substring that only this kind's search contains, with or without
    /// lookups (`querygen::kind::Kind::marker`).
    pub marker: String,
    /// The result field and value that recognise this kind's rows in a
    /// dump: `event`, or `event_subject` for a kind without a fixed event
    /// name (`querygen::kind::Kind::row_key`).
    pub row: (&'static str, &'static str),
}

/// The query kinds, in querygen's order.
pub static KINDS: std::sync::LazyLock<Vec<Kind>> = std::sync::LazyLock::new(|| {
    querygen::table::KINDS
        .iter()
        .map(|k| Kind {
            name: k.name,
            marker: k.marker(),
            row: k.row_key(),
        })
        .collect()
});

/// Splunk's answer to a search without results.
pub const NO_RESULTS: &str = r#"{"preview":false,"lastrow":true}"#;

/// How an export request fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (503 carries Splunk's concurrency-quota
    /// message, others a generic one).
    Status(u16),
    /// 200, `after_rows` rows, then a `{"messages":[{"type":kind,…}]}` line
    /// and the end of the stream.
    Message { kind: String, after_rows: usize },
    /// 200 with an empty body.
    EmptyBody,
    /// 200, `after_rows` whole rows, half of the next line, then the
    /// connection is dropped (no final chunk).
    CutMidLine { after_rows: usize },
    /// 200, `after_rows` whole rows, then a clean end without the last row.
    EndEarly { after_rows: usize },
}

/// How a matching search is answered.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Substring of the search text that selects this rule.
    pub contains: String,
    /// Final lines, served byte for byte (`NO_RESULTS` when empty).
    pub rows: Vec<String>,
    /// Wait before answering (before the status line).
    pub delay: Duration,
    /// Wait after the headers, before the first byte of the body: the time
    /// the search takes to run, as with a real export.
    pub stream_delay: Duration,
    /// Wait between chunks; `None`: the server's.
    pub chunk_delay: Option<Duration>,
    pub fault: Option<Fault>,
    /// Which of this rule's requests the fault hits (numbered from 1 per
    /// rule); `Always` by default.
    pub when: When,
    /// Rows served to the requests the fault does not hit, as
    /// when a retried search's moving window returns other rows; `None`:
    /// `rows`.
    pub later_rows: Option<Vec<String>>,
}

impl Rule {
    pub fn new(contains: impl Into<String>, rows: Vec<String>) -> Rule {
        Rule {
            contains: contains.into(),
            rows,
            delay: Duration::ZERO,
            stream_delay: Duration::ZERO,
            chunk_delay: None,
            fault: None,
            when: When::Always,
            later_rows: None,
        }
    }

    /// Rows from a JSON-lines file (blank lines skipped).
    pub fn from_file(contains: impl Into<String>, path: &Path) -> std::io::Result<Rule> {
        Ok(Rule::new(contains, read_rows(path)?))
    }

    #[must_use]
    pub fn delay(mut self, d: Duration) -> Rule {
        self.delay = d;
        self
    }

    #[must_use]
    pub fn stream_delay(mut self, d: Duration) -> Rule {
        self.stream_delay = d;
        self
    }

    #[must_use]
    pub fn slow(mut self, chunk_delay: Duration) -> Rule {
        self.chunk_delay = Some(chunk_delay);
        self
    }

    #[must_use]
    pub fn fault(mut self, f: Fault) -> Rule {
        self.fault = Some(f);
        self
    }

    /// The fault hits only the first `n` requests of this rule.
    #[must_use]
    pub fn fail_first(mut self, n: u32) -> Rule {
        self.when = When::First(n.into());
        self
    }

    #[must_use]
    pub fn when(mut self, when: When) -> Rule {
        self.when = when;
        self
    }

    #[must_use]
    pub fn later_rows(mut self, rows: Vec<String>) -> Rule {
        self.later_rows = Some(rows);
        self
    }
}

/// The stand-in's behaviour.
#[derive(Debug, Clone)]
pub struct Config {
    /// Accepted Basic credentials.
    pub users: Vec<(String, String)>,
    /// Accepted `Bearer` tokens and `Splunk` session keys.
    pub tokens: Vec<String>,
    /// First match wins.
    pub rules: Vec<Rule>,
    /// For searches no rule matches.
    pub default_rows: Vec<String>,
    /// Start every 200 export body with a UTF-8 BOM.
    pub bom: bool,
    /// Preview sets (growing prefixes of the final rows, `"preview":true`)
    /// sent before the final rows.
    pub previews: usize,
    /// Bytes per chunk of a streamed body.
    pub chunk_size: usize,
    pub chunk_delay: Duration,
    /// `max_documents_per_batch_save`.
    pub kv_limit: usize,
    /// The first N KV store calls get `kv_fail_status` (a fault hitting
    /// `When::First(N)`).
    pub kv_fail_first: u32,
    pub kv_fail_status: u16,
    /// Serve only rows whose time lies in the search's window (and that
    /// have arrived by the clock): `crate::splunk_time`.
    pub time_aware: Option<crate::splunk_time::TimeAware>,
    /// Lookup definitions (`transforms.conf`, `external_type=kvstore`):
    /// name → KV store collection, for searches' `|lookup NAME …`.
    pub lookups: BTreeMap<String, String>,
    /// Runs after each KV store write is applied, before it is answered.
    pub kv_hook: Option<KvHook>,
}

/// A KV store write, as a [`KvHook`] sees it.
#[derive(Debug, Clone)]
pub struct KvWrite {
    /// `batch_save` or `delete`.
    pub op: &'static str,
    pub collection: String,
    /// Documents saved or deleted by the call.
    pub documents: usize,
}

/// Called (on a blocking thread) after each KV store write; the client gets
/// its answer only when the hook returns, so whatever the hook does (run
/// searches, look at the collection) happens between two of its calls.
#[derive(Clone)]
pub struct KvHook(pub Arc<dyn Fn(&KvWrite) + Send + Sync>);

impl std::fmt::Debug for KvHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KvHook")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            users: vec![("admin".into(), "changeme".into())],
            tokens: vec!["standin-token".into()],
            rules: Vec::new(),
            default_rows: Vec::new(),
            bom: false,
            previews: 0,
            chunk_size: 64,
            chunk_delay: Duration::ZERO,
            kv_limit: 1000,
            kv_fail_first: 0,
            kv_fail_status: 503,
            time_aware: None,
            lookups: BTreeMap::new(),
            kv_hook: None,
        }
    }
}

struct Inner {
    cfg: Config,
    hits: Vec<u32>,
    requests: Vec<Recorded>,
    kv_calls: u32,
    collections: BTreeMap<String, Collection>,
}

/// A KV store collection: documents in insertion order, indexed by `_key`.
#[derive(Default)]
struct Collection {
    docs: Vec<Value>,
    index: std::collections::HashMap<String, usize>,
}

impl Collection {
    /// Upserts `doc` by its `_key`, giving it one if it has none; returns
    /// the key.
    fn save(&mut self, mut doc: Value) -> String {
        let key = match doc.get("_key").and_then(Value::as_str) {
            Some(k) => k.to_owned(),
            None => {
                let k = format!("{:024x}", self.docs.len());
                if let Value::Object(m) = &mut doc {
                    m.insert("_key".into(), Value::String(k.clone()));
                }
                k
            }
        };
        self.upsert(key.clone(), doc);
        key
    }

    /// Removes the documents `keep` refuses; returns how many went.
    fn retain(&mut self, keep: impl Fn(&Value) -> bool) -> usize {
        let before = self.docs.len();
        self.docs.retain(|d| keep(d));
        self.index = self
            .docs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((d.get("_key")?.as_str()?.to_owned(), i)))
            .collect();
        before - self.docs.len()
    }

    fn upsert(&mut self, key: String, doc: Value) {
        match self.index.get(&key) {
            Some(&i) => self.docs[i] = doc,
            None => {
                self.index.insert(key, self.docs.len());
                self.docs.push(doc);
            }
        }
    }
}

/// Shared state of a running stand-in.
#[derive(Clone)]
pub struct Handle(Arc<Mutex<Inner>>);

impl Handle {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The export requests so far.
    pub fn exports(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/search/v2/jobs/export"))
            .collect()
    }

    /// The documents of a KV store collection.
    pub fn collection(&self, name: &str) -> Vec<Value> {
        self.lock()
            .collections
            .get(name)
            .map(|c| c.docs.clone())
            .unwrap_or_default()
    }

    /// Fills a collection directly (test set-up).
    pub fn set_collection(&self, name: &str, docs: Vec<Value>) {
        let mut c = Collection::default();
        for (i, d) in docs.into_iter().enumerate() {
            let key = d
                .get("_key")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{i:024x}"), str::to_owned);
            c.upsert(key, d);
        }
        self.lock().collections.insert(name.to_owned(), c);
    }
}

/// The router and its state handle (for running it elsewhere).
pub fn router(cfg: Config) -> (Router, Handle) {
    let hits = vec![0; cfg.rules.len()];
    let handle = Handle(Arc::new(Mutex::new(Inner {
        cfg,
        hits,
        requests: Vec::new(),
        kv_calls: 0,
        collections: BTreeMap::new(),
    })));
    let r = Router::new()
        .route(
            "/servicesNS/{user}/{app}/search/v2/jobs/export",
            post(export),
        )
        .route(
            "/servicesNS/{owner}/{app}/storage/collections/data/{collection}",
            get(kv_collection).delete(kv_collection),
        )
        .route(
            "/servicesNS/{owner}/{app}/storage/collections/data/{collection}/batch_save",
            post(kv_batch_save),
        )
        .with_state(handle.clone());
    (r, handle)
}

/// A running stand-in on 127.0.0.1 (port chosen by the OS).
pub struct SplunkStandin {
    server: RunningServer,
    handle: Handle,
}

impl SplunkStandin {
    /// Starts a stand-in on 127.0.0.1 (a free port), plain HTTP.
    pub fn spawn(cfg: Config) -> std::io::Result<SplunkStandin> {
        SplunkStandin::spawn_with(cfg, Listen::default())
    }

    /// Starts a stand-in as `listen` says (address, HTTPS).
    pub fn spawn_with(cfg: Config, listen: Listen) -> std::io::Result<SplunkStandin> {
        let (r, handle) = router(cfg);
        let server = server::spawn_router(r, listen)?;
        Ok(SplunkStandin { server, handle })
    }

    /// [`Self::spawn`].
    pub fn start(cfg: Config) -> std::io::Result<SplunkStandin> {
        SplunkStandin::spawn(cfg)
    }

    /// Over HTTPS, with a certificate for `127.0.0.1` issued by `ca`
    /// (clients trust it with `--ca-file`).
    pub fn start_tls(cfg: Config, ca: &TestCa) -> std::io::Result<SplunkStandin> {
        SplunkStandin::spawn_with(cfg, Listen::default().tls(ca)?)
    }

    /// `http://127.0.0.1:PORT`, the `SPLUNK_API_URL` to use.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.handle.requests()
    }

    pub fn exports(&self) -> Vec<Recorded> {
        self.handle.exports()
    }

    pub fn collection(&self, name: &str) -> Vec<Value> {
        self.handle.collection(name)
    }
}

fn messages_body(kind: &str, text: &str) -> String {
    serde_json::json!({"messages": [{"type": kind, "text": text}]}).to_string()
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Checks the `Authorization` header against the accepted credentials.
fn authenticate(cfg: &Config, headers: &HeaderMap) -> (AuthKind, bool) {
    let c = Credentials::of(headers);
    let ok = match &c.kind {
        AuthKind::Bearer | AuthKind::Splunk => cfg.tokens.contains(&c.secret),
        AuthKind::Basic { .. } => c
            .basic()
            .is_some_and(|(user, pass)| cfg.users.iter().any(|(u, p)| u == user && p == pass)),
        AuthKind::None | AuthKind::Other => false,
    };
    (c.kind, ok)
}

/// The request as recorded, with the verdict on its credentials.
fn record(cfg: &Config, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Recorded {
    let (auth, authorized) = authenticate(cfg, headers);
    Recorded {
        auth,
        authorized,
        ..Recorded::new(method, uri, headers).with_body(body)
    }
}

fn unauthorized() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        messages_body("ERROR", "Unauthorized"),
    )
}

/// What an export request gets, decided under the lock.
struct Plan {
    delay: Duration,
    kind: PlanKind,
}

enum PlanKind {
    Immediate(Response),
    Stream {
        body: Vec<u8>,
        /// Drop the connection after sending the body.
        abort: bool,
        first_delay: Duration,
        chunk_size: usize,
        chunk_delay: Duration,
    },
}

async fn export(
    State(h): State<Handle>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let plan = plan_export(&h, &method, &uri, &headers, &body);
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    match plan.kind {
        PlanKind::Immediate(r) => r,
        PlanKind::Stream {
            body,
            abort,
            first_delay,
            chunk_size,
            chunk_delay,
        } => stream_body(body, abort, first_delay, chunk_size, chunk_delay),
    }
}

/// What a search gets, from its rule (or the defaults).
struct Served {
    rows: Vec<String>,
    delay: Duration,
    first_delay: Duration,
    chunk_delay: Duration,
    fault: Option<Fault>,
}

fn plan_export(h: &Handle, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Plan {
    let mut g = h.lock();
    let mut rec = record(&g.cfg, method, uri, headers, body);
    let verdict = refusal(&rec);
    if let Some(resp) = verdict {
        rec.status = resp.status().as_u16();
        g.requests.push(rec);
        return Plan {
            delay: Duration::ZERO,
            kind: PlanKind::Immediate(resp),
        };
    }
    let mut served = served(&mut g, rec.param("search").unwrap_or_default());
    if let Some(t) = &g.cfg.time_aware {
        let rows = std::mem::take(&mut served.rows);
        served.rows = t.visible(rows, rec.param("earliest_time"), rec.param("latest_time"));
    }
    let search = rec.param("search").unwrap_or_default();
    let looked_up =
        crate::splunk_lookup::evaluate(search, std::mem::take(&mut served.rows), |def| {
            let coll = g.cfg.lookups.get(def)?;
            Some(g.collections.get(coll).map_or(&[][..], |c| &c.docs[..]))
        });
    match looked_up {
        Ok(rows) => served.rows = rows,
        Err(missing) => {
            // Splunk's answer to a search naming a lookup it has not got.
            tracing::warn!("splunk stand-in: no lookup definition `{}`", missing.0);
            g.requests.push(rec);
            return Plan {
                delay: Duration::ZERO,
                kind: PlanKind::Immediate((StatusCode::OK, Body::empty()).into_response()),
            };
        }
    }
    let delay = served.delay;
    let kind = match served.fault {
        Some(Fault::Status(s)) => {
            rec.status = s;
            PlanKind::Immediate(fault_status(s))
        }
        Some(Fault::EmptyBody) => {
            PlanKind::Immediate((StatusCode::OK, Body::empty()).into_response())
        }
        _ => stream_plan(&g.cfg, served),
    };
    g.requests.push(rec);
    Plan { delay, kind }
}

/// Why an export is refused before any search runs: credentials (401), or
/// a search that starts with neither `search` nor `|` (400).
fn refusal(rec: &Recorded) -> Option<Response> {
    if !rec.authorized {
        return Some(unauthorized());
    }
    if !rec.is_form() {
        return Some(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    let search = rec.param("search").unwrap_or_default().trim_start();
    if search.starts_with("search") || search.starts_with('|') {
        return None;
    }
    let first = search.split_whitespace().next().unwrap_or_default();
    Some(json_response(
        StatusCode::BAD_REQUEST,
        messages_body("FATAL", &format!("Unknown search command '{first}'.")),
    ))
}

/// The rule `search` matches, counted as one more request of it, and what
/// it serves this time.
fn served(g: &mut Inner, search: &str) -> Served {
    let Some(i) = g
        .cfg
        .rules
        .iter()
        .position(|r| search.contains(&r.contains))
    else {
        return Served {
            rows: g.cfg.default_rows.clone(),
            delay: Duration::ZERO,
            first_delay: Duration::ZERO,
            chunk_delay: g.cfg.chunk_delay,
            fault: None,
        };
    };
    g.hits[i] += 1;
    let r = &g.cfg.rules[i];
    let faulty = r.when.hits(g.hits[i].into());
    let rows = match (&r.later_rows, faulty) {
        (Some(later), false) => later.clone(),
        _ => r.rows.clone(),
    };
    Served {
        rows,
        delay: r.delay,
        first_delay: r.stream_delay,
        chunk_delay: r.chunk_delay.unwrap_or(g.cfg.chunk_delay),
        fault: r.fault.clone().filter(|_| faulty),
    }
}

/// Splunk's answer to a status fault: 503 with its concurrency-quota
/// message, others with a generic one.
fn fault_status(s: u16) -> Response {
    let status = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = if s == 503 {
        "Search not executed: The maximum number of concurrent historical searches for this user based on their role quota has been reached. concurrency_limit=3"
    } else {
        "Internal error"
    };
    json_response(status, messages_body("ERROR", text))
}

/// The body of a 200 export: BOM, previews, rows, and what a streaming
/// fault does to them.
fn stream_plan(cfg: &Config, served: Served) -> PlanKind {
    let rows = if served.rows.is_empty() {
        vec![NO_RESULTS.to_owned()]
    } else {
        served.rows
    };
    let mut body = Vec::new();
    if cfg.bom {
        body.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut abort = false;
    match served.fault {
        Some(Fault::Message { kind, after_rows }) => {
            push_lines(&mut body, rows.iter().take(after_rows));
            push_lines(
                &mut body,
                std::iter::once(&messages_body(&kind, "The search job was cancelled.")),
            );
        }
        Some(Fault::CutMidLine { after_rows }) => {
            push_lines(&mut body, rows.iter().take(after_rows));
            let next = rows.get(after_rows).map_or(NO_RESULTS, String::as_str);
            body.extend_from_slice(&next.as_bytes()[..next.len() / 2]);
            abort = true;
        }
        Some(Fault::EndEarly { after_rows }) => {
            push_lines(&mut body, rows.iter().take(after_rows));
        }
        Some(Fault::Status(_) | Fault::EmptyBody) | None => {
            let previews = previews(&rows, cfg.previews);
            push_lines(&mut body, previews.iter());
            push_lines(&mut body, rows.iter());
        }
    }
    PlanKind::Stream {
        body,
        abort,
        first_delay: served.first_delay,
        chunk_size: cfg.chunk_size.max(1),
        chunk_delay: served.chunk_delay,
    }
}

fn push_lines<'a>(body: &mut Vec<u8>, lines: impl Iterator<Item = &'a String>) {
    for l in lines {
        body.extend_from_slice(l.as_bytes());
        body.push(b'\n');
    }
}

/// `n` preview sets: growing prefixes of the final rows, marked
/// `"preview":true`, the last row of each set `"lastrow":true`.
fn previews(rows: &[String], n: usize) -> Vec<String> {
    let parsed: Vec<serde_json::Map<String, Value>> = rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(r).ok())
        .filter_map(|v| match v {
            Value::Object(m) if m.contains_key("result") => Some(m),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for set in 1..=n {
        let len = (parsed.len() * set).div_ceil(n + 1);
        for (i, row) in parsed.iter().take(len).enumerate() {
            let mut row = row.clone();
            row.insert("preview".into(), Value::Bool(true));
            row.insert("lastrow".into(), Value::Bool(i + 1 == len));
            out.push(Value::Object(row).to_string());
        }
    }
    out
}

fn stream_body(
    body: Vec<u8>,
    abort: bool,
    first_delay: Duration,
    chunk_size: usize,
    chunk_delay: Duration,
) -> Response {
    let body = Bytes::from(body);
    let stream =
        futures_util::stream::unfold((body, false, true), move |(rest, done, first)| async move {
            if done {
                return None;
            }
            if first && !first_delay.is_zero() {
                tokio::time::sleep(first_delay).await;
            }
            if rest.is_empty() {
                if abort {
                    // Let the server flush what was sent before the
                    // connection drops, so the client sees the partial line.
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                return abort.then(|| {
                    (
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "stand-in cuts the stream",
                        )),
                        (rest, true, false),
                    )
                });
            }
            if !chunk_delay.is_zero() {
                tokio::time::sleep(chunk_delay).await;
            }
            let n = chunk_size.min(rest.len());
            let chunk = rest.slice(..n);
            let rest = rest.slice(n..);
            Some((Ok(chunk), (rest, false, false)))
        });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Common checks of a KV store call: auth, injected failures, the
/// per-call document limit. Records it.
fn kv_gate(g: &mut Inner, mut rec: Recorded) -> Option<Response> {
    let verdict = if !rec.authorized {
        Some(unauthorized())
    } else if When::First(g.cfg.kv_fail_first.into()).hits(u64::from(g.kv_calls) + 1) {
        g.kv_calls += 1;
        let s =
            StatusCode::from_u16(g.cfg.kv_fail_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        Some(json_response(
            s,
            messages_body("ERROR", "KV Store is initializing"),
        ))
    } else if rec.documents.is_some_and(|n| n > g.cfg.kv_limit) {
        Some(json_response(
            StatusCode::BAD_REQUEST,
            messages_body(
                "ERROR",
                &format!(
                    "Request exceeds API limits - see limits.conf for details. (Too many documents for a single batch save, max_documents_per_batch_save={})",
                    g.cfg.kv_limit
                ),
            ),
        ))
    } else {
        None
    };
    if let Some(r) = &verdict {
        rec.status = r.status().as_u16();
    }
    g.requests.push(rec);
    verdict
}

/// What every KV store handler takes from a request: the collection named
/// in the path (`…/storage/collections/data/{collection}`)
/// and what [`record`] keeps.
struct KvCall {
    collection: String,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl KvCall {
    fn record(&self, cfg: &Config, body: &[u8]) -> Recorded {
        record(cfg, &self.method, &self.uri, &self.headers, body)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for KvCall {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let UrlPath((_owner, _app, collection)) =
            UrlPath::<(String, String, String)>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        Ok(KvCall {
            collection,
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

/// `GET` (read back: `fields`, `sort=_key`, `limit`, `skip`) and
/// `DELETE` (every document, or those a `query` selects) of a collection.
async fn kv_collection(State(h): State<Handle>, call: KvCall) -> Response {
    let (resp, write) = {
        let mut g = h.lock();
        let rec = call.record(&g.cfg, b"");
        let query = rec.query_param("query");
        let params = ["fields", "sort", "limit", "skip"].map(|p| rec.query_param(p));
        if let Some(r) = kv_gate(&mut g, rec) {
            return r;
        }
        let coll = call.collection.clone();
        if call.method == Method::DELETE {
            let n = match query.map(|q| KeyFilter::parse(&q)) {
                None => g.collections.remove(&coll).map_or(0, |c| c.docs.len()),
                Some(Some(filter)) => g
                    .collections
                    .get_mut(&coll)
                    .map_or(0, |c| c.retain(|d| !filter.matches(d))),
                Some(None) => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        messages_body("ERROR", "the stand-in takes only queries on `_key`"),
                    )
                }
            };
            (StatusCode::OK.into_response(), Some(("delete", coll, n)))
        } else {
            let docs = g
                .collections
                .get(&coll)
                .map(|c| c.docs.clone())
                .unwrap_or_default();
            let [fields, sort, limit, skip] = params;
            (
                json_response(
                    StatusCode::OK,
                    Value::Array(select(docs, fields, sort, limit, skip)).to_string(),
                ),
                None,
            )
        }
    };
    match write {
        Some((op, coll, n)) => finish_write(&h, resp, op, coll, n).await,
        None => resp,
    }
}

/// Runs the [`KvHook`], if any, before a write is answered.
async fn finish_write(
    h: &Handle,
    resp: Response,
    op: &'static str,
    collection: String,
    documents: usize,
) -> Response {
    let hook = h.lock().cfg.kv_hook.clone();
    if let Some(KvHook(f)) = hook {
        let w = KvWrite {
            op,
            collection,
            documents,
        };
        let _ = tokio::task::spawn_blocking(move || f(&w)).await;
    }
    resp
}

/// A listing as Splunk's `GET` gives it: sorted by `_key` when asked,
/// `skip` and `limit` applied, each document cut to `fields` (plus `_key`).
fn select(
    mut docs: Vec<Value>,
    fields: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
    skip: Option<String>,
) -> Vec<Value> {
    if sort.as_deref() == Some("_key") {
        docs.sort_by(|a, b| {
            let k = |d: &Value| {
                d.get("_key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            k(a).cmp(&k(b))
        });
    }
    let skip = skip.and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit = limit
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(usize::MAX);
    let fields: Option<Vec<String>> = fields.map(|f| f.split(',').map(str::to_owned).collect());
    docs.into_iter()
        .skip(skip)
        .take(limit)
        .map(|d| match (&fields, d) {
            (Some(fs), Value::Object(m)) => Value::Object(
                m.into_iter()
                    .filter(|(k, _)| k == "_key" || fs.contains(k))
                    .collect(),
            ),
            (_, d) => d,
        })
        .collect()
}

/// The KV store `query`s the stand-in understands: `{"_key":K}` and
/// `{"$or":[{"_key":K},…]}`.
struct KeyFilter(std::collections::HashSet<String>);

impl KeyFilter {
    fn parse(q: &str) -> Option<KeyFilter> {
        let v: Value = serde_json::from_str(q).ok()?;
        let clauses = match v.get("$or") {
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return None,
            None => vec![v],
        };
        clauses
            .iter()
            .map(|c| match c.as_object() {
                Some(m) if m.len() == 1 => m.get("_key")?.as_str().map(str::to_owned),
                _ => None,
            })
            .collect::<Option<_>>()
            .map(KeyFilter)
    }

    fn matches(&self, doc: &Value) -> bool {
        doc.get("_key")
            .and_then(Value::as_str)
            .is_some_and(|k| self.0.contains(k))
    }
}

async fn kv_batch_save(State(h): State<Handle>, call: KvCall, body: Bytes) -> Response {
    match save_batch(&h, call, &body) {
        (resp, Some((coll, n))) => finish_write(&h, resp, "batch_save", coll, n).await,
        (refused, None) => refused,
    }
}

/// A `batch_save` applied under the lock (with the collection and the
/// number of documents saved), or refused (`None`).
fn save_batch(h: &Handle, call: KvCall, body: &[u8]) -> (Response, Option<(String, usize)>) {
    let docs: Option<Vec<Value>> = serde_json::from_slice(body).ok();
    let mut g = h.lock();
    let rec = Recorded {
        documents: docs.as_ref().map(Vec::len),
        ..call.record(&g.cfg, body)
    };
    let coll = call.collection;
    if let Some(r) = kv_gate(&mut g, rec) {
        return (r, None);
    }
    let Some(docs) = docs else {
        if let Some(r) = g.requests.last_mut() {
            r.status = 400;
        }
        let r = json_response(
            StatusCode::BAD_REQUEST,
            messages_body("ERROR", "Request body must be a JSON array of documents"),
        );
        return (r, None);
    };
    let stored = g.collections.entry(coll.clone()).or_default();
    let keys: Vec<Value> = docs
        .into_iter()
        .map(|doc| Value::String(stored.save(doc)))
        .collect();
    let n = keys.len();
    (
        json_response(StatusCode::OK, Value::Array(keys).to_string()),
        Some((coll, n)),
    )
}

/// Lines of a JSON-lines file (blank lines skipped; a BOM is kept as data
/// would be, so don't put one in fixtures).
pub fn read_rows(path: &Path) -> std::io::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect())
}

/// Splits a dump of export rows (such as the bundled sample) by query kind,
/// so that each query gets its own rows. Rows of no known kind and lines
/// without `result` are left out. The last row of each kind is made the
/// last row of its set (`"lastrow":true`) if it is not already, as a real
/// response ends.
pub fn split_dump(text: &str) -> BTreeMap<&'static str, Vec<String>> {
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(r) = v.get("result") else { continue };
        // A row with an `event` belongs to the kind of that event; one
        // without, to the kind of its subject that has no fixed event.
        let kind = KINDS.iter().find(|k| match k.row {
            ("event", e) => r.get("event").and_then(Value::as_str) == Some(e),
            (field, v) => {
                r.get("event").is_none() && r.get(field).and_then(Value::as_str) == Some(v)
            }
        });
        if let Some(k) = kind {
            out.entry(k.name).or_default().push(line.to_owned());
        }
    }
    for rows in out.values_mut() {
        if let Some(last) = rows.last_mut() {
            if let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(last) {
                if m.get("lastrow") != Some(&Value::Bool(true)) {
                    m.insert("lastrow".into(), Value::Bool(true));
                    *last = Value::Object(m).to_string();
                }
            }
        }
    }
    out
}

/// One rule per query kind, serving the given rows (kinds without rows get
/// the no-results line).
pub fn rules_for_kinds(rows: &BTreeMap<&str, Vec<String>>) -> Vec<Rule> {
    KINDS
        .iter()
        .map(|k| Rule::new(&k.marker, rows.get(k.name).cloned().unwrap_or_default()))
        .collect()
}

/// The kind a search belongs to, by its marker.
pub fn kind_of(search: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|k| search.contains(&k.marker))
        .map(|k| k.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_growing_prefixes() {
        let rows: Vec<String> = (0..4)
            .map(|i| format!(r#"{{"preview":false,"offset":{i},"result":{{"i":"{i}"}}}}"#))
            .collect();
        let p = previews(&rows, 1);
        assert_eq!(p.len(), 2);
        assert!(p[0].contains(r#""preview":true"#) && p[1].contains(r#""lastrow":true"#));
        assert_eq!(previews(&rows, 3).len(), 1 + 2 + 3);
    }

    #[test]
    fn dump_split_by_kind_closes_each_set() {
        let dump = concat!(
            r#"{"preview":false,"offset":1,"lastrow":false,"result":{"event_subject":"applications"}}"#,
            "\n",
            r#"{"preview":false,"lastrow":true}"#,
            "\n",
            r#"{"preview":false,"offset":2,"result":{"event":"Release process done","event_subject":"releases"}}"#,
            "\n",
        );
        let m = split_dump(dump);
        assert_eq!(m.len(), 2);
        assert_eq!(
            m["application"][0],
            r#"{"preview":false,"offset":1,"lastrow":true,"result":{"event_subject":"applications"}}"#
        );
        assert!(m["release-done"][0].ends_with(r#""lastrow":true}"#));
        assert_eq!(rules_for_kinds(&m).len(), 8);
    }
}
