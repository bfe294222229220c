//! What every tool does with a record it rejects, written once.
//!
//! - It is **reported** on stderr by the one [`Reporter`]: a warning whose
//!   message is `<where>: <reason>` (`line 3, column 8: invalid JSON: …`,
//!   `audit.log: line 12: …`, `record 4: …`) and whose fields are `file`,
//!   `line`, `column`, `record` (those known) and `reason`, so JSON logs
//!   carry them as fields. The first [`LISTED`] rejections of a run are
//!   listed one by one; after that one line says the rest are counted (in
//!   the summary line and metrics) and written to `--rejects`, not listed,
//!   so that a file of garbage cannot flood the logs.
//! - It goes to the `--rejects FILE` of every tool ([`Rejects`]): the
//!   rejected records exactly as they were read, one per line, so that
//!   after fixing the cause an operator can feed the file back into the
//!   same tool.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// How many rejections of one run are listed one by one on stderr.
pub const LISTED: u64 = 100;

/// Where a rejected record was. Every part is optional: a JSON line has a
/// line, a value of a JSON text stream a line and the column where it
/// starts, a result of a `{"results":[…]}` document a record number, and a
/// tool reading several files names the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct At<'a> {
    pub file: Option<&'a str>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub record: Option<u64>,
}

impl At<'_> {
    /// A line (a JSON line, or a CSV record's first line).
    pub fn line(line: u64) -> At<'static> {
        At {
            line: Some(line),
            ..At::default()
        }
    }

    /// A value of a JSON text stream: the line and column where it starts.
    pub fn value(line: u64, column: u64) -> At<'static> {
        At {
            line: Some(line),
            column: Some(column),
            ..At::default()
        }
    }

    /// A result of a `{"results":[…]}` document, counted from 1.
    pub fn record(record: u64) -> At<'static> {
        At {
            record: Some(record),
            ..At::default()
        }
    }

    /// The same place in `file`.
    pub fn in_file(self, file: &str) -> At<'_> {
        At {
            file: Some(file),
            line: self.line,
            column: self.column,
            record: self.record,
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = self.line {
            parts.push(format!("line {n}"));
        }
        if let Some(c) = self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(r) = self.record {
            parts.push(format!("record {r}"));
        }
        match self.file {
            Some(file) if parts.is_empty() => write!(f, "{file}"),
            Some(file) => write!(f, "{file}: {}", parts.join(", ")),
            None if parts.is_empty() => write!(f, "input"),
            None => write!(f, "{}", parts.join(", ")),
        }
    }
}

/// Reports rejected records on stderr, the same way in every tool (see the
/// module's documentation).
#[derive(Debug, Default)]
pub struct Reporter {
    reported: u64,
}

impl Reporter {
    /// Reports one rejected record.
    pub fn report(&mut self, at: At<'_>, reason: &dyn fmt::Display) {
        self.reported += 1;
        if self.reported <= LISTED {
            tracing::warn!(
                file = at.file,
                line = at.line,
                column = at.column,
                record = at.record,
                reason = %reason,
                "{at}: {reason}"
            );
        } else if self.reported == LISTED + 1 {
            tracing::warn!(
                listed = LISTED,
                "more rejected records: counted in the summary and written to --rejects, not listed"
            );
        }
    }

    /// How many were reported.
    pub fn count(&self) -> u64 {
        self.reported
    }
}

/// An optional rejects file plus the count of what was rejected, and the
/// [`Reporter`] that reports each on stderr.
pub struct Rejects {
    file: Option<(PathBuf, BufWriter<File>)>,
    count: u64,
    reporter: Reporter,
}

impl Rejects {
    /// Opens (creates or truncates) `path` when given. Failing to open it is
    /// a configuration error: nothing has been read yet.
    pub fn open(path: Option<&Path>) -> Result<Rejects, Error> {
        let file = match path {
            Some(p) => {
                let f = File::create(p).map_err(|source| Error::CreateFile {
                    path: p.to_owned(),
                    source,
                })?;
                Some((p.to_owned(), BufWriter::new(f)))
            }
            None => None,
        };
        Ok(Rejects {
            file,
            count: 0,
            reporter: Reporter::default(),
        })
    }

    /// Reports a rejected record on stderr (where, and why), counts it and
    /// writes its raw bytes to the file: what every tool does with a record
    /// it rejects.
    pub fn reject_at(
        &mut self,
        at: At<'_>,
        reason: &dyn fmt::Display,
        raw: &[u8],
    ) -> Result<(), Error> {
        self.reporter.report(at, reason);
        self.reject(raw)
    }

    /// Counts one rejected record and writes its raw bytes to the file,
    /// without reporting it (for a record already reported, such as an
    /// event dead-lettered after a refused batch).
    pub fn reject(&mut self, raw: &[u8]) -> Result<(), Error> {
        self.count += 1;
        if let Some((path, w)) = &mut self.file {
            // One record per line: a value that spanned lines has its line
            // breaks made spaces (white space to JSON, and no JSON string
            // holds a raw line break, so nothing else changes).
            let r = if raw.contains(&b'\n') {
                let one: Vec<u8> = raw
                    .iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
                    .collect();
                w.write_all(&one)
            } else {
                w.write_all(raw)
            };
            let r = r.and_then(|()| w.write_all(b"\n"));
            r.map_err(|e| Error::io(format!("cannot write rejects file `{}`", path.display()), e))?;
        }
        Ok(())
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn finish(mut self) -> Result<u64, Error> {
        if let Some((path, w)) = &mut self.file {
            w.flush().map_err(|e: io::Error| {
                Error::io(format!("cannot write rejects file `{}`", path.display()), e)
            })?;
        }
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::temp_file;

    #[test]
    fn every_place_reads_the_same_way() {
        assert_eq!(At::line(3).to_string(), "line 3");
        assert_eq!(At::value(3, 8).to_string(), "line 3, column 8");
        assert_eq!(At::record(4).to_string(), "record 4");
        assert_eq!(
            At::line(12).in_file("audit.log").to_string(),
            "audit.log: line 12"
        );
        assert_eq!(At::default().in_file("a.gz").to_string(), "a.gz");
    }

    #[test]
    fn past_the_listed_ones_rejections_are_counted_not_listed() {
        let mut r = Reporter::default();
        for n in 1..=LISTED + 5 {
            r.report(At::line(n), &"bad");
        }
        assert_eq!(r.count(), LISTED + 5);
    }

    #[test]
    fn a_value_over_several_lines_is_one_record_of_the_file() {
        let (_dir, path) = temp_file("rejects.jsonl", "left from an earlier run\n");
        let mut r = Rejects::open(Some(&path)).unwrap();
        r.reject(b"{\n  \"a\": 01\r\n}").unwrap();
        r.reject(b"not json").unwrap();
        assert_eq!(r.finish().unwrap(), 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{   \"a\": 01  }\nnot json\n");
    }
}
