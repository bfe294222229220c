//! Kubernetes access for segment-bridge, in its own crate so that the tools
//! that don't talk to Kubernetes don't compile `kube` and `k8s-openapi`.
//!
//! - [`config`]: clients from a kubeconfig (`KUBECONFIG`-style lists,
//!   `--context`, tokens, client certificates, exec plugins) or the pod's
//!   in-cluster service account; context selection by cluster name.
//! - [`proxy`]: the proxy of a cluster, chosen as kubectl chooses it
//!   (`proxy-url`, `HTTPS_PROXY`/`HTTP_PROXY`, `NO_PROXY`).
//! - [`list`]: paged lists (`limit` + continue token) with retries of
//!   transient failures and a restart when the token expires (410 Gone).
//! - [`resources`]: `UserSignup` through the dynamic API with an explicit
//!   plural, and tenant namespaces.
//! - [`configmap`]: publishing by server-side apply, refusing data over the
//!   1 MiB ConfigMap limit before writing.
//! - [`published`]: a map of any size in ConfigMaps: compressed shards of
//!   one generation and a pointer switched atomically; read back whole
//!   ([`format`]: its data keys and what a reader can find wrong).
//! - [`maps`] and [`job`]: the uid and workspace maps (`docs/tools/get-uid-map.md`, `get-workspace-map.md`) and the
//!   run both map makers share (concurrent contexts, later contexts win,
//!   nothing written on any failure or an empty map); [`maker_error`]: what
//!   stops either of them. [`entries`]: the compact map they build (key and
//!   value text in one string, a table of entry numbers).

pub mod config;
pub mod configmap;
pub mod entries;
pub mod error;
pub mod format;
pub mod job;
pub mod list;
pub mod maker_error;
pub mod maps;
pub mod proxy;
pub mod published;
pub mod resources;

pub use config::{Cluster, Source, Timeouts, STAGING_MEMBER_CLUSTERS};
pub use error::{ApiError, Error};
pub use job::{MapArgs, MapJob, MapMaker, Report};
pub use maker_error::MakerError;
pub use maps::MapKind;
