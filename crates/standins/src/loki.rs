//! LokiStack gateway stand-in: `GET /api/logs/v1/{tenant}/loki/api/v1/query_range`
//! as docs/apis/loki.md describes it.
//!
//! - The gateway's tenancy: a request without a token the stand-in knows is
//!   sent to the login page (302, as the gateway does when it cannot
//!   authenticate a token); a known token without read access to the tenant
//!   gets 403; tenants other than `application`, `infrastructure` and
//!   `audit` are 404.
//! - Loki's `query_range` for log queries: `query` (the LogQL subset of
//!   [`crate::loki_query`]), `limit` (default 100, more than
//!   `max_entries_limit_per_query` is a 400 with Loki's message), `start`
//!   inclusive and `end` exclusive (nanosecond epochs, seconds with a
//!   fraction, or RFC 3339; defaults: an hour ago and now), `direction`
//!   (`backward` by default): the `limit` entries nearest to the start
//!   (forward) or the end (backward) over all selected streams, answered as
//!   `streams` with nanosecond timestamps as strings. A range longer than
//!   `max_query_length` is a 400.
//! - Faults ([`Fault`]) on a schedule ([`When`]): any status with Loki's
//!   text body and an optional `Retry-After`, or a 200 whose body stops
//!   half-way.
//! - Every request is recorded (path, query string, auth kind, status).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::faults::Schedule;
pub use crate::faults::When;
use crate::loki_query;
use crate::recording::{AuthKind, Credentials, Log, Recorded};
use crate::server::{self, Listen, RunningServer};

/// The tenants of the `openshift-logging` tenancy mode.
pub const TENANTS: [&str; 3] = ["application", "infrastructure", "audit"];

/// One stored log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub tenant: String,
    pub labels: BTreeMap<String, String>,
    /// Nanoseconds since the Unix epoch.
    pub ts: i64,
    pub line: String,
}

/// How a request fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// This status with a text body, and `Retry-After: secs` when given.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// 200, and the body stops half-way (the connection then ends).
    CutBody,
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            retry_after: None,
        }
    }
}

/// The stand-in's behaviour.
#[derive(Debug, Clone)]
pub struct Config {
    pub entries: Vec<Entry>,
    /// Accepted bearer tokens, each with the tenants it may read.
    pub tokens: Vec<(String, Vec<String>)>,
    /// `max_entries_limit_per_query`.
    pub max_limit: u32,
    /// `max_query_length`.
    pub max_query_length: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            entries: Vec::new(),
            tokens: vec![("standin-token".into(), TENANTS.map(String::from).to_vec())],
            max_limit: 5000,
            max_query_length: Duration::from_secs(721 * 3600),
        }
    }
}

struct Inner {
    cfg: Config,
    faults: Schedule<Fault>,
}

/// Shared state of a running stand-in.
#[derive(Clone)]
pub struct Handle {
    inner: Arc<Mutex<Inner>>,
    log: Log,
}

impl Handle {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.all()
    }

    /// Query requests that were answered 200.
    pub fn answered(&self) -> Vec<Recorded> {
        self.log.filter(|r| r.status == 200)
    }

    /// Adds a fault hitting the requests `when` says, counted from now.
    pub fn fail(&self, fault: Fault, when: When) {
        self.lock().faults.add(fault, when);
    }

    /// Stores more lines.
    pub fn push(&self, entries: impl IntoIterator<Item = Entry>) {
        self.lock().cfg.entries.extend(entries);
    }
}

/// The router and its handle.
pub fn router(cfg: Config) -> (Router, Handle) {
    let handle = Handle {
        inner: Arc::new(Mutex::new(Inner {
            cfg,
            faults: Schedule::default(),
        })),
        log: Log::default(),
    };
    let r = Router::new()
        .route(
            "/api/logs/v1/{tenant}/loki/api/v1/query_range",
            get(query_range),
        )
        .with_state(handle.clone());
    (r, handle)
}

/// A running Loki stand-in.
pub struct LokiStandin {
    server: RunningServer,
    handle: Handle,
}

impl LokiStandin {
    /// Plain HTTP on a free loopback port.
    pub fn spawn(cfg: Config) -> std::io::Result<LokiStandin> {
        LokiStandin::spawn_with(cfg, Listen::default())
    }

    pub fn spawn_with(cfg: Config, listen: Listen) -> std::io::Result<LokiStandin> {
        let (r, handle) = router(cfg);
        let server = server::spawn_router(r, listen)?;
        Ok(LokiStandin { server, handle })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The base URL of a tenant, the `LOKI_URL` to use
    /// (`…/api/logs/v1/audit`).
    pub fn tenant_url(&self, tenant: &str) -> String {
        format!("{}/api/logs/v1/{tenant}", self.url())
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// Stored lines from ClusterLogForwarder records (one JSON object per
/// line, as the collector writes them to the store): the tenant is the
/// record's `log_type`, the labels are those of the LokiStack output's
/// ViaQ data model (`log_type`, `openshift_log_type`, `kubernetes_host`,
/// `k8s_node_name`), the time is `@timestamp` (else the event's
/// `requestReceivedTimestamp`, `stageTimestamp` or `timestamp`). The line
/// is stored as written. Lines that are not such records are skipped.
pub fn entries_from_records(text: &str) -> Vec<Entry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            let log_type = v.get("log_type")?.as_str()?.to_owned();
            let ts = [
                "@timestamp",
                "requestReceivedTimestamp",
                "stageTimestamp",
                "timestamp",
            ]
            .iter()
            .find_map(|k| v.get(*k)?.as_str()?.parse::<jiff::Timestamp>().ok())?;
            let host = v
                .get("hostname")
                .and_then(Value::as_str)
                .unwrap_or("standin-node")
                .to_owned();
            let labels = BTreeMap::from([
                ("k8s_node_name".to_owned(), host.clone()),
                ("kubernetes_host".to_owned(), host),
                ("log_type".to_owned(), log_type.clone()),
                ("openshift_log_type".to_owned(), log_type.clone()),
            ]);
            Some(Entry {
                tenant: log_type,
                labels,
                ts: i64::try_from(ts.as_nanosecond()).ok()?,
                line: l.trim_end_matches('\r').to_owned(),
            })
        })
        .collect()
}

/// Raw API-server audit events (one per line) stored as the collector
/// stores them (ClusterLogForwarder's ViaQ form, docs/apis/loki.md): the
/// event's fields at the top level with `level` moved to `k8s_audit_level`
/// and set to `default`, plus `@timestamp` (the event's
/// `requestReceivedTimestamp`), `hostname` = `node`, `log_type` `audit`,
/// `log_source` `kubeAPI` and `openshift.cluster_id`. Lines that are not
/// JSON objects are skipped.
pub fn entries_from_audit_events(text: &str, node: &str) -> Vec<Entry> {
    let records: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let Value::Object(mut m) = serde_json::from_str::<Value>(l).ok()? else {
                return None;
            };
            let ts = m.get("requestReceivedTimestamp")?.clone();
            let level = m.remove("level").unwrap_or(Value::Null);
            m.insert("level".into(), json!("default"));
            m.insert("k8s_audit_level".into(), level);
            m.insert("@timestamp".into(), ts);
            m.insert("hostname".into(), json!(node));
            m.insert("log_type".into(), json!("audit"));
            m.insert("log_source".into(), json!("kubeAPI"));
            m.insert("openshift".into(), json!({"cluster_id": "standin-cluster"}));
            serde_json::to_string(&m).ok()
        })
        .collect();
    entries_from_records(&records.join("\n"))
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

async fn query_range(
    State(h): State<Handle>,
    UrlPath(tenant): UrlPath<String>,
    RawQuery(raw): RawQuery,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut rec = Recorded::new(&method, &uri, &headers);
    let creds = Credentials::of(&headers);
    let resp = answer(&h, &tenant, raw.as_deref().unwrap_or(""), &creds);
    rec.authorized = !matches!(resp.status().as_u16(), 302 | 401 | 403);
    rec.status = resp.status().as_u16();
    h.log.push(rec);
    resp
}

fn answer(h: &Handle, tenant: &str, raw: &str, creds: &Credentials) -> Response {
    if !TENANTS.contains(&tenant) {
        return text(StatusCode::NOT_FOUND, "404 page not found\n");
    }
    let mut inner = h.lock();
    let token_tenants = (creds.kind == AuthKind::Bearer)
        .then(|| inner.cfg.tokens.iter().find(|(t, _)| *t == creds.secret))
        .flatten()
        .map(|(_, ts)| ts.clone());
    let Some(allowed) = token_tenants else {
        let location = format!(
            "/openshift/{tenant}/login?route=/api/logs/v1/{tenant}/loki/api/v1/query_range"
        );
        return (
            StatusCode::FOUND,
            [(header::LOCATION, location)],
            "failed to find token\n",
        )
            .into_response();
    };
    if !allowed.iter().any(|t| t == tenant) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let fault = inner.faults.hit().first().map(|f| (*f).clone());
    if let Some(Fault::Status {
        status,
        retry_after,
    }) = &fault
    {
        let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match status {
            429 => "too many outstanding requests\n",
            _ => "stand-in fault\n",
        };
        let mut r = text(code, body);
        if let Some(s) = retry_after {
            if let Ok(v) = s.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        return r;
    }
    let params: BTreeMap<String, String> = form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let body = match select(&inner.cfg, tenant, &params) {
        Ok(b) => b,
        Err(msg) => return text(StatusCode::BAD_REQUEST, msg),
    };
    drop(inner);
    let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
    if fault == Some(Fault::CutBody) {
        bytes.truncate(bytes.len() / 2);
    }
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// A time parameter as Loki reads it: an integer is nanoseconds, a number
/// with a fraction is seconds, anything else RFC 3339.
fn time_param(v: &str) -> Result<i64, String> {
    if let Ok(ns) = v.parse::<i64>() {
        return Ok(ns);
    }
    if let Ok(s) = v.parse::<f64>() {
        return Ok((s * 1e9) as i64);
    }
    v.parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| i64::try_from(t.as_nanosecond()).ok())
        .ok_or_else(|| format!("cannot parse \"{v}\" to a valid timestamp"))
}

fn select(cfg: &Config, tenant: &str, p: &BTreeMap<String, String>) -> Result<Value, String> {
    let query = p
        .get("query")
        .ok_or("parse error : syntax error: unexpected $end")?;
    let q = loki_query::parse(query)?;
    let limit: u32 = match p.get("limit") {
        Some(l) => l.parse().map_err(|_| format!("invalid limit `{l}`"))?,
        None => 100,
    };
    if limit > cfg.max_limit {
        return Err(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > {})",
            cfg.max_limit
        ));
    }
    let now = i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX);
    let end = p
        .get("end")
        .map(|v| time_param(v))
        .transpose()?
        .unwrap_or(now);
    let start = p
        .get("start")
        .map(|v| time_param(v))
        .transpose()?
        .unwrap_or(end - 3_600_000_000_000);
    if end <= start {
        return Err("end timestamp must not be before or equal to start time".into());
    }
    let max_len = i64::try_from(cfg.max_query_length.as_nanos()).unwrap_or(i64::MAX);
    if end - start > max_len {
        return Err(format!(
            "the query time range exceeds the limit (query length: {}s, limit: {}s)",
            (end - start) / 1_000_000_000,
            max_len / 1_000_000_000
        ));
    }
    let forward = match p.get("direction").map(String::as_str) {
        None | Some("backward" | "BACKWARD") => false,
        Some("forward" | "FORWARD") => true,
        Some(d) => return Err(format!("invalid direction `{d}`")),
    };
    let mut hits: Vec<&Entry> = cfg
        .entries
        .iter()
        .filter(|e| e.tenant == tenant && e.ts >= start && e.ts < end)
        .filter(|e| q.selects(&e.labels) && q.keeps(&e.line))
        .collect();
    // Stable: entries of one stream and nanosecond keep their order.
    hits.sort_by(|a, b| (a.ts, &a.labels).cmp(&(b.ts, &b.labels)));
    if !forward {
        hits.reverse();
    }
    hits.truncate(limit as usize);
    let mut streams: Vec<(&BTreeMap<String, String>, Vec<Value>)> = Vec::new();
    for e in hits {
        let pair = json!([e.ts.to_string(), e.line]);
        match streams.iter_mut().find(|(l, _)| *l == &e.labels) {
            Some((_, v)) => v.push(pair),
            None => streams.push((&e.labels, vec![pair])),
        }
    }
    let result: Vec<Value> = streams
        .into_iter()
        .map(|(l, v)| json!({"stream": l, "values": v}))
        .collect();
    Ok(json!({
        "status": "success",
        "data": {"resultType": "streams", "result": result, "stats": {}}
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: i64, node: &str, line: &str) -> Entry {
        Entry {
            tenant: "audit".into(),
            labels: BTreeMap::from([
                ("log_type".to_owned(), "audit".to_owned()),
                ("k8s_node_name".to_owned(), node.to_owned()),
            ]),
            ts,
            line: line.into(),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn limits_directions_and_bounds() {
        let cfg = Config {
            entries: vec![
                entry(30, "m1", "c"),
                entry(10, "m2", "a"),
                entry(20, "m1", "b"),
                entry(40, "m2", "d"),
            ],
            max_limit: 3,
            ..Config::default()
        };
        let q = r#"{log_type="audit"}"#;
        let v = select(
            &cfg,
            "audit",
            &params(&[
                ("query", q),
                ("start", "10"),
                ("end", "40"),
                ("limit", "2"),
                ("direction", "forward"),
            ]),
        )
        .unwrap();
        let result = &v["data"]["result"];
        assert_eq!(result[0]["values"], json!([["10", "a"]]));
        assert_eq!(result[1]["values"], json!([["20", "b"]]));
        let v = select(
            &cfg,
            "audit",
            &params(&[("query", q), ("start", "10"), ("end", "40"), ("limit", "3")]),
        )
        .unwrap();
        assert_eq!(
            v["data"]["result"][0]["values"],
            json!([["30", "c"], ["20", "b"]])
        );
        let e = select(&cfg, "audit", &params(&[("query", q), ("limit", "4")])).unwrap_err();
        assert_eq!(
            e,
            "max entries limit per query exceeded, limit > max_entries_limit_per_query (4 > 3)"
        );
        assert!(select(
            &cfg,
            "audit",
            &params(&[("query", q), ("start", "5"), ("end", "5")])
        )
        .is_err());
    }

    #[test]
    fn raw_events_are_wrapped_as_the_collector_wraps_them() {
        let raw = r#"{"kind":"Event","level":"RequestResponse","verb":"create","requestReceivedTimestamp":"2024-03-03T08:00:00.000001Z","n":1.50}"#;
        let e = entries_from_audit_events(raw, "m0");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].ts, 1_709_452_800_000_001_000);
        let v: Value = serde_json::from_str(&e[0].line).unwrap();
        assert_eq!(v["level"], "default");
        assert_eq!(v["k8s_audit_level"], "RequestResponse");
        assert_eq!(v["log_source"], "kubeAPI");
        assert!(e[0].line.contains(r#""n":1.50"#), "numbers as written");
    }

    #[test]
    fn records_become_entries_with_the_viaq_labels() {
        let recs = r#"{"log_type":"audit","hostname":"m1","@timestamp":"2023-11-20T07:59:03.061790Z","verb":"create"}
not json
{"log_type":"infrastructure","message":"x","@timestamp":"2023-11-20T07:59:03Z"}"#;
        let e = entries_from_records(recs);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].ts, 1_700_467_143_061_790_000);
        assert_eq!(e[0].labels["k8s_node_name"], "m1");
        assert_eq!(e[1].tenant, "infrastructure");
    }
}
