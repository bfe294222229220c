//! Where events that are not delivered go: rejected input lines to
//! `--rejects`, the events of batches that failed after their retries to
//! `--dead-letter` (by default the rejects file too; without either file,
//! their `messageId`s go to the log). One owner writes both files, so the
//! two may be the same file without any locking.

use std::path::{Path, PathBuf};

use segment_bridge_core::error::chain;
use segment_bridge_core::rejects::Rejects;
use segment_bridge_segment::{message_id, Batch};

/// Where dead letters go.
enum Dead {
    /// Into the rejects file (`--dead-letter` unset or the same path).
    Rejects(PathBuf),
    /// Into a file of their own.
    File(PathBuf, Rejects),
    /// Only their `messageId`s, into the log.
    Log,
}

/// The owned writer of rejected lines and dead letters.
pub struct Letters {
    rejects: Rejects,
    dead: Dead,
    /// The first failure to write a file, reported at the end.
    failed: Option<segment_bridge_core::Error>,
}

impl Letters {
    /// Opens (creates or truncates) the files. Failing to is a configuration
    /// error: nothing has been read yet.
    pub fn open(
        rejects: Option<&Path>,
        dead: Option<&Path>,
    ) -> Result<Letters, segment_bridge_core::Error> {
        let dead = match (dead, rejects) {
            (Some(d), Some(r)) if d == r => Dead::Rejects(d.to_owned()),
            (Some(d), _) => Dead::File(d.to_owned(), Rejects::open(Some(d))?),
            (None, Some(r)) => Dead::Rejects(r.to_owned()),
            (None, None) => Dead::Log,
        };
        Ok(Letters {
            rejects: Rejects::open(rejects)?,
            dead,
            failed: None,
        })
    }

    /// Writes one rejected input line, as read.
    pub fn reject(&mut self, raw: &[u8]) {
        if let Err(e) = self.rejects.reject(raw) {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: segment_bridge_core::Error) {
        tracing::error!("{}", chain(&e));
        self.failed.get_or_insert(e);
    }

    /// Records the events of a batch that could not be delivered (batch
    /// number `index`); `why` says what happened.
    pub fn dead_letter(&mut self, index: u64, batch: &Batch, why: &str) {
        let lines = batch
            .line_range()
            .map_or(String::new(), |(a, b)| format!(" (lines {a}-{b})"));
        let n = batch.len();
        let (path, file) = match &mut self.dead {
            Dead::Rejects(p) => (p.clone(), &mut self.rejects),
            Dead::File(p, f) => (p.clone(), f),
            Dead::Log => return log_ids(index, &lines, batch, why),
        };
        match batch.events().try_for_each(|(_, e)| file.reject(e)) {
            Ok(()) => tracing::error!(
                "batch {index}{lines}: {n} events not delivered: {why}; written to `{}`",
                path.display()
            ),
            Err(e) => {
                self.fail(e);
                log_ids(index, &lines, batch, why);
            }
        }
    }

    /// Flushes the files; the first failure to write either is the error.
    pub fn finish(self) -> Result<(), segment_bridge_core::Error> {
        let rejects = self.rejects.finish().map(|_| ());
        let dead = match self.dead {
            Dead::File(_, f) => f.finish().map(|_| ()),
            Dead::Rejects(_) | Dead::Log => Ok(()),
        };
        match self.failed {
            Some(e) => Err(e),
            None => rejects.and(dead),
        }
    }
}

/// The last resort: the lost events' `messageId`s in the log.
fn log_ids(index: u64, lines: &str, batch: &Batch, why: &str) {
    let ids: Vec<String> = batch
        .events()
        .map(|(line, e)| message_id(e).unwrap_or_else(|| format!("<line {line}>")))
        .collect();
    tracing::error!(
        "batch {index}{lines}: {} events not delivered: {why}; no dead-letter file, their messageIds: {}",
        batch.len(),
        ids.join(" ")
    );
}
