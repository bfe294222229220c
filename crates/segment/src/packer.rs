//! Filling request bodies as close to Segment's limit as allowed.
//!
//! The original cut the input into 490 KiB runs of lines and wrapped them
//! afterwards, which could pass the 500,000-byte limit (and then the whole
//! request was refused). Here the body is built as events arrive and its
//! exact size is known: `{"batch":[` + events + commas + `]}`. An event goes
//! into the current body when the body stays within `max_body` bytes and
//! `max_events` events; otherwise the body is finished and the event starts
//! the next one. Greedy in input order is optimal for contiguous batches, so
//! no packing keeps the order with fewer requests.

use super::payload::{BATCH_PREFIX, BATCH_SUFFIX, WRAPPER_BYTES};
use super::{MAX_BODY_BYTES, MAX_EVENTS, MAX_EVENT_BYTES};

/// Segment's limits, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, bytes (`SEGMENT_BATCH_DATA_SIZE`).
    pub max_body: usize,
    /// Most events in one body.
    pub max_events: usize,
    /// An event must be under this many bytes.
    pub max_event: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: MAX_BODY_BYTES,
            max_events: MAX_EVENTS,
            max_event: MAX_EVENT_BYTES,
        }
    }
}

impl Limits {
    /// Limits with the request body bound `max_body`.
    pub fn with_max_body(max_body: usize) -> Limits {
        Limits {
            max_body,
            ..Limits::default()
        }
    }

    /// Whether an event of `len` bytes fits in a body on its own.
    pub fn fits_alone(&self, len: usize) -> bool {
        WRAPPER_BYTES + len <= self.max_body && self.max_events > 0
    }
}

/// One request body and where its events are in it.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    body: Vec<u8>,
    /// (input line number, start, end) of each event in `body`.
    events: Vec<(u64, usize, usize)>,
    finished: bool,
}

impl Batch {
    fn new(capacity: usize) -> Batch {
        let mut body = Vec::with_capacity(capacity);
        body.extend_from_slice(BATCH_PREFIX);
        Batch {
            body,
            events: Vec::new(),
            finished: false,
        }
    }

    /// The exact request body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Each event's input line number and bytes, in order.
    pub fn events(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.events
            .iter()
            .map(|&(line, s, e)| (line, &self.body[s..e]))
    }

    /// The two halves of this batch (by event count, in order), each a
    /// complete body; for sending again what a server refused whole.
    pub fn halves(&self) -> (Batch, Batch) {
        let mid = self.events.len() / 2;
        let part = |events: &[(u64, usize, usize)]| {
            let mut b = Batch::new(self.body.len());
            for &(line, s, e) in events {
                b.push(line, &self.body[s..e]);
            }
            b.finish()
        };
        (part(&self.events[..mid]), part(&self.events[mid..]))
    }

    /// Input line numbers of the first and last event.
    pub fn line_range(&self) -> Option<(u64, u64)> {
        Some((self.events.first()?.0, self.events.last()?.0))
    }

    /// The body size if `len` more bytes of event were added.
    fn size_with(&self, len: usize) -> usize {
        let comma = usize::from(!self.events.is_empty());
        self.body.len() + comma + len + BATCH_SUFFIX.len()
    }

    fn push(&mut self, line: u64, event: &[u8]) {
        if !self.events.is_empty() {
            self.body.push(b',');
        }
        let start = self.body.len();
        self.body.extend_from_slice(event);
        self.events.push((line, start, self.body.len()));
    }

    fn finish(mut self) -> Batch {
        if !self.finished {
            self.body.extend_from_slice(BATCH_SUFFIX);
            self.finished = true;
        }
        self
    }
}

/// An event that can't go into any body under these limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event of {len} bytes does not fit in a request body of at most {max_body} bytes")]
pub struct DoesNotFit {
    pub len: usize,
    pub max_body: usize,
}

/// Packs events into batches, in input order.
#[derive(Debug)]
pub struct Packer {
    limits: Limits,
    current: Batch,
}

impl Packer {
    pub fn new(limits: Limits) -> Packer {
        Packer {
            limits,
            current: Batch::new(Self::capacity(&limits)),
        }
    }

    fn capacity(limits: &Limits) -> usize {
        limits.max_body.min(MAX_BODY_BYTES + 1024)
    }

    /// Adds an event (compact JSON). Returns the finished batch when the
    /// event did not fit in the current one (the event then starts the next).
    pub fn push(&mut self, line: u64, event: &[u8]) -> Result<Option<Batch>, DoesNotFit> {
        if !self.limits.fits_alone(event.len()) {
            return Err(DoesNotFit {
                len: event.len(),
                max_body: self.limits.max_body,
            });
        }
        let full = self.current.events.len() >= self.limits.max_events
            || self.current.size_with(event.len()) > self.limits.max_body;
        let done = if full {
            let next = Batch::new(Self::capacity(&self.limits));
            Some(std::mem::replace(&mut self.current, next).finish())
        } else {
            None
        };
        self.current.push(line, event);
        Ok(done)
    }

    /// The last batch, if it holds any event.
    pub fn finish(self) -> Option<Batch> {
        (!self.current.is_empty()).then(|| self.current.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(n: usize) -> Vec<u8> {
        // `{"p":"…"}` of exactly n bytes (n ≥ 8).
        let mut e = b"{\"p\":\"".to_vec();
        e.extend(std::iter::repeat_n(b'x', n - 8));
        e.extend_from_slice(b"\"}");
        e
    }

    fn pack(limits: Limits, sizes: &[usize]) -> (Vec<Batch>, Vec<Vec<u8>>) {
        let events: Vec<Vec<u8>> = sizes.iter().map(|&n| event(n)).collect();
        let mut p = Packer::new(limits);
        let mut out = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if let Some(b) = p.push(i as u64 + 1, e).unwrap() {
                out.push(b);
            }
        }
        out.extend(p.finish());
        (out, events)
    }

    #[test]
    fn exact_fit_and_one_over() {
        let l = Limits::with_max_body(12 + 10 + 1 + 10);
        let (b, _) = pack(l, &[10, 10, 10]);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].body().len(), 33);
        assert_eq!(b[0].len(), 2);
        let (b, _) = pack(Limits::with_max_body(32), &[10, 10]);
        assert_eq!(b.len(), 2);
        assert_eq!(
            Packer::new(Limits::with_max_body(20))
                .push(1, &event(9))
                .unwrap_err(),
            DoesNotFit {
                len: 9,
                max_body: 20
            }
        );
        assert!(Packer::new(Limits::default()).finish().is_none());
    }

    #[test]
    fn halves_are_complete_bodies_in_order() {
        let (b, events) = pack(Limits::default(), &[8, 9, 10, 11, 12]);
        let (l, r) = b[0].halves();
        assert_eq!((l.len(), r.len()), (2, 3));
        let body = |evs: &[Vec<u8>]| super::super::payload::payload(evs.iter().map(|e| &e[..]));
        assert_eq!(l.body(), body(&events[..2]));
        assert_eq!(r.body(), body(&events[2..]));
        assert_eq!(r.line_range(), Some((3, 5)));
    }

    #[test]
    fn event_count_bound() {
        let l = Limits::default();
        let (b, _) = pack(l, &vec![8; 2 * MAX_EVENTS + 1]);
        let counts: Vec<usize> = b.iter().map(Batch::len).collect();
        assert_eq!(counts, vec![MAX_EVENTS, MAX_EVENTS, 1]);
    }

    fn sizes() -> impl Strategy<Value = Vec<usize>> {
        let one = prop_oneof![
            3 => 8usize..200,
            2 => 31_000usize..MAX_EVENT_BYTES,
            1 => 200usize..31_000,
        ];
        let run_of_tiny = (1usize..3000).prop_map(|n| vec![8usize; n]);
        prop::collection::vec(
            prop_oneof![3 => one.prop_map(|s| vec![s]), 1 => run_of_tiny],
            0..60,
        )
        .prop_map(|v| v.into_iter().flatten().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_over_the_limit_nothing_lost_batches_near_full(
            sizes in sizes(),
            max_body in prop_oneof![Just(MAX_BODY_BYTES), 40_000usize..MAX_BODY_BYTES],
        ) {
            let l = Limits::with_max_body(max_body);
            let (batches, events) = pack(l, &sizes);
            let mut next = 0usize;
            for (i, b) in batches.iter().enumerate() {
                prop_assert!(b.body().len() <= max_body);
                prop_assert!(b.len() <= MAX_EVENTS && !b.is_empty());
                // The body is exactly the payload of its events.
                let evs: Vec<&[u8]> = b.events().map(|(_, e)| e).collect();
                prop_assert_eq!(b.body(), &super::super::payload::payload(evs.iter().copied())[..]);
                for (line, e) in b.events() {
                    prop_assert_eq!(line, next as u64 + 1);
                    prop_assert_eq!(e, &events[next][..]);
                    next += 1;
                }
                if i + 1 < batches.len() {
                    let following = events[next].len();
                    prop_assert!(b.len() == MAX_EVENTS || b.body().len() + 1 + following > max_body);
                }
            }
            prop_assert_eq!(next, events.len());
        }
    }
}
