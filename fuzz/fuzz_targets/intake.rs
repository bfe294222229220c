//! Segment intake (`segment::intake::read_batches`), the front half of
//! both uploaders: a JSON text stream in, request bodies and rejections
//! out. The first two bytes set the body limit; bytes after a `\0\0` are a
//! delivery-ledger file. Every value read is packed, rejected or skipped
//! as delivered, exactly once, rejections and bodies each in input order; every body is within the
//! limit, is `{"batch":[…]}` with its events, and splits into two halves
//! holding the same events.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use segment_bridge_fuzz::assert_json;
use segment_bridge_json::token::is_compact;
use segment_bridge_segment::intake::{ledger_ids, read_batches, Delivered, Step};
use segment_bridge_segment::{message_id, Batch, Limits, MAX_BODY_BYTES, WRAPPER_BYTES};

struct Ledger(HashSet<String>);

impl Delivered for Ledger {
    fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

fn check_body(b: &Batch, limits: &Limits) -> Vec<Vec<u8>> {
    assert!(!b.is_empty(), "an empty batch");
    assert!(b.len() <= limits.max_events);
    assert!(b.body().len() <= limits.max_body, "body over the limit");
    assert!(b.body().starts_with(b"{\"batch\":[") && b.body().ends_with(b"]}"));
    assert!(is_compact(b.body()));
    if std::str::from_utf8(b.body()).is_ok() {
        assert_json(b.body(), "a request body");
    }
    let events: Vec<Vec<u8>> = b.events().map(|(_, e)| e.to_vec()).collect();
    let inner = &b.body()[10..b.body().len() - 2];
    assert_eq!(inner, events.join(&b',').as_slice());
    events
}

fuzz_target!(|data: &[u8]| {
    let (limit, rest) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => return,
    };
    // Small limits make many bodies; 0xffff stands for Segment's own.
    let max_body = if limit == 0xffff {
        MAX_BODY_BYTES
    } else {
        WRAPPER_BYTES + limit % 4096
    };
    let (input, ledger_text) = match rest.windows(2).position(|w| w == b"\0\0") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, &[][..]),
    };
    let ledger = Ledger(ledger_ids(ledger_text).map(str::to_owned).collect());
    let limits = Limits::with_max_body(max_body);
    let mut packed = 0u64;
    let mut rejected = 0u64;
    // Batches and rejections each come in input order (a rejection may
    // come before the batch that holds earlier events).
    let mut last_packed = 0u64;
    let mut last_rejected = 0u64;
    let result = read_batches::<()>(&mut &input[..], limits, Some(&ledger), |step| {
        match step {
            Step::Batch(b) => {
                let events = check_body(&b, &limits);
                for (line, e) in b.events() {
                    assert!(line >= last_packed, "events out of order");
                    last_packed = line;
                    if let Some(id) = message_id(e) {
                        assert!(!ledger.contains(&id), "a delivered event sent again");
                    }
                }
                let (a, z) = b.halves();
                let mut again = Vec::new();
                for half in [&a, &z] {
                    if !half.is_empty() {
                        again.extend(check_body(half, &limits));
                    }
                }
                assert_eq!(events, again, "halves lost or moved events");
                packed += b.len() as u64;
            }
            Step::Rejected { line, .. } => {
                assert!(line >= last_rejected, "rejections out of order");
                last_rejected = line;
                rejected += 1;
            }
        }
        Ok(())
    });
    let counts = result.unwrap_or_else(|_| panic!("reading a slice never fails"));
    assert_eq!(counts.events_rejected, rejected);
    assert_eq!(
        counts.events_read,
        packed + rejected + counts.already_delivered,
        "counts do not add up"
    );
});
