//! core's JSON text stream reader (docs/json-streams.md): the pull reader
//! (`JsonStream`) and the push reader fed line by line (`Framer`, what
//! splunk-to-segment and extract-uj-records use) must hand out the same
//! values; a good value is JSON; values come in input order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segment_bridge_json::{Framer, JsonStream, LineReader, StreamError, Value};

type Seen = (u64, u64, Vec<u8>, Option<StreamError>);

fn seen(v: &Value<'_>) -> Seen {
    (v.number, v.column, v.bytes.to_vec(), v.error)
}

fuzz_target!(|data: &[u8]| {
    let mut pulled = Vec::new();
    let mut r = JsonStream::new(data);
    while let Some(v) = r.next_value().expect("reading a slice never fails") {
        pulled.push(seen(&v));
    }

    let mut pushed = Vec::new();
    let mut framer = Framer::new();
    let mut lines = LineReader::new(data);
    let mut last = 0;
    let mut push = |v: Value<'_>| -> Result<(), ()> {
        pushed.push(seen(&v));
        Ok(())
    };
    while let Some(l) = lines.next_line().expect("reading a slice never fails") {
        last = l.number;
        framer.feed_line(l.number, l.bytes, &mut push).unwrap();
    }
    framer.finish_input(last, &mut push).unwrap();
    assert_eq!(pulled, pushed, "pull and push readers disagree");

    let mut at = (0, 0);
    for (number, column, bytes, error) in &pulled {
        assert!((*number, *column) > at, "values out of order");
        at = (*number, *column);
        assert!(*column >= 1);
        if error.is_none() {
            assert!(!bytes.is_empty(), "an empty good value");
            // serde_json wants UTF-8; the stream reader leaves invalid
            // UTF-8 inside strings to the tools.
            if std::str::from_utf8(bytes).is_ok() {
                segment_bridge_fuzz::assert_json(bytes, "a good stream value");
            }
        }
    }
});
