//! `fetch-audit-log` (docs/tools/fetch-audit-log.md): reads the cluster's
//! audit log from the LokiStack that OpenShift Logging runs, through its
//! gateway's audit tenant, and prints the log lines, one per line, in time
//! order, as the store holds them (ClusterLogForwarder records), so that
//! `fetch-audit-log | extract-uj-records` gives the rows Splunk would, with
//! no Splunk.
//!
//! The store sends only candidates: the LogQL query is the audit selector
//! plus line filters derived from querygen's table ([`logql`]). The window
//! (`QUERY_EARLIEST_TIME`..`QUERY_LATEST_TIME`, read as the other fetchers
//! read it, [`window`]) is cut into sub-windows (`--split`) fetched
//! `--parallel` at a time; each is read page by page without losing or
//! repeating a line ([`page`]). The lines still come out in time order:
//! fetch-uj-records' ordered writer streams the oldest unfinished
//! sub-window and holds later ones in a bounded buffer that spills to a
//! temporary file. A sub-window that fails after its retries does not stop
//! the others; the failed ones are named and the exit status is 1. A token
//! the gateway refuses stops the sub-windows not yet started.

pub mod logql;
pub mod loki;
pub mod page;
pub mod window;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::time::Duration;

use fetch_uj_records::order::{self, Ordered};
use jiff::Timestamp;
use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::error::chain;
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};
use segment_bridge_net::http::HttpConfig;
use segment_bridge_net::retry::RetryPolicy;
use segment_bridge_net::Secret;

use crate::loki::{Client, ClientConfig, Credentials};
use crate::page::{Report, WindowError};
use crate::window::Span;

/// The pod's service account token (projected, rotated by the kubelet).
pub const SA_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// The service CA that signs `*.svc` serving certificates, mounted next to
/// the token on OpenShift.
pub const SA_SERVICE_CA: &str = "/var/run/secrets/kubernetes.io/serviceaccount/service-ca.crt";

const AFTER_HELP: &str = "\
Examples:
  fetch-audit-log | extract-uj-records | splunk-to-segment | segment-mass-uploader
  QUERY_EARLIEST_TIME=-1d fetch-audit-log --split 30m --parallel 4 > audit.jsonl
  fetch-audit-log --print-query

Environment: LOKI_TOKEN (a bearer token; never pass it as a flag; without it the token \
file is read at every request), the variables listed above, BRIDGE_NOW, \
SEGMENT_BRIDGE_CA_FILE / SSL_CERT_FILE, and https_proxy/HTTPS_PROXY/no_proxy/NO_PROXY as curl \
reads them. The service account needs `get` on `audit` in `loki.grafana.com` (the ClusterRole \
cluster-logging-audit-view; deploy/overlays/loki).";

/// Read the cluster's audit log from the LokiStack gateway's audit tenant
/// and print the user-journey candidates (JSON lines) in time order.
///
/// The query is the stream selector plus line filters made from querygen's
/// table, so the store sends only lines some user-journey query can select.
/// The window is cut into sub-windows read concurrently, each page by page;
/// the lines still come out oldest first.
#[derive(Debug, clap::Parser)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Base URL of the audit tenant on the LokiStack gateway
    /// (`https://<lokistack>-gateway-http.<namespace>.svc:8080/api/logs/v1/audit`).
    #[arg(long, env = env::LOKI_URL, default_value = env::LOKI_URL_DEFAULT)]
    pub loki_url: String,

    /// File holding the bearer token, read at every request (used when
    /// `LOKI_TOKEN` is not set).
    #[arg(long, env = env::LOKI_TOKEN_FILE, value_name = "FILE", default_value = SA_TOKEN)]
    pub token_file: PathBuf,

    /// PEM CA bundle that signs the gateway's certificate (default: the
    /// pod's service CA, when that file exists; `SEGMENT_BRIDGE_CA_FILE`
    /// otherwise).
    #[arg(long, env = env::LOKI_CA_FILE, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// LogQL stream selector of the audit log; the line filters are added
    /// to it.
    #[arg(long, env = env::LOKI_SELECTOR, default_value = logql::DEFAULT_SELECTOR)]
    pub selector: String,

    /// Lines per request (the store refuses more than its
    /// `max_entries_limit_per_query`, 5000 by default).
    #[arg(long, env = env::LOKI_LIMIT, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub limit: u32,

    /// Cut the window into sub-windows this long (`30m`, `1h`, seconds).
    #[arg(long, env = env::LOKI_SPLIT, value_name = "DURATION", default_value = "1h", value_parser = segment_bridge_core::duration::parse_duration)]
    pub split: Duration,

    /// Sub-windows fetched at the same time.
    #[arg(long, env = env::LOKI_PARALLEL, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub parallel: u16,

    /// Retries of a failed request after the first attempt (429 and 5xx;
    /// other 4xx and refusals are not retried).
    #[arg(long, env = env::LOKI_RETRIES, default_value_t = 3)]
    pub retries: u32,

    /// Start of the time window (inclusive): epoch seconds, ISO 8601, or
    /// relative such as `-4hours`.
    #[arg(long, env = env::QUERY_EARLIEST_TIME, default_value = env::QUERY_EARLIEST_TIME_DEFAULT, allow_hyphen_values = true)]
    pub earliest_time: String,

    /// End of the time window (exclusive), same forms.
    #[arg(long, env = env::QUERY_LATEST_TIME, default_value = env::QUERY_LATEST_TIME_DEFAULT, allow_hyphen_values = true)]
    pub latest_time: String,

    /// The clock the relative times count from (as main-job.sh's replays).
    #[arg(long, env = env::BRIDGE_NOW, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,

    /// Lines of sub-windows that finished before their turn wait in memory
    /// up to this many bytes in all, then in a temporary file.
    #[arg(long, env = env::FETCH_BUFFER_BYTES, value_name = "BYTES", default_value_t = 64 << 20)]
    pub buffer_bytes: usize,

    /// Give up on an answer that sends nothing for this long.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = segment_bridge_core::duration::parse_duration)]
    pub read_timeout: Duration,

    /// Print the LogQL query and exit (nothing is sent).
    #[arg(long)]
    pub print_query: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Loki(#[from] loki::Error),
    #[error(transparent)]
    Window(#[from] window::WindowError),
    #[error(
        "`--selector` must be a LogQL stream selector such as `{{log_type=\"audit\"}}` (`{0}`)"
    )]
    Selector(String),
    #[error(transparent)]
    Write(#[from] order::OrderError),
    #[error("cannot write the query")]
    Print(#[source] std::io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Loki(e) => e.exit_status(),
            Error::Window(_) | Error::Selector(_) => ExitStatus::Usage,
            Error::Write(_) | Error::Print(_) => ExitStatus::Failed,
        }
    }
}

/// The client configuration from the arguments and the environment:
/// `LOKI_TOKEN`, else the token file (checked now: a missing file is exit 2).
pub fn client_config(args: &Args) -> Result<ClientConfig, Error> {
    let base = segment_bridge_net::http::parse_url(env::LOKI_URL, &args.loki_url)
        .map_err(loki::Error::from)?;
    let credentials = match std::env::var(env::LOKI_TOKEN)
        .ok()
        .filter(|t| !t.is_empty())
    {
        Some(t) => Credentials::Token(Secret::new(t)),
        None => Credentials::File(args.token_file.clone()),
    };
    credentials.check()?;
    segment_bridge_net::http::warn_plain_http(&base, env::LOKI_URL);
    let service_ca = PathBuf::from(SA_SERVICE_CA);
    let ca_file = args
        .ca_file
        .clone()
        .or_else(|| service_ca.exists().then_some(service_ca))
        .or_else(|| std::env::var_os(env::CA_FILE).map(PathBuf::from));
    Ok(ClientConfig {
        base,
        credentials,
        retry: RetryPolicy::new(args.retries),
        http: HttpConfig {
            timeout: Some(args.read_timeout.max(Duration::from_secs(1))),
            ca_file,
            ..HttpConfig::default()
        },
    })
}

/// The window and its sub-windows.
fn spans(args: &Args) -> Result<Vec<Span>, Error> {
    let now = match args.now.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(n) => {
            let ns = window::read("--now / BRIDGE_NOW", n, Timestamp::now())?;
            Timestamp::from_nanosecond(i128::from(ns)).unwrap_or_else(|_| Timestamp::now())
        }
        None => Timestamp::now(),
    };
    let earliest = window::read("QUERY_EARLIEST_TIME", &args.earliest_time, now)?;
    let latest = window::read("QUERY_LATEST_TIME", &args.latest_time, now)?;
    let whole = window::span(earliest, latest)?;
    let every = i64::try_from(args.split.as_nanos()).unwrap_or(i64::MAX);
    Ok(window::split(whole, every))
}

type Msg = order::Msg<Report>;

pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let selector = args.selector.trim();
    if !(selector.starts_with('{') && selector.ends_with('}')) {
        return Err(Error::Selector(args.selector.clone()));
    }
    let query = logql::query(selector, querygen::table::KINDS);
    if args.print_query {
        writeln!(output, "{query}").map_err(Error::Print)?;
        return Ok(Outcome::ok());
    }
    let spans = spans(&args)?;
    let client = Client::new(client_config(&args)?)?;
    let parallel = usize::from(args.parallel).clamp(1, spans.len().max(1));
    tracing::debug!(
        windows = spans.len(),
        parallel,
        query = %query,
        "reading {} sub-windows, {parallel} at a time, from `{}`",
        spans.len(),
        client.shown_url()
    );

    let next = AtomicUsize::new(0);
    let refused = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Msg>(64);
    let mut ordered = Ordered::new(output, spans.len(), args.buffer_bytes);
    let shared = Shared {
        client: &client,
        query: &query,
        spans: &spans,
        limit: args.limit,
        next: &next,
        refused: &refused,
    };
    let (reports, write_err) = std::thread::scope(|s| {
        for _ in 0..parallel {
            let tx = tx.clone();
            let shared = &shared;
            s.spawn(move || worker(shared, &tx));
        }
        drop(tx);
        order::write_all(rx, &mut ordered, spans.len())
    });
    if let Some(e) = write_err {
        return Err(Error::Write(e));
    }
    ordered.flush()?;
    Ok(summarise(&spans, reports, ordered.stats()))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}

/// What the workers share.
struct Shared<'a> {
    client: &'a Client,
    query: &'a str,
    spans: &'a [Span],
    limit: u32,
    next: &'a AtomicUsize,
    refused: &'a AtomicBool,
}

/// Takes sub-windows off the shared list until none is left.
fn worker(sh: &Shared<'_>, tx: &SyncSender<Msg>) {
    loop {
        let i = sh.next.fetch_add(1, Ordering::Relaxed);
        let Some(span) = sh.spans.get(i).copied() else {
            return;
        };
        let report = if sh.refused.load(Ordering::Relaxed) {
            Report {
                result: Some(WindowError::NotRun),
                ..Report::default()
            }
        } else {
            let retries = sh.client.config().retry.retries;
            page::fetch(
                sh.client,
                sh.query,
                span,
                sh.limit,
                |lines| {
                    if lines.is_empty() {
                        return Ok(());
                    }
                    let mut buf = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
                    for l in lines {
                        buf.extend_from_slice(l.as_bytes());
                        buf.push(b'\n');
                    }
                    tx.send(Msg::Lines(i, buf)).map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::BrokenPipe, "output closed")
                    })
                },
                |e, n, delay| {
                    tracing::warn!(
                        window = %span.label(), retry = n, error = %chain(e), delay_seconds = delay.as_secs_f64(),
                        "window {}: {}; retry {n} of {retries} in {:.1}s",
                        span.label(),
                        chain(e),
                        delay.as_secs_f64()
                    );
                },
            )
        };
        if matches!(
            report.result,
            Some(WindowError::Loki(loki::Error::Refused { .. }))
        ) {
            sh.refused.store(true, Ordering::Relaxed);
        }
        if tx.send(Msg::Done(i, report)).is_err() {
            return;
        }
    }
}

/// Logs every failed sub-window, then one summary line; the outcome
/// carries the figures.
fn summarise(spans: &[Span], reports: Vec<Option<Report>>, order: order::Stats) -> Outcome {
    let (mut pages, mut lines, mut bytes, mut repeated, mut retries) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut failed: Vec<String> = Vec::new();
    for (span, report) in spans.iter().zip(reports) {
        let Some(r) = report else {
            failed.push(span.label());
            continue;
        };
        pages += r.pages;
        lines += r.lines;
        bytes += r.bytes;
        repeated += r.repeated;
        retries += r.retries;
        if let Some(e) = &r.result {
            tracing::error!(
                window = %span.label(), retries = r.retries, error = %chain(e),
                "window {} failed after {} lines: {}",
                span.label(),
                r.lines,
                chain(e)
            );
            failed.push(span.label());
        }
    }
    let failed_list = if failed.is_empty() {
        String::new()
    } else {
        format!(" ({})", failed.join(", "))
    };
    Outcome::from_failures(failed.len())
        .count("windows", spans.len() as u64)
        .count("windows_failed", failed.len() as u64)
        .count("pages", pages)
        .count("lines_emitted", lines)
        .count("bytes_received", bytes)
        .count("repeated_lines_skipped", repeated)
        .count("retries", retries)
        .count("spilled_bytes", order.spilled_bytes)
        .summary(format!(
            "{} windows, {pages} pages, {lines} lines, {bytes} bytes received, {repeated} lines \
             of a page boundary skipped as already written, {retries} retries, {} failed{failed_list}",
            spans.len(),
            failed.len(),
        ))
}
