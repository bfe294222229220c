//! Kubernetes API stand-in: enough of an API server for kube-rs and kubectl to
//! list `UserSignup`s and `Namespace`s and to publish ConfigMaps.
//!
//! It serves the discovery documents (`/version`, `/api`, `/apis`,
//! `/api/v1`, `/apis/toolchain.dev.openshift.com/v1alpha1`), lists with label
//! selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!`exists, comma lists)
//! and `limit`/`continue` pagination (with `remainingItemCount` when no
//! selector is given, as the real server does), single GETs, and for any of
//! its resources create (POST), replace (PUT), delete, JSON merge patch and
//! server-side apply (`PATCH` with `application/apply-patch+yaml`; the body
//! must be JSON, which is valid YAML). A ConfigMap over 1 MiB is refused with
//! 422 as the real validation does. Errors are `Status` objects.
//!
//! Several instances are several clusters. Each can require a bearer token,
//! serve HTTPS with a certificate from a generated CA ([`TestCa`]), and fail
//! on demand: every request with a status (a dead cluster), the next N
//! resource requests, a delay on each request, and expired continue tokens
//! (410 Gone, on the next N continued lists or after a [`KubeStandin::compact`]).
//! It records every request so that tests assert on what went over the wire;
//! [`write_kubeconfig`] writes a kubeconfig referencing one or several of them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::server::{self, RunningServer};

/// The API group of `UserSignup`.
pub const TOOLCHAIN_GROUP: &str = "toolchain.dev.openshift.com";
/// The version of [`TOOLCHAIN_GROUP`] served.
pub const TOOLCHAIN_VERSION: &str = "v1alpha1";
/// What the real validation allows in a ConfigMap's data (keys and values).
pub const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;

/// A resource type the stand-in serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
}

impl ResourceDef {
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

pub const NAMESPACES: ResourceDef = ResourceDef {
    group: "",
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    singular: "namespace",
    namespaced: false,
    short_names: &["ns"],
};
pub const CONFIGMAPS: ResourceDef = ResourceDef {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    singular: "configmap",
    namespaced: true,
    short_names: &["cm"],
};
pub const USERSIGNUPS: ResourceDef = ResourceDef {
    group: TOOLCHAIN_GROUP,
    version: TOOLCHAIN_VERSION,
    kind: "UserSignup",
    plural: "usersignups",
    singular: "usersignup",
    namespaced: true,
    short_names: &[],
};
const RESOURCES: [ResourceDef; 3] = [NAMESPACES, CONFIGMAPS, USERSIGNUPS];

const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    /// The status the stand-in answered with.
    pub status: u16,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The decoded value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(&self.query).remove(name)
    }
}

type Key = (String, String); // (namespace or "", name)

#[derive(Default)]
struct State_ {
    objects: BTreeMap<&'static str, BTreeMap<Key, Value>>, // by plural
    resource_version: u64,
    uid_counter: u64,
    /// Bumped by `compact`: tokens issued before are expired.
    compaction: u64,
    token: Option<String>,
    fail_all: Option<u16>,
    fail_next: Vec<u16>,
    expire_next_continue: u32,
    delay: Duration,
    requests: Vec<RecordedRequest>,
}

/// A handle on one stand-in cluster: configure it, load objects, start it,
/// and inspect what it holds and received. Clones share the same cluster.
#[derive(Clone, Default)]
pub struct KubeStandin {
    state: Arc<Mutex<State_>>,
}

/// Errors while loading objects into the stand-in.
#[derive(Debug)]
pub enum LoadError {
    Io(std::io::Error),
    Json(serde_json::Error),
    Object(String),
}

impl std::error::Error for LoadError {}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read fixture: {e}"),
            LoadError::Json(e) => write!(f, "fixture is not JSON: {e}"),
            LoadError::Object(s) => write!(f, "bad fixture object: {s}"),
        }
    }
}

impl KubeStandin {
    pub fn new() -> KubeStandin {
        KubeStandin::default()
    }

    fn lock(&self) -> MutexGuard<'_, State_> {
        // A panicking test thread must not wedge the other requests.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Requires `Authorization: Bearer TOKEN` on every request (401 otherwise).
    pub fn require_token(&self, token: impl Into<String>) -> &Self {
        self.lock().token = Some(token.into());
        self
    }

    /// Adds (or replaces) an object; `apiVersion` and `kind` say which
    /// resource. Namespaced objects without a namespace go to `default`.
    pub fn add(&self, obj: Value) -> Result<&Self, LoadError> {
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let res = RESOURCES
            .iter()
            .find(|r| r.kind == kind)
            .ok_or_else(|| LoadError::Object(format!("unknown kind `{kind}`")))?;
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .ok_or_else(|| LoadError::Object("no metadata.name".into()))?
            .to_owned();
        let ns = if res.namespaced {
            obj.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_owned()
        } else {
            String::new()
        };
        let mut st = self.lock();
        let obj = st.stamp(res, &ns, obj, None);
        st.objects
            .entry(res.plural)
            .or_default()
            .insert((ns, name), obj);
        drop(st);
        Ok(self)
    }

    /// Adds every object of a JSON text: a `List` (`{"items": […]}`), an
    /// array, one object, or JSON lines of objects. Returns how many.
    pub fn load_json(&self, text: &str) -> Result<usize, LoadError> {
        let values: Vec<Value> = match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            Ok(Value::Object(mut o)) => match o.remove("items") {
                Some(Value::Array(items)) => items,
                Some(_) => return Err(LoadError::Object("`items` is not an array".into())),
                None => vec![Value::Object(o)],
            },
            Ok(_) => return Err(LoadError::Object("not an object or array".into())),
            Err(_) => serde_json::Deserializer::from_str(text)
                .into_iter::<Value>()
                .collect::<Result<_, _>>()
                .map_err(LoadError::Json)?,
        };
        let n = values.len();
        for v in values {
            self.add(v)?;
        }
        Ok(n)
    }

    /// [`Self::load_json`] of a file.
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<usize, LoadError> {
        let text = std::fs::read_to_string(path).map_err(LoadError::Io)?;
        self.load_json(&text)
    }

    /// Every request (method, path, query, status, body) in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Requests whose path is `path` exactly.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// The stored object, if any (`namespace` is ignored for cluster-scoped
    /// resources).
    pub fn get(&self, res: ResourceDef, namespace: &str, name: &str) -> Option<Value> {
        let ns = if res.namespaced { namespace } else { "" };
        self.lock()
            .objects
            .get(res.plural)
            .and_then(|m| m.get(&(ns.to_owned(), name.to_owned())))
            .cloned()
    }

    /// All stored objects of a resource, in list order.
    pub fn list(&self, res: ResourceDef) -> Vec<Value> {
        self.lock()
            .objects
            .get(res.plural)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Answers every request (discovery included) with `status`: a dead
    /// cluster. `None` brings it back.
    pub fn fail_all(&self, status: Option<u16>) -> &Self {
        self.lock().fail_all = status;
        self
    }

    /// The next `n` resource requests (not discovery) answer `status`.
    pub fn fail_next(&self, n: usize, status: u16) -> &Self {
        self.lock().fail_next.extend(std::iter::repeat_n(status, n));
        self
    }

    /// Waits this long before answering each request.
    pub fn set_delay(&self, delay: Duration) -> &Self {
        self.lock().delay = delay;
        self
    }

    /// The next `n` list requests that carry a continue token answer 410
    /// Gone (`Expired`), as after an etcd compaction.
    pub fn expire_next_continue(&self, n: u32) -> &Self {
        self.lock().expire_next_continue = n;
        self
    }

    /// Expires every continue token issued so far.
    pub fn compact(&self) -> &Self {
        self.lock().compaction += 1;
        self
    }

    /// The router, for serving it yourself.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .fallback(handle)
            .with_state(self.clone())
    }

    /// Serves plain HTTP on 127.0.0.1 (a free port).
    pub fn serve(&self) -> std::io::Result<RunningServer> {
        server::spawn(self.router(), server::loopback())
    }

    /// Serves HTTPS on `addr` with a certificate for `127.0.0.1` and
    /// `localhost` issued by `ca`.
    pub fn serve_tls_on(&self, ca: &TestCa, addr: SocketAddr) -> std::io::Result<RunningServer> {
        let cfg = ca.server_config().map_err(std::io::Error::other)?;
        server::spawn_tls(self.router(), addr, cfg)
    }

    /// Serves HTTPS on 127.0.0.1 (a free port); see [`Self::serve_tls_on`].
    pub fn serve_tls(&self, ca: &TestCa) -> std::io::Result<RunningServer> {
        self.serve_tls_on(ca, server::loopback())
    }
}

impl State_ {
    /// Fills in what the API server owns: namespace, uid, resourceVersion,
    /// creationTimestamp (kept from `old` on updates).
    fn stamp(&mut self, res: &ResourceDef, ns: &str, mut obj: Value, old: Option<&Value>) -> Value {
        self.resource_version += 1;
        let rv = self.resource_version.to_string();
        if !obj.is_object() {
            obj = json!({});
        }
        let o = obj.as_object_mut().expect("made an object above");
        o.insert("apiVersion".into(), json!(res.api_version()));
        o.insert("kind".into(), json!(res.kind));
        let meta = o.entry("metadata").or_insert_with(|| json!({}));
        if !meta.is_object() {
            *meta = json!({});
        }
        let m = meta.as_object_mut().expect("made an object above");
        if res.namespaced {
            m.insert("namespace".into(), json!(ns));
        }
        let old_meta = old.and_then(|o| o.get("metadata"));
        let uid = match old_meta.and_then(|m| m.get("uid")) {
            Some(u) => u.clone(),
            None => match m.get("uid") {
                Some(u) => u.clone(),
                None => {
                    self.uid_counter += 1;
                    json!(format!("00000000-0000-4000-8000-{:012x}", self.uid_counter))
                }
            },
        };
        m.insert("uid".into(), uid);
        let created = old_meta
            .and_then(|m| m.get("creationTimestamp"))
            .cloned()
            .or_else(|| m.get("creationTimestamp").cloned())
            .unwrap_or_else(|| json!("2024-01-01T00:00:00Z"));
        m.insert("creationTimestamp".into(), created);
        m.insert("resourceVersion".into(), json!(rv));
        obj
    }
}

// ---------------------------------------------------------------- requests

struct Req {
    method: Method,
    path: String,
    query: BTreeMap<String, String>,
    content_type: String,
    body: Bytes,
}

async fn handle(
    State(standin): State<KubeStandin>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let raw_query = uri.query().unwrap_or("").to_owned();
    let req = Req {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: parse_query(&raw_query),
        content_type: header("content-type").unwrap_or_default(),
        body: body.clone(),
    };
    let delay = standin.lock().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (status, value) = standin.answer(&req, header("authorization"));
    let mut st = standin.lock();
    st.requests.push(RecordedRequest {
        method: method.to_string(),
        path: req.path.clone(),
        query: raw_query,
        content_type: header("content-type"),
        accept: header("accept"),
        status: status.as_u16(),
        body: body.to_vec(),
    });
    drop(st);
    (
        status,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn status_body(code: StatusCode, reason: &str, message: impl Into<String>) -> (StatusCode, Value) {
    (
        code,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message.into(),
            "reason": reason,
            "code": code.as_u16(),
        }),
    )
}

fn reason_of(code: u16) -> &'static str {
    match code {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

/// Where a resource path points.
struct Target {
    res: ResourceDef,
    /// `None`: all namespaces (or a cluster-scoped resource).
    namespace: Option<String>,
    name: Option<String>,
}

impl KubeStandin {
    fn answer(&self, req: &Req, authorization: Option<String>) -> (StatusCode, Value) {
        let mut st = self.lock();
        if let Some(code) = st.fail_all {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return status_body(code, reason_of(code.as_u16()), "stand-in: cluster is down");
        }
        if let Some(token) = &st.token {
            let expected = format!("Bearer {token}");
            if authorization.as_deref() != Some(expected.as_str()) {
                return status_body(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
            }
        }
        if let Some(doc) = discovery(&req.path) {
            return if req.method == Method::GET {
                (StatusCode::OK, doc)
            } else {
                status_body(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
            };
        }
        let Some(target) = parse_target(&req.path) else {
            return status_body(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource",
            );
        };
        if !st.fail_next.is_empty() {
            let code = st.fail_next.remove(0);
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return status_body(code, reason_of(code.as_u16()), "stand-in: injected failure");
        }
        match (&req.method, &target.name) {
            (&Method::GET, None) => st.list(&target, &req.query),
            (&Method::GET, Some(name)) => st.get_one(&target, name),
            (&Method::POST, None) => st.create(&target, &req.body),
            (&Method::PUT, Some(name)) => st.replace(&target, name, &req.body),
            (&Method::PATCH, Some(name)) => st.patch(&target, name, req),
            (&Method::DELETE, Some(name)) => st.delete(&target, name),
            _ => status_body(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        }
    }
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_target(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let find = |plural: &str| {
        RESOURCES
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
            .copied()
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 1 => {
            let res = find(plural)?;
            res.namespaced.then(|| Target {
                res,
                namespace: Some((*ns).to_owned()),
                name: tail.first().map(|s| (*s).to_owned()),
            })
        }
        [plural] => Some(Target {
            res: find(plural)?,
            namespace: None,
            name: None,
        }),
        [plural, name] => {
            let res = find(plural)?;
            (!res.namespaced).then(|| Target {
                res,
                namespace: None,
                name: Some((*name).to_owned()),
            })
        }
        _ => None,
    }
}

fn discovery(path: &str) -> Option<Value> {
    let group_doc = |g: &str, v: &str| {
        json!({
            "name": g,
            "versions": [{"groupVersion": format!("{g}/{v}"), "version": v}],
            "preferredVersion": {"groupVersion": format!("{g}/{v}"), "version": v},
        })
    };
    let resource_list = |group: &str, version: &str| {
        let gv = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        let resources: Vec<Value> = RESOURCES
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .map(|r| {
                json!({
                    "name": r.plural,
                    "singularName": r.singular,
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": VERBS,
                    "shortNames": r.short_names,
                })
            })
            .collect();
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
    };
    let path = path.trim_end_matches('/');
    Some(match path {
        "/version" => json!({
            "major": "1", "minor": "32", "gitVersion": "v1.32.0-standin",
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc",
            "platform": "linux/amd64",
        }),
        "/api" => json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        }),
        "/apis" => json!({
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": [group_doc(TOOLCHAIN_GROUP, TOOLCHAIN_VERSION)],
        }),
        "/api/v1" => resource_list("", "v1"),
        p if p == format!("/apis/{TOOLCHAIN_GROUP}") => {
            let mut g = group_doc(TOOLCHAIN_GROUP, TOOLCHAIN_VERSION);
            g["kind"] = json!("APIGroup");
            g["apiVersion"] = json!("v1");
            g
        }
        p if p == format!("/apis/{TOOLCHAIN_GROUP}/{TOOLCHAIN_VERSION}") => {
            resource_list(TOOLCHAIN_GROUP, TOOLCHAIN_VERSION)
        }
        _ => return None,
    })
}

// ------------------------------------------------------------ label selectors

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    NotExists(String),
}

impl Requirement {
    fn matches(&self, labels: &Map<String, Value>) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        match self {
            Requirement::Eq(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEq(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.contains(x)),
            Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.contains(x)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        }
    }
}

/// Parses a label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`).
pub fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    // Split on commas outside parentheses.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    let valid_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    };
    let set = |inner: &str| -> Result<BTreeSet<String>, String> {
        let inner = inner.trim();
        let inner = inner
            .strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .ok_or_else(|| format!("expected a parenthesised value list, got `{inner}`"))?;
        Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
    };
    let mut reqs = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            if s.trim().is_empty() {
                continue;
            }
            return Err(format!("empty requirement in `{s}`"));
        }
        let req = if let Some((k, v)) = p.split_once("!=") {
            Requirement::NotEq(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = p.split_once("==") {
            Requirement::Eq(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = p.split_once('=') {
            Requirement::Eq(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = p.split_once(" notin ") {
            Requirement::NotIn(k.trim().to_owned(), set(v)?)
        } else if let Some((k, v)) = p.split_once(" in ") {
            Requirement::In(k.trim().to_owned(), set(v)?)
        } else if let Some(k) = p.strip_prefix('!') {
            Requirement::NotExists(k.trim().to_owned())
        } else {
            Requirement::Exists(p.to_owned())
        };
        let key = match &req {
            Requirement::Eq(k, _)
            | Requirement::NotEq(k, _)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::NotExists(k) => k,
        };
        if !valid_key(key) {
            return Err(format!("invalid label key `{key}`"));
        }
        reqs.push(req);
    }
    Ok(reqs)
}

// ------------------------------------------------------------------ verbs

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    compaction: u64,
    start: (String, String),
}

impl State_ {
    fn list(&mut self, t: &Target, q: &BTreeMap<String, String>) -> (StatusCode, Value) {
        let selector = q.get("labelSelector").map(String::as_str).unwrap_or("");
        let reqs = match parse_selector(selector) {
            Ok(r) => r,
            Err(e) => {
                return status_body(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("unable to parse requirement: {e}"),
                )
            }
        };
        let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
            None => 0,
            Some(Ok(l)) => l,
            Some(Err(_)) => {
                return status_body(StatusCode::BAD_REQUEST, "BadRequest", "invalid limit")
            }
        };
        let start = match q.get("continue").filter(|c| !c.is_empty()) {
            None => None,
            Some(tok) => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(tok)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<ContinueToken>(&b).ok());
                let Some(tok) = decoded else {
                    return status_body(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        "continue key is not valid",
                    );
                };
                if self.expire_next_continue > 0 || tok.compaction < self.compaction {
                    self.expire_next_continue = self.expire_next_continue.saturating_sub(1);
                    return status_body(
                        StatusCode::GONE,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    );
                }
                Some(tok.start)
            }
        };
        let empty = BTreeMap::new();
        let all = self.objects.get(t.res.plural).unwrap_or(&empty);
        let no_labels = Map::new();
        let after = match &start {
            Some(s) => all.range((Bound::Excluded(s.clone()), Bound::Unbounded)),
            None => all.range::<Key, _>(..),
        };
        let mut matching = after
            .filter(|(k, _)| t.namespace.as_ref().is_none_or(|ns| &k.0 == ns))
            .filter(|(_, v)| {
                if reqs.is_empty() {
                    return true;
                }
                let labels = v
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .unwrap_or(&no_labels);
                reqs.iter().all(|r| r.matches(labels))
            });
        // One page; then whether there is more (and, without a selector,
        // how much, as the real server reports it).
        let mut items = Vec::new();
        let mut last: Option<&Key> = None;
        for (k, v) in matching.by_ref() {
            items.push(v.clone());
            last = Some(k);
            if limit != 0 && items.len() == limit {
                break;
            }
        }
        let remaining = if reqs.is_empty() {
            matching.count()
        } else {
            matching.next().map_or(0, |_| 1)
        };
        let mut meta = json!({"resourceVersion": self.resource_version.to_string()});
        if let (true, Some(last)) = (remaining > 0, last) {
            let tok = ContinueToken {
                rv: self.resource_version,
                compaction: self.compaction,
                start: last.clone(),
            };
            let tok = serde_json::to_vec(&tok).unwrap_or_default();
            meta["continue"] = json!(base64::engine::general_purpose::STANDARD.encode(tok));
            if reqs.is_empty() {
                meta["remainingItemCount"] = json!(remaining);
            }
        }
        (
            StatusCode::OK,
            json!({
                "kind": format!("{}List", t.res.kind),
                "apiVersion": t.res.api_version(),
                "metadata": meta,
                "items": items,
            }),
        )
    }

    fn key(t: &Target, name: &str) -> Key {
        let ns = if t.res.namespaced {
            t.namespace.clone().unwrap_or_default()
        } else {
            String::new()
        };
        (ns, name.to_owned())
    }

    fn not_found(t: &Target, name: &str) -> (StatusCode, Value) {
        let message = if t.res.group.is_empty() {
            format!("{} \"{name}\" not found", t.res.plural)
        } else {
            format!("{}.{} \"{name}\" not found", t.res.plural, t.res.group)
        };
        let (code, mut v) = status_body(StatusCode::NOT_FOUND, "NotFound", message);
        v["details"] = json!({"name": name, "group": t.res.group, "kind": t.res.plural});
        (code, v)
    }

    fn get_one(&self, t: &Target, name: &str) -> (StatusCode, Value) {
        match self
            .objects
            .get(t.res.plural)
            .and_then(|m| m.get(&Self::key(t, name)))
        {
            Some(v) => (StatusCode::OK, v.clone()),
            None => Self::not_found(t, name),
        }
    }

    fn parse_body(body: &[u8]) -> Result<Value, (StatusCode, Value)> {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(status_body(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the stand-in accepts JSON object bodies only",
            )),
        }
    }

    /// Validation the real API server does that matters here.
    fn validate(t: &Target, name: &str, obj: &Value) -> Result<(), (StatusCode, Value)> {
        if t.res.kind != CONFIGMAPS.kind {
            return Ok(());
        }
        let mut size = 0usize;
        if let Some(data) = obj.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                size += k.len() + v.as_str().map_or(0, str::len);
            }
        }
        if let Some(data) = obj.get("binaryData").and_then(Value::as_object) {
            for (k, v) in data {
                let n = v
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .map_or(0, |b| b.len());
                size += k.len() + n;
            }
        }
        if size > CONFIGMAP_MAX_BYTES {
            let (code, mut v) = status_body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                format!(
                    "ConfigMap \"{name}\" is invalid: []: Too long: must have at most {CONFIGMAP_MAX_BYTES} bytes"
                ),
            );
            v["details"] = json!({"name": name, "kind": "ConfigMap"});
            return Err((code, v));
        }
        Ok(())
    }

    fn store(&mut self, t: &Target, name: &str, obj: Value, old: Option<&Value>) -> Value {
        let key = Self::key(t, name);
        let obj = self.stamp(&t.res, &key.0, obj, old);
        self.objects
            .entry(t.res.plural)
            .or_default()
            .insert(key, obj.clone());
        obj
    }

    fn existing(&self, t: &Target, name: &str) -> Option<Value> {
        self.objects
            .get(t.res.plural)
            .and_then(|m| m.get(&Self::key(t, name)))
            .cloned()
    }

    fn create(&mut self, t: &Target, body: &[u8]) -> (StatusCode, Value) {
        if t.res.namespaced && t.namespace.is_none() {
            return status_body(StatusCode::NOT_FOUND, "NotFound", "namespace required");
        }
        let obj = match Self::parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let Some(name) = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return status_body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "metadata.name: Required value: name is required",
            );
        };
        if self.existing(t, &name).is_some() {
            return status_body(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", t.res.plural),
            );
        }
        if let Err(e) = Self::validate(t, &name, &obj) {
            return e;
        }
        (StatusCode::CREATED, self.store(t, &name, obj, None))
    }

    fn replace(&mut self, t: &Target, name: &str, body: &[u8]) -> (StatusCode, Value) {
        let obj = match Self::parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let Some(old) = self.existing(t, name) else {
            return Self::not_found(t, name);
        };
        if let Err(e) = Self::validate(t, name, &obj) {
            return e;
        }
        (StatusCode::OK, self.store(t, name, obj, Some(&old)))
    }

    fn delete(&mut self, t: &Target, name: &str) -> (StatusCode, Value) {
        match self
            .objects
            .get_mut(t.res.plural)
            .and_then(|m| m.remove(&Self::key(t, name)))
        {
            Some(v) => (StatusCode::OK, v),
            None => Self::not_found(t, name),
        }
    }

    fn patch(&mut self, t: &Target, name: &str, req: &Req) -> (StatusCode, Value) {
        let ct = req.content_type.split(';').next().unwrap_or("").trim();
        let patch = match Self::parse_body(&req.body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let old = self.existing(t, name);
        match ct {
            "application/apply-patch+yaml" => self.apply(t, name, req, patch, old),
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let Some(old) = old else {
                    return Self::not_found(t, name);
                };
                let mut new = old.clone();
                merge_patch(&mut new, &patch);
                if let Err(e) = Self::validate(t, name, &new) {
                    return e;
                }
                (StatusCode::OK, self.store(t, name, new, Some(&old)))
            }
            other => status_body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml, application/merge-patch+json (got `{other}`)"),
            ),
        }
    }

    /// Server-side apply, simplified to what publishing needs: the applied
    /// configuration's fields are set; `data` keys this field manager applied
    /// before and no longer applies are removed, other managers' keys stay.
    fn apply(
        &mut self,
        t: &Target,
        name: &str,
        req: &Req,
        applied: Value,
        old: Option<Value>,
    ) -> (StatusCode, Value) {
        let Some(manager) = req.query.get("fieldManager").filter(|m| !m.is_empty()) else {
            return status_body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            );
        };
        let api_version = applied.get("apiVersion").and_then(Value::as_str);
        let kind = applied.get("kind").and_then(Value::as_str);
        if api_version != Some(t.res.api_version().as_str()) || kind != Some(t.res.kind) {
            return status_body(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "apply patch must name apiVersion `{}` and kind `{}`",
                    t.res.api_version(),
                    t.res.kind
                ),
            );
        }
        if applied.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
            return status_body(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the name of the object does not match the name on the URL",
            );
        }
        let applied_keys: BTreeSet<String> = applied
            .get("data")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut new = old.clone().unwrap_or_else(|| json!({}));
        // Drop what this manager owned before.
        let mut managers: Vec<Value> = new
            .pointer("/metadata/managedFields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let before: Vec<String> = managers
            .iter()
            .filter(|m| m.get("manager").and_then(Value::as_str) == Some(manager.as_str()))
            .filter_map(|m| m.pointer("/fieldsV1/f:data").and_then(Value::as_object))
            .flat_map(|d| {
                d.keys()
                    .filter_map(|k| k.strip_prefix("f:"))
                    .map(str::to_owned)
            })
            .collect();
        if let Some(data) = new.get_mut("data").and_then(Value::as_object_mut) {
            for k in before.iter().filter(|k| !applied_keys.contains(*k)) {
                data.remove(k);
            }
        }
        let mut applied_no_meta = applied.clone();
        let applied_meta = applied_no_meta
            .as_object_mut()
            .and_then(|o| o.remove("metadata"));
        merge_patch(&mut new, &applied_no_meta);
        if let Some(Value::Object(am)) = applied_meta {
            for field in ["labels", "annotations"] {
                if let Some(Value::Object(src)) = am.get(field) {
                    let meta = &mut new["metadata"];
                    let dst = meta
                        .as_object_mut()
                        .map(|m| m.entry(field).or_insert_with(|| json!({})));
                    if let Some(Value::Object(dst)) = dst {
                        for (k, v) in src {
                            dst.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            new["metadata"]["name"] = json!(name);
        }
        managers.retain(|m| m.get("manager").and_then(Value::as_str) != Some(manager.as_str()));
        let f_data: Map<String, Value> = applied_keys
            .iter()
            .map(|k| (format!("f:{k}"), json!({})))
            .collect();
        managers.push(json!({
            "manager": manager,
            "operation": "Apply",
            "apiVersion": t.res.api_version(),
            "time": "2024-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": f_data},
        }));
        new["metadata"]["managedFields"] = Value::Array(managers);
        if let Err(e) = Self::validate(t, name, &new) {
            return e;
        }
        let code = if old.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        (code, self.store(t, name, new, old.as_ref()))
    }
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

// ---------------------------------------------------------------- TLS

/// A certificate authority generated for a test run, and a server
/// certificate it issued for `127.0.0.1`, `::1` and `localhost`.
pub struct TestCa {
    ca_pem: String,
    server_cert_der: Vec<u8>,
    server_key_der: Vec<u8>,
}

impl TestCa {
    /// Generates a fresh CA (ECDSA P-256) and server certificate.
    pub fn generate() -> Result<TestCa, rcgen::Error> {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "segment-bridge stand-in CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = rcgen::KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        let mut params = rcgen::CertificateParams::new(vec![
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
            "localhost".to_owned(),
        ])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "kube-standin");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok(TestCa {
            ca_pem: ca_cert.pem(),
            server_cert_der: cert.der().to_vec(),
            server_key_der: key.serialize_der(),
        })
    }

    /// The CA certificate, PEM: what a kubeconfig's
    /// `certificate-authority-data` carries (base64 of this).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A rustls server configuration with the issued certificate (HTTP/1.1).
    pub fn server_config(
        &self,
    ) -> Result<Arc<tokio_rustls::rustls::ServerConfig>, tokio_rustls::rustls::Error> {
        use tokio_rustls::rustls;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls::pki_types::CertificateDer::from(
                    self.server_cert_der.clone(),
                )],
                rustls::pki_types::PrivateKeyDer::Pkcs8(self.server_key_der.clone().into()),
            )?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

// ---------------------------------------------------------------- kubeconfig

/// One context of a kubeconfig written by [`write_kubeconfig`].
#[derive(Debug, Clone)]
pub struct KubeconfigEntry {
    pub context: String,
    /// The cluster name (get-workspace-map picks contexts by it).
    pub cluster: String,
    /// `https://127.0.0.1:PORT` (or `http://…`).
    pub server: String,
    /// PEM of the CA to trust (`certificate-authority-data`).
    pub ca_pem: Option<String>,
    /// Bearer token of the user of this context.
    pub token: Option<String>,
    /// The context's default namespace.
    pub namespace: Option<String>,
}

impl KubeconfigEntry {
    pub fn new(
        context: impl Into<String>,
        cluster: impl Into<String>,
        server: impl Into<String>,
    ) -> KubeconfigEntry {
        KubeconfigEntry {
            context: context.into(),
            cluster: cluster.into(),
            server: server.into(),
            ca_pem: None,
            token: None,
            namespace: None,
        }
    }

    #[must_use]
    pub fn ca(mut self, pem: impl Into<String>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    #[must_use]
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }
}

/// The kubeconfig document (JSON, which kubectl and kube-rs read as YAML)
/// for `entries`, with `current` as current-context (default: the first).
pub fn kubeconfig(entries: &[KubeconfigEntry], current: Option<&str>) -> Value {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let clusters: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut c = json!({"server": e.server});
            if let Some(pem) = &e.ca_pem {
                c["certificate-authority-data"] = json!(b64(pem));
            }
            json!({"name": e.cluster, "cluster": c})
        })
        .collect();
    let users: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut u = json!({});
            if let Some(t) = &e.token {
                u["token"] = json!(t);
            }
            json!({"name": format!("{}-user", e.context), "user": u})
        })
        .collect();
    let contexts: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut c = json!({"cluster": e.cluster, "user": format!("{}-user", e.context)});
            if let Some(ns) = &e.namespace {
                c["namespace"] = json!(ns);
            }
            json!({"name": e.context, "context": c})
        })
        .collect();
    let current = current
        .map(str::to_owned)
        .or_else(|| entries.first().map(|e| e.context.clone()));
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current,
    })
}

/// Writes [`kubeconfig`] to `path`.
pub fn write_kubeconfig(
    path: impl AsRef<Path>,
    entries: &[KubeconfigEntry],
    current: Option<&str>,
) -> std::io::Result<()> {
    let doc = kubeconfig(entries, current);
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// The entries of a kubeconfig written by [`write_kubeconfig`] (JSON), so
/// that several stand-ins can share one kubeconfig.
pub fn read_kubeconfig_entries(path: impl AsRef<Path>) -> std::io::Result<Vec<KubeconfigEntry>> {
    let text = std::fs::read_to_string(path)?;
    let doc: Value = serde_json::from_str(&text).map_err(std::io::Error::other)?;
    let find = |list: &str, name: &str| -> Value {
        doc[list]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let b64 = |v: &Value| {
        v.as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .and_then(|b| String::from_utf8(b).ok())
    };
    let mut out = Vec::new();
    for c in doc["contexts"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default();
        let cluster_name = c["context"]["cluster"].as_str().unwrap_or_default();
        let cluster = find("clusters", cluster_name);
        let user = find("users", c["context"]["user"].as_str().unwrap_or_default());
        out.push(KubeconfigEntry {
            context: name.to_owned(),
            cluster: cluster_name.to_owned(),
            server: cluster["cluster"]["server"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ca_pem: b64(&cluster["cluster"]["certificate-authority-data"]),
            token: user["user"]["token"].as_str().map(str::to_owned),
            namespace: c["context"]["namespace"].as_str().map(str::to_owned),
        });
    }
    Ok(out)
}

/// A stand-in cluster serving HTTPS with its own CA and a bearer token: what
/// most tests want. Stops when dropped.
pub struct TlsCluster {
    pub standin: KubeStandin,
    pub server: RunningServer,
    pub ca: TestCa,
    pub token: String,
}

impl TlsCluster {
    /// Starts `standin` on a free loopback port with a fresh CA, requiring
    /// the token `token`.
    pub fn start(standin: KubeStandin, token: &str) -> std::io::Result<TlsCluster> {
        let ca = TestCa::generate().map_err(std::io::Error::other)?;
        standin.require_token(token);
        let server = standin.serve_tls(&ca)?;
        Ok(TlsCluster {
            standin,
            server,
            ca,
            token: token.to_owned(),
        })
    }

    /// A kubeconfig context for this cluster (CA and token filled in).
    pub fn entry(&self, context: &str, cluster: &str) -> KubeconfigEntry {
        KubeconfigEntry::new(context, cluster, self.server.url())
            .ca(self.ca.ca_pem())
            .token(self.token.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect()
    }

    #[test]
    fn selectors() {
        let l = labels(&[("a", "1"), ("b", "2")]);
        let m = |s: &str| parse_selector(s).unwrap().iter().all(|r| r.matches(&l));
        assert!(m(""));
        assert!(m("a=1"));
        assert!(m("a==1,b"));
        assert!(!m("a!=1"));
        assert!(m("c!=1"));
        assert!(m("!c"));
        assert!(!m("!a"));
        assert!(m("a in (1,3),b notin (3)"));
        assert!(!m("a in (3, 4)"));
        assert!(m("a=1,b=2"));
        assert!(!m("a=1,b=3"));
        assert!(parse_selector("a b=1").is_err());
        assert!(parse_selector("a=1,,b").is_err());
    }

    #[test]
    fn targets() {
        let t = parse_target("/api/v1/namespaces").unwrap();
        assert_eq!((t.res, t.namespace, t.name), (NAMESPACES, None, None));
        let t = parse_target("/api/v1/namespaces/foo").unwrap();
        assert_eq!(t.name.as_deref(), Some("foo"));
        let t = parse_target("/api/v1/namespaces/foo/configmaps/bar").unwrap();
        assert_eq!(
            (t.res, t.namespace.as_deref(), t.name.as_deref()),
            (CONFIGMAPS, Some("foo"), Some("bar"))
        );
        let t = parse_target(
            "/apis/toolchain.dev.openshift.com/v1alpha1/namespaces/toolchain-host-operator/usersignups",
        )
        .unwrap();
        assert_eq!(t.res, USERSIGNUPS);
        assert!(parse_target("/api/v1/pods").is_none());
        assert!(parse_target("/api/v1/configmaps/x").is_none());
    }

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "d": 1});
        merge_patch(&mut t, &json!({"a": {"b": null, "e": 3}, "d": [1]}));
        assert_eq!(t, json!({"a": {"c": 2, "e": 3}, "d": [1]}));
    }

    #[test]
    fn kubeconfig_round_trip() {
        let dir = std::env::temp_dir().join(format!("kube-standin-rt-{}", std::process::id()));
        let e = vec![
            KubeconfigEntry::new("a", "ca", "https://127.0.0.1:1")
                .ca("PEM")
                .token("t")
                .namespace("ns"),
            KubeconfigEntry::new("b", "cb", "http://127.0.0.1:2"),
        ];
        write_kubeconfig(&dir, &e, Some("b")).unwrap();
        let back = read_kubeconfig_entries(&dir).unwrap();
        let _ = std::fs::remove_file(&dir);
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].ca_pem.as_deref(), Some("PEM"));
        assert_eq!(back[0].token.as_deref(), Some("t"));
        assert_eq!(back[0].namespace.as_deref(), Some("ns"));
        assert_eq!(
            (back[1].cluster.as_str(), back[1].server.as_str()),
            ("cb", "http://127.0.0.1:2")
        );
        assert_eq!(back[1].ca_pem, None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("toolchain.dev.openshift.com%2Ftype%3Dtenant"),
            "toolchain.dev.openshift.com/type=tenant"
        );
        assert_eq!(percent_decode("a+b%2"), "a b%2");
    }
}
