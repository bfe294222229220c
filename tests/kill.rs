//! SIGKILL of the whole job at any moment loses nothing (docs/delivery.md):
//! `scripts/test-main-job-kill.sh` kills `scripts/main-job.sh` while
//! fetching, while uploading, before the commit and in the middle of the
//! first and the second chunk's commit, then shows that the next run
//! delivers every event and leaves the state file alone, with its mode.

use e2e::{bin_dir, root};

#[test]
fn a_job_killed_at_any_point_is_completed_by_the_next_run() {
    let out = std::process::Command::new(root().join("scripts/test-main-job-kill.sh"))
        .env("TEST_BIN_DIR", bin_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
