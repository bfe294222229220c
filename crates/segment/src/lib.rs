//! The Segment batch API client (`docs/apis/segment.md`, `docs/delivery.md`).
//!
//! Segment answers 200 and then drops silently much of what is wrong with a
//! batch, refuses a whole request over its size limit, and loses nothing only
//! if the sender retries right. So the pieces here, one file per role, are
//! built around counting exact bytes and never losing an event:
//! [`payload`] builds the `{"batch":[…]}` body byte for byte (number literals
//! kept as written), [`validate`] catches locally what Segment would drop,
//! [`packer`] fills request bodies as close to the limit as allowed,
//! [`credentials`] finds the write key (env or netrc), [`client`] sends a
//! body with the project's one retry policy, and [`intake`] is the front
//! half every Segment tool shares (read → validate → skip → pack → reject).
//!
//! Built on `segment-bridge-core` (errors, env names, the entry helper's
//! types), `segment-bridge-net` (HTTP, netrc, retry) and
//! `segment-bridge-json` (the stream reader of the intake).

pub mod client;
pub mod credentials;
pub mod intake;
pub mod packer;
pub mod payload;
pub mod validate;

pub use client::{Client, ClientArgs, ClientConfig, SendError, Sent};
pub use credentials::{Credentials, CredentialsError};
pub use intake::{
    ledger_ids, read_batches, BadLimit, BatchArgs, Delivered, Intake, IntakeError, Rejection, Step,
    UploadArgs,
};
pub use packer::{Batch, DoesNotFit, Limits, Packer};
pub use payload::{compact, payload, BATCH_PREFIX, BATCH_SUFFIX, WRAPPER_BYTES};
pub use validate::{check_event, check_event_with, message_id, Invalid};

/// The largest request body Segment takes, in bytes (the safe reading of
/// "500 KB"; `SEGMENT_BATCH_DATA_SIZE` overrides it).
pub const MAX_BODY_BYTES: usize = 500_000;
/// An event must be *under* this many bytes, serialised.
pub const MAX_EVENT_BYTES: usize = 32_000;
/// At most this many events per batch.
pub const MAX_EVENTS: usize = 2_500;
/// A `messageId` longer than this (in characters) is dropped by Segment.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

/// No write key found: a configuration error of the tool (exit 2).
impl From<CredentialsError> for segment_bridge_core::Error {
    fn from(e: CredentialsError) -> Self {
        segment_bridge_core::Error::setup(e)
    }
}

/// `--batch-data-size` too small for any event (exit 2).
impl From<BadLimit> for segment_bridge_core::Error {
    fn from(e: BadLimit) -> Self {
        segment_bridge_core::Error::setup(e)
    }
}
