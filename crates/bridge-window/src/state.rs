//! Where the watermark and the delivery ledger live between runs
//! (docs/delivery.md).
//!
//! One JSON object, `{"watermark":EPOCH,"ledger":{"EPOCH":["id",…],…}}`, so
//! that the two are always written together. The ledger holds the
//! `messageId`s Segment accepted, grouped by the end of the window of the
//! run that delivered them (an upper bound of their events' times), which is
//! what pruning needs.
//!
//! A file (`--state-file`) is replaced atomically: written to one fixed
//! temporary name beside it (`<file>.tmp`, reused, so a commit killed
//! half-way leaves at most that one file, overwritten by the next commit),
//! synced, given the old file's permissions, then renamed over the old one.
//! A job killed at any moment leaves the old state or the new one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use serde_json::value::RawValue;

use crate::Error;

/// Delivered `messageId`s by the window end of the run that delivered them.
pub type Ledger = BTreeMap<i64, BTreeSet<String>>;

/// The persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// End (Unix seconds) of the last window every stage delivered in full.
    pub watermark: Option<i64>,
    /// What Segment accepted, for skipping it when a window is queried again.
    pub ledger: Ledger,
}

#[derive(serde::Deserialize)]
struct Stored<'a> {
    #[serde(default)]
    watermark: Option<i64>,
    #[serde(borrow, default)]
    ledger: Option<&'a RawValue>,
}

#[derive(serde::Serialize)]
struct ToStore<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    watermark: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ledger: Option<&'a Ledger>,
}

impl State {
    /// The JSON form stored in a file or a ConfigMap key.
    pub fn to_json(&self) -> String {
        // An empty ledger is left out, unless there is no watermark either:
        // `{}` would not read back (see `from_json`), `{"ledger":{}}` does.
        let ledger = (!self.ledger.is_empty() || self.watermark.is_none()).then_some(&self.ledger);
        let s = ToStore {
            watermark: self.watermark,
            ledger,
        };
        // Integers and strings only: serialising can't fail.
        serde_json::to_string(&s).unwrap_or_default()
    }

    /// Parses what [`State::to_json`] wrote; `where_` names the store in
    /// errors. A watermark that can't be read is an error; a ledger that
    /// can't be read is dropped with a warning (everything is sent again,
    /// nothing is skipped).
    pub fn from_json(text: &str, where_: &str) -> Result<State, Error> {
        let stored: Stored<'_> =
            serde_json::from_str(text).map_err(|source| Error::CorruptState {
                store: where_.to_owned(),
                source,
            })?;
        if stored.watermark.is_none() && stored.ledger.is_none() {
            return Err(Error::CorruptState {
                store: where_.to_owned(),
                source: serde::de::Error::custom("neither `watermark` nor `ledger`"),
            });
        }
        let ledger = match stored.ledger {
            None => Ledger::new(),
            Some(raw) => parse_ledger(raw.get()).unwrap_or_else(|e| {
                tracing::warn!(
                    "the delivery ledger in {where_} can't be read ({e}): sending every event again"
                );
                Ledger::new()
            }),
        };
        Ok(State {
            watermark: stored.watermark,
            ledger,
        })
    }

    /// Every `messageId` of the ledger.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ledger.values().flatten().map(String::as_str)
    }
}

fn parse_ledger(text: &str) -> Result<Ledger, serde_json::Error> {
    let by_key: BTreeMap<String, BTreeSet<String>> = serde_json::from_str(text)?;
    let mut ledger = Ledger::new();
    for (k, ids) in by_key {
        let at: i64 = k
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{k}` is not a Unix time")))?;
        ledger.entry(at).or_default().extend(ids);
    }
    Ok(ledger)
}

/// A state file.
#[derive(Debug, Clone)]
pub struct FileStore {
    pub path: PathBuf,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        FileStore { path: path.into() }
    }

    fn name(&self) -> String {
        format!("`{}`", self.path.display())
    }

    /// The one temporary name a commit writes to before renaming.
    pub fn tmp_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".tmp");
        PathBuf::from(p)
    }

    /// The stored state; `None` when the file does not exist yet.
    pub fn load(&self) -> Result<Option<State>, Error> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => State::from_json(&text, &self.name()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::ReadState {
                store: self.name(),
                source,
            }),
        }
    }

    /// Replaces the stored state atomically, keeping the file's permissions
    /// (a new file gets 0600: it is the job's own).
    pub fn save(&self, state: &State) -> Result<(), Error> {
        let fail = |source| Error::WriteState {
            store: self.name(),
            source,
        };
        let mode = match std::fs::metadata(&self.path) {
            Ok(m) => m.permissions().mode() & 0o7777,
            Err(_) => 0o600,
        };
        let tmp = self.tmp_path();
        let mut f = std::fs::File::create(&tmp).map_err(fail)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
        writeln!(f, "{}", state.to_json()).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        drop(f);
        hold_for_kill_test();
        std::fs::rename(&tmp, &self.path).map_err(fail)?;
        Ok(())
    }
}

/// For the test that kills the job in the middle of a commit
/// (`scripts/test-main-job-kill.sh`): with `BRIDGE_WINDOW_TEST_HOLD_COMMIT`
/// set to a path, create that file once the new state is written but not
/// yet renamed into place, and wait there (at most a minute) to be killed.
fn hold_for_kill_test() {
    let Some(marker) = std::env::var_os("BRIDGE_WINDOW_TEST_HOLD_COMMIT") else {
        return;
    };
    if std::fs::write(&marker, b"").is_ok() {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wm(w: i64) -> State {
        State {
            watermark: Some(w),
            ledger: Ledger::new(),
        }
    }

    #[test]
    fn missing_file_is_no_state_and_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("state.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&wm(42)).unwrap();
        assert_eq!(store.load().unwrap(), Some(wm(42)));
        let mut s = wm(43);
        s.ledger.entry(40).or_default().insert("a".into());
        store.save(&s).unwrap();
        assert_eq!(
            std::fs::read_to_string(&store.path).unwrap(),
            "{\"watermark\":43,\"ledger\":{\"40\":[\"a\"]}}\n"
        );
        assert_eq!(store.load().unwrap(), Some(s));
        // Only the state file is left: the temporary file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn permissions_survive_a_commit_and_a_stale_tmp_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("state.json"));
        store.save(&wm(1)).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store.path), 0o600);
        std::fs::set_permissions(&store.path, std::fs::Permissions::from_mode(0o644)).unwrap();
        // A commit killed after writing the temporary file.
        std::fs::write(store.tmp_path(), "{\"watermark\":").unwrap();
        store.save(&wm(2)).unwrap();
        assert_eq!(mode(&store.path), 0o644);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_old_format_reads_and_a_bad_ledger_is_dropped_not_fatal() {
        let s = State::from_json("{\"watermark\":7}", "here").unwrap();
        assert_eq!(s, wm(7));
        let s = State::from_json("{\"watermark\":7,\"ledger\":{\"x\":[1]}}", "here").unwrap();
        assert_eq!(s, wm(7));
        let s = State::from_json("{\"watermark\":7,\"ledger\":[]}", "here").unwrap();
        assert_eq!(s, wm(7));
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/state.rs`): a state with
    /// neither a watermark nor ledger entries (an unreadable ledger
    /// dropped, or one capped to nothing) was written as `{}`, which
    /// reading refuses as not a state at all.
    #[test]
    fn an_empty_state_reads_back() {
        let s = State::from_json("{\"ledger\":{\"x\":[\"a\"]}}", "here").unwrap();
        assert_eq!(s, State::default());
        assert_eq!(s.to_json(), "{\"ledger\":{}}");
        assert_eq!(State::from_json(&s.to_json(), "here").unwrap(), s);
        assert_eq!(wm(7).to_json(), "{\"watermark\":7}");
    }

    #[test]
    fn corrupt_or_unwritable_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{\"watermark\":\"soon\"}").unwrap();
        let err = FileStore::new(&path).load().unwrap_err();
        assert!(matches!(err, Error::CorruptState { .. }), "{err:?}");
        let err = FileStore::new(dir.path().join("no/such/dir/state.json"))
            .save(&wm(1))
            .unwrap_err();
        assert!(matches!(err, Error::WriteState { .. }), "{err:?}");
    }
}
