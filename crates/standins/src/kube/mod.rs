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
//!
//! The module is split by concern: [`state`] (the objects and what the API
//! server stamps on them), `request` (routing a request to a verb, errors
//! as `Status` objects), `discovery`, [`selectors`] (label selectors),
//! `verbs` (list with pagination, get, create, replace, delete) and `apply`
//! (merge patch and server-side apply). TLS ([`TestCa`]) and kubeconfig
//! writing ([`write_kubeconfig`]) are shared with the other stand-ins and
//! re-exported here.

mod apply;
mod discovery;
mod request;
pub mod selectors;
mod state;
mod verbs;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

pub use crate::faults::When;
pub use crate::kubeconfig::{
    kubeconfig, read_kubeconfig_entries, write_kubeconfig, KubeconfigEntry,
};
pub use crate::recording::Recorded;
use crate::server::{self, Listen, RunningServer};
pub use crate::tls::TestCa;
pub use selectors::{parse_selector, Requirement};
use state::State_;

/// One request as the stand-in received it (the stand-ins' one recorded
/// type, under the name the Kubernetes tests know).
pub type RecordedRequest = Recorded;

/// The API group of `UserSignup`.
pub const TOOLCHAIN_GROUP: &str = "toolchain.dev.openshift.com";
/// The version of [`TOOLCHAIN_GROUP`] served.
pub const TOOLCHAIN_VERSION: &str = "v1alpha1";
/// What the real validation allows in a ConfigMap's data (keys and values).
pub const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;
/// The API server's limit on a request body (`MaxRequestBodyBytes`, 3 MiB):
/// a larger one is refused with 413 `RequestEntityTooLarge` before it is
/// decoded (docs/apis/kubernetes.md).
pub const MAX_REQUEST_BODY_BYTES: usize = 3 * 1024 * 1024;

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
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.all()
    }

    /// Requests whose path is `path` exactly.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.lock().requests.to(path)
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
        self.fail(status, When::First(n as u64))
    }

    /// Resource requests (not discovery) answer `status` when `when` hits
    /// them, counting from the next one.
    pub fn fail(&self, status: u16, when: When) -> &Self {
        self.lock().faults.add(status, when);
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
        // The body limit is the API server's, checked in `request` so that
        // the answer is its `Status`, not axum's default of 2 MB.
        axum::Router::new()
            .fallback(request::handle)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(self.clone())
    }

    /// Serves this cluster as `listen` says (address, HTTPS).
    pub fn spawn(&self, listen: Listen) -> std::io::Result<RunningServer> {
        server::spawn_router(self.router(), listen)
    }

    /// Serves plain HTTP on 127.0.0.1 (a free port).
    pub fn serve(&self) -> std::io::Result<RunningServer> {
        self.spawn(Listen::default())
    }

    /// Serves HTTPS on `addr` with a certificate for `127.0.0.1` and
    /// `localhost` issued by `ca`.
    pub fn serve_tls_on(&self, ca: &TestCa, addr: SocketAddr) -> std::io::Result<RunningServer> {
        self.spawn(Listen::on(addr).tls(ca)?)
    }

    /// Serves HTTPS on 127.0.0.1 (a free port); see [`Self::serve_tls_on`].
    pub fn serve_tls(&self, ca: &TestCa) -> std::io::Result<RunningServer> {
        self.spawn(Listen::default().tls(ca)?)
    }
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
