//! The uploader's side of the delivery ledger (docs/delivery.md): a file of
//! `messageId`s, one per line. The ids in it when the run starts are events
//! delivered before: they are skipped. The ids of every batch Segment
//! accepts are appended to it right after the 200, so that `bridge-window
//! commit --ledger` can record them.
//!
//! It never causes a loss: a file that can't be read means nothing is
//! skipped, and one that can't be written means this run's deliveries are
//! sent again by a later run; both with a warning. A line cut short by a
//! kill is not an id.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use segment_bridge_segment::{ledger_ids, message_id, Batch, Delivered};

/// The ids delivered before this run.
pub struct Known(HashSet<String>);

impl Delivered for Known {
    fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

impl Known {
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Appends the ids of accepted batches.
pub struct Journal {
    path: PathBuf,
    file: Option<File>,
    /// The file ends in a line cut short: end it before appending.
    cut: bool,
}

/// Reads the ledger file and opens it for appending.
pub fn open(path: &Path) -> (Known, Journal) {
    let mut cut = false;
    let known = match std::fs::read(path) {
        Ok(text) => {
            cut = text.last().is_some_and(|&b| b != b'\n');
            ledger_ids(&text).map(str::to_owned).collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
        Err(e) => {
            tracing::warn!(
                "cannot read the ledger `{}` ({e}): sending every event, skipping none",
                path.display()
            );
            HashSet::new()
        }
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            tracing::warn!(
                "cannot write the ledger `{}` ({e}): this run's deliveries will be sent again later",
                path.display()
            );
        })
        .ok();
    let journal = Journal {
        path: path.to_owned(),
        file,
        cut,
    };
    (Known(known), journal)
}

impl Journal {
    /// Records the events of a batch Segment accepted.
    pub fn accepted(&mut self, batch: &Batch) {
        let Some(f) = &mut self.file else {
            return;
        };
        let mut text = String::new();
        if std::mem::take(&mut self.cut) {
            text.push('\n');
        }
        for (_, e) in batch.events() {
            if let Some(id) = message_id(e).filter(|id| !id.contains('\n')) {
                text.push_str(&id);
                text.push('\n');
            }
        }
        if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.flush()) {
            tracing::warn!(
                "cannot write the ledger `{}` ({e}): this run's deliveries will be sent again later",
                self.path.display()
            );
            self.file = None;
        }
    }
}
