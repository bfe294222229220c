//! The LokiStack gateway client, one file per role as for the other outside
//! APIs: [`request`] builds the `query_range` URL and parameters (pure),
//! [`response`] reads an answer into one time-ordered list, [`client`]
//! sends with the bearer token, the project's TLS, proxy and retry rules.
//! What the gateway and Loki do is written down, with sources, in
//! docs/apis/loki.md.

pub mod client;
pub mod request;
pub mod response;

use std::path::PathBuf;

pub use client::{Client, ClientConfig, Credentials, Fetched};
pub use request::Page;
pub use response::{Entry, PageData, ResponseError};

use segment_bridge_core::{ExitStatus, ToolError};

/// Why the gateway refused a request. None of these is retried: the same
/// token gets the same answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 3xx: the gateway sends a request whose token it could not
    /// authenticate to its OAuth login page.
    LoginRedirect,
    /// 401.
    Unauthenticated,
    /// 403: authenticated, but without `get` on the tenant.
    Forbidden,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::LoginRedirect => "it redirected to its login page: the token was not accepted",
            Refusal::Unauthenticated => "it did not accept the token",
            Refusal::Forbidden => "the token has no read access to the tenant",
        })
    }
}

/// Errors of the Loki client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `LOKI_URL` can't be used.
    #[error(transparent)]
    Url(#[from] segment_bridge_net::http::UrlError),

    /// The HTTP client can't be built (CA file, proxy settings).
    #[error(transparent)]
    Setup(#[from] segment_bridge_core::Error),

    #[error("cannot read the bearer token from `{}`", path.display())]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the bearer token file `{}` is empty\nhint: set LOKI_TOKEN, or LOKI_TOKEN_FILE to a file holding a token", path.display())]
    EmptyToken { path: PathBuf },

    #[error("the gateway at `{url}` refused the request (HTTP {status}): {why}\nhint: {}", hint(*why))]
    Refused {
        url: String,
        status: u16,
        why: Refusal,
    },

    /// Any other non-2xx answer, with the start of its body (Loki's errors
    /// are plain text).
    #[error("Loki answered HTTP {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        status: u16,
        message: Option<String>,
        retry_after: Option<std::time::Duration>,
    },

    #[error("cannot reach the gateway at `{url}`")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// A 2xx answer that can't be read (cut short, not Loki's JSON).
    #[error(transparent)]
    Response(#[from] ResponseError),
}

fn hint(why: Refusal) -> &'static str {
    match why {
        Refusal::Forbidden => {
            "bind the ClusterRole `cluster-logging-audit-view` (get on `audit` in `loki.grafana.com`) to the service account (deploy/overlays/loki)"
        }
        _ => "check LOKI_TOKEN / LOKI_TOKEN_FILE: a service account token of this cluster",
    }
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Url(_) | Error::TokenFile { .. } | Error::EmptyToken { .. } => ExitStatus::Usage,
            Error::Setup(e) => e.exit_status(),
            _ => ExitStatus::Failed,
        }
    }
}
