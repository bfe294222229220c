//! The Splunk export stream parser (`splunk::export::ExportReader`), what
//! fetch-uj-records reads every response with: the same final lines and
//! verdict whatever the size of the pieces the body arrives in (the first
//! byte sets it); every line handed out is a JSON object whose `result`
//! is JSON; rows and markers are counted as handed out.
#![no_main]

use std::io::{BufReader, Read};

use libfuzzer_sys::fuzz_target;
use segment_bridge_fuzz::{assert_json, selector};
use segment_bridge_splunk::export::{ExportReader, StreamStats};

/// A body read in pieces of `chunk` bytes, like a chunked response.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

type Read_ = (Vec<(Vec<u8>, Option<Vec<u8>>)>, Result<StreamStats, String>);

fn read_all(body: impl std::io::BufRead) -> Read_ {
    let mut reader = ExportReader::new(body);
    let mut out = Vec::new();
    loop {
        match reader.next_line() {
            Ok(Some(l)) => out.push((l.line.to_vec(), l.result.map(<[u8]>::to_vec))),
            Ok(None) => return (out, Ok(reader.stats().clone())),
            // The variant and figures, not the text (serde's messages name
            // columns, which are the same either way).
            Err(e) => return (out, Err(e.to_string())),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (sel, body) = selector(data);
    let whole = read_all(body);
    let chunk = usize::from(sel % 16) + 1;
    let pieces = read_all(BufReader::with_capacity(
        chunk + 3,
        Chunked { data: body, chunk },
    ));
    assert_eq!(whole, pieces, "the verdict depends on the chunking");
    let (lines, verdict) = whole;
    let rows = lines.iter().filter(|(_, r)| r.is_some()).count() as u64;
    for (line, result) in &lines {
        if std::str::from_utf8(line).is_ok() {
            assert_json(line, "a final line");
        }
        assert!(line.first() == Some(&b'{') || line.trim_ascii_start().starts_with(b"{"));
        if let Some(r) = result {
            if std::str::from_utf8(r).is_ok() {
                assert_json(r, "a result");
            }
        }
    }
    if let Ok(stats) = verdict {
        assert_eq!(stats.rows, rows);
        assert_eq!(stats.markers, lines.len() as u64 - rows);
    }
});
