//! Run metrics for monitoring (`docs/operations.md`): when `PUSHGATEWAY_URL` is set, the
//! entry helper pushes each tool run's figures and outcome to a Prometheus
//! Pushgateway, so that a failing CronJob shows up on a dashboard and in an
//! alert instead of only in a pod log that is gone by the next day.
//!
//! A run replaces its own group, `job="segment-bridge", stage="<tool>"`
//! (`PUT {url}/metrics/job/segment-bridge/stage/<tool>`), with gauges:
//! `segment_bridge_<count>` for every figure in [`Outcome::counts`],
//! `segment_bridge_run_success` (1 when the exit code is 0),
//! `segment_bridge_run_exit_code`, `segment_bridge_run_duration_seconds` and
//! `segment_bridge_run_timestamp_seconds`; a breakdown
//! ([`Outcome::by_label`]) becomes one labelled series per value, such as
//! `segment_bridge_events_dropped{reason="no_workspace"}`.
//! `bridge-window commit` pushes
//! `segment_bridge_last_success_timestamp_seconds` to its own group
//! (`stage="watermark"`) so that a failed run's push does not erase it; the
//! map makers likewise push `segment_bridge_map_last_success_timestamp_seconds`
//! and `segment_bridge_map_entries` to `stage="map", map="<uid|workspace>"`
//! after each successful run, so that a stale or shrunken map can alert.
//!
//! This module names and renders the gauges; the push itself (HTTP, with
//! the retry policy) is `segment_bridge_net::push`, handed to the entry
//! helper as a [`Pusher`] by the tools that push.
//!
//! The text exposition format is written here rather than with a metrics
//! crate: we push a handful of gauges once per process, with no registry or
//! histograms, and the format for that is a few lines per metric.
//!
//! Monitoring must never break the job: a push has short timeouts and at
//! most one retry, and a failed push is a warning, never an exit code.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::exit::{ExitStatus, LabelledCount, Outcome};

/// The Pushgateway `job` label of every push.
pub const JOB: &str = "segment-bridge";
/// Prefix of every metric name.
pub const PREFIX: &str = "segment_bridge_";
/// The `stage` of the watermark group (see `bridge-window`).
pub const WATERMARK_STAGE: &str = "watermark";
/// Name of the last-success gauge the alert rule watches.
pub const LAST_SUCCESS: &str = "segment_bridge_last_success_timestamp_seconds";
/// The `stage` of the map makers' success group.
pub const MAP_STAGE: &str = "map";
/// When a map maker last published a map.
pub const MAP_LAST_SUCCESS: &str = "segment_bridge_map_last_success_timestamp_seconds";
/// How many entries that map had.
pub const MAP_ENTRIES: &str = "segment_bridge_map_entries";

/// One gauge: a full metric name (sanitised when rendered), its help text,
/// labels and value. Series of one name must be adjacent in a rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub name: String,
    pub help: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Gauge {
    pub fn new(name: impl Into<String>, help: impl Into<String>, value: f64) -> Gauge {
        Gauge {
            name: name.into(),
            help: help.into(),
            labels: Vec::new(),
            value,
        }
    }

    /// The same gauge with one more label.
    #[must_use]
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Gauge {
        self.labels.push((name.into(), value.into()));
        self
    }
}

/// The gauges of one tool run.
pub fn run_gauges(
    status: ExitStatus,
    counts: &[(impl AsRef<str>, u64)],
    by_label: &[LabelledCount],
    elapsed: Duration,
    now: SystemTime,
) -> Vec<Gauge> {
    // Figures with the same name (combined outcomes) are added up: a group
    // may not hold one metric twice.
    let mut merged: Vec<(String, u64)> = Vec::new();
    for (name, v) in counts {
        let full = format!("{PREFIX}{}", sanitize(name.as_ref()));
        match merged.iter_mut().find(|(n, _)| *n == full) {
            Some((_, total)) => *total = total.saturating_add(*v),
            None => merged.push((full, *v)),
        }
    }
    let mut gauges: Vec<Gauge> = merged
        .into_iter()
        .map(|(name, v)| {
            let help = format!(
                "Figure `{}` of the stage's last run.",
                name.trim_start_matches(PREFIX)
            );
            #[allow(clippy::cast_precision_loss)]
            Gauge::new(name, help, v as f64)
        })
        .collect();
    gauges.extend(labelled_gauges(by_label));
    let fixed = [
        (
            "run_success",
            "1 when the stage's last run exited 0, else 0.",
            if status == ExitStatus::Ok { 1.0 } else { 0.0 },
        ),
        (
            "run_exit_code",
            "Exit code of the stage's last run (0 ok, 1 failed, 2 usage, 3 rejected records).",
            f64::from(status.code()),
        ),
        (
            "run_duration_seconds",
            "Wall-clock duration of the stage's last run.",
            elapsed.as_secs_f64(),
        ),
        (
            "run_timestamp_seconds",
            "Unix time at which the stage's last run ended.",
            unix_seconds(now),
        ),
    ];
    for (name, help, value) in fixed {
        let full = format!("{PREFIX}{name}");
        // A tool's own figure must not shadow the run gauges.
        gauges.retain(|g| g.name != full);
        gauges.push(Gauge::new(full, help, value));
    }
    gauges
}

/// One series per breakdown figure, grouped by metric name (the order of
/// first appearance), values of the same label added up.
fn labelled_gauges(by_label: &[LabelledCount]) -> Vec<Gauge> {
    let mut gauges: Vec<Gauge> = Vec::new();
    for c in by_label {
        let name = format!("{PREFIX}{}", sanitize(c.name));
        if let Some(g) = gauges.iter_mut().find(|g| {
            g.name == name
                && g.labels
                    .first()
                    .is_some_and(|(l, v)| l == c.label && v == c.value)
        }) {
            g.value += c.count as f64;
            continue;
        }
        let help = format!(
            "Figure `{}` of the stage's last run, by {}.",
            c.name, c.label
        );
        #[allow(clippy::cast_precision_loss)]
        let g = Gauge::new(name.clone(), help, c.count as f64).label(c.label, c.value);
        // Keep the series of one name together.
        let at = gauges
            .iter()
            .rposition(|x| x.name == name)
            .map_or(gauges.len(), |i| i + 1);
        gauges.insert(at, g);
    }
    gauges
}

/// The text exposition format (version 0.0.4) of `gauges`: `# HELP` and
/// `# TYPE` once per metric name, then its series.
pub fn render(gauges: &[Gauge]) -> String {
    let mut out = String::new();
    let mut previous: Option<String> = None;
    for g in gauges {
        let name = sanitize(&g.name);
        if previous.as_deref() != Some(name.as_str()) {
            let help = g.help.replace('\\', "\\\\").replace('\n', "\\n");
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
        }
        let _ = writeln!(
            out,
            "{name}{} {}",
            render_labels(&g.labels),
            render_value(g.value)
        );
        previous = Some(name);
    }
    out
}

/// `{a="x",b="y"}` (empty without labels), values escaped as the format
/// asks (backslash, double quote, newline).
fn render_labels(labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{}=\"{v}\"", sanitize(k))
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn render_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        // Rust prints integral floats without a fraction (`25`) and never
        // uses exponents, both of which Prometheus parses.
        format!("{v}")
    }
}

/// A valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, other characters become
/// `_`.
pub fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// What pushes gauges to the group `labels` (under `job="segment-bridge"`)
/// when `PUSHGATEWAY_URL` is set, and says whether it did:
/// `segment_bridge_net::push::push_gauges_if_configured`. The entry helper
/// takes one from the tools that push, so that the others link no HTTP.
pub type Pusher = fn(labels: &[(&str, &str)], gauges: &[Gauge]) -> bool;

/// Pushes a tool run's status and figures (`None`: the run ended with an
/// error, no figures) to its group (`stage=<tool>`) when `PUSHGATEWAY_URL`
/// is set, through `push` (the HTTP half, `segment_bridge_net::push`);
/// push failures are `push`'s to log and otherwise ignore.
pub fn push_run_if_configured(
    tool: &str,
    status: ExitStatus,
    outcome: Option<&Outcome>,
    elapsed: Duration,
    push: Pusher,
) -> bool {
    if configured_url().is_none() {
        return false;
    }
    let counts: &[(Cow<'static, str>, u64)] = outcome.map_or(&[], |o| &o.counts);
    let by_label = outcome.map_or(&[][..], |o| &o.by_label[..]);
    let gauges = run_gauges(status, counts, by_label, elapsed, SystemTime::now());
    push(&[("stage", tool)], &gauges)
}

/// The gauges a map maker pushes after a successful run: when, and how big
/// the map was.
pub fn map_gauges(entries: u64, now: SystemTime) -> Vec<Gauge> {
    #[allow(clippy::cast_precision_loss)]
    let entries = entries as f64;
    vec![
        Gauge::new(
            MAP_LAST_SUCCESS,
            "Unix time at which the map maker last built and published the map.",
            unix_seconds(now),
        ),
        Gauge::new(MAP_ENTRIES, "Entries of the map last published.", entries),
    ]
}

/// `PUSHGATEWAY_URL`, when set and not empty.
pub fn configured_url() -> Option<String> {
    std::env::var(crate::env::PUSHGATEWAY_URL)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_run_gauges() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let g = run_gauges(
            ExitStatus::Rejected,
            &[("events_read", 25), ("events_sent", 18), ("events_read", 5)],
            &[],
            Duration::from_millis(1500),
            t,
        );
        let text = render(&g);
        assert!(text
            .contains("# TYPE segment_bridge_events_read gauge\nsegment_bridge_events_read 30\n"));
        assert!(text.contains("\nsegment_bridge_events_sent 18\n"));
        assert!(text.contains("\nsegment_bridge_run_success 0\n"));
        assert!(text.contains("\nsegment_bridge_run_exit_code 3\n"));
        assert!(text.contains("\nsegment_bridge_run_duration_seconds 1.5\n"));
        assert!(text.contains("\nsegment_bridge_run_timestamp_seconds 1700000000.25\n"));
        assert_eq!(text.matches("# TYPE").count(), 6);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn success_is_exit_zero_only_and_fixed_gauges_win() {
        let g = run_gauges(
            ExitStatus::Ok,
            &[("run_success", 7)],
            &[],
            Duration::ZERO,
            UNIX_EPOCH,
        );
        let text = render(&g);
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("segment_bridge_run_success "))
                .count(),
            1
        );
        assert!(text.contains("\nsegment_bridge_run_success 1\n"));
        assert!(text.contains("\nsegment_bridge_run_timestamp_seconds 0\n"));
    }

    #[test]
    fn breakdowns_are_labelled_series_under_one_help() {
        let by = |value, count| LabelledCount {
            name: "events_dropped",
            label: "reason",
            value,
            count,
        };
        let g = run_gauges(
            ExitStatus::Ok,
            &[("events_read", 9)],
            &[
                by("no_workspace", 3),
                by("no_user_id", 0),
                by("no_workspace", 1),
            ],
            Duration::ZERO,
            UNIX_EPOCH,
        );
        let text = render(&g);
        assert_eq!(
            text.matches("# TYPE segment_bridge_events_dropped gauge")
                .count(),
            1
        );
        assert!(text.contains(
            "gauge\nsegment_bridge_events_dropped{reason=\"no_workspace\"} 4\nsegment_bridge_events_dropped{reason=\"no_user_id\"} 0\n"
        ));
        let odd = render(&[Gauge::new("m", "h", 1.0).label("l", "a\"b\\c\nd")]);
        assert!(odd.ends_with("m{l=\"a\\\"b\\\\c\\nd\"} 1\n"), "{odd}");
    }

    #[test]
    fn map_gauges_carry_time_and_size() {
        let text = render(&map_gauges(42, UNIX_EPOCH + Duration::from_secs(7)));
        assert!(text.contains("\nsegment_bridge_map_last_success_timestamp_seconds 7\n"));
        assert!(text.contains("\nsegment_bridge_map_entries 42\n"));
    }

    #[test]
    fn names_are_sanitised_and_values_special_cased() {
        assert_eq!(sanitize("events-sent.total"), "events_sent_total");
        assert_eq!(sanitize("9lives"), "_9lives");
        assert_eq!(sanitize(""), "_");
        assert_eq!(render_value(f64::NAN), "NaN");
        assert_eq!(render_value(f64::INFINITY), "+Inf");
        assert_eq!(render_value(1e21), "1000000000000000000000");
        let text = render(&[Gauge::new("a b", "line\none \\", 1.0)]);
        assert_eq!(
            text,
            "# HELP a_b line\\none \\\\\n# TYPE a_b gauge\na_b 1\n"
        );
    }
}
