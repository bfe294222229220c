//! `extract-uj-records`: the user-journey rows of a raw Kubernetes audit log,
//! exactly as `fetch-uj-records` would get them from Splunk, without Splunk.
//!
//! Input: `audit.k8s.io` Event objects as the API server writes them, or in
//! any of the forms collectors wrap them in (`form`), from any number of
//! files, plain or gzip, rotated ones read oldest first (`input`).
//! Output: for each of querygen's queries in table order, its rows in
//! Splunk's export format (`{"preview":false,"offset":N,"result":{…}}`, the
//! last with `"lastrow":true`, or the no-results line), so that
//! `extract-uj-records < audit.log | splunk-to-segment | segment-mass-uploader`
//! works unchanged.
//!
//! The evaluation is not a second description of the queries: it walks the
//! same table entries (`querygen::table::KINDS`) that generate the SPL,
//! giving each SPL piece Splunk's meaning (`search`, `eval`, `fields`). The
//! semantics and their sources are in `docs/audit-extraction.md`.
//!
//! Fast path: every value is checked to be JSON by the stream reader (so a
//! bad line is reported whether or not it is noise), then a byte-level
//! pre-filter (`prefilter`) throws away the get/list/watch noise without
//! parsing it; only the survivors are parsed and evaluated. Every event
//! read is counted exactly once: noise, outside the window, rejected or
//! selected, the same with and without the pre-filter. The selected rows must wait for the end of the input (all
//! rows of query 1 go out before those of query 2, newest first): their
//! text stays in memory up to a bound, then goes to a temporary file, so
//! memory stays flat.

pub mod eval;
pub mod event_time;
pub mod fields;
pub mod form;
pub mod input;
pub mod prefilter;
pub mod query;
pub mod search;
pub mod window;

use std::fmt;
use std::io::{self, BufRead};
use std::path::PathBuf;

use jiff::Timestamp;
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::rejects::{At, Rejects, Reporter};
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};
use segment_bridge_json::{Framer, LineReader};
use serde_json::Value;

use crate::eval::Regexes;
use crate::event_time::TimeError;
use crate::fields::Event;
use crate::form::{Form, Found};
use crate::input::Source;
use crate::prefilter::PreFilter;
use crate::query::{Query, Row, Store};
use crate::window::Window;

/// The clock the relative times count from (as main-job.sh's replays use).
pub const BRIDGE_NOW: &str = "BRIDGE_NOW";

/// Forces the input form (as `--input-form`).
pub const BRIDGE_AUDIT_FORM: &str = "BRIDGE_AUDIT_FORM";

/// Bytes of row text kept in memory; the rest waits in a temporary file.
const ROW_MEMORY: usize = 4 << 20;

const AFTER_HELP: &str = "\
Example:
  oc adm node-logs --role=master --path=kube-apiserver/audit.log \\
    | extract-uj-records | splunk-to-segment | segment-mass-uploader
  QUERY_EARLIEST_TIME=-4hours extract-uj-records audit-*.log.gz audit.log
  fetch-audit-log | extract-uj-records";

/// Prints the user-journey rows of a raw audit log in Splunk's export format.
#[derive(Debug, Clone, clap::Parser)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The audit logs, plain or gzip (`-` or nothing: standard input).
    /// Rotated files (`audit-<UTC time>.log[.gz]`) are read oldest first,
    /// then the others; a rotated file closed before the window is not
    /// read.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The form of the input records (default: detected for each record).
    #[arg(long, env = BRIDGE_AUDIT_FORM, value_name = "FORM", default_value_t = Form::Auto)]
    pub input_form: Form,

    /// Start of the time window (inclusive): epoch seconds, ISO 8601, or
    /// relative such as `-4hours`. Without it and `--latest-time`: every
    /// event.
    #[arg(long, env = env::QUERY_EARLIEST_TIME, value_name = "TIME", allow_hyphen_values = true)]
    pub earliest_time: Option<String>,

    /// End of the time window (exclusive), same forms.
    #[arg(long, env = env::QUERY_LATEST_TIME, value_name = "TIME", allow_hyphen_values = true)]
    pub latest_time: Option<String>,

    /// The time relative times count from (default: the clock).
    #[arg(long, env = BRIDGE_NOW, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,

    /// Run only these queries (querygen's names; repeatable), in table
    /// order.
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,

    /// Don't print the summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,

    /// Write each rejected line here, as it was read.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Parse and evaluate every line, without the byte pre-filter (slower;
    /// for checking the pre-filter and measuring what it saves).
    #[arg(long)]
    pub no_prefilter: bool,
}

/// What stops the tool as a whole (a bad line never does).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad {which} (`{value}`)")]
    Time {
        which: &'static str,
        value: String,
        #[source]
        source: window::TimeError,
    },
    #[error(transparent)]
    Names(#[from] querygen::Error),
    #[error(transparent)]
    Core(#[from] segment_bridge_core::Error),
    #[error("cannot open the audit log `{}`", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the query table has a bad regular expression (`{pattern}`)")]
    Table {
        pattern: String,
        #[source]
        source: regex::Error,
    },
    #[error("the query table cannot build the pre-filter")]
    PreFilter(#[source] aho_corasick::BuildError),
    #[error("cannot keep the selected rows in a temporary file")]
    Spill(#[source] io::Error),
    #[error("cannot read the audit log")]
    Read(#[source] io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Time { .. } | Error::Open { .. } => ExitStatus::Usage,
            Error::Names(e) => e.exit_status(),
            Error::Core(e) => e.exit_status(),
            _ => ExitStatus::Failed,
        }
    }
}

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Not JSON (column of the error).
    NotJson { column: usize },
    /// A value of a JSON text stream that is not JSON (where it starts,
    /// and where it went wrong).
    NotJsonValue {
        column: u64,
        error: segment_bridge_json::StreamError,
    },
    /// Invalid UTF-8 (byte offset in the value).
    InvalidUtf8 { offset: usize },
    /// JSON, but no audit event in a form we know.
    Unrecognised(form::Unrecognised),
    /// An event a query selects, whose time cannot be read.
    Time(TimeError),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotJson { column } => write!(f, "not JSON (column {column})"),
            Reason::NotJsonValue { column, error } => {
                write!(f, "not JSON (value from column {column}: {error})")
            }
            Reason::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 (byte {offset})"),
            Reason::Unrecognised(u) => u.fmt(f),
            Reason::Time(t) => t.fmt(f),
        }
    }
}

/// The figures of a run: `events_read` = `noise_skipped` +
/// `outside_window` + `rejected` + `selected`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Events, and records that are not JSON or hold no audit event.
    pub events_read: u64,
    /// Events that no query selects.
    pub noise_skipped: u64,
    /// Events a query selects, outside the window.
    pub outside_window: u64,
    /// Bad JSON, unrecognised records, selected events without a readable
    /// time.
    pub rejected: u64,
    /// Of `rejected`: records in no form we know.
    pub unrecognised: u64,
    /// Of `rejected`: selected events whose time cannot be read.
    pub bad_time: u64,
    /// Events a query selects, in the window (rows come from these).
    pub selected: u64,
    /// Rotated files not read: closed before the window.
    pub files_skipped: u64,
    /// Rows per query, in table order.
    pub rows: Vec<(&'static str, u64)>,
}

/// Runs the tool on `input` (or the file of `args`).
pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let settings = Settings {
        window: window_of(&args)?,
        prefilter: !args.no_prefilter,
        form: args.input_form,
    };
    let kinds: Vec<querygen::kind::Kind> = if args.names.is_empty() {
        querygen::table::KINDS.to_vec()
    } else {
        querygen::queries_named(&querygen::Options::default(), &args.names)?;
        querygen::table::KINDS
            .iter()
            .filter(|k| args.names.iter().any(|n| n == k.name))
            .copied()
            .collect()
    };
    let mut rejects = Rejects::open(args.rejects.as_deref())?;
    let table = Table::new(&kinds)?;
    let mut run = Run::new(&table, settings, &mut rejects);
    for source in input::order(&args.files) {
        let label = source.label();
        if before_window(&source, &settings.window) {
            tracing::info!(
                "not reading `{}`: rotated at {}, before the window",
                label.as_deref().unwrap_or("-"),
                source.rotated.map(|t| t.to_string()).unwrap_or_default()
            );
            run.summary.files_skipped += 1;
            continue;
        }
        match &source.path {
            Some(p) => {
                let open = |source| Error::Open {
                    path: p.clone(),
                    source,
                };
                let mut f = input::open_file(p).map_err(open)?;
                run.stream(label, &mut f)?;
            }
            None => {
                let mut stdin = input::decompress(&mut *input).map_err(Error::Read)?;
                run.stream(None, &mut stdin)?;
            }
        }
    }
    let summary = run.finish(output)?;
    rejects.finish()?;
    let total: u64 = summary.rows.iter().map(|(_, n)| n).sum();
    let outcome = Outcome::from_rejects(summary.rejected)
        .count("events_read", summary.events_read)
        .count("rows_emitted", total)
        .count("noise_skipped", summary.noise_skipped)
        .count("outside_window", summary.outside_window)
        .count("events_rejected", summary.rejected)
        .count("events_unrecognised", summary.unrecognised)
        .count("events_bad_time", summary.bad_time)
        .count("events_selected", summary.selected)
        .count("files_skipped", summary.files_skipped);
    Ok(if args.quiet {
        outcome
    } else {
        outcome.summary(summary_line(&summary))
    })
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}

fn summary_line(s: &Summary) -> String {
    let rows: Vec<String> = s.rows.iter().map(|(n, c)| format!("{n} {c}")).collect();
    let mut line = format!(
        "{} events read, {} noise skipped, {} outside the window, {} rejected",
        s.events_read, s.noise_skipped, s.outside_window, s.rejected,
    );
    if s.unrecognised + s.bad_time > 0 {
        line.push_str(&format!(
            " ({} in no known form, {} without a readable time)",
            s.unrecognised, s.bad_time
        ));
    }
    line.push_str(&format!(", {} selected", s.selected));
    if s.files_skipped > 0 {
        line.push_str(&format!(
            "; {} files before the window not read",
            s.files_skipped
        ));
    }
    line.push_str(&format!("; rows per query: {}", rows.join(", ")));
    line
}

/// A rotated file whose rotation time is before the window's start holds
/// only events before it (see `input`).
fn before_window(source: &Source, window: &Window) -> bool {
    matches!((source.rotated, window.earliest), (Some(r), Some(e)) if r < e)
}

fn window_of(args: &Args) -> Result<Window, Error> {
    let now = match &args.now {
        Some(n) => read_time("--now / BRIDGE_NOW", n, Timestamp::now())?,
        None => Timestamp::now(),
    };
    // An empty value is no value (as an unset variable).
    let read = |which, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| read_time(which, s, now))
            .transpose()
    };
    Ok(Window {
        earliest: read("--earliest-time / QUERY_EARLIEST_TIME", &args.earliest_time)?,
        latest: read("--latest-time / QUERY_LATEST_TIME", &args.latest_time)?,
    })
}

fn read_time(which: &'static str, value: &str, now: Timestamp) -> Result<Timestamp, Error> {
    window::parse(value, now).map_err(|source| Error::Time {
        which,
        value: value.to_owned(),
        source,
    })
}

/// How a run evaluates.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub window: Window,
    /// Skip noise with the byte pre-filter (the normal case).
    pub prefilter: bool,
    /// The input form (`Auto`: detected per record).
    pub form: Form,
}

impl Default for Settings {
    /// Every event, with the pre-filter.
    fn default() -> Settings {
        Settings {
            window: Window::default(),
            prefilter: true,
            form: Form::Auto,
        }
    }
}

/// The queries of a set of kinds made ready to run: their regular
/// expressions compiled and the pre-filter built, once. A run borrows it,
/// so many runs (the fuzz harness's) share one.
pub struct Table<'k> {
    queries: Vec<Query<'k>>,
    re: Regexes,
    prefilter: PreFilter,
}

impl<'k> Table<'k> {
    /// Compiles `kinds`; an error is a bug of the table, not of the input.
    pub fn new(kinds: &'k [querygen::kind::Kind]) -> Result<Table<'k>, Error> {
        let queries: Vec<Query<'k>> = kinds
            .iter()
            .map(|k| Query::new(k, env::SPLUNK_INDEX_DEFAULT))
            .collect();
        let mut re = Regexes::default();
        let mut patterns = Vec::new();
        queries.iter().for_each(|q| q.regexes(&mut patterns));
        for p in patterns {
            re.add(&p)
                .map_err(|source| Error::Table { pattern: p, source })?;
        }
        let prefilter = PreFilter::new(kinds).map_err(Error::PreFilter)?;
        Ok(Table {
            queries,
            re,
            prefilter,
        })
    }
}

/// The evaluation state of one run.
struct Run<'t, 'k, 'r> {
    rejects: &'r mut Rejects,
    table: &'t Table<'k>,
    rows: Vec<Vec<Row>>,
    fixed: Vec<(&'static str, String)>,
    /// Skip noise with the table's pre-filter.
    prefilter: bool,
    window: Window,
    form: Form,
    store: Store,
    summary: Summary,
    /// The file being read (`None`: standard input), for messages.
    label: Option<String>,
    /// Reports rejected events, as every tool does.
    reporter: Reporter,
    /// Events of the record being read (reused).
    events: Vec<Found>,
}

/// Reads every value of `input` (one stream), writes the rows of every
/// query in `kinds`.
pub fn extract(
    kinds: &[querygen::kind::Kind],
    settings: Settings,
    rejects: &mut Rejects,
    input: &mut dyn BufRead,
    output: Output<'_>,
) -> Result<Summary, Error> {
    extract_with(&Table::new(kinds)?, settings, rejects, input, output)
}

/// [`extract`] with a table compiled before.
pub fn extract_with(
    table: &Table<'_>,
    settings: Settings,
    rejects: &mut Rejects,
    input: &mut dyn BufRead,
    output: Output<'_>,
) -> Result<Summary, Error> {
    let mut run = Run::new(table, settings, rejects);
    let mut input = input::decompress(input).map_err(Error::Read)?;
    run.stream(None, &mut input)?;
    run.finish(output)
}

impl<'t, 'k, 'r> Run<'t, 'k, 'r> {
    fn new(table: &'t Table<'k>, settings: Settings, rejects: &'r mut Rejects) -> Run<'t, 'k, 'r> {
        Run {
            rows: table.queries.iter().map(|_| Vec::new()).collect(),
            table,
            // Every event of the log is in the searched index, as an audit
            // record (the two terms each query starts with).
            fixed: vec![
                ("index", env::SPLUNK_INDEX_DEFAULT.to_owned()),
                ("log_type", "audit".to_owned()),
            ],
            prefilter: settings.prefilter,
            window: settings.window,
            form: settings.form,
            store: Store::new(ROW_MEMORY),
            summary: Summary::default(),
            rejects,
            label: None,
            reporter: Reporter::default(),
            events: Vec::new(),
        }
    }

    /// Reads one input stream to its end. Every value goes through the
    /// stream reader, which checks it is JSON (docs/json-streams.md), so
    /// a bad line is reported even where the pre-filter would skip it.
    fn stream(&mut self, label: Option<String>, input: &mut dyn BufRead) -> Result<(), Error> {
        self.label = label;
        let mut lines = LineReader::new(input);
        let mut framer = Framer::new();
        let mut last = 0;
        while let Some(line) = lines.next_line().map_err(Error::Read)? {
            last = line.number;
            let bytes = line
                .bytes
                .strip_prefix(segment_bridge_json::BOM)
                .unwrap_or(line.bytes);
            framer.feed_line(line.number, bytes, &mut |v| self.value(v))?;
        }
        framer.finish_input(last, &mut |v| self.value(v))
    }

    /// One value of the stream reader: a bad one is rejected where it
    /// starts; noise is skipped by the pre-filter; the rest is parsed and
    /// its events evaluated.
    fn value(&mut self, v: segment_bridge_json::Value<'_>) -> Result<(), Error> {
        if let Some(error) = v.error {
            let reason = Reason::NotJsonValue {
                column: v.column,
                error,
            };
            return self.reject_record(v.number, reason, v.bytes);
        }
        if let Err(e) = std::str::from_utf8(v.bytes) {
            let reason = Reason::InvalidUtf8 {
                offset: e.valid_up_to(),
            };
            return self.reject_record(v.number, reason, v.bytes);
        }
        // Only an object can be skipped unparsed: any other value (a
        // string, a number, an array) is never an audit event, so the full
        // parse rejects it as in no known form, and with the pre-filter it
        // must be counted the same (fuzz/regressions/extract).
        if v.bytes.first() == Some(&b'{')
            && self.prefilter
            && !self.table.prefilter.may_match(v.bytes)
        {
            self.summary.events_read += 1;
            self.summary.noise_skipped += 1;
            return Ok(());
        }
        let record: Value = match serde_json::from_slice(v.bytes) {
            Ok(r) => r,
            // The stream reader took it as JSON; serde_json did not.
            Err(e) => {
                let reason = Reason::NotJson { column: e.column() };
                return self.reject_record(v.number, reason, v.bytes);
            }
        };
        let mut events = std::mem::take(&mut self.events);
        form::events(record, self.form, &mut events);
        let mut rejected = false;
        for e in events.drain(..) {
            self.summary.events_read += 1;
            let reason = match e {
                Found::Event(event) => match self.event(event)? {
                    Ok(()) => continue,
                    Err(t) => {
                        self.summary.bad_time += 1;
                        Reason::Time(t)
                    }
                },
                Found::OtherLog => {
                    self.summary.noise_skipped += 1;
                    continue;
                }
                Found::Bad(u) => {
                    self.summary.unrecognised += 1;
                    Reason::Unrecognised(u)
                }
            };
            self.report(v.number, &reason);
            rejected = true;
        }
        self.events = events;
        if rejected {
            // The record once, as it was read, however many of its events
            // were rejected.
            self.rejects.reject(v.bytes)?;
        }
        Ok(())
    }

    /// One audit event: noise, outside the window, or selected (its rows
    /// kept); `Err` for a selected event whose time cannot be read.
    fn event(&mut self, mut json: Value) -> Result<Result<(), TimeError>, Error> {
        let time = event_time::read_and_normalise(&mut json);
        let event = Event::new(json);
        let mut selected = Vec::new();
        for (i, q) in self.table.queries.iter().enumerate() {
            if let Some(s) = q.select(&event, &self.fixed, &self.table.re) {
                selected.push((i, s));
            }
        }
        if selected.is_empty() {
            self.summary.noise_skipped += 1;
            return Ok(Ok(()));
        }
        let time = match time {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        if !self.window.contains(time) {
            self.summary.outside_window += 1;
            return Ok(Ok(()));
        }
        self.summary.selected += 1;
        for (i, (dedup_key, result)) in selected {
            self.rows[i].push(Row {
                time: Some(time.as_nanosecond()),
                seq: self.summary.events_read,
                dedup_key,
                result: self.store.put(result).map_err(Error::Spill)?,
            });
        }
        Ok(Ok(()))
    }

    /// A record that is not JSON: one read, one rejected.
    fn reject_record(&mut self, number: u64, reason: Reason, raw: &[u8]) -> Result<(), Error> {
        self.summary.events_read += 1;
        self.report(number, &reason);
        self.rejects.reject(raw)?;
        Ok(())
    }

    /// Counts a rejection and reports it, as every tool does (core's
    /// rejects::Reporter: the first ones one by one, then counted).
    fn report(&mut self, number: u64, reason: &Reason) {
        self.summary.rejected += 1;
        let at = At::line(number);
        match &self.label {
            Some(file) => self.reporter.report(at.in_file(file), reason),
            None => self.reporter.report(at, reason),
        }
    }

    fn finish(mut self, output: Output<'_>) -> Result<Summary, Error> {
        for (q, rows) in self
            .table
            .queries
            .iter()
            .zip(std::mem::take(&mut self.rows))
        {
            let rows = q.finish(rows);
            query::write_rows(output, &rows, &mut self.store)
                .map_err(segment_bridge_core::Error::Stdout)?;
            let n = u64::try_from(rows.len()).unwrap_or(u64::MAX);
            self.summary.rows.push((q.kind.name, n));
        }
        Ok(self.summary)
    }
}
