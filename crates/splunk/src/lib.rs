//! The Splunk client: search export streaming and the KV store.
//!
//! One file per role: [`request`] builds URLs and forms (pure),
//! [`export`] reads the export stream and decides whether a response was
//! whole, [`auth`] finds the credentials and adds the one auth header,
//! [`client`] sends with timeouts and the shared retry policy (a query is
//! retried without emitting a row twice), [`kvstore`] replaces a KV store
//! collection's documents. Tools configure all of it through
//! [`ConnectionArgs`], so that every tool talking to Splunk takes the same
//! flags and environment variables as the original scripts.

pub mod auth;
pub mod client;
pub mod export;
pub mod kvstore;
pub mod request;

use std::path::PathBuf;

pub use auth::Credentials;
pub use client::{Client, ClientConfig, QueryReport};
pub use export::{ExportReader, FinalLine, StreamError, StreamStats};
pub use request::Search;

use segment_bridge_core::env;
use segment_bridge_core::error::ToolError;
use segment_bridge_core::exit::ExitStatus;
use segment_bridge_net::netrc::NetrcError;

/// How to reach Splunk: the flags (and environment variables) shared by the
/// tools that talk to it. Flatten into a tool's `Args` with
/// `#[command(flatten)]`. The token is read from `SPLUNK_TOKEN` only, never
/// from a flag, so that it does not show in `ps`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Base URL of the Splunk REST API (without a scheme, `http://` is
    /// meant, as with curl).
    #[arg(long, env = env::SPLUNK_API_URL, default_value = env::SPLUNK_API_URL_DEFAULT)]
    pub splunk_api_url: String,

    /// Splunk app the searches run in and the KV store belongs to.
    #[arg(long, env = env::SPLUNK_APP_NAME, default_value = env::SPLUNK_APP_NAME_DEFAULT)]
    pub splunk_app_name: String,

    /// Retries of a failed request after the first attempt (503 "over
    /// quota" included; 4xx other than 408/429 are not retried).
    #[arg(long, env = env::SPLUNK_RETRIES, default_value_t = 3)]
    pub splunk_retries: u32,

    /// netrc file with the credentials of the Splunk host (curl's rules;
    /// default `$HOME/.netrc`). Used when `SPLUNK_TOKEN` is not set.
    #[arg(long, env = env::CURL_NETRC, value_name = "FILE")]
    pub netrc: Option<PathBuf>,

    /// Extra PEM CA bundle to trust (besides the system roots and
    /// `SSL_CERT_FILE`).
    #[arg(long, env = env::CA_FILE, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Give up on a response that sends nothing for this long (`30s`, `5m`,
    /// or seconds).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = segment_bridge_core::duration::duration_secs)]
    pub read_timeout: u64,
}

impl ConnectionArgs {
    /// The client: [`client_config`](Self::client_config), then
    /// [`Client::new`].
    pub fn client(&self) -> Result<Client, Error> {
        Client::new(self.client_config()?)
    }

    /// Resolves the credentials (`SPLUNK_TOKEN`, else the netrc entry of the
    /// API host) and builds the client configuration.
    pub fn client_config(&self) -> Result<ClientConfig, Error> {
        let api_url =
            segment_bridge_net::http::parse_url(env::SPLUNK_API_URL, &self.splunk_api_url)?;
        let token = std::env::var(env::SPLUNK_TOKEN)
            .ok()
            .filter(|t| !t.is_empty())
            .map(segment_bridge_net::Secret::new);
        let credentials = Credentials::resolve(token, self.netrc.as_deref(), &api_url)?;
        segment_bridge_net::http::warn_plain_http(&api_url, env::SPLUNK_API_URL);
        let mut cfg = ClientConfig::new(api_url, &self.splunk_app_name, credentials);
        cfg.retry = segment_bridge_net::retry::RetryPolicy::new(self.splunk_retries);
        cfg.http.ca_file = self.ca_file.clone();
        cfg.read_timeout = std::time::Duration::from_secs(self.read_timeout.max(1));
        Ok(cfg)
    }
}

/// Errors of the Splunk client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad configuration (exit 2).
    #[error("{0}")]
    Config(String),

    #[error(transparent)]
    Netrc(#[from] NetrcError),

    /// `SPLUNK_API_URL` can't be used.
    #[error(transparent)]
    Url(#[from] segment_bridge_net::http::UrlError),

    #[error(transparent)]
    Setup(#[from] segment_bridge_core::Error),

    /// Splunk refused the credentials. Not retried.
    #[error("Splunk at `{url}` refused the credentials ({kind}; HTTP 401{})\nhint: check SPLUNK_TOKEN or the netrc entry for the Splunk host", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Unauthorized {
        url: String,
        kind: &'static str,
        message: Option<String>,
    },

    /// Not sent: Splunk refused this client's credentials on an earlier
    /// request.
    #[error("not sent to `{url}`: Splunk refused the credentials on an earlier request")]
    NotSent { url: String },

    /// Any other non-2xx answer; `message` is the text of Splunk's first
    /// message, when the body carries one.
    #[error("Splunk answered HTTP {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        status: u16,
        message: Option<String>,
        /// The server's `Retry-After`, honoured by the retry.
        retry_after: Option<std::time::Duration>,
    },

    /// The request could not be sent or its answer not received.
    #[error("cannot reach Splunk at `{url}`")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// A 200 response that failed (see [`export`]).
    #[error(transparent)]
    Stream(#[from] StreamError),

    /// Writing the rows out failed; the query is not retried.
    #[error("cannot write the rows out")]
    Output(#[source] std::io::Error),

    /// A KV store document could not be serialised or exceeds the per-call
    /// size limit on its own.
    #[error("KV store document {index} cannot be sent: {reason}")]
    Document { index: usize, reason: String },
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Config(_) | Error::Netrc(_) | Error::Url(_) => ExitStatus::Usage,
            Error::Setup(e) => e.exit_status(),
            _ => ExitStatus::Failed,
        }
    }
}
