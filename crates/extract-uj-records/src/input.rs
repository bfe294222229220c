//! The audit logs of one run: which files, in which order, which can be
//! left unread, and how each is opened.
//!
//! - **Order.** The API server rotates its log with lumberjack: the live
//!   file is `audit.log`, a rotated one `audit-<UTC time>.log` (`.gz` once
//!   compressed), named by the time it was rotated. Rotated files are read
//!   oldest first (by the time in their name), then the other files in the
//!   order given, so `audit-*.log* audit.log` in any order reads the log
//!   as it was written.
//! - **Skipping.** A rotated file was closed at the time in its name, so
//!   every event in it was received before then: when that time is before
//!   the window's start, the file is not opened. Nothing bounds a file's
//!   *first* event from its name (a request received before the previous
//!   rotation can be logged after it), so a file is never skipped for
//!   lying after the window.
//! - **Compression.** A file (or standard input) that starts with gzip's
//!   magic bytes is decompressed, whatever its name; concatenated gzip
//!   members (`cat a.gz b.gz`) are read as one stream.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Read buffer of a file.
const BUFFER: usize = 256 * 1024;

/// One input of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `None`: standard input.
    pub path: Option<PathBuf>,
    /// The rotation time in the file's name, if it is a rotated log.
    pub rotated: Option<Timestamp>,
}

impl Source {
    /// How messages name it (`None` for standard input).
    pub fn label(&self) -> Option<String> {
        self.path.as_ref().map(|p| p.display().to_string())
    }
}

/// The files in reading order (see the module doc); no file or only `-`:
/// standard input.
pub fn order(files: &[PathBuf]) -> Vec<Source> {
    let mut sources: Vec<Source> = files
        .iter()
        .map(|p| Source {
            path: (p.as_os_str() != "-").then(|| p.clone()),
            rotated: p
                .file_name()
                .and_then(OsStr::to_str)
                .and_then(rotation_time),
        })
        .collect();
    if sources.is_empty() {
        sources.push(Source {
            path: None,
            rotated: None,
        });
    }
    // Stable: files that are not rotated keep their order, after the
    // rotated ones.
    sources.sort_by_key(|s| (s.rotated.is_none(), s.rotated));
    sources
}

/// The time in a lumberjack backup name: `<name>-YYYY-MM-DDTHH-MM-SS.mmm`
/// followed by the extension (`.log`) and maybe `.gz`; lumberjack writes
/// it in UTC unless told to use local time, and the API server does not.
pub fn rotation_time(name: &str) -> Option<Timestamp> {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    // `YYYY-MM-DDTHH-MM-SS.mmm` is 23 characters, right before the
    // extension.
    let stem = match name.rfind('.') {
        Some(dot)
            if name.len() - dot <= 5
                && name[dot + 1..].bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            &name[..dot]
        }
        _ => name,
    };
    let stamp = stem.get(stem.len().checked_sub(23)?..)?;
    if !stem[..stem.len() - 23].ends_with('-') {
        return None;
    }
    let b = stamp.as_bytes();
    if b[10] != b'T' || b[13] != b'-' || b[16] != b'-' || b[19] != b'.' {
        return None;
    }
    let iso = format!("{}:{}:{}", &stamp[..13], &stamp[14..16], &stamp[17..]);
    let dt: DateTime = iso.parse().ok()?;
    dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// Opens a file, decompressing it if it is gzip.
pub fn open_file(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let f = File::open(path)?;
    decompress(BufReader::with_capacity(BUFFER, f))
}

/// `input`, decompressed when it starts with gzip's magic bytes.
pub fn decompress<'a, R: BufRead + 'a>(mut input: R) -> io::Result<Box<dyn BufRead + 'a>> {
    let head = input.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        let gz = MultiGzDecoder::new(input);
        Ok(Box::new(BufReader::with_capacity(BUFFER, gz)))
    } else {
        Ok(Box::new(input))
    }
}

/// Reads all of a (possibly gzip) input; for tests.
pub fn read_all(input: impl BufRead) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    decompress(input)?.read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn rotation_names() {
        assert_eq!(
            rotation_time("audit-2023-11-22T10-00-00.000.log"),
            Some(t("2023-11-22T10:00:00Z"))
        );
        assert_eq!(
            rotation_time("audit-2023-11-22T10-00-00.123.log.gz"),
            Some(t("2023-11-22T10:00:00.123Z"))
        );
        assert_eq!(rotation_time("audit.log"), None);
        assert_eq!(rotation_time("audit-2023-11-22.log"), None);
        assert_eq!(rotation_time("x"), None);
        assert_eq!(rotation_time("2023-11-22T10-00-00.000.log"), None);
    }

    #[test]
    fn rotated_files_first_oldest_first() {
        let files: Vec<PathBuf> = [
            "m1/audit.log",
            "m1/audit-2023-11-22T12-00-00.000.log.gz",
            "other.jsonl",
            "m1/audit-2023-11-22T10-00-00.000.log",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let got: Vec<String> = order(&files).iter().filter_map(Source::label).collect();
        assert_eq!(
            got,
            [
                "m1/audit-2023-11-22T10-00-00.000.log",
                "m1/audit-2023-11-22T12-00-00.000.log.gz",
                "m1/audit.log",
                "other.jsonl"
            ]
        );
        assert_eq!(
            order(&[]),
            vec![Source {
                path: None,
                rotated: None
            }]
        );
    }

    #[test]
    fn gzip_by_magic_bytes() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n").unwrap();
        let mut twice = gz.finish().unwrap();
        twice.extend_from_within(..);
        assert_eq!(read_all(&twice[..]).unwrap(), b"{\"a\":1}\n{\"a\":1}\n");
        assert_eq!(read_all(&b"plain"[..]).unwrap(), b"plain");
        assert_eq!(read_all(&b""[..]).unwrap(), b"");
    }
}
