//! Files for the unit tests: one file, with the text given, in a temporary
//! directory that lives as long as the value.

use std::path::PathBuf;

pub(crate) struct TempFile {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// `name` in a new temporary directory, holding `text`.
pub(crate) fn temp_file(name: &str, text: &str) -> TempFile {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("a temporary file");
    TempFile { dir, path }
}
