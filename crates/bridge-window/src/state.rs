//! Where the watermark lives between runs.
//!
//! A file (`--state-file`), written atomically (a temporary file in the same
//! directory, synced, then renamed over the old one) so that a job killed in
//! the middle of a commit leaves the old watermark or the new one, never half
//! of one. Its content is one JSON object, `{"watermark":EPOCH}`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;

/// The persisted state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// End (Unix seconds) of the last window every stage delivered in full.
    pub watermark: i64,
}

impl State {
    /// The JSON form stored in a file or a ConfigMap key.
    pub fn to_json(self) -> String {
        format!("{{\"watermark\":{}}}", self.watermark)
    }

    /// Parses what [`State::to_json`] wrote; `where_` names the store in
    /// errors.
    pub fn from_json(text: &str, where_: &str) -> Result<State, Error> {
        serde_json::from_str(text).map_err(|source| Error::CorruptState {
            store: where_.to_owned(),
            source,
        })
    }
}

/// A watermark file.
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

    /// Replaces the stored state atomically.
    pub fn save(&self, state: State) -> Result<(), Error> {
        let fail = |source| Error::WriteState {
            store: self.name(),
            source,
        };
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".bridge-window-")
            .tempfile_in(dir)
            .map_err(fail)?;
        writeln!(tmp, "{}", state.to_json()).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        tmp.persist(&self.path).map_err(|e| fail(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_no_watermark_and_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("state.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(State { watermark: 42 }).unwrap();
        assert_eq!(store.load().unwrap(), Some(State { watermark: 42 }));
        store.save(State { watermark: 43 }).unwrap();
        assert_eq!(
            std::fs::read_to_string(&store.path).unwrap(),
            "{\"watermark\":43}\n"
        );
        // Only the state file is left: the temporary file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn corrupt_or_unwritable_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{\"watermark\":\"soon\"}").unwrap();
        let err = FileStore::new(&path).load().unwrap_err();
        assert!(matches!(err, Error::CorruptState { .. }), "{err:?}");
        let err = FileStore::new(dir.path().join("no/such/dir/state.json"))
            .save(State { watermark: 1 })
            .unwrap_err();
        assert!(matches!(err, Error::WriteState { .. }), "{err:?}");
    }
}
