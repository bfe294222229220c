//! The primitive: HMAC-SHA256 (RFC 2104 over FIPS 180-4, with the RustCrypto
//! `hmac` and `sha2` crates) of a field's value under the operator's key,
//! written as 64 lowercase hex digits.
//!
//! Why a keyed hash and not a plain one: the values (SSO ids, namespace
//! names) come from small, guessable sets. An unkeyed hash of such a value
//! is reversed by hashing every candidate; without the key that is not
//! possible, and different keys give unrelated outputs. The same value
//! under the same key always gives the same output, so joins on the
//! analytics side still work.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use segment_bridge_net::Secret;
use sha2::Sha256;

/// The shortest key accepted, in bytes. RFC 2104 asks for at least the
/// hash's output length (32) for full strength; 16 is the floor below
/// which we refuse to run at all.
pub const MIN_KEY_BYTES: usize = 16;

/// HMAC-SHA256 under one key, the key's blocks computed once and cloned
/// per value.
#[derive(Clone)]
pub struct Keyed {
    mac: Hmac<Sha256>,
}

/// Never prints the key (nor its derived state).
impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed(****)")
    }
}

impl Keyed {
    /// A keyed hash under `key`'s bytes.
    pub fn new(key: &Secret) -> Keyed {
        Keyed::from_bytes(key.expose().as_bytes())
    }

    /// Any key length works for HMAC (a long key is hashed first); the
    /// length rule is the caller's ([`MIN_KEY_BYTES`]).
    pub fn from_bytes(key: &[u8]) -> Keyed {
        // `new_from_slice` of HMAC takes keys of every length.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Keyed { mac }
    }

    /// The 32-byte tag of `value`.
    pub fn tag(&self, value: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(value);
        mac.finalize().into_bytes().into()
    }

    /// The tag of `value` as 64 lowercase hex digits, appended to `out`.
    pub fn hex_into(&self, value: &[u8], out: &mut String) {
        for b in self.tag(value) {
            let _ = write!(out, "{b:02x}");
        }
    }

    pub fn hex(&self, value: &[u8]) -> String {
        let mut s = String::with_capacity(64);
        self.hex_into(value, &mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231, section 4: the HMAC-SHA-256 results of test cases 1–4, 6
    /// and 7 (case 5 checks a truncated output, which we never use).
    #[test]
    fn rfc_4231_test_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (i, (key, data, want)) in cases.iter().enumerate() {
            assert_eq!(Keyed::from_bytes(key).hex(data), *want, "case {i}");
        }
    }

    #[test]
    fn same_key_same_tag_other_key_other_tag() {
        let a = Keyed::new(&Secret::new("key-one-0123456789"));
        let b = Keyed::new(&Secret::new("key-two-0123456789"));
        assert_eq!(a.hex(b"66507147"), a.clone().hex(b"66507147"));
        assert_ne!(a.hex(b"66507147"), b.hex(b"66507147"));
        assert_ne!(a.hex(b"66507147"), a.hex(b"66507148"));
        assert_eq!(format!("{a:?}"), "Keyed(****)");
    }
}
