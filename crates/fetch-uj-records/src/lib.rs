//! `fetch-uj-records` (`docs/tools/fetch-uj-records.md`): runs every user-journey search through
//! Splunk's export endpoint and streams the final result rows to stdout, one
//! per line, byte for byte as Splunk sent them.
//!
//! The queries come from querygen (in-process, `--index`, `--uid-lookup`)
//! or, with `--queries -`, NUL-separated from stdin. They run `--parallel`
//! at a time (2 by default: a default Splunk user may run 3 searches at
//! once). Each worker thread streams its rows into one channel, and this
//! thread alone writes them, whole lines only, in query order: the rows of
//! query 1, then of query 2, and so on, as the sequential original printed
//! them, the first unfinished query streaming and later ones waiting in a
//! bounded buffer that spills to a temporary file (see [`order`]). When a query
//! is retried after a failure half-way, the rows that already went out are
//! recognised and not written again (see `segment_bridge_splunk::client`).
//! A query that still fails after its retries does not stop the others:
//! their rows go out, then every failed query is named and the exit status
//! is 1.

pub mod order;

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::error::chain;
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};
use segment_bridge_splunk::{self as splunk, Client, ConnectionArgs, QueryReport, Search};

/// Run the user-journey searches through Splunk's export API and stream the
/// result rows (JSON lines) to stdout.
///
/// The queries run concurrently, and the rows still come out in query
/// order: all rows of the first query, then of the second, and so on, so
/// two runs over the same data print the same bytes. Rows of a query that
/// finishes before its turn wait in memory (`--buffer-bytes`), then in a
/// temporary file.
///
/// Credentials: `SPLUNK_TOKEN` (sent as a Bearer token) if set, else the
/// netrc entry for the Splunk host (`--netrc`/`CURL_NETRC`, default
/// `~/.netrc`).
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Examples:\n  fetch-uj-records | splunk-to-segment | segment-mass-uploader\n  querygen -0 --index my_index | fetch-uj-records --queries - > rows.jsonl\n\nEnvironment: SPLUNK_TOKEN (Bearer token; never pass it as a flag), the variables listed above, and https_proxy/HTTPS_PROXY/all_proxy/no_proxy/NO_PROXY as curl reads them."
)]
pub struct Args {
    #[command(flatten)]
    pub splunk: ConnectionArgs,

    /// Splunk index searched by the generated queries.
    #[arg(long, env = env::SPLUNK_INDEX, default_value = env::SPLUNK_INDEX_DEFAULT)]
    pub index: String,

    /// Start of the time window (Splunk time modifier).
    #[arg(long, env = env::QUERY_EARLIEST_TIME, default_value = env::QUERY_EARLIEST_TIME_DEFAULT)]
    pub earliest_time: String,

    /// End of the time window (Splunk time modifier).
    #[arg(long, env = env::QUERY_LATEST_TIME, default_value = env::QUERY_LATEST_TIME_DEFAULT)]
    pub latest_time: String,

    /// Queries run at the same time (a default Splunk user may run 3
    /// searches at once; more gets 503, which is retried).
    #[arg(long, env = env::SPLUNK_PARALLEL, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,

    /// Rows of queries that finished before their turn (output is in query
    /// order) wait in memory up to this many bytes in all, then in a
    /// temporary file.
    #[arg(long, env = env::FETCH_BUFFER_BYTES, value_name = "BYTES", default_value_t = 64 << 20)]
    pub buffer_bytes: usize,

    /// Read the queries, NUL-separated, from FILE (`-`: stdin) instead of
    /// generating them (`querygen -0 | fetch-uj-records --queries -`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["uid_lookup", "ws_lookup", "names"])]
    pub queries: Option<PathBuf>,

    /// Generate the queries that map usernames to SSO ids in Splunk with
    /// this lookup (`querygen --uid-lookup`).
    #[arg(long, env = env::SPLUNK_UID_LOOKUP, value_name = "NAME")]
    pub uid_lookup: Option<String>,

    /// With --uid-lookup: also find each namespace's owner and the owner's
    /// SSO id in Splunk with this lookup (`querygen --ws-lookup`).
    #[arg(long, env = env::SPLUNK_WS_LOOKUP, value_name = "NAME")]
    pub ws_lookup: Option<String>,

    /// Run only the generated query with this name (repeatable; `querygen
    /// --help` lists the names).
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Splunk(#[from] splunk::Error),

    #[error(transparent)]
    Querygen(#[from] querygen::Error),

    #[error("cannot read the queries from `{}`", path.display())]
    ReadQueries {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("no queries in `{}` (expected NUL-separated searches, as `querygen -0` prints)", path.display())]
    NoQueries { path: PathBuf },

    #[error(transparent)]
    Write(#[from] order::OrderError),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Splunk(e) => e.exit_status(),
            Error::Querygen(e) => e.exit_status(),
            Error::ReadQueries { .. } | Error::NoQueries { .. } => ExitStatus::Usage,
            Error::Write(_) => ExitStatus::Failed,
        }
    }
}

/// One search to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Short name for the summary (querygen's name, or `#N`).
    pub name: String,
    /// What messages call the query (querygen's title, or the start of the
    /// query text).
    pub title: String,
    pub query: String,
}

/// The queries of a `querygen -0` output: NUL-separated, the whole ending
/// in one `\n` (dropped); empty pieces are skipped.
pub fn jobs_from_nul(text: &str) -> Vec<Job> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\0')
        .filter(|q| !q.trim().is_empty())
        .enumerate()
        .map(|(i, q)| {
            let flat: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut head: String = flat.chars().take(72).collect();
            if head.len() < flat.len() {
                head.push('…');
            }
            Job {
                name: format!("#{}", i + 1),
                title: format!("query {} ({head})", i + 1),
                query: q.to_owned(),
            }
        })
        .collect()
}

fn jobs(args: &Args, input: Input<'_>) -> Result<Vec<Job>, Error> {
    if let Some(path) = &args.queries {
        let mut bytes = Vec::new();
        let res = if path.as_os_str() == "-" {
            input.read_to_end(&mut bytes)
        } else {
            std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
        };
        res.map_err(|source| Error::ReadQueries {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| Error::ReadQueries {
            path: path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()),
        })?;
        let jobs = jobs_from_nul(&text);
        if jobs.is_empty() {
            return Err(Error::NoQueries { path: path.clone() });
        }
        return Ok(jobs);
    }
    let opts = querygen::Options {
        index: args.index.clone(),
        uid_lookup: args.uid_lookup.clone().filter(|n| !n.is_empty()),
        ws_lookup: args.ws_lookup.clone().filter(|n| !n.is_empty()),
    };
    opts.validate()?;
    Ok(querygen::queries_named(&opts, &args.names)?
        .into_iter()
        .map(|q| Job {
            name: q.name.to_owned(),
            title: q.title.to_owned(),
            query: q.query,
        })
        .collect())
}

type Msg = order::Msg<QueryReport>;

pub fn run(args: Args, input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let jobs = jobs(&args, input)?;
    let client = args.splunk.client()?;
    let retries = client.config().retry.retries;
    let parallel = usize::from(args.parallel).clamp(1, jobs.len().max(1));
    tracing::debug!(
        queries = jobs.len(),
        parallel,
        "running {} queries, {parallel} at a time, against `{}`",
        jobs.len(),
        segment_bridge_net::http::redact_url(&client.config().api_url)
    );

    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<Msg>(256);
    let mut ordered = order::Ordered::new(output, jobs.len(), args.buffer_bytes);
    let (reports, write_err) = std::thread::scope(|s| {
        for _ in 0..parallel {
            let tx = tx.clone();
            let (client, jobs, next, args) = (&client, &jobs, &next, &args);
            s.spawn(move || worker(client, jobs, next, args, retries, &tx));
        }
        drop(tx);
        order::write_all(rx, &mut ordered, jobs.len())
    });
    if let Some(e) = write_err {
        return Err(Error::Write(e));
    }
    ordered.flush()?;
    let stats = ordered.stats();
    Ok(summarise(&jobs, reports, stats))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}

/// Takes queries off the shared list until none is left.
fn worker(
    client: &Client,
    jobs: &[Job],
    next: &AtomicUsize,
    args: &Args,
    retries: u32,
    tx: &SyncSender<Msg>,
) {
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(i) else { return };
        let search = Search {
            query: job.query.clone(),
            earliest_time: args.earliest_time.clone(),
            latest_time: args.latest_time.clone(),
        };
        let report = client.export(
            &search,
            |line| {
                let mut buf = Vec::with_capacity(line.len() + 1);
                buf.extend_from_slice(line);
                buf.push(b'\n');
                tx.send(Msg::Lines(i, buf))
                    .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "output closed"))
            },
            |e, n, delay| {
                tracing::warn!(
                    query = %job.name, retry = n, error = %chain(e), delay_seconds = delay.as_secs_f64(),
                    "query `{}`: {}; retry {n} of {retries} in {:.1}s",
                    job.title,
                    chain(e),
                    delay.as_secs_f64()
                );
            },
        );
        if tx.send(Msg::Done(i, report)).is_err() {
            return;
        }
    }
}

/// Logs Splunk's notes and every failed query, then one summary line;
/// the outcome carries the figures.
fn summarise(jobs: &[Job], reports: Vec<Option<QueryReport>>, order: order::Stats) -> Outcome {
    let (mut rows, mut previews, mut retries, mut dups) = (0u64, 0u64, 0u64, 0u64);
    let mut failed: Vec<&str> = Vec::new();
    let mut per_query = Vec::new();
    for (job, report) in jobs.iter().zip(reports) {
        let Some(r) = report else {
            // A worker stopped before running it (the output went away).
            failed.push(&job.title);
            continue;
        };
        for note in &r.notes {
            if note.starts_with("WARN") {
                tracing::warn!(query = %job.name, note = %note, "query `{}`: Splunk says {note}", job.title);
            } else {
                tracing::debug!(query = %job.name, note = %note, "query `{}`: Splunk says {note}", job.title);
            }
        }
        rows += r.rows;
        previews += r.previews_dropped;
        retries += u64::from(r.retries);
        dups += r.duplicates_skipped;
        per_query.push(format!("{} {}", job.name, r.rows));
        if let Err(e) = &r.result {
            tracing::error!(
                query = %job.name, retries = r.retries, error = %chain(e),
                "query `{}` failed after {} retries: {}",
                job.title,
                r.retries,
                chain(e)
            );
            failed.push(&job.title);
        }
    }
    let failed_list = if failed.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            failed
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Outcome::from_failures(failed.len())
        .count("queries", jobs.len() as u64)
        .count("queries_failed", failed.len() as u64)
        .count("rows_emitted", rows)
        .count("previews_dropped", previews)
        .count("retries", retries)
        .count("repeated_rows_skipped", dups)
        .count("spilled_bytes", order.spilled_bytes)
        .summary(format!(
            "{} queries, {rows} rows, {previews} preview rows dropped, {retries} retries, {dups} \
             repeated rows skipped, {} failed{failed_list}; rows per query: {}; {} bytes waited \
             for their turn on disk",
            jobs.len(),
            failed.len(),
            per_query.join(", "),
            order.spilled_bytes
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_separated_queries() {
        let jobs = jobs_from_nul("search a\n\tb\0| makeresults\0\0search c\n");
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs[0].query, "search a\n\tb");
        assert_eq!(jobs[0].title, "query 1 (search a b)");
        assert_eq!(jobs[2].query, "search c");
        assert_eq!(jobs[2].name, "#3");
        assert!(jobs_from_nul("\n").is_empty());
        let long = format!("search {}", "x".repeat(200));
        assert!(jobs_from_nul(&long)[0].title.ends_with("…)"));
    }
}
