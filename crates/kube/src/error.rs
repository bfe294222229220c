//! The errors of Kubernetes access, with the exit status each means: a
//! kubeconfig or context problem is a configuration error (2, nothing was
//! done); a cluster that fails or a map that can't be published is a failure
//! (1).

use std::path::PathBuf;

use segment_bridge_core::{ExitStatus, ToolError};

/// What the API server or the connection to it said, without the debug dump
/// that `kube::Error`'s own message carries.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a `Status` (or a bare HTTP error).
    #[error("HTTP {code} {reason}: {message}")]
    Status {
        code: u16,
        reason: String,
        message: String,
    },
    /// Connection, TLS, authentication or decoding failed.
    #[error(transparent)]
    Transport(kube::Error),
}

impl From<kube::Error> for ApiError {
    fn from(e: kube::Error) -> Self {
        match e {
            kube::Error::Api(s) => ApiError::Status {
                code: s.code,
                reason: s.reason,
                message: s.message,
            },
            other => ApiError::Transport(other),
        }
    }
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            ApiError::Status { code, .. } => Some(*code),
            ApiError::Transport(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kubeconfig file could not be read.
    #[error("cannot read kubeconfig `{}`", path.display())]
    ReadKubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A kubeconfig file could not be parsed or merged.
    #[error("cannot load kubeconfig `{}`", path.display())]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },

    /// Neither a kubeconfig nor an in-cluster service account.
    #[error("no kubeconfig (set KUBECONFIG or pass --kubeconfig) and not running in a pod")]
    NoConfig(#[source] kube::config::InClusterError),

    /// `--context` / `CONTEXTS` names a context the kubeconfig doesn't have.
    #[error("context `{context}` is not in the kubeconfig (it has: {known})")]
    UnknownContext { context: String, known: String },

    /// A context was asked for while using the in-cluster configuration.
    #[error("context `{context}` given, but there is no kubeconfig (in-cluster configuration has no contexts)")]
    ContextWithoutKubeconfig { context: String },

    /// No context to read from.
    #[error("{0}")]
    NoContexts(String),

    /// The context's cluster or user entry is unusable.
    #[error("context `{context}`: bad kubeconfig entry")]
    ContextConfig {
        context: String,
        #[source]
        source: kube::config::KubeconfigError,
    },

    /// The client could not be built (TLS material, auth setup).
    #[error("context `{context}`: cannot set up the Kubernetes client")]
    Client {
        context: String,
        #[source]
        source: kube::Error,
    },

    /// The proxy chosen for the cluster (its `proxy-url`, or
    /// `HTTPS_PROXY`/`HTTP_PROXY`) is not a URL.
    #[error("context `{context}`: invalid proxy URL `{url}`")]
    Proxy {
        context: String,
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// `NO_PROXY` can't be read by the Kubernetes client library.
    #[error("context `{context}`: cannot read `NO_PROXY`\nhint: write it as a comma-separated list of hosts, IP addresses and CIDR blocks, without empty entries (no `,,` or trailing comma)")]
    NoProxy {
        context: String,
        #[source]
        source: kube::config::NoProxyError,
    },

    /// Listing failed for good (after retries).
    #[error("context `{context}`: cannot list {what}")]
    List {
        context: String,
        what: String,
        #[source]
        source: ApiError,
    },

    /// The list kept expiring (410 Gone) however often it was restarted.
    #[error("context `{context}`: list of {what} restarted {restarts} times after expired continue tokens (410 Gone); giving up")]
    ListExpired {
        context: String,
        what: String,
        restarts: u32,
    },

    /// One or more contexts failed; what failed was logged per context.
    #[error("{failed} of {total} contexts failed; nothing written")]
    ContextsFailed { failed: usize, total: usize },

    /// Nothing usable was found, and `--allow-empty` wasn't given.
    #[error("the map is empty ({objects} objects read, {skipped} skipped); nothing written (--allow-empty to accept an empty map)")]
    Empty { objects: u64, skipped: u64 },

    /// The map doesn't fit in a ConfigMap; refused before writing.
    #[error("the map is {size} bytes, over the ConfigMap limit of {limit} bytes; ConfigMap `{namespace}/{name}` not written")]
    TooLarge {
        namespace: String,
        name: String,
        size: usize,
        limit: usize,
    },

    /// The map, compressed, is past what may be published in ConfigMaps.
    #[error("the map is {bytes} bytes, {compressed} compressed, over the ceiling of {ceiling} compressed bytes for a published map; ConfigMap `{namespace}/{name}` not written\nhint: see docs/runbooks/map-near-ceiling.md")]
    OverCeiling {
        namespace: String,
        name: String,
        bytes: usize,
        compressed: usize,
        ceiling: usize,
    },

    /// Compressing the map failed.
    #[error("cannot compress the map")]
    Compress(#[source] std::io::Error),

    /// A published map's ConfigMap (pointer or shard) can't be read.
    #[error("cannot read ConfigMap `{namespace}/{name}`")]
    ReadPublished {
        namespace: String,
        name: String,
        #[source]
        source: ApiError,
    },

    /// No map has been published under that name.
    #[error("ConfigMap `{namespace}/{name}` does not exist: no map has been published there yet")]
    NotPublished { namespace: String, name: String },

    /// What was published can't be read back.
    #[error("the map published in ConfigMap `{namespace}/{name}` is unusable")]
    CorruptPublished {
        namespace: String,
        name: String,
        #[source]
        problem: crate::format::Corrupt,
    },

    /// The map kept changing generation while it was read.
    #[error("the map in ConfigMap `{namespace}/{name}` changed generation {attempts} times while it was read; giving up")]
    Unsettled {
        namespace: String,
        name: String,
        attempts: u32,
    },

    /// Server-side apply of the ConfigMap failed.
    #[error("cannot publish ConfigMap `{namespace}/{name}`")]
    Publish {
        namespace: String,
        name: String,
        #[source]
        source: ApiError,
    },

    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),

    /// Writing standard output failed.
    #[error("cannot write standard output")]
    Output(#[source] std::io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Kubeconfig { .. }
            | Error::ReadKubeconfig { .. }
            | Error::NoConfig(_)
            | Error::UnknownContext { .. }
            | Error::ContextWithoutKubeconfig { .. }
            | Error::NoContexts(_)
            | Error::ContextConfig { .. }
            | Error::Client { .. }
            | Error::Proxy { .. }
            | Error::NoProxy { .. } => ExitStatus::Usage,
            Error::List { .. }
            | Error::ListExpired { .. }
            | Error::ContextsFailed { .. }
            | Error::Empty { .. }
            | Error::TooLarge { .. }
            | Error::OverCeiling { .. }
            | Error::Compress(_)
            | Error::ReadPublished { .. }
            | Error::NotPublished { .. }
            | Error::CorruptPublished { .. }
            | Error::Unsettled { .. }
            | Error::Publish { .. }
            | Error::Runtime(_)
            | Error::Output(_) => ExitStatus::Failed,
        }
    }
}
