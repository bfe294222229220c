//! The Splunk stand-in as a program, for the demo and for poking at by hand.
//! Prints its URL (the `SPLUNK_API_URL` to use) on the first line of stdout
//! and serves until killed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use standins::server::Listen;
use standins::server::ListenArg;
use standins::splunk::{self, Config, Fault, Rule, When, KINDS};

/// Local stand-in of Splunk's search export API and KV store.
#[derive(Parser)]
#[command(
    name = "splunk-standin",
    after_help = "Example:\n  splunk-standin --dump fixtures/s2s/sample/input.jsonl --token demo &\n  SPLUNK_API_URL=http://127.0.0.1:PORT SPLUNK_TOKEN=demo fetch-uj-records\n\nQuery kinds (querygen names): application, component, build-pipelinerun-created, build-pipelinerun-started, clair-scan-completed, build-pipelinerun-ended, release-done, pull-request-created."
)]
struct Args {
    #[command(flatten)]
    listen: ListenArg,

    /// Accepted Basic credentials, `USER:PASSWORD` (repeatable; default
    /// `admin:changeme`).
    #[arg(long = "user", value_name = "USER:PASSWORD")]
    users: Vec<String>,

    /// Accepted Bearer token / Splunk session key (repeatable; default
    /// `standin-token`).
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,

    /// A dump of export rows (JSON lines) to serve, split per query kind.
    #[arg(long, value_name = "FILE")]
    dump: Option<PathBuf>,

    /// A directory with `<kind>.jsonl` files, the rows of each query kind.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Serve FILE's lines to searches containing SUBSTRING (repeatable;
    /// checked before the per-kind rules).
    #[arg(long = "rule", value_name = "SUBSTRING=FILE")]
    rules: Vec<String>,

    /// Make a query kind fail: `503`, any status, `fatal`, `error`,
    /// `empty`, `cut`, `early`; `@WHEN` for which of its requests
    /// (`first=N`, `every=K`, `random=SHARE[,seed=S]`, `always`: the
    /// default); `:N` is short for `@first=N`.
    #[arg(long = "fault", value_name = "KIND=FAULT[@WHEN]")]
    faults: Vec<String>,

    /// Wait this long before answering each search.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay_ms: u64,

    /// Wait this long after the headers before the first byte of each
    /// search's body (the search's run time).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    stream_delay_ms: u64,

    /// Bytes per chunk of a streamed body.
    #[arg(long, default_value_t = 256)]
    chunk_size: usize,

    /// Wait between chunks.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    chunk_delay_ms: u64,

    /// Start bodies with a UTF-8 BOM.
    #[arg(long)]
    bom: bool,

    /// Preview sets before the final rows.
    #[arg(long, default_value_t = 0)]
    previews: usize,

    /// Serve only rows whose `result._time` lies in the search's
    /// `earliest_time`..`latest_time` (Unix seconds).
    #[arg(long)]
    time_aware: bool,

    /// With --time-aware: a file holding the current Unix time; rows whose
    /// `result._indextime` is later have not reached the index yet.
    #[arg(long, value_name = "FILE")]
    clock_file: Option<PathBuf>,

    /// KV store `max_documents_per_batch_save`.
    #[arg(long, default_value_t = 1000)]
    kv_limit: usize,

    /// A lookup definition over a KV store collection, `NAME=COLLECTION`
    /// (repeatable): searches' `|lookup NAME …` read that collection.
    #[arg(long = "lookup", value_name = "NAME=COLLECTION")]
    lookups: Vec<String>,
}

fn parse_fault(spec: &str) -> anyhow::Result<(Fault, When)> {
    let (what, when) = match (spec.split_once('@'), spec.split_once(':')) {
        (Some((w, when)), _) => (w, When::parse(when)?),
        (None, Some((w, n))) => (w, When::First(n.parse().context("bad `:N`")?)),
        (None, None) => (spec, When::Always),
    };
    let f = match what {
        "fatal" => Fault::Message {
            kind: "FATAL".into(),
            after_rows: 1,
        },
        "error" => Fault::Message {
            kind: "ERROR".into(),
            after_rows: 1,
        },
        "empty" => Fault::EmptyBody,
        "cut" => Fault::CutMidLine { after_rows: 1 },
        "early" => Fault::EndEarly { after_rows: 1 },
        s => Fault::Status(s.parse().with_context(|| format!("unknown fault `{s}`"))?),
    };
    Ok((f, when))
}

fn config(args: &Args) -> anyhow::Result<Config> {
    let mut cfg = Config::default();
    if !args.users.is_empty() {
        cfg.users = args
            .users
            .iter()
            .map(|u| {
                let (a, b) = u.split_once(':').unwrap_or((u, ""));
                (a.to_owned(), b.to_owned())
            })
            .collect();
    }
    if !args.tokens.is_empty() {
        cfg.tokens.clone_from(&args.tokens);
    }
    for r in &args.rules {
        let Some((sub, file)) = r.split_once('=') else {
            bail!("--rule wants SUBSTRING=FILE, got `{r}`");
        };
        cfg.rules.push(
            Rule::from_file(sub, file.as_ref()).with_context(|| format!("cannot read `{file}`"))?,
        );
    }
    let mut per_kind = std::collections::BTreeMap::new();
    if let Some(dump) = &args.dump {
        let text = std::fs::read_to_string(dump)
            .with_context(|| format!("cannot read `{}`", dump.display()))?;
        per_kind = splunk::split_dump(&text);
    }
    if let Some(dir) = &args.dir {
        for k in KINDS.iter() {
            let p = dir.join(format!("{}.jsonl", k.name));
            if p.exists() {
                let rows = splunk::read_rows(&p)
                    .with_context(|| format!("cannot read `{}`", p.display()))?;
                per_kind.insert(k.name, rows);
            }
        }
    }
    cfg.rules.extend(splunk::rules_for_kinds(&per_kind));
    for f in &args.faults {
        let Some((kind, spec)) = f.split_once('=') else {
            bail!("--fault wants KIND=FAULT[@WHEN], got `{f}`");
        };
        let Some(k) = KINDS.iter().find(|k| k.name == kind) else {
            bail!("unknown query kind `{kind}`");
        };
        let (fault, when) = parse_fault(spec)?;
        for r in cfg.rules.iter_mut().filter(|r| r.contains == k.marker) {
            r.fault = Some(fault.clone());
            r.when = when.clone();
        }
    }
    let delay = Duration::from_millis(args.delay_ms);
    let stream_delay = Duration::from_millis(args.stream_delay_ms);
    for r in &mut cfg.rules {
        r.delay = delay;
        r.stream_delay = stream_delay;
    }
    cfg.chunk_size = args.chunk_size;
    cfg.chunk_delay = Duration::from_millis(args.chunk_delay_ms);
    cfg.bom = args.bom;
    cfg.previews = args.previews;
    cfg.kv_limit = args.kv_limit;
    for l in &args.lookups {
        let Some((name, coll)) = l.split_once('=') else {
            bail!("--lookup wants NAME=COLLECTION, got `{l}`");
        };
        cfg.lookups.insert(name.to_owned(), coll.to_owned());
    }
    if args.time_aware || args.clock_file.is_some() {
        cfg.time_aware = Some(standins::splunk_time::TimeAware {
            clock_file: args.clock_file.clone(),
        });
    }
    Ok(cfg)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    segment_bridge_core::cli::init_logging("splunk-standin");
    let cfg = config(&args)?;
    let standin = splunk::SplunkStandin::spawn_with(cfg, Listen::on(args.listen.listen))?;
    standins::server::announce_and_serve(&standin.url())
}
