//! `bridge-window`: the self-healing backfill of the bridge and its delivery
//! ledger (docs/tools/bridge-window.md, docs/delivery.md).
//!
//! Every hourly run queries the last four hours (the look-back), which
//! catches events that reach Splunk late and survives three failed runs.
//! The job keeps a watermark: the end of the last window that every stage
//! delivered in full. `bridge-window start` prints this run's window: the
//! normal look-back, reaching back at least to watermark − (look-back −
//! interval), so that an event that reaches Splunk late still has a run
//! whose window holds it when the run before failed; a gap longer than
//! `--max-window` is cut into chunks, oldest first (`BRIDGE_MORE=1` says
//! another chunk follows). `bridge-window commit` moves the watermark
//! forward once a chunk was delivered in full.
//!
//! The ledger, kept in the same state, lists the `messageId`s Segment
//! accepted, so that a window queried again sends each event once: `start
//! --ledger-out FILE` writes them for the uploader (`--ledger FILE`), which
//! skips them and appends what Segment accepts; `commit --ledger FILE`
//! records those and prunes what no later window can reach.
//!
//! `start` prints shell assignments for `eval`:
//! `QUERY_EARLIEST_TIME=<epoch>`, `QUERY_LATEST_TIME=<epoch>` (Splunk's
//! `earliest_time`/`latest_time` take epoch seconds) and `BRIDGE_MORE=0|1`.

pub mod configmap;
pub mod duration;
pub mod ledger;
pub mod state;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args as ClapArgs, Parser, Subcommand};
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};

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
    /// for replaying or simulating runs).
    #[arg(long, global = true, env = env::BRIDGE_NOW, value_name = "EPOCH")]
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

    pub fn save(&self, state: &State) -> Result<(), Error> {
        self.update(|_| state.clone()).map(drop)
    }

    /// Changes the stored state with `change` (given what is stored, the new
    /// state). In a ConfigMap the write is conditional on what was read, and
    /// redone on a fresh read when another run wrote meanwhile, so `change`
    /// may run more than once. Returns the state `change` last started
    /// from and what it made of it.
    pub fn update(&self, mut change: impl FnMut(&State) -> State) -> Result<(State, State), Error> {
        match self {
            Store::File(f) => {
                let old = f.load()?.unwrap_or_default();
                let new = change(&old);
                if new != old {
                    f.save(&new)?;
                }
                Ok((old, new))
            }
            Store::ConfigMap(c) => c.update(change),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print `QUERY_EARLIEST_TIME=…`, `QUERY_LATEST_TIME=…` (Unix seconds)
    /// and `BRIDGE_MORE=0|1` for this run (or this chunk of a long gap).
    Start(StartArgs),
    /// Record that the window ending at `--latest` was delivered in full:
    /// moves the watermark forward (never back), records the ledger, and
    /// pushes `segment_bridge_last_success_timestamp_seconds` when
    /// `PUSHGATEWAY_URL` is set.
    Commit(CommitArgs),
    /// Print the state as one JSON line: `{"watermark":EPOCH|null,
    /// "age_seconds":N|null,"ledger_ids":N}`.
    Show,
}

/// The window rule's settings, shared by `start` and `commit` (which
/// prunes the ledger by it).
#[derive(Debug, Clone, ClapArgs)]
pub struct WindowArgs {
    /// The look-back: how far back a run looks when the previous runs
    /// succeeded (`4h`, `90m`, `3600`, …).
    #[arg(long, env = env::BRIDGE_WINDOW, default_value = "4h", value_name = "DURATION")]
    pub window: Secs,

    /// How often the job runs. Every run reaches back at least to
    /// watermark − (look-back − interval).
    #[arg(long, env = env::BRIDGE_INTERVAL, default_value = "1h", value_name = "DURATION")]
    pub interval: Secs,

    /// The least a run reaches back before the watermark, and the margin
    /// kept when pruning the ledger.
    #[arg(long, env = env::BRIDGE_OVERLAP, default_value = "15m", value_name = "DURATION")]
    pub overlap: Secs,

    /// The longest window one query may span. A longer gap is worked
    /// through in chunks of this size, oldest first, each committed on its
    /// own.
    #[arg(long, env = env::BRIDGE_MAX_WINDOW, default_value = "6h", value_name = "DURATION")]
    pub max_window: Secs,
}

impl WindowArgs {
    /// How far before the watermark every run reaches.
    pub fn reach(&self) -> i64 {
        (self.window.0 - self.interval.0).max(self.overlap.0)
    }
}

#[derive(Debug, Clone, ClapArgs)]
pub struct StartArgs {
    #[command(flatten)]
    pub window: WindowArgs,

    /// Write the ledger's `messageId`s, one per line, to this file (for
    /// `segment-mass-uploader --ledger`). An unreadable ledger gives an
    /// empty file: everything is sent.
    #[arg(long, value_name = "PATH")]
    pub ledger_out: Option<PathBuf>,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct CommitArgs {
    /// End (Unix seconds) of the window that was delivered: the
    /// `QUERY_LATEST_TIME` that `start` printed.
    #[arg(long, value_name = "EPOCH")]
    pub latest: i64,

    #[command(flatten)]
    pub window: WindowArgs,

    /// The file the uploader appended the accepted `messageId`s to; they
    /// are recorded in the ledger.
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,

    /// Record the ledger only, leave the watermark (the run failed, but
    /// what Segment accepted need not be sent again).
    #[arg(long, requires = "ledger")]
    pub ledger_only: bool,

    /// The largest ledger kept, in bytes of JSON (a ConfigMap holds 1 MiB
    /// in all). Past it the oldest entries are dropped, with a warning:
    /// their events would be sent again, never skipped.
    #[arg(long, default_value_t = 900_000, value_name = "BYTES")]
    pub ledger_max_bytes: usize,
}

/// Why `bridge-window` failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    /// Bad options (exit 2), standard output.
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::CorruptState { .. } => ExitStatus::Usage,
            Error::Kube(e) => e.exit_status(),
            Error::Core(e) => e.exit_status(),
            Error::ReadState { .. } | Error::WriteState { .. } | Error::ReadKube { .. } => {
                ExitStatus::Failed
            }
        }
    }
}

/// A bad option (exit 2).
fn config(what: impl Into<String>) -> Error {
    segment_bridge_core::Error::config(what).into()
}

/// The time range one run queries, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub earliest: i64,
    pub latest: i64,
    /// True when the window reaches further back than the normal one.
    pub backfill: bool,
    /// True when `--max-window` cut the end of the window short: another
    /// chunk follows.
    pub capped: bool,
}

/// This run's window: `[now − window, now]`, reaching back at least to
/// `watermark − reach`, and cut to `max_window` from its start.
pub fn plan(now: i64, watermark: Option<i64>, args: &WindowArgs) -> Window {
    let normal = now.saturating_sub(args.window.0);
    let earliest = match watermark {
        Some(wm) => normal.min(wm.saturating_sub(args.reach())),
        None => normal,
    };
    let mut latest = now;
    let mut capped = false;
    if latest.saturating_sub(earliest) > args.max_window.0 {
        latest = earliest.saturating_add(args.max_window.0);
        capped = true;
    }
    Window {
        earliest,
        latest,
        backfill: earliest < normal,
        capped,
    }
}

/// Runs one subcommand; `start` and `show` write to `output`.
pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let now = args.now.unwrap_or_else(clock_now);
    // Flag checks first, so that a usage error never waits for a cluster.
    match &args.command {
        Command::Start(s) => check_window_args(&s.window)?,
        Command::Commit(c) => check_window_args(&c.window)?,
        Command::Show => {}
    }
    let store = Store::from_args(&args.state)?;
    match &args.command {
        Command::Start(start) => run_start(store.as_ref(), now, start, output),
        Command::Commit(c) => {
            let Some(store) = store else {
                return Err(config(
                    "commit needs a state: --state-file PATH or --state-configmap NAME \
                     (BRIDGE_STATE_FILE, BRIDGE_STATE_CONFIGMAP)",
                ));
            };
            run_commit(&store, now, c)
        }
        Command::Show => run_show(store.as_ref(), now, output),
    }
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}

fn load(store: Option<&Store>) -> Result<State, Error> {
    match store {
        Some(s) => Ok(s.load()?.unwrap_or_default()),
        None => Ok(State::default()),
    }
}

fn run_start(
    store: Option<&Store>,
    now: i64,
    start: &StartArgs,
    output: Output<'_>,
) -> Result<Outcome, Error> {
    let state = load(store)?;
    let w = plan(now, state.watermark, &start.window);
    if let Some(path) = &start.ledger_out {
        ledger::write_ids(path, state.ids())?;
    }
    write!(
        output,
        "QUERY_EARLIEST_TIME={}\nQUERY_LATEST_TIME={}\nBRIDGE_MORE={}\n",
        w.earliest,
        w.latest,
        u8::from(w.capped)
    )
    .map_err(segment_bridge_core::Error::Stdout)?;
    let span = Secs(w.latest - w.earliest);
    let more = if w.capped {
        "; a chunk of --max-window, the rest follows"
    } else {
        ""
    };
    match state.watermark {
        Some(wm) if w.backfill => tracing::info!(
            "last success {} ago: window {span} ({}..{}){more}",
            Secs(now - wm),
            w.earliest,
            w.latest
        ),
        None if store.is_some() => tracing::info!(
            "no watermark yet: normal window {span} ({}..{})",
            w.earliest,
            w.latest
        ),
        _ => tracing::info!("window {span} ({}..{})", w.earliest, w.latest),
    }
    Ok(Outcome::ok()
        .count("window_seconds", non_negative(w.latest - w.earliest))
        .count(
            "backfill_seconds",
            non_negative(now.saturating_sub(start.window.window.0) - w.earliest),
        )
        .count("ledger_ids", state.ids().count() as u64))
}

fn run_commit(store: &Store, now: i64, c: &CommitArgs) -> Result<Outcome, Error> {
    if c.latest <= 0 || c.latest > now.saturating_add(MAX_SKEW) {
        return Err(config(format!(
            "--latest `{}` is not a past Unix time (now is {now})",
            c.latest
        )));
    }
    let ids = c
        .ledger
        .as_deref()
        .map(ledger::read_ids)
        .unwrap_or_default();
    let (mut added, mut pruned) = (0, 0);
    // Made on what is stored; made again on a fresh read if another run
    // committed meanwhile, so both runs' entries stay and the watermark
    // only moves forward.
    let (old, new) = store.update(|old| {
        let mut new = old.clone();
        if !c.ledger_only {
            new.watermark = Some(old.watermark.map_or(c.latest, |o| o.max(c.latest)));
        }
        added = ledger::record(&mut new.ledger, c.latest, &ids);
        // No later window starts before this (see docs/delivery.md, "Ledger").
        let reachable = (c.latest - c.window.window.0)
            .min(new.watermark.unwrap_or(c.latest) - c.window.reach())
            - c.window.overlap.0;
        pruned = ledger::prune(&mut new.ledger, reachable);
        ledger::cap(&mut new.ledger, c.ledger_max_bytes);
        new
    })?;
    match (old.watermark, new.watermark) {
        (None, None) => tracing::info!("no watermark yet (--ledger-only)"),
        (Some(o), Some(n)) if o == n => tracing::info!("watermark stays at {o}"),
        (Some(o), Some(n)) => tracing::info!("watermark moved from {o} to {n}"),
        (None, Some(n)) => tracing::info!("watermark set to {n}"),
        // A watermark is never removed: `new` starts as a copy of `old`.
        (Some(o), None) => tracing::info!("watermark stays at {o}"),
    }
    tracing::info!(
        "ledger: {added} messageIds recorded, {pruned} pruned, {} kept",
        new.ids().count()
    );
    let mut outcome = Outcome::ok()
        .count("ledger_ids", new.ids().count() as u64)
        .count("ledger_recorded", added as u64);
    if let (false, Some(wm)) = (c.ledger_only, new.watermark) {
        segment_bridge_net::push::push_last_success_if_configured(wm);
        outcome = outcome.count("watermark_timestamp_seconds", non_negative(wm));
    }
    Ok(outcome)
}

fn run_show(store: Option<&Store>, now: i64, output: Output<'_>) -> Result<Outcome, Error> {
    let state = load(store)?;
    let line = serde_json::json!({
        "watermark": state.watermark,
        "age_seconds": state.watermark.map(|w| now - w),
        "ledger_ids": state.ids().count(),
    });
    writeln!(output, "{line}").map_err(segment_bridge_core::Error::Stdout)?;
    Ok(Outcome::ok())
}

fn check_window_args(w: &WindowArgs) -> Result<(), Error> {
    if w.window.0 == 0 {
        return Err(config("--window must be longer than 0s"));
    }
    if w.interval.0 == 0 || w.interval > w.window {
        return Err(config(format!(
            "--interval ({}) must be longer than 0s and at most --window ({})",
            w.interval, w.window
        )));
    }
    if w.max_window < w.window || w.max_window.0 <= w.reach() {
        return Err(config(format!(
            "--max-window ({}) is shorter than --window ({}) or does not pass the reach \
             back before the watermark ({})",
            w.max_window,
            w.window,
            Secs(w.reach())
        )));
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

    fn args(overlap: i64, max: i64) -> WindowArgs {
        WindowArgs {
            window: Secs(4 * H),
            interval: Secs(H),
            overlap: Secs(overlap),
            max_window: Secs(max),
        }
    }

    #[test]
    fn no_watermark_gives_the_normal_window() {
        let w = plan(NOW, None, &args(900, 6 * H));
        assert_eq!((w.earliest, w.latest), (NOW - 4 * H, NOW));
        assert!(!w.backfill && !w.capped);
    }

    #[test]
    fn after_a_success_an_hour_ago_the_normal_window() {
        let w = plan(NOW, Some(NOW - H), &args(900, 6 * H));
        assert_eq!((w.earliest, w.latest), (NOW - 4 * H, NOW));
        assert!(!w.backfill);
    }

    #[test]
    fn after_one_failed_run_the_window_reaches_back_past_the_look_back() {
        // The last success two hours ago: an event that reached Splunk 3h
        // late had its last chance in the failed run; this run still holds
        // it: watermark − (4h − 1h).
        let w = plan(NOW, Some(NOW - 2 * H), &args(900, 6 * H));
        assert_eq!((w.earliest, w.latest), (NOW - 5 * H, NOW));
        assert!(w.backfill && !w.capped);
    }

    #[test]
    fn a_future_watermark_does_not_shrink_the_window() {
        let w = plan(NOW, Some(NOW + H), &args(900, 6 * H));
        assert_eq!((w.earliest, w.latest), (NOW - 4 * H, NOW));
    }

    #[test]
    fn a_long_gap_is_worked_through_in_chunks_oldest_first() {
        let a = args(900, 6 * H);
        let mut wm = NOW - 20 * H;
        let mut chunks = 0;
        loop {
            let w = plan(NOW, Some(wm), &a);
            assert!(w.latest - w.earliest <= 6 * H);
            assert_eq!(w.earliest, wm - 3 * H);
            wm = w.latest; // the chunk was delivered and committed
            chunks += 1;
            if !w.capped {
                break;
            }
        }
        // 20h + 3h of reach, 3h of progress per 6h chunk: 7 chunks.
        assert_eq!((chunks, wm), (7, NOW));
    }

    #[test]
    fn window_settings_are_checked() {
        assert!(check_window_args(&args(900, 6 * H)).is_ok());
        assert!(check_window_args(&args(900, 3 * H)).is_err());
        let mut a = args(900, 6 * H);
        a.interval = Secs(5 * H);
        assert!(check_window_args(&a).is_err());
    }
}
