//! The one retry policy of the project (docs/delivery.md, "Retries").
//!
//! Retry only what can succeed on retry, as Segment's own libraries do since
//! 2026: connection errors, timeouts, 408, 410, 429, 460 (Segment's status
//! for a transient failure) and 5xx except 501 and 505 (Not Implemented and
//! HTTP Version Not Supported will not change). Any other 4xx fails at once.
//! Delays grow exponentially (0.5 s × 2ⁿ, at most 60 s) with full jitter (a
//! uniformly random delay between zero and that bound, so that many clients
//! failing together don't retry together). A server's `Retry-After`, in
//! seconds or as an HTTP date, is honoured on any retryable status, capped at
//! 300 s so that a hostile or broken value can't stall a run.
//!
//! With a time ceiling ([`RetryPolicy::ceiling`]), waits a server asked for
//! do not use up the retry budget: the ceiling bounds them instead, and an
//! operation gives up as soon as the next wait would pass it. Without one,
//! every retry counts against the budget.
//!
//! `SEGMENT_BRIDGE_BACKOFF_SCALE` multiplies every sleep; tests set it to 0
//! or a small fraction. The ceiling is measured on the unscaled waits (plus
//! the real time of the attempts), so a test sees exactly the decisions a
//! real run would make, without waiting for them.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

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
    /// Total time one operation may take, its waits included. When set,
    /// server-requested waits don't count against `retries`.
    pub ceiling: Option<Duration>,
    /// Multiplier on every sleep (test-only; 1.0 normally).
    pub scale: f64,
}

impl RetryPolicy {
    /// The default delays, `retries` retries, no ceiling, and the scale from
    /// `SEGMENT_BRIDGE_BACKOFF_SCALE` if set.
    pub fn new(retries: u32) -> RetryPolicy {
        let scale = std::env::var(segment_bridge_core::env::BACKOFF_SCALE)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(1.0);
        RetryPolicy {
            retries,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(300),
            ceiling: None,
            scale,
        }
    }

    /// This policy with a total time ceiling per operation.
    #[must_use]
    pub fn with_ceiling(mut self, ceiling: Duration) -> RetryPolicy {
        self.ceiling = Some(ceiling);
        self
    }

    /// Delay before a retry (unscaled): full jitter over
    /// `min(cap, base·2^backoffs)`, but never less than a server's
    /// `Retry-After` (capped).
    pub fn delay(&self, backoffs: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(backoffs.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        let jittered = exp.mul_f64(fastrand::f64());
        match retry_after {
            Some(ra) => jittered.max(ra.min(self.retry_after_cap)),
            None => jittered,
        }
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
        408 | 410 | 429 | 460 => Verdict::Retry,
        501 | 505 => Verdict::Fail,
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

/// Parses a `Retry-After` header: delay-seconds, or an HTTP date (then the
/// time from now until that date; a date in the past means "now").
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_retry_after_at(value, SystemTime::now())
}

/// [`parse_retry_after`] with the current time given.
pub fn parse_retry_after_at(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What one attempt of an operation returned.
pub enum Attempt<T, E> {
    Done(T),
    /// Failed, worth retrying; optional server-requested delay.
    Retry(E, Option<Duration>),
    /// Failed, retrying can't help.
    Fail(E),
}

/// Why [`run`] stopped retrying an operation that could have succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// Every retry of the budget was used.
    Budget { retries: u32 },
    /// The next wait would have passed the time ceiling.
    Ceiling { ceiling: Duration },
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaveUp::Budget { retries } => write!(f, "gave up after {retries} retries"),
            GaveUp::Ceiling { ceiling } => write!(
                f,
                "gave up: the next wait would pass the time ceiling of {}s",
                ceiling.as_secs_f64()
            ),
        }
    }
}

/// The result of an operation that may have been retried: the value or the
/// last error, how many retries were made, and why retrying stopped when it
/// stopped short of success.
#[derive(Debug)]
pub struct Retried<T, E> {
    pub result: Result<T, E>,
    pub retries: u32,
    pub gave_up: Option<GaveUp>,
}

impl<T, E> Retried<T, E> {
    /// A result that took no retries.
    pub fn once(result: Result<T, E>) -> Retried<T, E> {
        Retried {
            result,
            retries: 0,
            gave_up: None,
        }
    }

    /// The same, with the error mapped.
    pub fn map_err<F>(self, f: impl FnOnce(E) -> F) -> Retried<T, F> {
        Retried {
            result: self.result.map_err(f),
            retries: self.retries,
            gave_up: self.gave_up,
        }
    }
}

/// Time spent on one operation as the ceiling sees it: real time minus real
/// sleeps plus unscaled waits.
struct Clock {
    started: Instant,
    slept: Duration,
    waited: Duration,
}

impl Clock {
    fn elapsed(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.slept) + self.waited
    }

    fn wait(&mut self, d: Duration, scale: f64) {
        let real = d.mul_f64(scale);
        if !real.is_zero() {
            std::thread::sleep(real);
        }
        self.slept += real;
        self.waited += d;
    }
}

/// Runs `op` (given the attempt number, 0-based) until it is done, fails for
/// good, or the retries (or the time ceiling) are used up, sleeping per the
/// policy in between. `on_retry` sees each error about to be retried, with
/// the retry number and the (unscaled) delay.
pub fn run<T, E>(
    policy: &RetryPolicy,
    mut op: impl FnMut(u32) -> Attempt<T, E>,
    mut on_retry: impl FnMut(&E, u32, Duration),
) -> Retried<T, E> {
    let mut clock = Clock {
        started: Instant::now(),
        slept: Duration::ZERO,
        waited: Duration::ZERO,
    };
    let mut attempt = 0u32;
    let mut backoffs = 0u32;
    loop {
        let (e, retry_after) = match op(attempt) {
            Attempt::Done(v) => return done(Ok(v), attempt, None),
            Attempt::Fail(e) => return done(Err(e), attempt, None),
            Attempt::Retry(e, retry_after) => (e, retry_after),
        };
        // A server-requested wait is free only when a ceiling bounds it.
        let counted = retry_after.is_none() || policy.ceiling.is_none();
        if counted && backoffs >= policy.retries {
            let why = GaveUp::Budget { retries: attempt };
            return done(Err(e), attempt, Some(why));
        }
        let d = policy.delay(backoffs, retry_after);
        if let Some(ceiling) = policy.ceiling {
            if clock.elapsed() + d > ceiling {
                return done(Err(e), attempt, Some(GaveUp::Ceiling { ceiling }));
            }
        }
        on_retry(&e, attempt + 1, d);
        clock.wait(d, policy.scale);
        attempt += 1;
        if counted {
            backoffs += 1;
        }
    }
}

fn done<T, E>(result: Result<T, E>, retries: u32, gave_up: Option<GaveUp>) -> Retried<T, E> {
    Retried {
        result,
        retries,
        gave_up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_sleep(retries: u32) -> RetryPolicy {
        let mut p = RetryPolicy::new(retries);
        p.scale = 0.0;
        p
    }

    #[test]
    fn statuses() {
        for s in [408, 410, 429, 460, 500, 502, 503, 504, 599] {
            assert_eq!(classify_status(s), Verdict::Retry, "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422, 501, 505] {
            assert_eq!(classify_status(s), Verdict::Fail, "{s}");
        }
    }

    #[test]
    fn delays_are_jittered_within_bounds_and_honour_retry_after() {
        let p = RetryPolicy::new(3);
        for retry in 0..40 {
            let bound = p.base.saturating_mul(1 << retry.min(20)).min(p.cap);
            assert!(p.delay(retry, None) <= bound);
        }
        assert_eq!(p.cap, Duration::from_secs(60));
        let d = p.delay(0, Some(Duration::from_secs(7)));
        assert!(d >= Duration::from_secs(7));
        let d = p.delay(0, Some(Duration::from_secs(100_000)));
        assert_eq!(d, p.retry_after_cap);
    }

    #[test]
    fn retries_are_counted_and_bounded() {
        let p = no_sleep(3);
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
        assert_eq!(r.gave_up, Some(GaveUp::Budget { retries: 3 }));
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
        assert_eq!((r.result.ok(), r.gave_up), (Some(2), None));

        let mut calls = 0;
        let r = run(
            &p,
            |_| {
                calls += 1;
                Attempt::<(), _>::Fail("no")
            },
            |_, _, _| {},
        );
        assert_eq!((calls, r.retries, r.gave_up), (1, 0, None));
    }

    #[test]
    fn server_waits_are_free_under_a_ceiling_and_the_ceiling_bounds_them() {
        // 1 retry of budget, but the server asks for 10 s each time: without
        // a ceiling that is one retry; with a 100 s ceiling, nine waits fit.
        let ask = || Attempt::<(), _>::Retry("busy", Some(Duration::from_secs(10)));
        let r = run(&no_sleep(1), |_| ask(), |_, _, _| {});
        assert_eq!(r.retries, 1);
        let p = no_sleep(1).with_ceiling(Duration::from_secs(95));
        let mut waits = Vec::new();
        let r = run(&p, |_| ask(), |_, _, d| waits.push(d));
        assert_eq!(r.retries, 9, "{waits:?}");
        assert_eq!(
            r.gave_up,
            Some(GaveUp::Ceiling {
                ceiling: Duration::from_secs(95)
            })
        );
        assert!(waits.iter().all(|d| *d >= Duration::from_secs(10)));
        // Retries without Retry-After still use the budget under a ceiling.
        let r = run(&p, |_| Attempt::<(), _>::Retry("x", None), |_, _, _| {});
        assert_eq!(
            (r.retries, r.gave_up),
            (1, Some(GaveUp::Budget { retries: 1 }))
        );
    }

    #[test]
    fn retry_after_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after_at(" 3 ", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after_at("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after_at("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after_at("-1", now), None);
        assert_eq!(parse_retry_after_at("soon", now), None);
    }
}
