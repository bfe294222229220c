//! The one fault vocabulary of the stand-ins: *which* requests a fault hits.
//!
//! What a fault does is each stand-in's own business (a status, a dropped
//! connection, a stream cut mid-line, an expired continue token); when it
//! happens is said the same way everywhere: always, the first N requests,
//! every K-th, or a seeded random share. Requests are numbered from 1, and a
//! [`Schedule`] counts them from the moment each fault was added, so "the
//! next two requests fail" means what it says on a stand-in that is already
//! running.

use std::fmt;

/// Which requests a fault hits (request numbers start at 1).
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    Always,
    /// Requests 1..=N.
    First(u64),
    /// Requests K, 2K, 3K, …
    Every(u64),
    /// A share (0..=1) of requests, chosen by a seeded hash of the request
    /// number, so a run is reproducible.
    Random {
        share: f64,
        seed: u64,
    },
}

/// A `WHEN` spec that [`When::parse`] does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadWhen(pub String);

impl fmt::Display for BadWhen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad fault timing `{}` (want `always`, `first=N`, `every=K` or `random=SHARE[,seed=S]`)",
            self.0
        )
    }
}

impl std::error::Error for BadWhen {}

impl When {
    /// A seeded random share of requests.
    pub fn random(share: f64, seed: u64) -> When {
        When::Random { share, seed }
    }

    /// Whether request number `n` (1-based) is hit.
    pub fn hits(&self, n: u64) -> bool {
        match *self {
            When::Always => true,
            When::First(k) => n <= k,
            When::Every(k) => k > 0 && n.is_multiple_of(k),
            When::Random { share, seed } => {
                let h = splitmix64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                ((h >> 11) as f64 / (1u64 << 53) as f64) < share
            }
        }
    }

    /// Whether no request after number `n` can be hit any more.
    pub fn spent_after(&self, n: u64) -> bool {
        matches!(*self, When::First(k) if n >= k)
    }

    /// Parses `always`, `first=N`, `every=K` or `random=SHARE[,seed=S]`.
    pub fn parse(spec: &str) -> Result<When, BadWhen> {
        let bad = || BadWhen(spec.to_owned());
        if spec == "always" {
            Ok(When::Always)
        } else if let Some(n) = spec.strip_prefix("first=") {
            Ok(When::First(n.parse().map_err(|_| bad())?))
        } else if let Some(k) = spec.strip_prefix("every=") {
            Ok(When::Every(k.parse().map_err(|_| bad())?))
        } else if let Some(r) = spec.strip_prefix("random=") {
            let (share, seed) = match r.split_once(",seed=") {
                Some((s, seed)) => (s, seed.parse().map_err(|_| bad())?),
                None => (r, 0),
            };
            let share: f64 = share.parse().map_err(|_| bad())?;
            if !(0.0..=1.0).contains(&share) {
                return Err(bad());
            }
            Ok(When::Random { share, seed })
        } else {
            Err(bad())
        }
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Faults of kind `K` with their timing, and the count of requests they
/// have seen. Each fault numbers requests from the one after it was added.
#[derive(Debug, Clone)]
pub struct Schedule<K> {
    faults: Vec<(K, When, u64)>,
    seen: u64,
}

impl<K> Default for Schedule<K> {
    fn default() -> Self {
        Schedule {
            faults: Vec::new(),
            seen: 0,
        }
    }
}

impl<K> Schedule<K> {
    /// Adds a fault that counts requests from the next one on.
    pub fn add(&mut self, kind: K, when: When) {
        self.faults.push((kind, when, self.seen));
    }

    /// Removes every fault (requests keep their numbers).
    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// Counts one request and returns the faults that hit it, in the order
    /// they were added. Faults that can hit nothing any more are dropped.
    pub fn hit(&mut self) -> Vec<&K> {
        self.seen += 1;
        let seen = self.seen;
        self.faults
            .retain(|(_, when, from)| !when.spent_after(seen - from - 1));
        self.faults
            .iter()
            .filter(|(_, when, from)| when.hits(seen - from))
            .map(|(kind, _, _)| kind)
            .collect()
    }

    /// How many requests were counted.
    pub fn seen(&self) -> u64 {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_share_is_seeded_and_roughly_right() {
        let w = When::random(0.3, 42);
        let hits = (1..=10_000).filter(|&n| w.hits(n)).count();
        assert!((2_500..3_500).contains(&hits), "{hits}");
        let again = (1..=10_000).filter(|&n| w.hits(n)).count();
        assert_eq!(hits, again);
        assert!(When::Every(3).hits(6) && !When::Every(3).hits(7));
        assert!(When::First(2).hits(2) && !When::First(2).hits(3));
    }

    #[test]
    fn specs() {
        assert_eq!(When::parse("always"), Ok(When::Always));
        assert_eq!(When::parse("first=2"), Ok(When::First(2)));
        assert_eq!(When::parse("every=3"), Ok(When::Every(3)));
        assert_eq!(When::parse("random=0.5,seed=7"), Ok(When::random(0.5, 7)));
        assert_eq!(When::parse("random=0.5"), Ok(When::random(0.5, 0)));
        for bad in ["sometimes", "first=x", "random=2", "every="] {
            assert!(When::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_schedule_counts_from_when_a_fault_is_added() {
        let mut s = Schedule::default();
        s.hit();
        s.hit();
        s.add(503, When::First(2));
        s.add(500, When::Every(2));
        assert_eq!(s.hit(), [&503]);
        assert_eq!(s.hit(), [&503, &500]);
        assert!(s.hit().is_empty());
        assert_eq!(s.hit(), [&500]);
        assert_eq!(s.seen(), 6);
        s.clear();
        assert!(s.hit().is_empty());
    }
}
