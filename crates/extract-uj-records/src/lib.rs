//! `extract-uj-records`: the user-journey rows of a raw Kubernetes audit log,
//! exactly as `fetch-uj-records` would get them from Splunk, without Splunk.
//!
//! Input: `audit.k8s.io/v1` Event objects, one per line, as the API server
//! writes them (`oc adm node-logs --role=master
//! --path=kube-apiserver/audit.log`, or a log forwarder's file output).
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
//! Fast path: a byte-level pre-filter (`prefilter`) rejects the get/list/
//! watch noise without parsing it; only the survivors are parsed and
//! evaluated. The selected rows must wait for the end of the input (all
//! rows of query 1 go out before those of query 2, newest first): their
//! text stays in memory up to a bound, then goes to a temporary file, so
//! memory stays flat.

pub mod eval;
pub mod fields;
pub mod prefilter;
pub mod query;
pub mod search;
pub mod window;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;

use jiff::Timestamp;
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::rejects::Rejects;
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};
use segment_bridge_json::{Framer, LineReader};
use serde_json::Value;

use crate::eval::Regexes;
use crate::fields::Event;
use crate::prefilter::PreFilter;
use crate::query::{Query, Row, Store};
use crate::window::Window;

/// The clock the relative times count from (as main-job.sh's replays use).
pub const BRIDGE_NOW: &str = "BRIDGE_NOW";

/// Bytes of row text kept in memory; the rest waits in a temporary file.
const ROW_MEMORY: usize = 4 << 20;

/// How many bad lines are reported one by one (the rest are counted).
const REPORT_LIMIT: u64 = 20;

const AFTER_HELP: &str = "\
Example:
  oc adm node-logs --role=master --path=kube-apiserver/audit.log \\
    | extract-uj-records | splunk-to-segment | segment-mass-uploader
  QUERY_EARLIEST_TIME=-4hours extract-uj-records audit.log";

/// Prints the user-journey rows of a raw audit log in Splunk's export format.
#[derive(Debug, Clone, clap::Parser)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The audit log (`-` or nothing: standard input).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

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
    /// JSON, but not an object.
    NotObject,
    /// Looks like neither (skipped noise that does not even start with
    /// `{` and end with `}`).
    NotAnObjectLine,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotJson { column } => write!(f, "not JSON (column {column})"),
            Reason::NotJsonValue { column, error } => {
                write!(f, "not JSON (value from column {column}: {error})")
            }
            Reason::NotObject => f.write_str("not a JSON object"),
            Reason::NotAnObjectLine => f.write_str("not a JSON object (no `{…}`)"),
        }
    }
}

/// The figures of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub events_read: u64,
    pub noise_skipped: u64,
    pub outside_window: u64,
    pub rejected: u64,
    /// Rows per query, in table order.
    pub rows: Vec<(&'static str, u64)>,
}

/// Runs the tool on `input` (or the file of `args`).
pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let settings = Settings {
        window: window_of(&args)?,
        prefilter: !args.no_prefilter,
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
    let summary = match args.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let f = File::open(p).map_err(|source| Error::Open {
                path: p.to_owned(),
                source,
            })?;
            let mut input = BufReader::with_capacity(256 * 1024, f);
            extract(&kinds, settings, &mut rejects, &mut input, output)?
        }
        _ => extract(&kinds, settings, &mut rejects, input, output)?,
    };
    rejects.finish()?;
    let total: u64 = summary.rows.iter().map(|(_, n)| n).sum();
    let outcome = Outcome::from_rejects(summary.rejected)
        .count("events_read", summary.events_read)
        .count("rows_emitted", total)
        .count("noise_skipped", summary.noise_skipped)
        .count("outside_window", summary.outside_window)
        .count("events_rejected", summary.rejected);
    Ok(if args.quiet {
        outcome
    } else {
        outcome.summary(summary_line(&summary))
    })
}

fn summary_line(s: &Summary) -> String {
    let rows: Vec<String> = s.rows.iter().map(|(n, c)| format!("{n} {c}")).collect();
    format!(
        "{} events read, {} noise skipped, {} outside the window, {} rejected; rows per query: {}",
        s.events_read,
        s.noise_skipped,
        s.outside_window,
        s.rejected,
        rows.join(", ")
    )
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
}

impl Default for Settings {
    /// Every event, with the pre-filter.
    fn default() -> Settings {
        Settings {
            window: Window::default(),
            prefilter: true,
        }
    }
}

/// The evaluation state of one run.
struct Run<'k, 'r> {
    rejects: &'r mut Rejects,
    queries: Vec<Query<'k>>,
    rows: Vec<Vec<Row>>,
    fixed: Vec<(&'static str, String)>,
    re: Regexes,
    prefilter: Option<PreFilter>,
    window: Window,
    store: Store,
    summary: Summary,
}

/// Reads every line of `input`, writes the rows of every query in `kinds`.
pub fn extract(
    kinds: &[querygen::kind::Kind],
    settings: Settings,
    rejects: &mut Rejects,
    input: &mut dyn BufRead,
    output: Output<'_>,
) -> Result<Summary, Error> {
    let mut run = Run::new(kinds, settings, rejects)?;
    let mut lines = LineReader::new(input);
    // JSON lines take the fast path; a line that is not one whole value
    // (a pretty-printed event, several on a line) goes to the stream
    // reader, in order, as jq would read it (docs/json-streams.md).
    let mut framer = Framer::new();
    let mut last = 0;
    while let Some(line) = lines.next_line().map_err(Error::Read)? {
        last = line.number;
        if framer.in_value() || !looks_like_object(line.bytes) {
            framer.feed_line(line.number, line.bytes, &mut |v| run.value(v))?;
        } else if !run.line(line.number, line.bytes, true)? {
            framer.feed_line(line.number, line.bytes, &mut |v| run.value(v))?;
        }
    }
    framer.finish_input(last, &mut |v| run.value(v))?;
    run.finish(output)
}

impl<'k, 'r> Run<'k, 'r> {
    fn new(
        kinds: &'k [querygen::kind::Kind],
        settings: Settings,
        rejects: &'r mut Rejects,
    ) -> Result<Run<'k, 'r>, Error> {
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
        Ok(Run {
            rows: queries.iter().map(|_| Vec::new()).collect(),
            queries,
            // Every event of the log is in the searched index, as an audit
            // record (the two terms each query starts with).
            fixed: vec![
                ("index", env::SPLUNK_INDEX_DEFAULT.to_owned()),
                ("log_type", "audit".to_owned()),
            ],
            re,
            prefilter: if settings.prefilter {
                Some(PreFilter::new(kinds).map_err(Error::PreFilter)?)
            } else {
                None
            },
            window: settings.window,
            store: Store::new(ROW_MEMORY),
            summary: Summary::default(),
            rejects,
        })
    }

    /// One value of the stream reader: a bad one is rejected where it
    /// starts, a good one evaluated like a line.
    fn value(&mut self, v: segment_bridge_json::Value<'_>) -> Result<(), Error> {
        match v.error {
            Some(e) => {
                self.summary.events_read += 1;
                let reason = Reason::NotJsonValue {
                    column: v.column,
                    error: e,
                };
                self.reject(v.number, reason, v.bytes)
            }
            None => self.line(v.number, v.bytes, false).map(|_| ()),
        }
    }

    /// One line (`whole`: as read, from the fast path) or one value of the
    /// stream reader. `Ok(false)`: a whole line that is not one JSON value,
    /// counted nowhere, for the stream reader to judge.
    fn line(&mut self, number: u64, bytes: &[u8], whole: bool) -> Result<bool, Error> {
        if self.prefilter.as_ref().is_some_and(|f| !f.may_match(bytes)) {
            self.summary.events_read += 1;
            if looks_like_object(bytes) {
                self.summary.noise_skipped += 1;
            } else {
                self.reject(number, Reason::NotAnObjectLine, bytes)?;
            }
            return Ok(true);
        }
        let json: Value = match serde_json::from_slice(bytes) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                self.summary.events_read += 1;
                self.reject(number, Reason::NotObject, bytes)?;
                return Ok(true);
            }
            Err(_) if whole => return Ok(false),
            Err(e) => {
                self.summary.events_read += 1;
                self.reject(number, Reason::NotJson { column: e.column() }, bytes)?;
                return Ok(true);
            }
        };
        self.summary.events_read += 1;
        let time = event_time(&json);
        if !self.window.is_unbounded() && !time.is_some_and(|t| self.window.contains(t)) {
            self.summary.outside_window += 1;
            return Ok(true);
        }
        let event = Event::new(json);
        for (q, rows) in self.queries.iter().zip(&mut self.rows) {
            if let Some((dedup_key, result)) = q.select(&event, &self.fixed, &self.re) {
                rows.push(Row {
                    time: time.map(Timestamp::as_nanosecond),
                    seq: self.summary.events_read,
                    dedup_key,
                    result: self.store.put(result).map_err(Error::Spill)?,
                });
            }
        }
        Ok(true)
    }

    fn reject(&mut self, number: u64, reason: Reason, raw: &[u8]) -> Result<(), Error> {
        self.rejects.reject(raw)?;
        self.summary.rejected += 1;
        if self.summary.rejected <= REPORT_LIMIT {
            tracing::warn!("line {number}: {reason}");
        } else if self.summary.rejected == REPORT_LIMIT + 1 {
            tracing::warn!("more bad lines: counted, not listed");
        }
        Ok(())
    }

    fn finish(mut self, output: Output<'_>) -> Result<Summary, Error> {
        for (q, rows) in self.queries.iter().zip(std::mem::take(&mut self.rows)) {
            let rows = q.finish(rows);
            query::write_rows(output, &rows, &mut self.store)
                .map_err(segment_bridge_core::Error::Stdout)?;
            let n = u64::try_from(rows.len()).unwrap_or(u64::MAX);
            self.summary.rows.push((q.kind.name, n));
        }
        Ok(self.summary)
    }
}

/// A skipped line's shape check: `{` … `}` around optional white space.
fn looks_like_object(bytes: &[u8]) -> bool {
    let t = bytes.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}')
}

/// The time Splunk indexes an audit event by: `requestReceivedTimestamp`,
/// else `stageTimestamp` (see `docs/audit-extraction.md` for why).
pub fn event_time(json: &Value) -> Option<Timestamp> {
    ["requestReceivedTimestamp", "stageTimestamp"]
        .iter()
        .find_map(|k| json.get(k)?.as_str()?.parse::<Timestamp>().ok())
}
