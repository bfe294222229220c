//! The exit-code table (`docs/exit-codes.md`), shared by every tool so that a pipeline
//! driver can tell "rejected some records" from "failed" from "misconfigured".

/// Process exit status of a segment-bridge tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

    /// Severity order used to combine outcomes: a failure outranks
    /// rejected records, which outrank success.
    fn rank(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Rejected => 1,
            ExitStatus::Failed => 2,
            ExitStatus::Usage => 3,
        }
    }

    /// The more severe of two statuses.
    #[must_use]
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
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
/// `counts` are the run's figures (`events_read`, `events_sent`, …); the entry
/// helper publishes them as metrics when `PUSHGATEWAY_URL` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: ExitStatus,
    pub counts: Vec<(&'static str, u64)>,
}

impl Outcome {
    pub fn with_status(status: ExitStatus) -> Outcome {
        Outcome {
            status,
            counts: Vec::new(),
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

    /// Adds a named figure of the run (a metric name without prefix, such as
    /// `events_read`).
    #[must_use]
    pub fn count(mut self, name: &'static str, value: u64) -> Outcome {
        self.counts.push((name, value));
        self
    }

    /// The more severe status of the two; figures of both.
    #[must_use]
    pub fn worst(mut self, other: Outcome) -> Outcome {
        self.status = self.status.worst(other.status);
        self.counts.extend(other.counts);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_outranks_rejects_and_rejects_outrank_ok() {
        assert_eq!(
            ExitStatus::Ok.worst(ExitStatus::Rejected),
            ExitStatus::Rejected
        );
        assert_eq!(
            ExitStatus::Rejected.worst(ExitStatus::Failed),
            ExitStatus::Failed
        );
        assert_eq!(
            ExitStatus::Failed.worst(ExitStatus::Rejected),
            ExitStatus::Failed
        );
        assert_eq!(ExitStatus::Failed.worst(ExitStatus::Ok), ExitStatus::Failed);
        assert_eq!(ExitStatus::Usage.code(), 2);
        assert_eq!(Outcome::from_rejects(0).status, ExitStatus::Ok);
        assert_eq!(Outcome::from_rejects(2).status, ExitStatus::Rejected);
        let o = Outcome::ok()
            .count("a", 1)
            .worst(Outcome::failed().count("b", 2));
        assert_eq!(o.status, ExitStatus::Failed);
        assert_eq!(o.counts, vec![("a", 1), ("b", 2)]);
    }
}
