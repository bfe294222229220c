//! The exit-code table of SPEC §5, shared by every tool so that a pipeline
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: ExitStatus,
}

impl Outcome {
    pub const OK: Outcome = Outcome {
        status: ExitStatus::Ok,
    };
    pub const REJECTED: Outcome = Outcome {
        status: ExitStatus::Rejected,
    };
    pub const FAILED: Outcome = Outcome {
        status: ExitStatus::Failed,
    };

    /// `Rejected` when `rejected > 0`, else `Ok`.
    pub fn from_rejects(rejected: u64) -> Outcome {
        if rejected > 0 {
            Outcome::REJECTED
        } else {
            Outcome::OK
        }
    }

    #[must_use]
    pub fn worst(self, other: Outcome) -> Outcome {
        Outcome {
            status: self.status.worst(other.status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_outranks_rejects_and_rejects_outrank_ok() {
        assert_eq!(ExitStatus::Ok.worst(ExitStatus::Rejected), ExitStatus::Rejected);
        assert_eq!(ExitStatus::Rejected.worst(ExitStatus::Failed), ExitStatus::Failed);
        assert_eq!(ExitStatus::Failed.worst(ExitStatus::Rejected), ExitStatus::Failed);
        assert_eq!(ExitStatus::Failed.worst(ExitStatus::Ok), ExitStatus::Failed);
        assert_eq!(ExitStatus::Usage.code(), 2);
        assert_eq!(Outcome::from_rejects(0), Outcome::OK);
        assert_eq!(Outcome::from_rejects(2), Outcome::REJECTED);
    }
}
