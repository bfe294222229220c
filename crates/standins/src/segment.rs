//! Segment batch API stand-in (the facts it follows: `docs/apis/segment.md`).
//!
//! `POST /v1/batch` with HTTP Basic auth (the write key as user name, an
//! empty password) and `Content-Type: application/json`. A body over
//! `max_body` bytes (500,000) or that is not `{"batch":[…]}` JSON gets a 400
//! and nothing of it is accepted. Otherwise the answer is 200, and events that
//! Segment would drop silently (32,000 bytes or more, no `userId` /
//! `anonymousId`, a `track` without `event`, a `messageId` over 100
//! characters, not an object, past the 2,500th) are recorded as dropped, the
//! rest as accepted, so that tests assert on what was actually delivered.
//!
//! A body sent with `Content-Encoding: gzip` is decompressed first; the
//! size limit applies to the uncompressed JSON. With `refuse_marked`, a batch
//! holding any event whose text contains the marker is refused whole with a
//! 400, as Segment refuses a request it does not like (the uploader's
//! bisection is tested against it).
//!
//! Faults are injected per request number (1-based, every request counts):
//! any status with an optional `Retry-After`, a connection closed without an
//! answer, or a slow answer; for the first N requests, every K-th, a seeded
//! random share, or always. The server is hyper's HTTP/1 connection driver
//! rather than axum, because closing a connection without an answer needs a
//! service that can fail, and a Router can't.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::value::RawValue;
use serde_json::Value;

pub use crate::faults::When;
use crate::recording::{AuthKind, Log, Recorded};
use crate::server::{Listen, RunningServer};

/// What the stand-in does to a request instead of (or before) answering it.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After: secs` when given); nothing
    /// is accepted.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Close the connection without answering; nothing is accepted.
    Drop,
    /// Wait this long, then handle the request normally.
    Slow(Duration),
    /// Answer with this status and `Retry-After` as an HTTP date this many
    /// seconds from now; nothing is accepted.
    StatusUntil { status: u16, in_secs: u64 },
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub when: When,
}

impl Fault {
    pub fn new(kind: FaultKind, when: When) -> Fault {
        Fault { kind, when }
    }

    /// A status fault.
    pub fn status(status: u16, when: When) -> Fault {
        Fault::new(
            FaultKind::Status {
                status,
                retry_after: None,
            },
            when,
        )
    }

    /// Parses `KIND[@WHEN]`: KIND is a status (`503`), `429+RA` (status with
    /// `Retry-After: RA` seconds), `429+date=S` (`Retry-After` as the HTTP
    /// date S seconds from now), `drop`, or `slow=MS`; WHEN is `first=N`,
    /// `every=K`, `random=SHARE[,seed=S]` or `always` (the default).
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let (kind, when) = spec.split_once('@').unwrap_or((spec, "always"));
        let bad = || {
            format!("bad fault `{spec}` (want e.g. `503@first=2`, `429+1@every=3`, `drop@random=0.2,seed=7`, `slow=300@first=1`)")
        };
        let kind = if kind == "drop" {
            FaultKind::Drop
        } else if let Some(ms) = kind.strip_prefix("slow=") {
            FaultKind::Slow(Duration::from_millis(ms.parse().map_err(|_| bad())?))
        } else if let Some((status, secs)) = kind.split_once("+date=") {
            let status: u16 = status.parse().map_err(|_| bad())?;
            if !(100..=599).contains(&status) {
                return Err(bad());
            }
            FaultKind::StatusUntil {
                status,
                in_secs: secs.parse().map_err(|_| bad())?,
            }
        } else {
            let (status, ra) = match kind.split_once('+') {
                Some((s, ra)) => (s, Some(ra.parse().map_err(|_| bad())?)),
                None => (kind, None),
            };
            let status: u16 = status.parse().map_err(|_| bad())?;
            if !(100..=599).contains(&status) {
                return Err(bad());
            }
            FaultKind::Status {
                status,
                retry_after: ra,
            }
        };
        let when = When::parse(when).map_err(|_| bad())?;
        Ok(Fault { kind, when })
    }
}

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct Config {
    pub write_key: String,
    /// Largest body accepted, bytes (Segment: 500,000).
    pub max_body: usize,
    /// Events of this many bytes or more are dropped (Segment: 32,000).
    pub max_event: usize,
    /// Events past this many in one batch are dropped (Segment: 2,500).
    pub max_events: usize,
    /// Checked in order; the first that hits a request applies (a `Slow`
    /// one delays and lets the next matching fault apply too).
    pub faults: Vec<Fault>,
    /// Keep accepted events in memory (off for long benchmarks).
    pub record_events: bool,
    /// Print each accepted event on stdout as a JSON line (the demo).
    pub print_events: bool,
    /// Serve HTTPS with this configuration (see [`crate::tls::TestCa`]).
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Refuse with 400 any batch holding an event whose JSON text contains
    /// this string.
    pub refuse_marked: Option<String>,
}

impl Config {
    pub fn new(write_key: impl Into<String>) -> Config {
        Config {
            write_key: write_key.into(),
            max_body: 500_000,
            max_event: 32_000,
            max_events: 2_500,
            faults: Vec::new(),
            record_events: true,
            print_events: false,
            tls: None,
            refuse_marked: None,
        }
    }

    #[must_use]
    pub fn fault(mut self, f: Fault) -> Config {
        self.faults.push(f);
        self
    }
}

/// What the stand-in has seen.
#[derive(Debug, Default, Clone)]
pub struct Received {
    /// Every request, whatever became of it.
    pub requests: u64,
    /// Size of every request body read (faulted and refused ones too).
    pub body_sizes: Vec<usize>,
    /// Requests answered 200.
    pub accepted_requests: u64,
    /// Events accepted, in arrival order (when `record_events`).
    pub events: Vec<Box<RawValue>>,
    /// Count of accepted events (also when not recorded).
    pub accepted_events: u64,
    /// Events Segment would have dropped silently, with the reason.
    pub dropped: Vec<(String, Box<RawValue>)>,
    /// Bytes of the bodies as they came (compressed ones compressed).
    pub wire_bytes: u64,
    /// Bytes of the bodies uncompressed.
    pub plain_bytes: u64,
    /// Requests that came with `Content-Encoding: gzip`.
    pub gzip_requests: u64,
}

impl Received {
    /// `messageId` of every accepted event, in arrival order.
    pub fn message_ids(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| {
                let v: Value = serde_json::from_str(e.get()).ok()?;
                v.get("messageId")?.as_str().map(str::to_owned)
            })
            .collect()
    }

    /// Accepted events as values.
    pub fn values(&self) -> Vec<Value> {
        self.events
            .iter()
            .filter_map(|e| serde_json::from_str(e.get()).ok())
            .collect()
    }
}

struct Shared {
    config: Config,
    received: Mutex<Received>,
}

impl Shared {
    fn received(&self) -> MutexGuard<'_, Received> {
        // A test thread that panicked while holding it leaves data that is
        // still good for reading.
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running Segment stand-in; stops when dropped.
pub struct SegmentStandin {
    server: RunningServer,
    shared: Arc<Shared>,
    log: Log,
}

impl SegmentStandin {
    /// Starts a stand-in on 127.0.0.1 with a free port.
    pub fn spawn(config: Config) -> std::io::Result<SegmentStandin> {
        SegmentStandin::spawn_on(config, crate::server::loopback())
    }

    /// Starts a stand-in on `addr`. Returns once the socket is bound.
    pub fn spawn_on(config: Config, addr: SocketAddr) -> std::io::Result<SegmentStandin> {
        let listen = Listen {
            addr,
            tls: config.tls.clone(),
        };
        let shared = Arc::new(Shared {
            config,
            received: Mutex::new(Received::default()),
        });
        let log = Log::default();
        let (served, logged) = (shared.clone(), log.clone());
        let server = crate::server::spawn_service(listen, move |req| {
            recorded(served.clone(), logged.clone(), req)
        })?;
        Ok(SegmentStandin {
            server,
            shared,
            log,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The batch endpoint, for `SEGMENT_BATCH_API`.
    pub fn url(&self) -> String {
        format!("{}/v1/batch", self.server.url())
    }

    /// Every request (without its body: see [`Received::body_sizes`]), in
    /// arrival order, with the status answered (0: closed unanswered).
    pub fn recorded(&self) -> Vec<Recorded> {
        self.log.all()
    }

    /// A copy of what was received so far.
    pub fn received(&self) -> Received {
        self.shared.received().clone()
    }

    /// `messageId`s of the accepted events, in arrival order.
    pub fn message_ids(&self) -> Vec<String> {
        self.shared.received().message_ids()
    }

    pub fn requests(&self) -> u64 {
        self.shared.received().requests
    }
}

/// [`handle`], recording the request and its answer.
async fn recorded(shared: Arc<Shared>, log: Log, req: Request<Incoming>) -> Answer {
    let mut rec = Recorded::new(req.method(), req.uri(), req.headers());
    if let AuthKind::Basic { user } = &mut rec.auth {
        // The user name is the write key.
        user.clear();
    }
    let answer = handle(shared, req).await;
    rec.status = answer.as_ref().map_or(0, |r| r.status().as_u16());
    rec.authorized = rec.status != 401;
    log.push(rec);
    answer
}

/// Returned by the service to make hyper close the connection unanswered.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

type Answer = Result<Response<Full<Bytes>>, DropConnection>;

fn answer(status: StatusCode, body: &'static str) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    Ok(r)
}

/// The answer of the first fault that hits request `n`, after the delays
/// of the slow ones.
async fn injected(shared: &Shared, n: u64) -> Option<Answer> {
    for fault in shared.config.faults.iter().filter(|f| f.when.hits(n)) {
        let (status, retry_after) = match fault.kind {
            FaultKind::Slow(d) => {
                tokio::time::sleep(d).await;
                continue;
            }
            FaultKind::Drop => return Some(Err(DropConnection)),
            FaultKind::StatusUntil { status, in_secs } => {
                let at = std::time::SystemTime::now() + Duration::from_secs(in_secs);
                let date = hyper::header::HeaderValue::from_str(&httpdate::fmt_http_date(at));
                (status, date.ok())
            }
            FaultKind::Status {
                status,
                retry_after,
            } => (status, retry_after.map(hyper::header::HeaderValue::from)),
        };
        let mut r = Response::new(Full::new(Bytes::from_static(b"fault injected")));
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(v) = retry_after {
            r.headers_mut().insert(hyper::header::RETRY_AFTER, v);
        }
        return Some(Ok(r));
    }
    None
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Answer {
    let n = {
        let mut r = shared.received();
        r.requests += 1;
        r.requests
    };
    let (parts, body) = req.into_parts();
    // Read the whole body first, as a server does before answering.
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(DropConnection),
    };
    {
        let mut r = shared.received();
        r.body_sizes.push(body.len());
        r.wire_bytes += body.len() as u64;
    }

    if let Some(faulted) = injected(&shared, n).await {
        return faulted;
    }

    if parts.uri.path() != "/v1/batch" {
        return answer(StatusCode::NOT_FOUND, "Not Found");
    }
    if parts.method != hyper::Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    if !authorized(
        &shared.config.write_key,
        parts.headers.get(hyper::header::AUTHORIZATION),
    ) {
        return answer(
            StatusCode::UNAUTHORIZED,
            r#"{"code":"unauthorized","message":"invalid write key"}"#,
        );
    }
    let json_type = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json_type {
        return answer(StatusCode::BAD_REQUEST, "Bad Request");
    }
    let Some(body) = decode(&parts.headers, body) else {
        return answer(StatusCode::BAD_REQUEST, "Bad Request");
    };
    shared.received().plain_bytes += body.len() as u64;
    if body.len() > shared.config.max_body {
        return answer(StatusCode::BAD_REQUEST, "Bad Request");
    }
    #[derive(serde::Deserialize)]
    struct Batch {
        batch: Vec<Box<RawValue>>,
    }
    let Ok(batch) = serde_json::from_slice::<Batch>(&body) else {
        return answer(StatusCode::BAD_REQUEST, "Bad Request");
    };
    if let Some(mark) = &shared.config.refuse_marked {
        if batch.batch.iter().any(|e| e.get().contains(mark.as_str())) {
            return answer(StatusCode::BAD_REQUEST, "Bad Request");
        }
    }
    let gzip = parts.headers.contains_key(hyper::header::CONTENT_ENCODING);
    accept(&shared, batch.batch, gzip);
    answer(StatusCode::OK, r#"{"success":true}"#)
}

/// The body uncompressed (`Content-Encoding: gzip`) or as it came; `None`
/// for an encoding we don't take or a body that does not decompress.
fn decode(headers: &hyper::HeaderMap, body: Bytes) -> Option<Bytes> {
    let Some(enc) = headers.get(hyper::header::CONTENT_ENCODING) else {
        return Some(body);
    };
    let enc = enc.to_str().ok()?.trim();
    if enc.eq_ignore_ascii_case("identity") {
        return Some(body);
    }
    if !enc.eq_ignore_ascii_case("gzip") {
        return None;
    }
    use std::io::Read as _;
    let mut out = Vec::with_capacity(body.len() * 4);
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut out)
        .ok()?;
    Some(Bytes::from(out))
}

fn authorized(write_key: &str, header: Option<&hyper::header::HeaderValue>) -> bool {
    let Some(token) = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return false;
    };
    decoded == format!("{write_key}:").as_bytes()
}

/// Why Segment would drop this event silently, if it would.
fn drop_reason(e: &RawValue, index: usize, config: &Config) -> Option<&'static str> {
    if e.get().len() >= config.max_event {
        return Some("event too large");
    }
    if index >= config.max_events {
        return Some("more than 2,500 events in the batch");
    }
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(e.get()) else {
        return Some("not an object");
    };
    let set = |k: &str| {
        !matches!(o.get(k), None | Some(Value::Null))
            && o.get(k) != Some(&Value::String(String::new()))
    };
    if !set("userId") && !set("anonymousId") {
        return Some("no userId or anonymousId");
    }
    if o.get("type").and_then(Value::as_str) == Some("track") && !set("event") {
        return Some("track without event");
    }
    if o.get("messageId")
        .and_then(Value::as_str)
        .is_some_and(|m| m.chars().count() > 100)
    {
        return Some("messageId over 100 characters");
    }
    None
}

fn accept(shared: &Shared, events: Vec<Box<RawValue>>, gzip: bool) {
    let config = &shared.config;
    let mut out = String::new();
    let mut r = shared.received();
    r.accepted_requests += 1;
    if gzip {
        r.gzip_requests += 1;
    }
    for (i, e) in events.into_iter().enumerate() {
        if let Some(reason) = drop_reason(&e, i, config) {
            r.dropped.push((reason.to_owned(), e));
            continue;
        }
        r.accepted_events += 1;
        if config.print_events {
            out.push_str(e.get());
            out.push('\n');
        }
        if config.record_events {
            r.events.push(e);
        }
    }
    if !out.is_empty() {
        use std::io::Write as _;
        // Printed while holding the lock, so batches don't interleave.
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(out.as_bytes())
            .and_then(|()| stdout.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(
        s: &SegmentStandin,
        auth: Option<(&str, &str)>,
        content_type: &str,
        body: &str,
    ) -> Result<u16, String> {
        let c = segment_bridge_net::http::client(&Default::default()).unwrap();
        let mut req = c
            .post(s.url())
            .header("content-type", content_type)
            .body(body.to_owned());
        if let Some((u, p)) = auth {
            req = req.basic_auth(u, Some(p));
        }
        req.send()
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string())
    }

    const OK: Option<(&str, &str)> = Some(("k", ""));
    const JSON: &str = "application/json";

    #[test]
    fn behaves_as_segment_does() {
        let s = SegmentStandin::spawn(Config::new("k")).unwrap();
        let ev =
            |id: &str| format!(r#"{{"messageId":"{id}","userId":"u","type":"track","event":"e"}}"#);
        let batch = |id: &str| format!(r#"{{"batch":[{}]}}"#, ev(id));
        let utf8 = "application/json; charset=utf-8";
        // Accepted; then refused whole: auth, content type, invalid JSON.
        for (auth, content_type, body, want) in [
            (OK, JSON, batch("a"), 200),
            (OK, utf8, batch("b"), 200),
            (None, JSON, batch("x"), 401),
            (Some(("k", "pw")), JSON, batch("x"), 401),
            (Some(("other", "")), JSON, batch("x"), 401),
            (OK, "text/plain", batch("x"), 400),
            (OK, JSON, format!(r#"{{"batch":[{}]"#, ev("x")), 400),
        ] {
            assert_eq!(post(&s, auth, content_type, &body), Ok(want), "{body}");
        }
        assert_eq!(post(&s, OK, JSON, r#"{"batch":{}}"#), Ok(400));
        let pad = "p".repeat(500_000);
        let big = format!(r#"{{"batch":[{}],"pad":"{pad}"}}"#, ev("x"));
        assert_eq!(post(&s, OK, JSON, &big), Ok(400));
        // Accepted with 200 but dropped silently.
        let dropped = format!(
            r#"{{"batch":[{{"type":"track","event":"e"}},{{"userId":"u","type":"track"}},[1],{{"userId":"u","messageId":"{}"}},{{"userId":"u","p":"{}"}},{}]}}"#,
            "m".repeat(101),
            "q".repeat(32_000),
            ev("c")
        );
        assert_eq!(post(&s, OK, JSON, &dropped), Ok(200));
        let many: Vec<String> = (0..2_501).map(|i| ev(&format!("n{i}"))).collect();
        assert_eq!(
            post(
                &s,
                OK,
                JSON,
                &format!(r#"{{"batch":[{}]}}"#, many.join(","))
            ),
            Ok(200)
        );
        let r = s.received();
        assert_eq!(r.requests, 11);
        assert_eq!(r.accepted_requests, 4);
        assert_eq!(r.body_sizes[8], big.len());
        let ids = r.message_ids();
        assert_eq!(&ids[..3], ["a", "b", "c"]);
        assert_eq!(ids.len(), 3 + 2_500);
        let reasons: Vec<&str> = r.dropped.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "no userId or anonymousId",
                "track without event",
                "not an object",
                "messageId over 100 characters",
                "event too large",
                "more than 2,500 events in the batch"
            ]
        );
    }

    #[test]
    fn injected_faults_happen() {
        let cfg = Config::new("k")
            .fault(Fault::parse("drop@first=1").unwrap())
            .fault(Fault::parse("429+3@first=2").unwrap());
        let s = SegmentStandin::spawn(cfg).unwrap();
        let body = r#"{"batch":[{"userId":"u"}]}"#;
        assert!(
            post(&s, OK, JSON, body).is_err(),
            "connection closed unanswered"
        );
        let c = segment_bridge_net::http::client(&Default::default()).unwrap();
        let r = c
            .post(s.url())
            .header("content-type", JSON)
            .basic_auth("k", Some(""))
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(r.headers()["retry-after"], "3");
        assert_eq!(post(&s, OK, JSON, body), Ok(200));
        assert_eq!(s.received().accepted_events, 1);
        let rec = s.recorded();
        let statuses: Vec<u16> = rec.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [0, 429, 200],
            "closed unanswered, refused, accepted"
        );
        assert!(rec.iter().all(|r| r.path == "/v1/batch"
            && r.auth
                == AuthKind::Basic {
                    user: String::new()
                }));
    }

    #[test]
    fn fault_specs() {
        assert_eq!(
            Fault::parse("503@first=2").unwrap(),
            Fault::status(503, When::First(2))
        );
        assert_eq!(
            Fault::parse("429+1@every=3").unwrap(),
            Fault::new(
                FaultKind::Status {
                    status: 429,
                    retry_after: Some(1)
                },
                When::Every(3)
            )
        );
        assert_eq!(
            Fault::parse("drop@random=0.5,seed=7").unwrap(),
            Fault::new(
                FaultKind::Drop,
                When::Random {
                    share: 0.5,
                    seed: 7
                }
            )
        );
        assert_eq!(
            Fault::parse("slow=300").unwrap(),
            Fault::new(FaultKind::Slow(Duration::from_millis(300)), When::Always)
        );
        assert!(Fault::parse("700").is_err());
        assert!(Fault::parse("503@sometimes").is_err());
    }
}
