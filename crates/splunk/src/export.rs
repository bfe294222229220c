//! Reading the stream of Splunk's search export (`output_mode=json`).
//!
//! A response is one JSON object per line: result rows
//! (`{"preview":false,"offset":N,"result":{…}}`, the last of a set with
//! `"lastrow":true`), whole sets of `"preview":true` rows that a later set
//! supersedes, the no-results line `{"preview":false,"lastrow":true}`, and
//! message lines `{"messages":[{"type":…,"text":…}]}`. This reader hands out
//! the final lines byte for byte (only a leading BOM and the line terminator
//! are taken off), drops and counts preview rows, and decides whether the
//! response was a whole, successful answer.
//!
//! # When a response failed
//!
//! Splunk answers 200 and streams for a long time, so a good status says
//! little. A response is a failure when:
//! - a message line has type `ERROR` or `FATAL` (a search cancelled while
//!   streaming, a bad search that got past the parser) — at once, whatever
//!   came before it;
//! - the body has no line at all, BOM and white space aside (Splunk's answer
//!   to some broken searches; a search without results still sends the
//!   no-results line);
//! - reading the body fails (connection reset, a chunked body that stops
//!   without its final chunk, a read timeout);
//! - it *ended early*, defined precisely as: the body ended (cleanly, as far
//!   as HTTP is concerned) while the final result set was still open, that
//!   is, no final (`"preview":false`) row with `"lastrow":true` and no
//!   no-results line has been seen, or final rows came after the last such
//!   line (a new set was started and not closed). Messages of other types
//!   may follow the last row and don't reopen anything. Preview sets play
//!   no part: a body that stops after previews and before the final set is
//!   open;
//! - its last line stops without a newline and is not a whole JSON object
//!   (cut mid-line). A last line that lacks only its newline but parses is
//!   accepted: nothing of it was lost;
//! - a line is not a JSON object of the export format.
//!
//! Lines that are neither rows nor the no-results line (message lines, a
//! `{"preview":false}` without `result` or `lastrow`) are not handed out.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use segment_bridge_json::LineReader;

/// One final line of the response: a result row, or the no-results line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalLine<'a> {
    /// The line as Splunk sent it, without its terminator.
    pub line: &'a [u8],
    /// The raw `result` object inside `line`; `None` for the no-results
    /// line. Identifies the row whatever its `offset` (used to recognise a
    /// row again when a query is retried).
    pub result: Option<&'a [u8]>,
}

/// Figures of one response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Final rows with a `result`.
    pub rows: u64,
    /// Final lines without a `result` (the no-results line).
    pub markers: u64,
    /// `"preview":true` rows dropped.
    pub previews_dropped: u64,
    /// `INFO`/`WARN`/`DEBUG` messages, as `TYPE: text`, for logging.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("Splunk reported {kind}: {text}")]
    Message { kind: String, text: String },
    #[error("Splunk sent an empty response (its answer to some failed searches)")]
    Empty,
    #[error("the response was cut mid-line after {rows} rows")]
    CutMidLine { rows: u64 },
    #[error("the response ended before its last row ({rows} rows received)")]
    EndedEarly { rows: u64 },
    #[error("line {line} of the response is not a Splunk export row")]
    Malformed {
        line: u64,
        #[source]
        source: serde_json::Error,
    },
    #[error("reading the response failed after {rows} rows")]
    Read {
        rows: u64,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(default)]
    preview: Option<bool>,
    #[serde(default)]
    lastrow: Option<bool>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
    #[serde(default)]
    messages: Option<Vec<Message>>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: String,
}

/// Pulls the final lines out of an export response body.
pub struct ExportReader<R> {
    lines: LineReader<R>,
    current: Vec<u8>,
    stats: StreamStats,
    any_line: bool,
    /// A final `lastrow` line (or the no-results line) has been seen.
    closed_once: bool,
    /// Final rows have come since the last `lastrow`.
    open: bool,
    finished: bool,
}

impl<R: BufRead> ExportReader<R> {
    pub fn new(inner: R) -> Self {
        ExportReader {
            lines: LineReader::new(inner),
            current: Vec::with_capacity(16 * 1024),
            stats: StreamStats::default(),
            any_line: false,
            closed_once: false,
            open: false,
            finished: false,
        }
    }

    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// The next final line; `Ok(None)` once the response has ended whole.
    /// An error means the response failed (see the module docs); the reader
    /// should not be used after it.
    pub fn next_line(&mut self) -> Result<Option<FinalLine<'_>>, StreamError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            let (number, terminated) = match self.lines.next_line() {
                Ok(Some(l)) => {
                    self.current.clear();
                    self.current.extend_from_slice(l.bytes);
                    (l.number, self.lines.terminated())
                }
                Ok(None) => {
                    self.finish()?;
                    return Ok(None);
                }
                Err(source) => {
                    return Err(StreamError::Read {
                        rows: self.stats.rows,
                        source,
                    })
                }
            };
            if self.current.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.any_line = true;
            let raw: Raw<'_> = match serde_json::from_slice(&self.current) {
                Ok(r) => r,
                Err(_) if !terminated => {
                    return Err(StreamError::CutMidLine {
                        rows: self.stats.rows,
                    })
                }
                Err(source) => {
                    return Err(StreamError::Malformed {
                        line: number,
                        source,
                    })
                }
            };
            if let Some(messages) = &raw.messages {
                note_messages(&mut self.stats, messages)?;
            }
            if raw.preview == Some(true) {
                if raw.result.is_some() {
                    self.stats.previews_dropped += 1;
                }
                continue;
            }
            let lastrow = raw.lastrow == Some(true);
            if raw.result.is_none() && !lastrow {
                // A message line, or a line of some other kind: not a row.
                continue;
            }
            let result_range = raw.result.map(|r| {
                let start = r.get().as_ptr() as usize - self.current.as_ptr() as usize;
                start..start + r.get().len()
            });
            self.count_final(result_range.is_some(), lastrow);
            return Ok(Some(FinalLine {
                line: &self.current,
                result: result_range.map(|r| &self.current[r]),
            }));
        }
    }

    /// Counts a final line: a row or a marker. A row without `lastrow`
    /// opens (or continues) a set; `lastrow` closes it.
    fn count_final(&mut self, row: bool, lastrow: bool) {
        if row {
            self.stats.rows += 1;
        } else {
            self.stats.markers += 1;
        }
        self.open = !lastrow;
        self.closed_once |= lastrow;
    }

    fn finish(&mut self) -> Result<(), StreamError> {
        self.finished = true;
        if !self.any_line {
            return Err(StreamError::Empty);
        }
        if !self.closed_once || self.open {
            return Err(StreamError::EndedEarly {
                rows: self.stats.rows,
            });
        }
        Ok(())
    }
}

/// A message line: ERROR and FATAL fail the response, the others are kept
/// as notes.
fn note_messages(stats: &mut StreamStats, messages: &[Message]) -> Result<(), StreamError> {
    for m in messages {
        if m.kind.eq_ignore_ascii_case("ERROR") || m.kind.eq_ignore_ascii_case("FATAL") {
            return Err(StreamError::Message {
                kind: m.kind.to_ascii_uppercase(),
                text: m.text.clone(),
            });
        }
        stats.notes.push(format!("{}: {}", m.kind, m.text));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads `body` in pieces of `chunk` bytes, like a chunked response.
    struct Chunked<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl std::io::Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read_all(body: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Result<StreamStats, StreamError>) {
        let r = std::io::BufReader::with_capacity(7, Chunked { data: body, chunk });
        let mut reader = ExportReader::new(r);
        let mut out = Vec::new();
        loop {
            match reader.next_line() {
                Ok(Some(l)) => out.push(l.line.to_vec()),
                Ok(None) => return (out, Ok(reader.stats().clone())),
                Err(e) => return (out, Err(e)),
            }
        }
    }

    const ROW0: &str = r#"{"preview":false,"offset":0,"result":{"a":"1"}}"#;
    const ROW1: &str = r#"{"preview":false,"offset":1,"lastrow":true,"result":{"a":"2"}}"#;

    #[test]
    fn final_rows_byte_for_byte_previews_dropped_bom_stripped() {
        let body = format!(
            "\u{feff}{}\n{}\n{ROW0}\n{ROW1}\n{}\n",
            r#"{"preview":true,"offset":0,"result":{"a":"0"}}"#,
            r#"{"preview":true,"offset":1,"lastrow":true,"result":{"a":"1"}}"#,
            r#"{"messages":[{"type":"INFO","text":"done"}]}"#
        );
        let (rows, res) = read_all(body.as_bytes(), 5);
        assert_eq!(
            rows,
            vec![ROW0.as_bytes().to_vec(), ROW1.as_bytes().to_vec()]
        );
        let stats = res.unwrap();
        assert_eq!((stats.rows, stats.previews_dropped), (2, 2));
        assert_eq!(stats.notes, vec!["INFO: done".to_string()]);
    }

    #[test]
    fn result_slice_is_the_raw_object() {
        let body = format!("{ROW1}\n");
        let mut r = ExportReader::new(body.as_bytes());
        let l = r.next_line().unwrap().unwrap();
        assert_eq!(l.result, Some(&br#"{"a":"2"}"#[..]));
    }

    #[test]
    fn no_results_line_is_complete() {
        let (rows, res) = read_all(b"{\"preview\":false,\"lastrow\":true}\n", 3);
        assert_eq!(rows.len(), 1);
        let s = res.unwrap();
        assert_eq!((s.rows, s.markers), (0, 1));
    }

    #[test]
    fn failures() {
        type Check = fn(&StreamError) -> bool;
        let cases: Vec<(String, Check)> = vec![
            (String::new(), |e| matches!(e, StreamError::Empty)),
            ("\u{feff}\n \n".into(), |e| matches!(e, StreamError::Empty)),
            (format!("{ROW0}\n"), |e| {
                matches!(e, StreamError::EndedEarly { rows: 1 })
            }),
            (format!("{ROW0}\n{{\"preview\":false,\"off"), |e| {
                matches!(e, StreamError::CutMidLine { rows: 1 })
            }),
            (
                format!("{ROW0}\n{{\"messages\":[{{\"type\":\"FATAL\",\"text\":\"cancelled\"}}]}}\n{ROW1}\n"),
                |e| matches!(e, StreamError::Message { kind, text } if kind == "FATAL" && text == "cancelled"),
            ),
            (
                "{\"messages\":[{\"type\":\"error\",\"text\":\"x\"}]}\n".into(),
                |e| matches!(e, StreamError::Message { kind, .. } if kind == "ERROR"),
            ),
            ("not json\n{}\n".into(), |e| {
                matches!(e, StreamError::Malformed { line: 1, .. })
            }),
            ("[1]\n".into(), |e| matches!(e, StreamError::Malformed { .. })),
            // Previews only: the final set never came.
            (
                "{\"preview\":true,\"offset\":0,\"lastrow\":true,\"result\":{}}\n".into(),
                |e| matches!(e, StreamError::EndedEarly { rows: 0 }),
            ),
            // A new final set started after a closed one and was not closed.
            (format!("{ROW1}\n{ROW0}\n"), |e| {
                matches!(e, StreamError::EndedEarly { rows: 2 })
            }),
        ];
        for (body, ok) in cases {
            let (_, res) = read_all(body.as_bytes(), 4);
            let err = res.expect_err(&body);
            assert!(ok(&err), "{body:?}: {err:?}");
        }
    }

    #[test]
    fn last_line_without_newline_is_accepted_when_whole() {
        let (rows, res) = read_all(format!("{ROW0}\n{ROW1}").as_bytes(), 100);
        assert_eq!(rows.len(), 2);
        assert!(res.is_ok());
    }

    #[test]
    fn read_error_fails() {
        struct Broken(bool);
        impl std::io::Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "reset",
                    ));
                }
                self.0 = true;
                let row = format!("{ROW0}\n");
                buf[..row.len()].copy_from_slice(row.as_bytes());
                Ok(row.len())
            }
        }
        let mut r = ExportReader::new(std::io::BufReader::new(Broken(false)));
        assert!(r.next_line().unwrap().is_some());
        assert!(matches!(
            r.next_line(),
            Err(StreamError::Read { rows: 1, .. })
        ));
    }

    proptest! {
        /// The same lines and figures whatever the chunking of the body.
        #[test]
        fn chunking_does_not_matter(chunk in 1usize..64, previews in 0usize..3, bom: bool) {
            let mut body = String::new();
            if bom { body.push('\u{feff}'); }
            for _ in 0..previews {
                body.push_str("{\"preview\":true,\"offset\":0,\"lastrow\":true,\"result\":{\"x\":\"é\"}}\n");
            }
            body.push_str(ROW0); body.push('\n');
            body.push_str(ROW1); body.push('\n');
            let (rows, res) = read_all(body.as_bytes(), chunk);
            prop_assert_eq!(rows.len(), 2);
            let stats = res.unwrap();
            prop_assert_eq!(stats.previews_dropped, previews as u64);
        }
    }
}
