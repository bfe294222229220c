//! The front half every Segment-sending tool shares: read events, check
//! each one as Segment would ([`super::validate`]), skip the ones a delivery
//! ledger says were delivered already, and pack the rest into request bodies
//! ([`super::packer`]). What comes out is a stream of [`Step`]s: finished
//! batches, and rejected lines with a typed reason. What a tool does with
//! them (send, print, refuse a second batch) is its own business.
//!
//! The input is read here and nowhere else in the Segment tools.

use std::io;
use std::path::PathBuf;

use super::client::ClientArgs;
use super::packer::{Batch, DoesNotFit, Limits, Packer};
use super::validate::{check_event_with, message_id, Invalid};
use super::MAX_BODY_BYTES;
use segment_bridge_core::cli::Input;
use segment_bridge_core::env;
use segment_bridge_json::{JsonStream, StreamError};

/// The batch-size option of every Segment-sending tool.
#[derive(Debug, Clone, clap::Args)]
pub struct BatchArgs {
    /// Largest request body in bytes (Segment refuses bodies over 500,000).
    #[arg(long = "batch-data-size", env = env::SEGMENT_BATCH_DATA_SIZE, default_value_t = MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body: usize,
}

/// The options both uploaders share: where and how to send (the client),
/// the batch size, where rejected lines go, and `--dry-run`.
#[derive(Debug, Clone, clap::Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub batch: BatchArgs,

    /// Write rejected input lines, as read, to this file.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Print the payload (one per batch) on stdout instead of sending it;
    /// needs no write key.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--batch-data-size` too small for any event.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("batch-data-size {0} is too small for any event")]
pub struct BadLimit(pub usize);

impl BatchArgs {
    /// The limits, checked: a body must hold at least `{}`. `to_segment`:
    /// the bodies go to Segment, so a size over its limit is warned about.
    pub fn limits(&self, to_segment: bool) -> Result<Limits, BadLimit> {
        let limits = Limits::with_max_body(self.max_body);
        if !limits.fits_alone(2) {
            return Err(BadLimit(self.max_body));
        }
        if to_segment && self.max_body > MAX_BODY_BYTES {
            tracing::warn!(
                "batch-data-size {} is over Segment's limit of {MAX_BODY_BYTES} bytes: requests may be refused",
                self.max_body
            );
        }
        Ok(limits)
    }
}

/// Why an input value is not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// It is not JSON (where it went wrong: line and column).
    #[error("invalid JSON: {0}")]
    Syntax(StreamError),
    /// Segment would refuse or drop it.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// It can't fit in any request body under the configured limit.
    #[error(transparent)]
    DoesNotFit(#[from] DoesNotFit),
}

/// What the front half hands on, in input order.
pub enum Step<'a> {
    /// A full request body (or the last one).
    Batch(Batch),
    /// A value that won't be sent, as read (`line`: where it starts).
    Rejected {
        line: u64,
        raw: &'a [u8],
        why: Rejection,
    },
}

/// The figures of the front half (its fields are the metrics' names:
/// [`segment_bridge_core::Outcome::count_fields`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Intake {
    /// Values read from the input (a JSON text stream: one value per line,
    /// or any white space between them, docs/json-streams.md).
    pub events_read: u64,
    /// Lines rejected (each handed on as [`Step::Rejected`]).
    pub events_rejected: u64,
    /// Events skipped because the ledger holds their `messageId`.
    #[serde(rename = "events_already_delivered")]
    pub already_delivered: u64,
}

/// Why the front half stopped.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError<E> {
    /// Reading the input failed; the events read before it were handed on.
    #[error("cannot read standard input")]
    Read(#[source] io::Error),
    /// The consumer of the steps failed.
    #[error(transparent)]
    Consumer(E),
}

impl<E: From<segment_bridge_core::Error>> IntakeError<E> {
    /// The tool's own error: the consumer's, or a read error as
    /// [`segment_bridge_core::Error::Stdin`].
    pub fn into_tool_error(self) -> E {
        match self {
            IntakeError::Read(e) => segment_bridge_core::Error::Stdin(e).into(),
            IntakeError::Consumer(e) => e,
        }
    }
}

/// Which events were delivered before (the delivery ledger).
pub trait Delivered {
    fn contains(&self, message_id: &str) -> bool;
}

/// The `messageId`s of a delivery ledger file: one per line, whole lines
/// only (a last line without its newline was cut by a kill and is not an
/// id), empty lines and invalid UTF-8 skipped.
pub fn ledger_ids(text: &[u8]) -> impl Iterator<Item = &str> {
    let whole = text
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(&text[..0], |end| &text[..end]);
    whole
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter(|l| !l.is_empty())
}

/// Reads `input` to its end, handing each finished batch and each rejected
/// line to `on` in order; events whose `messageId` `delivered` holds are
/// skipped. After a read error, what was read before it is still handed on
/// (the last batch included), then the error is returned.
pub fn read_batches<E>(
    input: Input<'_>,
    limits: Limits,
    delivered: Option<&dyn Delivered>,
    mut on: impl FnMut(Step<'_>) -> Result<(), E>,
) -> Result<Intake, IntakeError<E>> {
    let mut reader = JsonStream::new(input);
    let mut packer = Packer::new(limits);
    let mut counts = Intake::default();
    let read_error = loop {
        let value = match reader.next_value() {
            Ok(Some(v)) => v,
            Ok(None) => break None,
            Err(e) => break Some(e),
        };
        counts.events_read += 1;
        let checked = match value.error {
            Some(e) => Err(Rejection::Syntax(e)),
            None => check_event_with(value.bytes, limits.max_event).map_err(Rejection::from),
        };
        let pushed = match checked {
            Ok(json) if is_delivered(delivered, &json) => {
                counts.already_delivered += 1;
                continue;
            }
            Ok(json) => packer.push(value.number, &json).map_err(Rejection::from),
            Err(why) => Err(why),
        };
        let step = match pushed {
            Ok(None) => continue,
            Ok(Some(batch)) => Step::Batch(batch),
            Err(why) => {
                counts.events_rejected += 1;
                Step::Rejected {
                    line: value.number,
                    raw: value.bytes,
                    why,
                }
            }
        };
        on(step).map_err(IntakeError::Consumer)?;
    };
    if let Some(batch) = packer.finish() {
        on(Step::Batch(batch)).map_err(IntakeError::Consumer)?;
    }
    match read_error {
        Some(e) => Err(IntakeError::Read(e)),
        None => Ok(counts),
    }
}

fn is_delivered(delivered: Option<&dyn Delivered>, event: &[u8]) -> bool {
    let Some(ledger) = delivered else {
        return false;
    };
    message_id(event).is_some_and(|id| ledger.contains(&id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    impl Delivered for HashSet<String> {
        fn contains(&self, id: &str) -> bool {
            HashSet::contains(self, id)
        }
    }

    fn ev(id: &str) -> String {
        format!(r#"{{"messageId":"{id}","userId":"u","type":"track","event":"e"}}"#)
    }

    #[test]
    fn batches_rejections_and_ledger_skips_in_order() {
        let text = format!(
            "{}\n\n{{\"event\":\"x\"}}\n{}\n{}\n",
            ev("a"),
            ev("b"),
            ev("c")
        );
        let ledger: HashSet<String> = ["b".to_owned()].into();
        let mut seen = Vec::new();
        let counts = read_batches::<()>(
            &mut text.as_bytes(),
            Limits::default(),
            Some(&ledger),
            |step| {
                seen.push(match step {
                    Step::Batch(b) => format!("batch of {}", b.len()),
                    Step::Rejected { line, why, .. } => format!("line {line}: {why}"),
                });
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            [
                "line 3: no `userId` or `anonymousId` (Segment would drop it)",
                "batch of 2"
            ]
        );
        assert_eq!(
            counts,
            Intake {
                events_read: 4,
                events_rejected: 1,
                already_delivered: 1
            }
        );
    }

    #[test]
    fn ledger_ids_are_whole_lines() {
        let ids: Vec<&str> = ledger_ids(b"a\n\nb\nc-cut").collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(ledger_ids(b"cut").count(), 0);
    }

    #[test]
    fn an_event_too_big_for_the_body_is_a_typed_rejection() {
        let text = ev("a");
        let mut whys = Vec::new();
        read_batches::<()>(
            &mut text.as_bytes(),
            Limits::with_max_body(20),
            None,
            |step| {
                if let Step::Rejected { why, .. } = step {
                    whys.push(why);
                }
                Ok(())
            },
        )
        .unwrap();
        assert!(matches!(whys[..], [Rejection::DoesNotFit(_)]), "{whys:?}");
    }
}
