//! bridge-heartbeat (docs/tools/bridge-heartbeat.md): after a run of the
//! bridge delivered its window, one Segment `track` event that says so,
//! carrying the run's figures, so that the analytics side can see that the
//! bridge is alive and what it did.
//!
//! The figures come from the file every tool of the run appended its line
//! to (`SEGMENT_BRIDGE_FIGURES_FILE`, core's `figures`): read once, checked
//! (a stage that failed means no heartbeat: exit 1), summed up. The
//! `messageId` is a hash of the source and the window, so a window sent
//! again (a retried Job, a replay) gives the same id and Segment keeps one
//! heartbeat per window. The uploader sends it; this tool only prints it.

use std::path::PathBuf;

use jiff::Timestamp;
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{env, Outcome, ToolError};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The event's name unless `--event` says otherwise.
pub const EVENT: &str = "Segment Bridge Heartbeat";

/// Prints the heartbeat event of a delivered window: one Segment `track`
/// event with the run's figures (from the figures file its tools wrote) as
/// properties and a `messageId` derived from the window.
#[derive(Debug, clap::Parser)]
#[command(after_help = "Example:\n  \
    SEGMENT_BRIDGE_FIGURES_FILE=run.jsonl sh -c 'fetch-uj-records | splunk-to-segment | segment-mass-uploader'\n  \
    bridge-heartbeat --figures run.jsonl | segment-mass-uploader\n\n\
    scripts/main-job.sh does this after each delivered window when BRIDGE_HEARTBEAT=true.")]
pub struct Args {
    /// The run's figures: one JSON line per tool run
    /// (SEGMENT_BRIDGE_FIGURES_FILE of the tools).
    #[arg(long, value_name = "FILE")]
    pub figures: PathBuf,

    /// Start of the window the run delivered (as given to the tools).
    #[arg(long, env = env::QUERY_EARLIEST_TIME, value_name = "TIME")]
    pub earliest: String,

    /// End of the window the run delivered.
    #[arg(long, env = env::QUERY_LATEST_TIME, value_name = "TIME")]
    pub latest: String,

    /// The run's clock (Unix seconds): the event's timestamp, and part of
    /// its id when the window is relative (`-4hours`) [default: now].
    #[arg(long, env = env::BRIDGE_NOW, value_name = "EPOCH")]
    pub now: Option<i64>,

    /// Which bridge this is (a cluster's name), when several send to one
    /// Segment source: the event's anonymousId and part of its id.
    #[arg(
        long,
        env = "BRIDGE_HEARTBEAT_SOURCE",
        default_value = "segment-bridge",
        value_name = "NAME"
    )]
    pub source: String,

    /// The event's name.
    #[arg(long, default_value = EVENT, value_name = "NAME")]
    pub event: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("figures file line {line}: not a JSON object with a `tool` and an `exit_code`")]
    BadLine { line: usize },
    #[error("the run did not succeed (`{tool}` exited {code}): no heartbeat")]
    RunFailed { tool: String, code: u64 },
    #[error("the figures file holds no run")]
    Empty,
    #[error("`--now` {0} is not a time")]
    BadNow(i64),
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> segment_bridge_core::ExitStatus {
        match self {
            Error::BadNow(_) => segment_bridge_core::ExitStatus::Usage,
            Error::Core(e) => e.exit_status(),
            _ => segment_bridge_core::ExitStatus::Failed,
        }
    }
}

/// The run's stages as the figures file has them: tool → its line (the
/// last one when a tool ran twice).
pub fn read_figures(text: &str) -> Result<Map<String, Value>, Error> {
    let mut stages = Map::new();
    for (i, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = || Error::BadLine { line: i + 1 };
        let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(l) else {
            return Err(bad());
        };
        let tool = m.remove("tool").and_then(|t| t.as_str().map(str::to_owned));
        let (Some(tool), Some(code)) = (tool, m.get("exit_code").and_then(Value::as_u64)) else {
            return Err(bad());
        };
        if code != 0 && code != 3 {
            return Err(Error::RunFailed { tool, code });
        }
        stages.insert(tool, Value::Object(m));
    }
    if stages.is_empty() {
        return Err(Error::Empty);
    }
    Ok(stages)
}

/// A window bound that names a fixed time: Unix seconds.
fn is_fixed(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// The heartbeat's `messageId`: `heartbeat-` and the SHA-256 of the source
/// and the window (and the run's clock when the window is relative, since
/// then the same text names a different window every run).
pub fn message_id(source: &str, earliest: &str, latest: &str, now: i64) -> String {
    let mut h = Sha256::new();
    for part in [source, earliest, latest] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    if !(is_fixed(earliest) && is_fixed(latest)) {
        h.update(now.to_string().as_bytes());
    }
    let mut id = String::from("heartbeat-");
    for b in h.finalize() {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// The sum of figure `name` over the stages.
fn total(stages: &Map<String, Value>, name: &str) -> u64 {
    stages
        .values()
        .filter_map(|s| s.get(name).and_then(Value::as_u64))
        .sum()
}

/// A stage's figure.
fn of(stages: &Map<String, Value>, tool: &str, name: &str) -> Option<u64> {
    stages.get(tool)?.get(name)?.as_u64()
}

fn rfc3339(secs: i64) -> Option<String> {
    Timestamp::from_second(secs).ok().map(|t| t.to_string())
}

/// The event of a run with these stages.
pub fn event(args: &Args, stages: &Map<String, Value>, now: i64) -> Result<Value, Error> {
    let timestamp = rfc3339(now).ok_or(Error::BadNow(now))?;
    let mut window = json!({ "earliest": args.earliest, "latest": args.latest });
    for (key, t) in [("start", &args.earliest), ("end", &args.latest)] {
        if let Some(at) = t.parse().ok().filter(|_| is_fixed(t)).and_then(rfc3339) {
            window[key] = at.into();
        }
    }
    let mut dropped = Map::new();
    for s in stages.values() {
        if let Some(Value::Object(by)) = s.get("events_dropped_by_reason") {
            for (reason, n) in by {
                let before = dropped.get(reason).and_then(Value::as_u64).unwrap_or(0);
                dropped.insert(reason.clone(), (before + n.as_u64().unwrap_or(0)).into());
            }
        }
    }
    let exit_code = stages
        .values()
        .filter_map(|s| s.get("exit_code").and_then(Value::as_u64))
        .max()
        .unwrap_or(0);
    let properties = json!({
        "source": args.source,
        "window": window,
        "exit_code": exit_code,
        "events_read": of(stages, "splunk-to-segment", "events_read"),
        "events_sent": total(stages, "events_sent"),
        "events_already_delivered": total(stages, "events_already_delivered"),
        "events_dropped": dropped,
        "events_rejected": total(stages, "events_rejected"),
        "stages": stages,
    });
    Ok(json!({
        "messageId": message_id(&args.source, &args.earliest, &args.latest, now),
        "timestamp": timestamp,
        "type": "track",
        "anonymousId": args.source,
        "event": args.event,
        "properties": properties,
        "context": { "library": { "name": "segment-bridge", "version": env!("CARGO_PKG_VERSION") } },
    }))
}

pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let text = std::fs::read_to_string(&args.figures).map_err(|source| {
        segment_bridge_core::Error::ReadConfigFile {
            path: args.figures.clone(),
            source,
        }
    })?;
    let stages = read_figures(&text)?;
    let now = args.now.unwrap_or_else(|| Timestamp::now().as_second());
    let event = event(&args, &stages, now)?;
    let mut line = event.to_string();
    line.push('\n');
    output
        .write_all(line.as_bytes())
        .map_err(segment_bridge_core::Error::Stdout)?;
    Ok(Outcome::ok())
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_core::cli::main(env!("CARGO_PKG_NAME"), argv, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = r#"{"tool":"fetch-uj-records","exit_code":0,"rows_emitted":30}
{"tool":"splunk-to-segment","exit_code":3,"events_read":30,"events_emitted":18,"events_rejected":1,"events_dropped_by_reason":{"no_workspace":8,"no_user_id":3}}
{"tool":"segment-mass-uploader","exit_code":0,"events_read":18,"events_sent":16,"events_already_delivered":2,"events_rejected":0}
"#;

    fn args(earliest: &str, latest: &str) -> Args {
        Args {
            figures: PathBuf::new(),
            earliest: earliest.into(),
            latest: latest.into(),
            now: None,
            source: "stone-prd".into(),
            event: EVENT.into(),
        }
    }

    #[test]
    fn the_event_carries_the_figures() {
        let stages = read_figures(RUN).unwrap();
        let e = event(&args("1700000000", "1700014400"), &stages, 1_700_014_500).unwrap();
        let p = &e["properties"];
        assert_eq!(e["type"], "track");
        assert_eq!(e["event"], EVENT);
        assert_eq!(e["anonymousId"], "stone-prd");
        assert_eq!(e["timestamp"], "2023-11-15T02:15:00Z");
        assert_eq!(p["window"]["start"], "2023-11-14T22:13:20Z");
        assert_eq!(p["window"]["end"], "2023-11-15T02:13:20Z");
        assert_eq!(p["events_read"], 30);
        assert_eq!(p["events_sent"], 16);
        assert_eq!(p["events_already_delivered"], 2);
        assert_eq!(p["events_rejected"], 1);
        assert_eq!(
            p["events_dropped"],
            json!({"no_workspace": 8, "no_user_id": 3})
        );
        assert_eq!(p["exit_code"], 3);
        assert_eq!(p["stages"]["fetch-uj-records"]["rows_emitted"], 30);
        let id = e["messageId"].as_str().unwrap();
        assert!(id.starts_with("heartbeat-") && id.len() == 74, "{id}");
    }

    #[test]
    fn the_id_is_the_window_s() {
        let id = |e: &str, l: &str, now| message_id("s", e, l, now);
        assert_eq!(id("100", "200", 1), id("100", "200", 2));
        assert_ne!(id("100", "200", 1), id("100", "201", 1));
        assert_ne!(
            message_id("a", "100", "200", 1),
            message_id("b", "100", "200", 1)
        );
        // A relative window names another window at every run.
        assert_ne!(id("-4hours", "-0hours", 1), id("-4hours", "-0hours", 2));
    }

    #[test]
    fn a_failed_stage_or_a_bad_line_means_no_heartbeat() {
        let failed = "{\"tool\":\"a\",\"exit_code\":0}\n{\"tool\":\"segment-mass-uploader\",\"exit_code\":1}\n";
        assert!(matches!(
            read_figures(failed),
            Err(Error::RunFailed { code: 1, .. })
        ));
        assert!(matches!(
            read_figures("{\"tool\":\"a\",\"exit_code\":0}\nnope\n"),
            Err(Error::BadLine { line: 2 })
        ));
        assert!(matches!(read_figures("\n"), Err(Error::Empty)));
    }
}
