//! The one retry policy of the project (`docs/delivery.md`, `docs/apis/segment.md`).
//!
//! Retry only what can succeed on retry: connection errors, timeouts, 408,
//! 429 and 5xx except 501 (Not Implemented will not change). Any other 4xx
//! fails at once. Delays grow exponentially with full jitter (a uniformly
//! random delay between zero and the exponential bound, so that many clients
//! failing together don't retry together), and a server's `Retry-After` is
//! honoured, capped so that a hostile or broken value can't stall a run.
//!
//! `SEGMENT_BRIDGE_BACKOFF_SCALE` multiplies every delay; tests set it to 0.

use std::time::Duration;

/// How many times to retry and how long to wait in between.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (`SEGMENT_RETRIES`, `SPLUNK_RETRIES`).
    pub retries: u32,
    /// Upper bound of the first delay.
    pub base: Duration,
    /// Upper bound of any computed delay.
    pub cap: Duration,
    /// Upper bound of a server-sent `Retry-After`.
    pub retry_after_cap: Duration,
    /// Multiplier on every delay (test-only; 1.0 normally).
    pub scale: f64,
}

impl RetryPolicy {
    /// The default delays, `retries` retries, and the scale from
    /// `SEGMENT_BRIDGE_BACKOFF_SCALE` if set.
    pub fn new(retries: u32) -> RetryPolicy {
        let scale = std::env::var(crate::env::BACKOFF_SCALE)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(1.0);
        RetryPolicy {
            retries,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(300),
            scale,
        }
    }

    /// Delay before retry number `retry` (0 for the first retry): full jitter
    /// over `min(cap, base·2^retry)`, but never less than a server's
    /// `Retry-After` (capped).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        let jittered = exp.mul_f64(fastrand::f64());
        let d = match retry_after {
            Some(ra) => jittered.max(ra.min(self.retry_after_cap)),
            None => jittered,
        };
        d.mul_f64(self.scale)
    }
}

/// Whether a failed attempt is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Retry,
    Fail,
}

/// Classifies an HTTP status of a failed attempt.
pub fn classify_status(status: u16) -> Verdict {
    match status {
        408 | 429 => Verdict::Retry,
        501 => Verdict::Fail,
        500..=599 => Verdict::Retry,
        _ => Verdict::Fail,
    }
}

/// Classifies a transport error: connection failures, timeouts and broken
/// request/response streams are transient; a bad URL or TLS setup is not.
pub fn classify_reqwest(err: &reqwest::Error) -> Verdict {
    if err.is_builder() || err.is_redirect() {
        return Verdict::Fail;
    }
    if is_tls_verification_failure(err) {
        return Verdict::Fail;
    }
    if err.is_connect() || err.is_timeout() || err.is_request() || err.is_body() {
        return Verdict::Retry;
    }
    if err.is_decode() {
        return Verdict::Retry;
    }
    Verdict::Fail
}

/// A certificate that does not verify will not verify on retry.
fn is_tls_verification_failure(err: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if s.contains("invalid peer certificate") || s.contains("UnknownIssuer") {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Parses a `Retry-After` header given in seconds (the form Segment and
/// Splunk use). HTTP dates are ignored: the jittered backoff applies then.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// What one attempt of an operation returned.
pub enum Attempt<T, E> {
    Done(T),
    /// Failed, worth retrying; optional server-requested delay.
    Retry(E, Option<Duration>),
    /// Failed, retrying can't help.
    Fail(E),
}

/// The result of [`run`]: the value or the last error, and how many retries
/// were made.
pub struct Retried<T, E> {
    pub result: Result<T, E>,
    pub retries: u32,
}

/// Runs `op` (given the attempt number, 0-based) until it is done, fails for
/// good, or the retries are used up, sleeping per the policy in between.
/// `on_retry` sees each error that is about to be retried, with the delay.
pub fn run<T, E>(
    policy: &RetryPolicy,
    mut op: impl FnMut(u32) -> Attempt<T, E>,
    mut on_retry: impl FnMut(&E, u32, Duration),
) -> Retried<T, E> {
    let mut attempt = 0u32;
    loop {
        match op(attempt) {
            Attempt::Done(v) => {
                return Retried {
                    result: Ok(v),
                    retries: attempt,
                }
            }
            Attempt::Fail(e) => {
                return Retried {
                    result: Err(e),
                    retries: attempt,
                }
            }
            Attempt::Retry(e, retry_after) => {
                if attempt >= policy.retries {
                    return Retried {
                        result: Err(e),
                        retries: attempt,
                    };
                }
                let d = policy.delay(attempt, retry_after);
                on_retry(&e, attempt + 1, d);
                if !d.is_zero() {
                    std::thread::sleep(d);
                }
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(classify_status(s), Verdict::Retry, "{s}");
        }
        for s in [400, 401, 403, 404, 413, 501] {
            assert_eq!(classify_status(s), Verdict::Fail, "{s}");
        }
    }

    #[test]
    fn delays_are_jittered_within_bounds_and_honour_retry_after() {
        let mut p = RetryPolicy::new(3);
        p.scale = 1.0;
        for retry in 0..40 {
            let bound = p.base.saturating_mul(1 << retry.min(20)).min(p.cap);
            assert!(p.delay(retry, None) <= bound);
        }
        let d = p.delay(0, Some(Duration::from_secs(7)));
        assert!(d >= Duration::from_secs(7));
        let d = p.delay(0, Some(Duration::from_secs(100_000)));
        assert_eq!(d, p.retry_after_cap);
        p.scale = 0.0;
        assert!(p.delay(5, Some(Duration::from_secs(7))).is_zero());
    }

    #[test]
    fn retries_are_counted_and_bounded() {
        let mut p = RetryPolicy::new(3);
        p.scale = 0.0;
        let mut calls = 0;
        let r = run(
            &p,
            |_| {
                calls += 1;
                Attempt::<(), _>::Retry("boom", None)
            },
            |_, _, _| {},
        );
        assert_eq!(calls, 4);
        assert_eq!(r.retries, 3);
        assert!(r.result.is_err());

        let r = run(
            &p,
            |n| {
                if n < 2 {
                    Attempt::Retry("x", None)
                } else {
                    Attempt::Done(n)
                }
            },
            |_, _, _| {},
        );
        assert_eq!(r.result.ok(), Some(2));

        let mut calls = 0;
        let r = run(
            &p,
            |_| {
                calls += 1;
                Attempt::<(), _>::Fail("no")
            },
            |_, _, _| {},
        );
        assert_eq!((calls, r.retries), (1, 0));
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
