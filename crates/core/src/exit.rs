//! The exit-code table (`docs/exit-codes.md`), shared by every tool so that a pipeline
//! driver can tell "rejected some records" from "failed" from "misconfigured".

use std::borrow::Cow;

/// Process exit status of a segment-bridge tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done, nothing lost.
    Ok = 0,
    /// Done, but some input records were rejected (reported on stderr and in
    /// `--rejects`).
    Rejected = 3,
    /// Usage or configuration error; nothing was done.
    Usage = 2,
    /// Failed: network, API or I/O.
    Failed = 1,
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

/// What a tool's `run` reports when it finished without a fatal error.
///
/// A run can finish and still have lost something (rejected input records,
/// a batch that could not be delivered): that is carried here rather than as
/// an `Err`, because the tool kept going and its output is still valid.
/// `counts` are the run's figures (`events_read`, `events_sent`, …) and
/// `by_label` the figures broken down by one label (events dropped by
/// reason); the entry helper publishes both as metrics when
/// `PUSHGATEWAY_URL` is set.
///
/// A tool names each figure once, here: the entry helper logs the
/// `summary` line with every count (and every other `field`) as a field of
/// the same name, so the log line and the metrics always agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: ExitStatus,
    pub counts: Vec<(Cow<'static, str>, u64)>,
    pub by_label: Vec<LabelledCount>,
    /// The one-line summary for stderr (none: the tool prints none).
    pub summary: Option<String>,
    /// Fields of the summary line that are not counts (`dry_run`, `map`).
    pub fields: Vec<(&'static str, serde_json::Value)>,
}

/// One figure of a breakdown: `name{label="value"} count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelledCount {
    /// Metric name without prefix (`events_dropped`).
    pub name: &'static str,
    /// Label name (`reason`).
    pub label: &'static str,
    /// Label value (`no_workspace`).
    pub value: &'static str,
    pub count: u64,
}

impl Outcome {
    pub fn with_status(status: ExitStatus) -> Outcome {
        Outcome {
            status,
            counts: Vec::new(),
            by_label: Vec::new(),
            summary: None,
            fields: Vec::new(),
        }
    }

    pub fn ok() -> Outcome {
        Outcome::with_status(ExitStatus::Ok)
    }

    pub fn rejected() -> Outcome {
        Outcome::with_status(ExitStatus::Rejected)
    }

    pub fn failed() -> Outcome {
        Outcome::with_status(ExitStatus::Failed)
    }

    /// `Rejected` when `rejected > 0`, else `Ok`.
    pub fn from_rejects(rejected: u64) -> Outcome {
        if rejected > 0 {
            Outcome::rejected()
        } else {
            Outcome::ok()
        }
    }

    /// `Failed` when `failed > 0` (some parts of the run, such as queries
    /// or time windows, failed after their retries while the others' output
    /// still went out), else `Ok`.
    pub fn from_failures(failed: usize) -> Outcome {
        if failed > 0 {
            Outcome::failed()
        } else {
            Outcome::ok()
        }
    }

    /// Adds a named figure of the run (a metric name without prefix, such as
    /// `events_read`).
    #[must_use]
    pub fn count(mut self, name: &'static str, value: u64) -> Outcome {
        self.counts.push((name.into(), value));
        self
    }

    /// Adds every unsigned integer field of `figures` (a struct that
    /// derives `Serialize`) as a figure named as the field: a tool's
    /// figures struct names each metric once, with `#[serde(rename)]` where
    /// the field's name is not the metric's. Other fields are not figures
    /// and are left out.
    #[must_use]
    pub fn count_fields(mut self, figures: &impl serde::Serialize) -> Outcome {
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(figures) {
            let numbers = fields
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_u64()?)));
            self.counts.extend(numbers.map(|(k, v)| (Cow::Owned(k), v)));
        }
        self
    }

    /// Adds each `(name, value)` of `figures` as a figure.
    #[must_use]
    pub fn count_all(mut self, figures: impl IntoIterator<Item = (&'static str, u64)>) -> Outcome {
        self.counts
            .extend(figures.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)));
        self
    }

    /// The figure `name`, if the run has it.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.counts.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// Sets the run's summary line, logged (at info) by the entry helper
    /// after the output is flushed, with the counts and fields as fields.
    #[must_use]
    pub fn summary(mut self, message: impl Into<String>) -> Outcome {
        self.summary = Some(message.into());
        self
    }

    /// Adds a field to the summary line that is not a count, such as
    /// `.field("dry_run", true)`.
    #[must_use]
    pub fn field(mut self, name: &'static str, value: impl Into<serde_json::Value>) -> Outcome {
        self.fields.push((name, value.into()));
        self
    }

    /// The summary line's fields: every count, then every other field that
    /// has a value (a `None` given to [`Outcome::field`] is left out).
    pub fn summary_fields(&self) -> impl Iterator<Item = (&str, serde_json::Value)> + '_ {
        let counts = self.counts.iter().map(|(n, v)| (n.as_ref(), (*v).into()));
        let fields = self.fields.iter().filter(|(_, v)| !v.is_null());
        counts.chain(fields.map(|(n, v)| (*n, v.clone())))
    }

    /// Adds one figure of a breakdown, e.g.
    /// `.count_by("events_dropped", "reason", "no_workspace", 3)`.
    #[must_use]
    pub fn count_by(
        mut self,
        name: &'static str,
        label: &'static str,
        value: &'static str,
        count: u64,
    ) -> Outcome {
        self.by_label.push(LabelledCount {
            name,
            label,
            value,
            count,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_outcomes() {
        assert_eq!(ExitStatus::Ok.code(), 0);
        assert_eq!(ExitStatus::Failed.code(), 1);
        assert_eq!(ExitStatus::Usage.code(), 2);
        assert_eq!(ExitStatus::Rejected.code(), 3);
        assert_eq!(Outcome::from_rejects(0).status, ExitStatus::Ok);
        assert_eq!(Outcome::from_rejects(2).status, ExitStatus::Rejected);
        assert_eq!(Outcome::from_failures(0).status, ExitStatus::Ok);
        assert_eq!(Outcome::from_failures(1).status, ExitStatus::Failed);
        let o = Outcome::ok()
            .count("a", 1)
            .count_by("dropped", "reason", "x", 2);
        assert_eq!(o.get("a"), Some(1));
        assert_eq!(o.get("b"), None);
        assert_eq!(o.by_label[0].count, 2);
        #[derive(serde::Serialize)]
        struct Figures {
            read: u64,
            #[serde(rename = "events_sent")]
            sent: u32,
            name: &'static str,
        }
        let figures = Figures {
            read: 4,
            sent: 3,
            name: "not a figure",
        };
        let all = Outcome::ok().count_fields(&figures);
        assert_eq!(
            (all.get("read"), all.get("events_sent")),
            (Some(4), Some(3))
        );
        assert_eq!(all.counts.len(), 2, "{:?}", all.counts);
        let o = o
            .field("dry_run", true)
            .field("configmap", None::<&str>)
            .summary("1 a");
        assert_eq!(o.summary.as_deref(), Some("1 a"));
        let fields: Vec<_> = o.summary_fields().collect();
        assert_eq!(fields, [("a", 1.into()), ("dry_run", true.into())]);
    }
}
