//! Property tests: the fast transform agrees with a plain reference
//! implementation over `serde_json::Value` on random records, and its output
//! doesn't depend on how the input arrives (chunking) nor on the number of
//! worker threads.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use crate::common::{canonical, event_names, gen, keys, reference, Ref};
use proptest::prelude::*;
use segment_bridge_json::token::is_compact;
use serde_json::Value;
use splunk_to_segment::{Args, InputFormat, EVENT_KEYS};

const UID: &str = r#"{"owner":100,"alice":1,"":2,"zero":0,"nope":false,"big":123456789012345678901234567890,"zero-owner":0,"ghost-owner":null}"#;
const WS: &str = r#"{"ns":"owner","ns-zero":"zero-owner","ns-ghost":"ghost-owner","ns-false":false,"ns-num":5,"elsewhere":null}"#;

/// A reader that hands out the input in the given chunk sizes.
struct Chunked<'a> {
    data: &'a [u8],
    pos: usize,
    sizes: Vec<usize>,
    next: usize,
    avail: usize,
}

impl<'a> Chunked<'a> {
    fn new(data: &'a [u8], sizes: Vec<usize>) -> Self {
        Chunked {
            data,
            pos: 0,
            sizes,
            next: 0,
            avail: 0,
        }
    }
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunked<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.avail == 0 && self.pos < self.data.len() {
            let size = if self.sizes.is_empty() {
                1
            } else {
                self.sizes[self.next % self.sizes.len()].max(1)
            };
            self.next += 1;
            self.avail = size.min(self.data.len() - self.pos);
        }
        Ok(&self.data[self.pos..self.pos + self.avail])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.avail -= n;
    }
}

struct Run {
    code: u8,
    out: Vec<u8>,
    counts: Vec<(Cow<'static, str>, u64)>,
    rejects: Vec<u8>,
}

fn run_with(
    dir: &std::path::Path,
    input: &mut dyn BufRead,
    threads: usize,
    format: InputFormat,
) -> Run {
    let rejects = dir.join(format!("rejects-{threads}.jsonl"));
    let args = Args {
        uid_map: dir.join("uid.json"),
        ws_map: dir.join("ws.json"),
        rejects: Some(rejects.clone()),
        input_format: format,
        quiet: true,
        threads,
    };
    let mut out = Vec::new();
    let outcome = splunk_to_segment::run(args, input, &mut out).unwrap();
    Run {
        code: outcome.status.code(),
        out,
        counts: outcome.counts,
        rejects: std::fs::read(rejects).unwrap(),
    }
}

fn maps_dir(uid: &str, ws: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("uid.json"), uid).unwrap();
    std::fs::write(dir.path().join("ws.json"), ws).unwrap();
    dir
}

/// The values of one line as a JSON text stream reads them (several may
/// share a line): each value's text, and what `--rejects` gets for it (the
/// value; for a bad one, the rest of the line, where reading stops).
fn values_of(line: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut values = serde_json::Deserializer::from_str(line).into_iter::<serde::de::IgnoredAny>();
    loop {
        let rest = line[values.byte_offset()..].trim_start();
        if rest.is_empty() {
            return out;
        }
        let start = line.len() - rest.len();
        match values.next() {
            Some(Ok(_)) => {
                let text = &line[start..values.byte_offset()];
                out.push((text, text));
            }
            _ => {
                out.push((rest, rest));
                return out;
            }
        }
    }
}

fn count(counts: &[(Cow<'static, str>, u64)], name: &str) -> u64 {
    counts
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, v)| *v)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.max(400), ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_reference_implementation(
        lines in prop::collection::vec(gen::line(), 1..12),
        maps in prop_oneof![8 => Just(0usize), 1 => Just(1), 1 => Just(2)],
    ) {
        let (uid, ws) = [(UID, WS), ("", WS), (UID, "")][maps];
        let dir = maps_dir(uid, ws);
        let uid_v: Value = if uid.is_empty() { Value::Null } else { serde_json::from_str(uid).unwrap() };
        let ws_v: Value = if ws.is_empty() { Value::Null } else { serde_json::from_str(ws).unwrap() };
        let names = event_names();
        let input = lines.join("\n");
        let got = run_with(dir.path(), &mut input.as_bytes(), 1, InputFormat::Jsonl);

        let mut want_out = Vec::new();
        let (mut markers, mut nw, mut no, mut nu, mut rej, mut read) = (0, 0, 0, 0, 0, 0);
        let mut want_rejects = String::new();
        for (l, raw) in lines.iter().flat_map(|l| values_of(l)) {
            read += 1;
            match reference(l, &uid_v, &ws_v, &names) {
                Ref::Emitted(e) => want_out.push(e),
                Ref::Marker => markers += 1,
                Ref::NoWorkspace => nw += 1,
                Ref::NoOwnerId => no += 1,
                Ref::NoUserId => nu += 1,
                Ref::Rejected => {
                    rej += 1;
                    want_rejects.push_str(raw);
                    want_rejects.push('\n');
                }
            }
        }
        let got_out: Vec<String> = std::str::from_utf8(&got.out).unwrap().lines().map(canonical).collect();
        prop_assert_eq!(&got_out, &want_out, "input:\n{}", input);
        prop_assert_eq!(count(&got.counts, "events_read"), read);
        prop_assert_eq!(count(&got.counts, "markers_skipped"), markers);
        prop_assert_eq!(count(&got.counts, "dropped_no_workspace"), nw, "input:\n{}", input);
        prop_assert_eq!(count(&got.counts, "dropped_no_owner_id"), no);
        prop_assert_eq!(count(&got.counts, "dropped_no_user_id"), nu);
        prop_assert_eq!(count(&got.counts, "events_rejected"), rej, "input:\n{}", input);
        prop_assert_eq!(String::from_utf8(got.rejects).unwrap(), want_rejects);
        prop_assert_eq!(got.code, if rej > 0 { 3 } else { 0 });
        // Every output line is compact JSON with the eight keys in order.
        for l in std::str::from_utf8(&got.out).unwrap().lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            prop_assert_eq!(keys(&v), EVENT_KEYS);
            prop_assert!(is_compact(l.as_bytes()), "not compact: {}", l);
        }
    }

    #[test]
    fn output_does_not_depend_on_chunking_or_threads(
        lines in prop::collection::vec(gen::line(), 1..20),
        sizes in prop::collection::vec(1..40usize, 1..8),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let dir = maps_dir(UID, WS);
        let mut input = String::new();
        if bom {
            input.push('\u{feff}');
        }
        input.push_str(&lines.join(if crlf { "\r\n" } else { "\n" }));
        let whole = run_with(dir.path(), &mut input.as_bytes(), 1, InputFormat::Jsonl);
        let chunked = run_with(dir.path(), &mut Chunked::new(input.as_bytes(), sizes), 2, InputFormat::Jsonl);
        prop_assert_eq!(&whole.out, &chunked.out);
        prop_assert_eq!(&whole.counts, &chunked.counts);
        prop_assert_eq!(&whole.rejects, &chunked.rejects);
        prop_assert_eq!(whole.code, chunked.code);
    }
}

/// Batches big enough for the worker threads: the same bytes, in the same
/// order, whatever the number of threads or the chunking.
#[test]
fn parallel_batches_keep_input_order() {
    let dir = maps_dir(UID, WS);
    let mut input = String::new();
    let mut i = 0u64;
    while input.len() < 3 << 20 {
        let props = format!(
            "{{\\\"i\\\":{i},\\\"pad\\\":\\\"{}\\\"}}",
            "p".repeat((i % 300) as usize)
        );
        let line = match i % 7 {
            3 => format!("{{\"result\":{{\"namespace\":\"ns\",\"event\":{i},\"properties\":\"[{i}]\",\"context\":\"1\"}}}}"),
            5 => "null".to_owned(),
            6 => format!("{{\"result\":{{\"namespace\":\"elsewhere\",\"n\":{i}}}}}"),
            _ => format!(
                "{{\"result\":{{\"namespace\":\"ns\",\"userId\":\"alice\",\"event\":{i},\"properties\":\"{props}\",\"context\":\"{{}}\"}}}}"
            ),
        };
        input.push_str(&line);
        input.push('\n');
        i += 1;
    }
    let one = run_with(dir.path(), &mut input.as_bytes(), 1, InputFormat::Jsonl);
    for threads in [2, 3] {
        let many = run_with(
            dir.path(),
            &mut Chunked::new(input.as_bytes(), vec![65536, 7, 100_000]),
            threads,
            InputFormat::Jsonl,
        );
        assert_eq!(one.out, many.out);
        assert_eq!(one.counts, many.counts);
        assert_eq!(one.rejects, many.rejects);
    }
    assert_eq!(one.code, 3);
    let events: Vec<u64> = std::str::from_utf8(&one.out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(events.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(count(&one.counts, "events_read"), i);
}
