//! `bridge-window`: the self-healing backfill of the bridge (SPEC §3).
//!
//! Every hourly run queries the last four hours, so up to three failed runs in
//! a row lose nothing (Segment drops the duplicates by `messageId`). A longer
//! outage used to need a hand-made data-gap-fix Job. Instead, the job keeps a
//! watermark: the end of the last window that every stage delivered in full.
//! `bridge-window start` widens this run's window back to the watermark (minus
//! an overlap, for events that reach Splunk late) whenever the last success is
//! older than the normal window, and `bridge-window commit` moves the
//! watermark forward once the whole pipeline has succeeded. The first
//! successful run after an outage of any length thus delivers the whole gap.
//!
//! `start` prints shell assignments for `eval`:
//! `QUERY_EARLIEST_TIME=<epoch>` and `QUERY_LATEST_TIME=<epoch>` (Splunk's
//! `earliest_time`/`latest_time` take epoch seconds).

pub mod configmap;
pub mod duration;
pub mod state;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args as ClapArgs, Parser, Subcommand};
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{env, metrics, ExitStatus, Outcome, ToolError};

pub use configmap::ConfigMapStore;
pub use duration::Secs;
pub use state::{FileStore, State};

/// How far in the future a committed window end may lie (clock skew between
/// the pod that ran `start` and the one that runs `commit`).
const MAX_SKEW: i64 = 300;

/// Which time window this run of the bridge should query, and recording a
/// window that was delivered in full (the watermark that makes backfill
/// automatic).
#[derive(Debug, Parser)]
#[command(after_help = "Example (scripts/main-job.sh does this):\n  \
        export BRIDGE_STATE_FILE=/var/lib/segment-bridge/state.json\n  \
        eval \"$(bridge-window start)\"\n  \
        export QUERY_EARLIEST_TIME QUERY_LATEST_TIME\n  \
        fetch-uj-records | splunk-to-segment | segment-mass-uploader \\\n    \
        && bridge-window commit --latest \"$QUERY_LATEST_TIME\"")]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub state: StateArgs,

    /// The current time as Unix seconds, instead of the clock (for tests and
    /// for replaying a run).
    #[arg(long, global = true, value_name = "EPOCH")]
    pub now: Option<i64>,
}

/// Where the watermark is kept.
#[derive(Debug, Clone, ClapArgs)]
pub struct StateArgs {
    /// File holding the watermark (JSON `{"watermark":EPOCH}`, replaced
    /// atomically). Without a state, `start` prints the normal window and
    /// `commit` has nowhere to record it (an error).
    #[arg(long, global = true, env = env::BRIDGE_STATE_FILE, value_name = "FILE",
          conflicts_with = "state_configmap")]
    pub state_file: Option<PathBuf>,

    /// ConfigMap holding the watermark (key `state.json`), on the cluster of
    /// the kubeconfig; in a pod, the pod's own cluster and service account.
    #[arg(long, global = true, env = env::BRIDGE_STATE_CONFIGMAP, value_name = "NAME")]
    pub state_configmap: Option<String>,

    /// Namespace of that ConfigMap. Default: the kubeconfig context's
    /// namespace (in a pod: the pod's).
    #[arg(long, global = true, env = env::BRIDGE_STATE_NAMESPACE, value_name = "NS")]
    pub state_namespace: Option<String>,

    /// Kubeconfig(s) for --state-configmap (`:`-separated). Default:
    /// ~/.kube/config, else the pod's service account (in-cluster).
    #[arg(long, global = true, env = env::KUBECONFIG, value_name = "PATHS")]
    pub kubeconfig: Option<OsString>,
}

/// The configured watermark store.
pub enum Store {
    File(FileStore),
    ConfigMap(Box<ConfigMapStore>),
}

impl Store {
    /// The store the flags name, if any. Empty values count as unset (the
    /// backfill Job switches the state off with `BRIDGE_STATE_CONFIGMAP=""`).
    pub fn from_args(a: &StateArgs) -> Result<Option<Store>, Error> {
        if let Some(p) = a.state_file.as_ref().filter(|p| !p.as_os_str().is_empty()) {
            return Ok(Some(Store::File(FileStore::new(p))));
        }
        if let Some(name) = a.state_configmap.as_deref().filter(|n| !n.is_empty()) {
            let cm = ConfigMapStore::connect(
                name,
                a.state_namespace.as_deref(),
                a.kubeconfig.as_deref(),
            )?;
            return Ok(Some(Store::ConfigMap(Box::new(cm))));
        }
        Ok(None)
    }

    pub fn load(&self) -> Result<Option<State>, Error> {
        match self {
            Store::File(f) => f.load(),
            Store::ConfigMap(c) => c.load(),
        }
    }

    pub fn save(&self, state: State) -> Result<(), Error> {
        match self {
            Store::File(f) => f.save(state),
            Store::ConfigMap(c) => c.save(state),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print `QUERY_EARLIEST_TIME=…` and `QUERY_LATEST_TIME=…` (Unix seconds)
    /// for this run: the last `--window`, or from the watermark minus
    /// `--overlap` when the last success is older than that.
    Start(StartArgs),
    /// Record that the window ending at `--latest` was delivered in full:
    /// moves the watermark forward (never back) and pushes
    /// `segment_bridge_last_success_timestamp_seconds` when `PUSHGATEWAY_URL`
    /// is set.
    Commit(CommitArgs),
    /// Print the state as one JSON line: `{"watermark":EPOCH|null,
    /// "age_seconds":N|null}`.
    Show,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct StartArgs {
    /// The normal window: how far back a run looks when the previous runs
    /// succeeded (`4h`, `90m`, `3600`, …).
    #[arg(long, env = env::BRIDGE_WINDOW, default_value = "4h", value_name = "DURATION")]
    pub window: Secs,

    /// How far before the watermark a backfill starts, for events that
    /// reach Splunk late (duplicates are dropped by Segment).
    #[arg(long, env = env::BRIDGE_OVERLAP, default_value = "15m", value_name = "DURATION")]
    pub overlap: Secs,

    /// The longest window one run may query. A longer gap is then caught up
    /// over several runs, oldest part first (each commit moves the watermark
    /// on). Unset: no limit, the first successful run takes the whole gap.
    #[arg(long, env = env::BRIDGE_MAX_WINDOW, value_name = "DURATION")]
    pub max_window: Option<Secs>,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct CommitArgs {
    /// End (Unix seconds) of the window that was delivered in full: the
    /// `QUERY_LATEST_TIME` that `start` printed.
    #[arg(long, value_name = "EPOCH")]
    pub latest: i64,
}

/// Why `bridge-window` failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(String),
    #[error("cannot read the watermark from {store}")]
    ReadState {
        store: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the watermark in {store} is not `{{\"watermark\":EPOCH}}`\nhint: fix or delete it (a deleted watermark restarts from the normal window)")]
    CorruptState {
        store: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the watermark to {store}")]
    WriteState {
        store: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the watermark from {store}")]
    ReadKube {
        store: String,
        #[source]
        source: segment_bridge_kube::ApiError,
    },
    #[error(transparent)]
    Kube(#[from] segment_bridge_kube::Error),
    #[error("cannot write standard output")]
    Output(#[source] std::io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Config(_) | Error::CorruptState { .. } => ExitStatus::Usage,
            Error::Kube(e) => e.exit_status(),
            Error::ReadState { .. }
            | Error::WriteState { .. }
            | Error::ReadKube { .. }
            | Error::Output(_) => ExitStatus::Failed,
        }
    }
}

/// The time range one run queries, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub earliest: i64,
    pub latest: i64,
    /// True when the window reaches further back than the normal one.
    pub backfill: bool,
    /// True when `--max-window` cut the end of the window short.
    pub capped: bool,
}

/// This run's window: `[now − window, now]`, widened back to
/// `watermark − overlap` when that is earlier, and cut to `max_window` from
/// its start.
pub fn plan(now: i64, watermark: Option<i64>, args: &StartArgs) -> Window {
    let normal = now.saturating_sub(args.window.0);
    let (earliest, backfill) = match watermark {
        Some(wm) if wm.saturating_sub(args.overlap.0) < normal => {
            (wm.saturating_sub(args.overlap.0), true)
        }
        _ => (normal, false),
    };
    let mut latest = now;
    let mut capped = false;
    if let Some(max) = args.max_window {
        if latest.saturating_sub(earliest) > max.0 {
            latest = earliest.saturating_add(max.0);
            capped = true;
        }
    }
    Window {
        earliest,
        latest,
        backfill,
        capped,
    }
}

/// Runs one subcommand; `start` and `show` write to `output`.
pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let now = args.now.unwrap_or_else(clock_now);
    // Flag checks first, so that a usage error never waits for a cluster.
    if let Command::Start(start) = &args.command {
        check_start_args(start)?;
    }
    let store = Store::from_args(&args.state)?;
    match &args.command {
        Command::Start(start) => {
            let watermark = match &store {
                Some(s) => s.load()?.map(|st| st.watermark),
                None => None,
            };
            let w = plan(now, watermark, start);
            write!(
                output,
                "QUERY_EARLIEST_TIME={}\nQUERY_LATEST_TIME={}\n",
                w.earliest, w.latest
            )
            .map_err(Error::Output)?;
            let span = Secs(w.latest - w.earliest);
            match (watermark, w.backfill) {
                (Some(wm), true) => tracing::info!(
                    earliest = w.earliest,
                    latest = w.latest,
                    backfill = true,
                    capped = w.capped,
                    "last success {} ago: backfilling {span} ({}..{}){}",
                    Secs(now - wm),
                    w.earliest,
                    w.latest,
                    if w.capped {
                        "; capped by --max-window, later runs catch up the rest"
                    } else {
                        ""
                    }
                ),
                (None, _) if store.is_some() => tracing::info!(
                    earliest = w.earliest,
                    latest = w.latest,
                    "no watermark yet: normal window {span} ({}..{})",
                    w.earliest,
                    w.latest
                ),
                _ => tracing::info!(
                    earliest = w.earliest,
                    latest = w.latest,
                    "window {span} ({}..{})",
                    w.earliest,
                    w.latest
                ),
            }
            Ok(Outcome::ok()
                .count("window_seconds", non_negative(w.latest - w.earliest))
                .count(
                    "backfill_seconds",
                    non_negative(now.saturating_sub(start.window.0) - w.earliest),
                ))
        }
        Command::Commit(c) => {
            let Some(store) = store else {
                return Err(Error::Config(
                    "commit needs a state: --state-file PATH or --state-configmap NAME \
                     (BRIDGE_STATE_FILE, BRIDGE_STATE_CONFIGMAP)"
                        .into(),
                ));
            };
            if c.latest <= 0 || c.latest > now.saturating_add(MAX_SKEW) {
                return Err(Error::Config(format!(
                    "--latest `{}` is not a past Unix time (now is {now})",
                    c.latest
                )));
            }
            let old = store.load()?.map(|s| s.watermark);
            let new = old.map_or(c.latest, |o| o.max(c.latest));
            if old == Some(new) {
                tracing::info!(
                    "watermark stays at {new}: it is not older than --latest {}",
                    c.latest
                );
            } else {
                store.save(State { watermark: new })?;
                match old {
                    Some(o) => tracing::info!(
                        from = o,
                        watermark = new,
                        "watermark moved from {o} to {new}"
                    ),
                    None => tracing::info!(watermark = new, "watermark set to {new}"),
                }
            }
            metrics::push_last_success_if_configured(new);
            Ok(Outcome::ok().count("watermark_timestamp_seconds", non_negative(new)))
        }
        Command::Show => {
            let watermark = match &store {
                Some(s) => s.load()?.map(|st| st.watermark),
                None => None,
            };
            let line = serde_json::json!({
                "watermark": watermark,
                "age_seconds": watermark.map(|w| now - w),
            });
            writeln!(output, "{line}").map_err(Error::Output)?;
            Ok(Outcome::ok())
        }
    }
}

fn check_start_args(start: &StartArgs) -> Result<(), Error> {
    if let Some(max) = start.max_window {
        if max < start.window {
            return Err(Error::Config(format!(
                "--max-window ({max}) is shorter than --window ({})",
                start.window
            )));
        }
    }
    if start.window.0 == 0 {
        return Err(Error::Config("--window must be longer than 0s".into()));
    }
    Ok(())
}

fn clock_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn non_negative(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;
    const NOW: i64 = 1_700_000_000;

    fn start(window: i64, overlap: i64, max: Option<i64>) -> StartArgs {
        StartArgs {
            window: Secs(window),
            overlap: Secs(overlap),
            max_window: max.map(Secs),
        }
    }

    #[test]
    fn no_watermark_gives_the_normal_window() {
        let w = plan(NOW, None, &start(4 * H, 900, None));
        assert_eq!((w.earliest, w.latest), (NOW - 4 * H, NOW));
        assert!(!w.backfill && !w.capped);
    }

    #[test]
    fn a_recent_watermark_keeps_the_normal_window() {
        // Last success an hour ago: 1h15m back is inside the 4h window.
        let w = plan(NOW, Some(NOW - H), &start(4 * H, 900, None));
        assert_eq!((w.earliest, w.latest), (NOW - 4 * H, NOW));
        assert!(!w.backfill);
        // Exactly at the edge: still the normal window.
        let w = plan(NOW, Some(NOW - 4 * H + 900), &start(4 * H, 900, None));
        assert_eq!(w.earliest, NOW - 4 * H);
        assert!(!w.backfill);
    }

    #[test]
    fn a_nine_hour_outage_is_queried_whole_minus_the_overlap() {
        let w = plan(NOW, Some(NOW - 9 * H), &start(4 * H, 900, None));
        assert_eq!((w.earliest, w.latest), (NOW - 9 * H - 900, NOW));
        assert!(w.backfill && !w.capped);
    }

    #[test]
    fn a_future_watermark_does_not_shrink_the_window() {
        let w = plan(NOW, Some(NOW + H), &start(4 * H, 900, None));
        assert_eq!((w.earliest, w.latest), (NOW - 4 * H, NOW));
    }

    #[test]
    fn max_window_catches_up_oldest_first() {
        let args = start(4 * H, 0, Some(6 * H));
        let mut wm = NOW - 20 * H;
        let mut now = NOW;
        let mut runs = 0;
        loop {
            let w = plan(now, Some(wm), &args);
            assert!(w.latest - w.earliest <= 6 * H);
            assert_eq!(w.earliest, (wm).min(now - 4 * H));
            wm = w.latest; // the run succeeded and committed
            runs += 1;
            if !w.capped {
                break;
            }
            now += H;
        }
        // 20h behind, 6h per hourly run, the clock moving on: 4 runs.
        assert_eq!(runs, 4);
        assert_eq!(wm, now);
    }
}
