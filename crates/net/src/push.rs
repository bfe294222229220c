//! Pushing run metrics to a Prometheus Pushgateway (docs/operations.md):
//! the HTTP half of `segment_bridge_core::metrics`, which names and renders
//! the gauges. Kept here so that a tool that never speaks HTTP links no
//! HTTP or TLS stack: the tools that push hand [`push_gauges_if_configured`]
//! to the entry helper ([`crate::main`]), and `bridge-window` and the map
//! makers push their success groups with the functions below.
//!
//! Monitoring must never break the job: a push has short timeouts and at
//! most one retry, and a failed push is a warning, never an exit code.

use std::time::{Duration, SystemTime};

use segment_bridge_core::metrics::{
    self, map_gauges, render, Gauge, JOB, LAST_SUCCESS, MAP_STAGE, WATERMARK_STAGE,
};

use crate::http::{self, HttpConfig};
use crate::retry::{self, Attempt, RetryPolicy, Verdict};

/// Why a push did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("invalid `PUSHGATEWAY_URL` (`{url}`)")]
    Url {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("`{url}` cannot carry a path")]
    NotABase { url: String },
    #[error("cannot set up the HTTP client")]
    Client(#[source] segment_bridge_core::Error),
    #[error("cannot reach the Pushgateway")]
    Send(#[source] reqwest::Error),
    #[error("the Pushgateway answered {status}: {body}")]
    Status { status: u16, body: String },
}

/// `{base}/metrics/job/{job}/{label}/{value}…`, each value path-encoded.
pub fn group_url(base: &str, labels: &[(&str, &str)]) -> Result<reqwest::Url, PushError> {
    let mut url =
        http::parse_url(segment_bridge_core::env::PUSHGATEWAY_URL, base).map_err(|source| {
            PushError::Url {
                url: redact(base),
                source: Box::new(source),
            }
        })?;
    {
        let mut segs = url
            .path_segments_mut()
            .map_err(|()| PushError::NotABase { url: redact(base) })?;
        segs.pop_if_empty().push("metrics").push("job").push(JOB);
        for (label, value) in labels {
            segs.push(label).push(value);
        }
    }
    Ok(url)
}

/// PUTs `gauges` as the whole content of the group `labels` (under
/// `job="segment-bridge"`) on the Pushgateway at `base`. Short timeouts, one
/// retry at most for what may succeed on retry.
pub fn push(base: &str, labels: &[(&str, &str)], gauges: &[Gauge]) -> Result<(), PushError> {
    let mut policy = RetryPolicy::new(1);
    policy.base = Duration::from_millis(500);
    policy.cap = Duration::from_secs(1);
    policy.retry_after_cap = Duration::from_secs(1);
    push_with(base, labels, gauges, &policy)
}

fn push_with(
    base: &str,
    labels: &[(&str, &str)],
    gauges: &[Gauge],
    policy: &RetryPolicy,
) -> Result<(), PushError> {
    let url = group_url(base, labels)?;
    let client = http::client(&HttpConfig {
        timeout: Some(Duration::from_secs(5)),
        connect_timeout: Duration::from_secs(2),
        ca_file: std::env::var_os(segment_bridge_core::env::CA_FILE).map(Into::into),
    })
    .map_err(PushError::Client)?;
    let body = render(gauges);
    let retried = retry::run(
        policy,
        |_| {
            let sent = client
                .put(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )
                .body(body.clone())
                .send();
            match sent {
                Err(e) => match retry::classify_reqwest(&e) {
                    Verdict::Retry => Attempt::Retry(PushError::Send(e), None),
                    Verdict::Fail => Attempt::Fail(PushError::Send(e)),
                },
                Ok(resp) if resp.status().is_success() => Attempt::Done(()),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body: String = resp
                        .text()
                        .unwrap_or_default()
                        .trim()
                        .chars()
                        .take(300)
                        .collect();
                    let err = PushError::Status { status, body };
                    match retry::classify_status(status) {
                        Verdict::Retry => Attempt::Retry(err, None),
                        Verdict::Fail => Attempt::Fail(err),
                    }
                }
            }
        },
        |e, _, _| tracing::debug!("metrics push failed, retrying once: {e}"),
    );
    retried.result
}

/// Pushes `gauges` to the group `labels` when `PUSHGATEWAY_URL` is set; a
/// failure is logged as a warning and otherwise ignored. Returns whether a
/// push was made and succeeded.
pub fn push_gauges_if_configured(labels: &[(&str, &str)], gauges: &[Gauge]) -> bool {
    let Some(base) = metrics::configured_url() else {
        return false;
    };
    match push(&base, labels, gauges) {
        Ok(()) => {
            tracing::debug!(
                metrics = gauges.len(),
                "pushed {} metrics to `{}`",
                gauges.len(),
                redact(&base)
            );
            true
        }
        Err(e) => {
            tracing::warn!(
                "cannot push metrics to `{}`: {}",
                redact(&base),
                segment_bridge_core::error::chain(&e)
            );
            false
        }
    }
}

/// Pushes a successful map run to the group `stage="map", map=<map>`
/// (`uid` or `workspace`), apart from the run group so that a failed run
/// does not erase it.
pub fn push_map_success_if_configured(map: &str, entries: u64) -> bool {
    if metrics::configured_url().is_none() {
        return false;
    }
    let gauges = map_gauges(entries, SystemTime::now());
    push_gauges_if_configured(&[("stage", MAP_STAGE), ("map", map)], &gauges)
}

/// Pushes the last fully successful window's end (the watermark) as
/// `segment_bridge_last_success_timestamp_seconds` to the watermark group.
pub fn push_last_success_if_configured(epoch_seconds: i64) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let gauge = Gauge::new(
        LAST_SUCCESS,
        "End (Unix time) of the last window that every stage of the bridge delivered in full.",
        epoch_seconds as f64,
    );
    push_gauges_if_configured(&[("stage", WATERMARK_STAGE)], &[gauge])
}

/// The URL without userinfo (a Pushgateway behind basic auth), for messages.
fn redact(url: &str) -> String {
    reqwest::Url::parse(url)
        .map_or_else(|_| "<unparsable URL>".to_owned(), |u| http::redact_url(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_urls() {
        let u = group_url("http://127.0.0.1:9091", &[("stage", "fetch-uj-records")]).unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:9091/metrics/job/segment-bridge/stage/fetch-uj-records"
        );
        let u = group_url("http://gw:9091/prefix/", &[("stage", "a/b c")]).unwrap();
        assert_eq!(
            u.as_str(),
            "http://gw:9091/prefix/metrics/job/segment-bridge/stage/a%2Fb%20c"
        );
        assert!(matches!(
            group_url("not a url", &[]),
            Err(PushError::Url { .. })
        ));
        // Without a scheme, as curl: http.
        let u = group_url("gw:9091", &[]).unwrap();
        assert_eq!(u.as_str(), "http://gw:9091/metrics/job/segment-bridge");
        assert!(matches!(
            group_url("ftp://gw/", &[]),
            Err(PushError::Url { .. })
        ));
    }

    #[test]
    fn a_failed_push_is_an_error_not_a_panic() {
        // Nothing listens on port 1 of loopback: connection refused, retried
        // once (without sleeping), then reported.
        let mut policy = RetryPolicy::new(1);
        policy.scale = 0.0;
        let err = push_with("http://127.0.0.1:1", &[("stage", "t")], &[], &policy).unwrap_err();
        assert!(matches!(err, PushError::Send(_)), "{err:?}");
        assert_eq!(redact("http://user:pw@gw:9091/"), "http://gw:9091/");
    }
}
