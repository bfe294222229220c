//! What the compactions here share: duplicate-key frames ([`Frames`]), the
//! key a compaction sets ([`Special`]) and its failure ([`Fail`]); and the
//! cursor and JSON type of the JSON crate's walker ([`Scanner`], [`Kind`]). The
//! grammar is `segment_bridge_json::walk`, the visitors `walk`, the compactions
//! `json` and `fused`; this module depends on none of them, so the modules
//! form no cycle.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use segment_bridge_json::token::SyntaxError;
pub use segment_bridge_json::walk::Kind;
pub(crate) use segment_bridge_json::walk::Scanner;

use crate::hash::{key_hash, IdHasher};

/// Failure of a compaction: bad JSON, or "redo this value the slow way".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fail {
    Json(SyntaxError),
    Slow,
}

impl From<SyntaxError> for Fail {
    fn from(e: SyntaxError) -> Fail {
        Fail::Json(e)
    }
}

/// The keys seen so far in one object being compacted.
#[derive(Default)]
struct Frame {
    keys: Vec<u64>,
    set: HashSet<u64, BuildHasherDefault<IdHasher>>,
    using_set: bool,
}

const LINEAR_KEYS: usize = 16;

impl Frame {
    fn reset(&mut self) {
        self.keys.clear();
        if self.using_set {
            self.set.clear();
            self.using_set = false;
        }
    }

    /// False when the key was already there. Inlined for the common
    /// case, a small object: a look along a short list.
    #[inline]
    fn insert(&mut self, h: u64) -> bool {
        if self.using_set || self.keys.len() >= LINEAR_KEYS {
            return self.insert_in_set(h);
        }
        if self.keys.contains(&h) {
            return false;
        }
        self.keys.push(h);
        true
    }

    /// [`insert`](Frame::insert) past [`LINEAR_KEYS`] keys: a hash set.
    #[inline(never)]
    fn insert_in_set(&mut self, h: u64) -> bool {
        if !self.using_set {
            self.set.extend(self.keys.iter().copied());
            self.using_set = true;
        }
        self.set.insert(h)
    }
}

/// Duplicate-key detection for the compactions that copy keys as written
/// (`Copy`, `fused::Emit`): the keys seen in each open object, one frame
/// per depth, reused from value to value.
#[derive(Default)]
pub(crate) struct Frames(Vec<Frame>);

impl Frames {
    /// An object opens at `depth`: no keys seen in it yet.
    #[inline]
    pub(crate) fn open(&mut self, depth: usize) {
        if self.0.len() <= depth {
            self.0.resize_with(depth + 1, Frame::default);
        }
        self.0[depth].reset();
    }

    /// Notes `key` (as written) in the object at `depth`; false when it
    /// was seen there already.
    #[inline(always)]
    pub(crate) fn insert(&mut self, depth: usize, key: &[u8]) -> bool {
        self.0[depth].insert(key_hash(key))
    }
}

/// What the compaction of a top-level object should do with one key.
pub(crate) struct Special<'k> {
    /// Key (as written, without escapes) whose value is replaced.
    pub key: &'k [u8],
    /// Compact JSON text written instead of its value.
    pub value: &'k [u8],
}

pub(crate) fn push_member(out: &mut Vec<u8>, special: &Special<'_>) {
    out.push(b'"');
    out.extend_from_slice(special.key);
    out.extend_from_slice(b"\":");
    out.extend_from_slice(special.value);
}
