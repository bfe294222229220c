//! Reading JSON input: lines, and JSON text streams.
//!
//! [`LineReader`] reads line by line as bytes, so that one line of invalid
//! UTF-8 or invalid JSON is reported with its number and the next line is
//! still read; lines of any length are handled (the buffer grows). A UTF-8
//! byte-order mark at the very start of the input is dropped, as Splunk
//! sends one at times. [`JsonStream`] reads what jq reads, a JSON text
//! stream (values separated by any white space), one value at a time, each
//! with the line and column where it starts; [`token`] holds the lexical
//! rules of strict JSON that every reader here shares. The rules are in
//! docs/json-streams.md.

mod stream;
pub mod token;

use std::io::{self, BufRead};

pub use stream::{Framer, JsonStream, StreamError, Value};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One input line, without its line terminator (`\n` or `\r\n`).
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    pub bytes: &'a [u8],
}

impl<'a> Line<'a> {
    /// The line as text, or a reason naming the bad byte offset.
    pub fn text(&self) -> Result<&'a str, LineError> {
        std::str::from_utf8(self.bytes).map_err(|e| LineError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })
    }

    /// A line of nothing but white space (jq skips these silently).
    pub fn is_blank(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 { offset: usize },
}

/// Reads lines from a `BufRead`, counting them.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    number: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(64 * 1024),
            number: 0,
        }
    }

    /// The next line, or `None` at the end of input. A final line without a
    /// terminating newline is still a line.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let n = self.inner.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let mut bytes: &[u8] = &self.buf;
        if self.number == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        Ok(Some(Line {
            number: self.number,
            bytes,
        }))
    }

    /// Like [`next_line`](Self::next_line), but appends the line to `out`
    /// and returns its number and where it is in `out` (without the BOM and
    /// terminator, which are appended too): one copy less for a reader that
    /// gathers lines into batches. `None` at the end of input.
    pub fn next_line_into(
        &mut self,
        out: &mut Vec<u8>,
    ) -> io::Result<Option<(u64, std::ops::Range<usize>)>> {
        let start = out.len();
        let n = self.inner.read_until(b'\n', out)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let (mut s, mut e) = (start, out.len());
        if self.number == 1 && out[s..e].starts_with(BOM) {
            s += BOM.len();
        }
        let terminated = e > s && out[e - 1] == b'\n';
        if terminated {
            e -= 1;
        }
        if e > s && out[e - 1] == b'\r' {
            e -= 1;
        }
        // Keep `terminated()` telling the truth about this line.
        self.buf.clear();
        if terminated {
            self.buf.push(b'\n');
        }
        Ok(Some((self.number, s..e)))
    }

    /// Whether the line last returned by [`next_line`](Self::next_line)
    /// ended with a newline. `false` for the final line of an input that
    /// stops mid-line, which a stream reader may need to tell apart from a
    /// complete line (a response cut off in transit).
    pub fn terminated(&self) -> bool {
        self.buf.last() == Some(&b'\n')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8]) -> Vec<(u64, Vec<u8>)> {
        let mut r = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.number, l.bytes.to_vec()));
        }
        out
    }

    #[test]
    fn bom_crlf_and_missing_final_newline() {
        let got = collect(b"\xEF\xBB\xBF{\"a\":1}\r\n\n{\"b\":2}");
        assert_eq!(
            got,
            vec![
                (1, b"{\"a\":1}".to_vec()),
                (2, b"".to_vec()),
                (3, b"{\"b\":2}".to_vec())
            ]
        );
    }

    #[test]
    fn tells_a_final_line_without_newline() {
        let mut r = LineReader::new(&b"a\nb"[..]);
        r.next_line().unwrap();
        assert!(r.terminated());
        r.next_line().unwrap();
        assert!(!r.terminated());
    }

    #[test]
    fn bom_only_stripped_on_first_line() {
        let got = collect(b"1\n\xEF\xBB\xBF2\n");
        assert_eq!(got[1].1, b"\xEF\xBB\xBF2".to_vec());
    }

    #[test]
    fn next_line_into_appends_and_matches_next_line() {
        let input = b"\xEF\xBB\xBF{\"a\":1}\r\n\n x \nlast";
        let mut r = LineReader::new(&input[..]);
        let mut out = b"keep".to_vec();
        let mut got = Vec::new();
        while let Some((n, range)) = r.next_line_into(&mut out).unwrap() {
            got.push((n, out[range].to_vec(), r.terminated()));
        }
        assert!(out.starts_with(b"keep"));
        assert_eq!(
            got,
            vec![
                (1, b"{\"a\":1}".to_vec(), true),
                (2, b"".to_vec(), true),
                (3, b" x ".to_vec(), true),
                (4, b"last".to_vec(), false),
            ]
        );
        assert_eq!(
            collect(input)
                .into_iter()
                .map(|(_, b)| b)
                .collect::<Vec<_>>(),
            got.into_iter().map(|(_, b, _)| b).collect::<Vec<_>>()
        );
    }

    #[test]
    fn invalid_utf8_is_reported_per_line() {
        let mut r = LineReader::new(&b"ok\n\xff\xfe\nok2\n"[..]);
        assert!(r.next_line().unwrap().unwrap().text().is_ok());
        let bad = r.next_line().unwrap().unwrap();
        assert_eq!(bad.number, 2);
        assert_eq!(bad.text(), Err(LineError::InvalidUtf8 { offset: 0 }));
        assert_eq!(r.next_line().unwrap().unwrap().text().unwrap(), "ok2");
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn very_long_line() {
        let long = vec![b'x'; 5 * 1024 * 1024];
        let mut input = long.clone();
        input.push(b'\n');
        input.extend_from_slice(b"y\n");
        let got = collect(&input);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), long.len());
    }
}
