//! Logging to stderr, set up once by the entry helper.
//!
//! - `LOG_FORMAT`: `json` for one JSON object per line, `text` (or unset)
//!   for `tool: warning: message` lines the way Unix tools talk. Anything
//!   else is a usage error.
//! - `LOG_LEVEL`: a level (`trace`, `debug`, `info`, `warn`, `error`, `off`)
//!   or a tracing filter of `target=level` directives
//!   (`info,segment_bridge_core=debug`). A word that is neither (`verbose`)
//!   is a usage error, not a silent `info`. When `LOG_LEVEL` is unset or
//!   empty, `RUST_LOG` is used (any filter tracing accepts); default `info`.
//!
//! A JSON line carries `timestamp`, `level`, `tool`, `target`, `message` and
//! every structured field of the event (`line`, `reason`, `query`, `batch`,
//! `status`, counts…) as its own key with its JSON type, so that a log
//! store can filter on them. Text lines show the message only: call sites
//! write a message that reads well alone and add the values as fields.
//!
//! A run's summary line (its figures, [`summary`]) has the target
//! `segment_bridge::summary`, whatever the tool: `LOG_LEVEL=warn` hides it
//! with the other info lines, `segment_bridge::summary=off` hides it alone,
//! and a filter on a crate (`segment_bridge_core=warn`) leaves it alone.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::env;

/// Used when neither `LOG_LEVEL` nor `RUST_LOG` is set. kube-client logs
/// every failed request at error level, before our own error (which
/// carries the same cause) is printed: silenced unless asked for.
pub const DEFAULT_FILTER: &str = "info,kube_client=off";

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// The target of every tool's summary line.
pub const SUMMARY_TARGET: &str = "segment_bridge::summary";

static JSON: OnceLock<bool> = OnceLock::new();
static LINES: OnceLock<Lines> = OnceLock::new();

/// Runs a log write with whatever else draws on stderr (a progress bar)
/// out of the way: `suspend(write)` hides it, calls `write`, redraws.
pub type Suspender = Arc<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

static SUSPENDER: Mutex<Option<Suspender>> = Mutex::new(None);

/// Registers (or, with `None`, removes) the [`Suspender`] every log line
/// is written through, so that log lines never interleave with a progress
/// bar.
pub fn set_suspender(s: Option<Suspender>) {
    *SUSPENDER.lock().unwrap_or_else(PoisonError::into_inner) = s;
}

/// Standard error, each write (one whole log line) made through the
/// registered [`Suspender`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let suspender = SUSPENDER
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut result = Ok(());
        let mut write = || result = io::stderr().lock().write_all(buf);
        match suspender {
            Some(s) => s(&mut write),
            None => write(),
        }
        result.map(|()| buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// A logging setting that cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid `LOG_LEVEL` (`{value}`)\nhint: a level (trace, debug, info, warn, error, off) or directives like `info,segment_bridge_core=debug`")]
    Level { value: String },
    #[error("invalid `RUST_LOG` (`{value}`)")]
    RustLog {
        value: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("invalid `LOG_FORMAT` (`{value}`)\nhint: `json`, or `text` (the default)")]
    Format { value: String },
}

/// Whether log lines are JSON (after [`init`]).
pub fn is_json() -> bool {
    JSON.get().copied().unwrap_or(false)
}

/// `LOG_FORMAT`'s value.
pub fn format_from(value: Option<&str>) -> Result<Format, ConfigError> {
    match value.map(str::trim).unwrap_or_default() {
        "" | "text" | "human" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        other => Err(ConfigError::Format {
            value: other.to_owned(),
        }),
    }
}

/// The filter from `LOG_LEVEL`, else `RUST_LOG`, else [`DEFAULT_FILTER`].
pub fn filter_from(
    log_level: Option<&str>,
    rust_log: Option<&str>,
) -> Result<EnvFilter, ConfigError> {
    let log_level = log_level.map(str::trim).filter(|s| !s.is_empty());
    let rust_log = rust_log.map(str::trim).filter(|s| !s.is_empty());
    match (log_level, rust_log) {
        (Some(v), _) => {
            let bad = || ConfigError::Level {
                value: v.to_owned(),
            };
            if !v.split(',').all(valid_directive) {
                return Err(bad());
            }
            EnvFilter::try_new(v).map_err(|_| bad())
        }
        (None, Some(v)) => EnvFilter::try_new(v).map_err(|source| ConfigError::RustLog {
            value: v.to_owned(),
            source,
        }),
        (None, None) => Ok(EnvFilter::new(DEFAULT_FILTER)),
    }
}

/// A `LOG_LEVEL` directive: a level, or `target[span]=level`.
fn valid_directive(d: &str) -> bool {
    let d = d.trim();
    let level = match d.rsplit_once('=') {
        Some((target, level)) if !target.is_empty() => level,
        Some(_) => return false,
        None => d,
    };
    LEVELS.iter().any(|l| l.eq_ignore_ascii_case(level.trim()))
}

/// Sets up logging for `tool` from the environment. On a bad setting,
/// logging is still set up (with the defaults for what was bad) so that
/// the error can be reported, and the error is returned.
pub fn init(tool: &'static str) -> Result<(), ConfigError> {
    let var = |name| std::env::var(name).ok();
    let format_setting = format_from(var(env::LOG_FORMAT).as_deref());
    let filter = filter_from(var(env::LOG_LEVEL).as_deref(), var("RUST_LOG").as_deref());
    let json = matches!(format_setting, Ok(Format::Json));
    let _ = JSON.set(json);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(match &filter {
            Ok(f) => f.clone(),
            Err(_) => EnvFilter::new(DEFAULT_FILTER),
        })
        .with_writer(|| Stderr);
    let format = if json { Format::Json } else { Format::Text };
    let lines = Lines { tool, format };
    let _ = LINES.set(lines);
    let _ = builder.event_format(lines).try_init();
    format_setting?;
    filter.map(|_| ())
}

/// Logs a run's summary line at info level with `fields` as fields of their
/// own names: the names are only known at run time (the counts of an
/// [`Outcome`](crate::Outcome)), which tracing's macros can't take, so the
/// line is written here, in the same format as every other line.
pub fn summary<'a>(message: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) {
    let Some(lines) = LINES.get() else { return };
    if !tracing::enabled!(target: SUMMARY_TARGET, tracing::Level::INFO) {
        return;
    }
    let meta = SummaryMeta;
    let line = match lines.format {
        Format::Text => Ok(lines.text_line(&meta, message.to_owned())),
        Format::Json => {
            let fields = fields.into_iter().map(|(k, v)| (k.to_owned(), v));
            lines.json_line(&meta, message.into(), fields.collect())
        }
    };
    if let Ok(mut line) = line {
        line.push('\n');
        let _ = Stderr.write_all(line.as_bytes());
    }
}

/// Where a line comes from: an event's metadata, or the summary line.
trait LineMeta {
    fn level(&self) -> tracing::Level;
    fn target(&self) -> &str;
}

impl LineMeta for Metadata<'_> {
    fn level(&self) -> tracing::Level {
        *Metadata::level(self)
    }
    fn target(&self) -> &str {
        Metadata::target(self)
    }
}

/// The summary line's: info, from this module.
struct SummaryMeta;

impl LineMeta for SummaryMeta {
    fn level(&self) -> tracing::Level {
        tracing::Level::INFO
    }
    fn target(&self) -> &str {
        SUMMARY_TARGET
    }
}

/// One log line per event, in either format:
/// - text: `tool: message`, with `error: ` / `warning: ` before errors and
///   warnings, the way Unix tools talk;
/// - JSON: one object per line: `timestamp`, `level`, `tool`, `target`,
///   `message` and the event's fields.
#[derive(Debug, Clone, Copy)]
struct Lines {
    tool: &'static str,
    format: Format,
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = match fields.map.remove("message") {
            Some(Value::String(s)) => s.into(),
            Some(other) => other,
            None => Value::String(String::new()),
        };
        let meta = event.metadata();
        let line = match (self.format, message) {
            (Format::Text, Value::String(s)) => self.text_line(meta, s),
            (Format::Text, other) => self.text_line(meta, other.to_string()),
            (Format::Json, message) => self.json_line(meta, message, fields.map)?,
        };
        writeln!(writer, "{line}")
    }
}

impl Lines {
    fn text_line(&self, meta: &dyn LineMeta, message: String) -> String {
        let prefix = match meta.level() {
            tracing::Level::ERROR => "error: ",
            tracing::Level::WARN => "warning: ",
            tracing::Level::DEBUG => "debug: ",
            tracing::Level::TRACE => "trace: ",
            tracing::Level::INFO => "",
        };
        format!("{}: {prefix}{message}", self.tool)
    }

    fn json_line(
        &self,
        meta: &dyn LineMeta,
        message: Value,
        fields: Map<String, Value>,
    ) -> Result<String, fmt::Error> {
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let mut line = Map::new();
        line.insert("timestamp".into(), timestamp.into());
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("tool".into(), self.tool.into());
        line.insert("target".into(), meta.target().into());
        line.insert("message".into(), message);
        for (k, v) in fields {
            // A field may not overwrite the fixed keys.
            line.entry(k).or_insert(v);
        }
        serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)
    }
}

/// An event's fields as JSON values of their own type.
#[derive(Default)]
struct Fields {
    map: Map<String, Value>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.map
            .insert(field.name().into(), format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.map.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.map.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.map.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.map.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.map.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.map
            .insert(field.name().into(), crate::error::chain(value).into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_level_accepts_levels_and_directives_only() {
        for ok in [
            "info",
            "DEBUG",
            " warn ",
            "info,segment_bridge_core=debug",
            "kube_client=off",
        ] {
            assert!(filter_from(Some(ok), None).is_ok(), "{ok}");
        }
        for bad in ["verbose", "warning", "info,=debug", "x=loud", "1"] {
            let e = filter_from(Some(bad), None).unwrap_err();
            assert!(matches!(e, ConfigError::Level { .. }), "{bad}");
            assert!(e.to_string().contains(bad));
        }
    }

    #[test]
    fn rust_log_is_the_fallback() {
        // Unset/empty LOG_LEVEL: RUST_LOG's filter, which may be any target.
        assert_eq!(
            filter_from(Some(""), Some("segment_bridge_core"))
                .unwrap()
                .to_string(),
            "segment_bridge_core=trace"
        );
        assert_eq!(
            filter_from(None, Some("debug")).unwrap().to_string(),
            "debug"
        );
        assert_eq!(
            filter_from(Some("warn"), Some("debug"))
                .unwrap()
                .to_string(),
            "warn"
        );
        assert!(filter_from(None, Some("x=[[")).is_err());
        assert_eq!(
            filter_from(None, None).unwrap().to_string(),
            EnvFilter::new(DEFAULT_FILTER).to_string()
        );
    }

    #[test]
    fn log_lines_go_through_the_suspender() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = calls.clone();
        set_suspender(Some(Arc::new(move |write: &mut dyn FnMut()| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            write();
        })));
        // Other tests of this binary may log meanwhile: count, don't equate.
        let _ = Stderr.write(b"").unwrap();
        set_suspender(None);
        let with = calls.load(std::sync::atomic::Ordering::SeqCst);
        assert!(with >= 1, "the write went around the suspender");
        let _ = Stderr.write(b"").unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), with);
    }

    #[test]
    fn log_format_values() {
        assert_eq!(format_from(None).unwrap(), Format::Text);
        assert_eq!(format_from(Some("text")).unwrap(), Format::Text);
        assert_eq!(format_from(Some("json")).unwrap(), Format::Json);
        assert!(format_from(Some("yaml")).is_err());
    }
}
