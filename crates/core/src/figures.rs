//! A run's figures for the driver script, in a file: with
//! `SEGMENT_BRIDGE_FIGURES_FILE` set, the entry helper appends one JSON
//! line per tool run, `{"tool":…,"exit_code":…,<figure>:<count>,…}`, a
//! breakdown as `"<name>_by_<label>":{"<value>":<count>,…}`.
//!
//! The same figures are on the summary log line and the Pushgateway, but
//! a script can't rely on those: the log line follows `LOG_FORMAT` and
//! `LOG_LEVEL` and the Pushgateway may be absent. The heartbeat event
//! (`bridge-heartbeat`, docs/tools/bridge-heartbeat.md) is built from this
//! file. One `write` per line on a file opened for appending, so the
//! stages of one pipeline, which end at about the same time, never
//! interleave their lines. Like the metrics push, a failure here is a
//! warning and never changes the exit code.

use std::io::Write as _;

use serde_json::{Map, Value};

use crate::exit::{ExitStatus, Outcome};

/// The line of one run (no newline).
pub fn line(tool: &str, status: ExitStatus, outcome: Option<&Outcome>) -> String {
    let mut m = Map::new();
    m.insert("tool".into(), tool.into());
    m.insert("exit_code".into(), status.code().into());
    if let Some(o) = outcome {
        // A figure named twice is added up, as the metrics do.
        for (name, count) in &o.counts {
            let before = m.get(name.as_ref()).and_then(Value::as_u64).unwrap_or(0);
            m.insert(name.to_string(), (before + count).into());
        }
        for c in &o.by_label {
            let key = format!("{}_by_{}", c.name, c.label);
            let by = m.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(by) = by {
                let n = by.get(c.value).and_then(Value::as_u64).unwrap_or(0);
                by.insert(c.value.into(), (n + c.count).into());
            }
        }
    }
    Value::Object(m).to_string()
}

/// Appends the run's line to `SEGMENT_BRIDGE_FIGURES_FILE` when it is set.
pub fn append_if_configured(tool: &str, status: ExitStatus, outcome: Option<&Outcome>) {
    let Some(path) = std::env::var_os(crate::env::FIGURES_FILE).filter(|p| !p.is_empty()) else {
        return;
    };
    let mut text = line(tool, status, outcome);
    text.push('\n');
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(
            "cannot append the run's figures to `{}`: {e}",
            std::path::Path::new(&path).display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_breakdowns_on_one_line() {
        let o = Outcome::ok()
            .count("events_read", 9)
            .count_by("events_dropped", "reason", "no_workspace", 2)
            .count_by("events_dropped", "reason", "no_user_id", 1)
            .count_by("events_dropped", "reason", "no_workspace", 1);
        assert_eq!(
            line("splunk-to-segment", ExitStatus::Ok, Some(&o)),
            r#"{"tool":"splunk-to-segment","exit_code":0,"events_read":9,"events_dropped_by_reason":{"no_workspace":3,"no_user_id":1}}"#
        );
        assert_eq!(
            line("t", ExitStatus::Failed, None),
            r#"{"tool":"t","exit_code":1}"#
        );
    }
}
