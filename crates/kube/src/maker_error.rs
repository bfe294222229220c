//! What can stop a map maker: reading the clusters or publishing (the
//! ConfigMap, through [`Error`]), or the Splunk KV store through
//! `segment_bridge_splunk`
//! (`docs/kvstore.md`). One type for both map makers.

use segment_bridge_core::{ExitStatus, ToolError};
use segment_bridge_splunk::{self as splunk, kvstore};

use crate::Error;

#[derive(Debug, thiserror::Error)]
pub enum MakerError {
    #[error(transparent)]
    Kube(#[from] Error),

    #[error(transparent)]
    KvStore(#[from] kvstore::PublishError),

    /// The Splunk client could not be set up (configuration, exit 2).
    #[error(transparent)]
    Splunk(#[from] splunk::Error),
}

impl ToolError for MakerError {
    fn exit_status(&self) -> ExitStatus {
        match self {
            MakerError::Kube(e) => e.exit_status(),
            MakerError::KvStore(e) => e.exit_status(),
            MakerError::Splunk(e) => e.exit_status(),
        }
    }
}
