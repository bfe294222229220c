//! The one key hash of the crate: duplicate-key detection while compacting
//! (a set of key hashes per object) and the lookup maps both use it.
//!
//! Keys come from our own clusters and Splunk rows, not from an attacker
//! choosing collisions, and SipHash showed in profiles of three map look-ups
//! a row; a collision in duplicate detection only costs a trip down the
//! slow path, never a wrong result.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;
const SEED: u64 = 0x243f_6a88_85a3_08d3;

/// Multiplies into 128 bits and folds the halves: every input bit reaches
/// every output bit (the mixing step of wyhash/foldhash).
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// Hashes `key` into `h`, eight bytes at a time; the length is mixed in
/// with the last (partial) word.
#[inline]
fn mix(mut h: u64, key: &[u8]) -> u64 {
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = fold_mul(h ^ u64::from_le_bytes(w), K);
    }
    fold_mul(h ^ tail_word(chunks.remainder()), K ^ key.len() as u64)
}

/// The bytes of `rest` (fewer than eight) as a little-endian word padded
/// with zeros, read without a copy into a buffer (which is a `memcpy`
/// call of a variable length, for every key): two overlapping 4-byte
/// reads, or up to three bytes one by one.
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let word = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&rest[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    if n >= 4 {
        // The bytes the two reads share are the same: OR keeps them.
        return word(0) | word(n - 4) << ((n - 4) * 8);
    }
    rest.iter().rev().fold(0, |w, &c| w << 8 | u64::from(c))
}

/// A 64-bit hash of one key.
#[inline]
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let h = mix(SEED ^ key.len() as u64, key);
    h ^ (h >> 29)
}

/// The hasher of the lookup maps (string keys), built on [`key_hash`]'s mixing.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = mix(self.0, bytes);
    }
}

/// `BuildHasher` of the lookup maps.
pub(crate) type Fast = BuildHasherDefault<FastHasher>;

/// An identity hasher for keys that are already [`key_hash`]es.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_differ_in_one_byte_do_not_collide() {
        let mut seen = std::collections::HashSet::new();
        for p in ["count", "url", "result", "k", ""] {
            for i in 0..3000 {
                assert!(
                    seen.insert(key_hash(format!("{p}{i}").as_bytes())),
                    "{p}{i}"
                );
            }
        }
        assert_ne!(key_hash(b"a"), key_hash(b"a\0"));
        assert_ne!(key_hash(b""), key_hash(b"\0"));
    }

    #[test]
    fn tail_words_are_the_zero_padded_bytes() {
        let b = b"\x01\x02\x03\x04\x05\x06\xf7";
        for n in 0..8 {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(&b[..n]);
            assert_eq!(tail_word(&b[..n]), u64::from_le_bytes(w), "{n} bytes");
        }
    }
}
