//! The LokiStack gateway stand-in as a program, for the demo and for
//! poking at by hand. Prints its URL on the first line of stdout (the
//! audit tenant is `URL/api/logs/v1/audit`, the `LOKI_URL` to use) and
//! serves until killed.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;
use standins::loki::{self, Config, Fault, LokiStandin, When};
use standins::server::{Listen, ListenArg};

/// Local stand-in of the LokiStack gateway's query_range API.
#[derive(Parser)]
#[command(
    name = "loki-standin",
    after_help = "Example:\n  loki-standin --records audit-clf.jsonl --token demo &\n  LOKI_URL=http://127.0.0.1:PORT/api/logs/v1/audit LOKI_TOKEN=demo QUERY_EARLIEST_TIME=0 fetch-audit-log"
)]
struct Args {
    #[command(flatten)]
    listen: ListenArg,

    /// ClusterLogForwarder records (JSON lines) to store; each goes to the
    /// tenant of its `log_type` (repeatable).
    #[arg(long = "records", value_name = "FILE")]
    records: Vec<PathBuf>,

    /// A raw API-server audit log (one event per line) to store in the
    /// audit tenant, wrapped as the collector wraps it (repeatable).
    #[arg(long = "audit-log", value_name = "FILE")]
    audit_logs: Vec<PathBuf>,

    /// Accepted bearer token, optionally with the tenants it may read
    /// (`TOKEN=audit,application`; default all three) (repeatable; default
    /// `standin-token`).
    #[arg(long = "token", value_name = "TOKEN[=TENANTS]")]
    tokens: Vec<String>,

    /// `max_entries_limit_per_query`.
    #[arg(long, default_value_t = 5000)]
    max_limit: u32,

    /// Make requests fail: a status (`429`, `503`, `429+5` for a
    /// `Retry-After: 5`) or `cut` (a 200 body that stops half-way);
    /// `@WHEN` for which requests (`first=N`, `every=K`,
    /// `random=SHARE[,seed=S]`, `always`).
    #[arg(long = "fault", value_name = "FAULT[@WHEN]")]
    faults: Vec<String>,
}

fn parse_fault(spec: &str) -> anyhow::Result<(Fault, When)> {
    let (what, when) = match spec.split_once('@') {
        Some((w, when)) => (w, When::parse(when)?),
        None => (spec, When::Always),
    };
    if what == "cut" {
        return Ok((Fault::CutBody, when));
    }
    let (status, retry_after) = match what.split_once('+') {
        Some((s, ra)) => (s, Some(ra.parse().context("bad Retry-After seconds")?)),
        None => (what, None),
    };
    let status = status
        .parse()
        .with_context(|| format!("unknown fault `{what}`"))?;
    Ok((
        Fault::Status {
            status,
            retry_after,
        },
        when,
    ))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    segment_bridge_core::cli::init_logging("loki-standin");
    let mut cfg = Config {
        max_limit: args.max_limit,
        ..Config::default()
    };
    for path in &args.records {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        cfg.entries.extend(loki::entries_from_records(&text));
    }
    for path in &args.audit_logs {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        cfg.entries
            .extend(loki::entries_from_audit_events(&text, "master-0"));
    }
    if !args.tokens.is_empty() {
        cfg.tokens = args
            .tokens
            .iter()
            .map(|t| match t.split_once('=') {
                Some((tok, tenants)) => (
                    tok.to_owned(),
                    tenants.split(',').map(String::from).collect(),
                ),
                None => (t.clone(), loki::TENANTS.map(String::from).to_vec()),
            })
            .collect();
    }
    let mut faults = Vec::new();
    for f in &args.faults {
        faults.push(parse_fault(f)?);
    }
    if cfg.entries.is_empty() && !(args.records.is_empty() && args.audit_logs.is_empty()) {
        bail!("no audit lines in the --records / --audit-log files");
    }
    let standin = LokiStandin::spawn_with(cfg, Listen::on(args.listen.listen))?;
    for (f, when) in faults {
        standin.handle().fail(f, when);
    }
    standins::server::announce_and_serve(&standin.url())
}
