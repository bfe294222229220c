//! Where rejected input goes besides stderr: the `--rejects FILE` of every
//! tool. The file receives the rejected lines exactly as they were read, one
//! per line, so that after fixing the cause an operator can feed the file
//! back into the same tool. The reason goes to stderr with the line number.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// An optional rejects file plus the count of what was rejected.
pub struct Rejects {
    file: Option<(PathBuf, BufWriter<File>)>,
    count: u64,
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
        Ok(Rejects { file, count: 0 })
    }

    /// Counts one rejected record and writes its raw bytes to the file.
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
