//! The delivery ledger's moving parts (docs/delivery.md, "Ledger"): the
//! file of `messageId`s handed to the uploader and appended to by it, and
//! recording, pruning and capping the ledger kept in the state.
//!
//! The rules that keep it from ever causing a loss: an id is recorded only
//! after Segment accepted its batch (the uploader appends it then); a line
//! without its newline (a write cut by a kill) is not an id; entries are
//! pruned only once no later window can reach their events; and when the
//! ledger would outgrow its store, the oldest entries go (their events
//! would be sent again, never skipped).

use std::io::{BufWriter, Write as _};
use std::path::Path;

use crate::state::Ledger;
use crate::Error;

/// Writes `ids`, one per line, to `path` (created or truncated).
pub fn write_ids<'a>(path: &Path, ids: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    let fail = |source| Error::WriteState {
        store: format!("`{}`", path.display()),
        source,
    };
    let mut w = BufWriter::new(std::fs::File::create(path).map_err(fail)?);
    for id in ids {
        w.write_all(id.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(fail)?;
    }
    w.flush().map_err(fail)
}

/// The ids in a file the uploader appended to. Only whole lines count; an
/// unreadable file gives none, with a warning (those events are sent again
/// next time, nothing is skipped).
pub fn read_ids(path: &Path) -> Vec<String> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(
                "cannot read the ledger file `{}` ({e}): its events will be sent again",
                path.display()
            );
            return Vec::new();
        }
    };
    segment_bridge_segment::ledger_ids(&text)
        .filter(|l| l.chars().count() <= 100)
        .map(str::to_owned)
        .collect()
}

/// Adds the ids not in the ledger yet under `at` (the end of the window
/// that delivered them); returns how many were added.
pub fn record(ledger: &mut Ledger, at: i64, ids: &[String]) -> usize {
    let known: std::collections::HashSet<&str> =
        ledger.values().flatten().map(String::as_str).collect();
    let new: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains(id.as_str()))
        .cloned()
        .collect();
    let n = new.len();
    if n > 0 {
        ledger.entry(at).or_default().extend(new);
    }
    n
}

/// Drops the entries recorded for windows ending before `before`: their
/// events lie before any window a later run queries. Returns how many ids
/// went.
pub fn prune(ledger: &mut Ledger, before: i64) -> usize {
    let keep = ledger.split_off(&before);
    let gone = ledger.values().map(|s| s.len()).sum();
    *ledger = keep;
    gone
}

/// Drops the oldest entries until the ledger's JSON is at most `max_bytes`.
pub fn cap(ledger: &mut Ledger, max_bytes: usize) {
    let size = |l: &Ledger| serde_json::to_string(l).map_or(usize::MAX, |s| s.len());
    let mut dropped = 0usize;
    while !ledger.is_empty() && size(ledger) > max_bytes {
        if let Some((_, ids)) = ledger.pop_first() {
            dropped += ids.len();
        }
    }
    if dropped > 0 {
        tracing::warn!(
            "the delivery ledger would pass {max_bytes} bytes: the {dropped} oldest messageIds were \
             dropped from it; their events will be sent again if queried again\n\
             hint: a ConfigMap holds 1 MiB; use --state-file on a volume for more"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_last_line_is_not_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ids");
        std::fs::write(&p, "a\nb\nc-cut").unwrap();
        assert_eq!(read_ids(&p), ["a", "b"]);
        std::fs::write(&p, "partial").unwrap();
        assert!(read_ids(&p).is_empty());
        assert!(read_ids(&dir.path().join("missing")).is_empty());
        write_ids(&p, ["x", "y"].into_iter()).unwrap();
        assert_eq!(read_ids(&p), ["x", "y"]);
    }

    #[test]
    fn record_prune_and_cap() {
        let mut l = Ledger::new();
        assert_eq!(record(&mut l, 10, &["a".into(), "b".into()]), 2);
        assert_eq!(record(&mut l, 20, &["b".into(), "c".into()]), 1);
        assert_eq!(l[&20].len(), 1);
        assert_eq!(prune(&mut l, 11), 2);
        assert_eq!(l.keys().copied().collect::<Vec<_>>(), [20]);
        record(&mut l, 30, &["d".repeat(50)]);
        cap(&mut l, 70);
        assert_eq!(l.keys().copied().collect::<Vec<_>>(), [30]);
        cap(&mut l, 10);
        assert!(l.is_empty());
    }
}
