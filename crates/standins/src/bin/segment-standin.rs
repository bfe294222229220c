//! The Segment batch API stand-in as a program, for the demo and for poking
//! at the uploaders by hand:
//!
//! ```text
//! segment-standin --write-key demo --print-events --url-file /tmp/seg.url &
//! SEGMENT_BATCH_API=$(cat /tmp/seg.url) SEGMENT_WRITE_KEY=demo segment-mass-uploader < events.jsonl
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use standins::segment::{Config, Fault, SegmentStandin};
use standins::server::ListenArg;

/// Serves a local stand-in of Segment's batch API (POST /v1/batch) that
/// behaves as docs/apis/segment.md describes and fails on demand.
#[derive(Parser)]
#[command(
    name = "segment-standin",
    version,
    after_help = "Example:\n  segment-standin --write-key demo --print-events --url-file seg.url &\n  \
                  SEGMENT_BATCH_API=$(cat seg.url) SEGMENT_WRITE_KEY=demo segment-mass-uploader < events.jsonl"
)]
struct Args {
    #[command(flatten)]
    listen: ListenArg,
    /// The write key clients must send as the Basic-auth user name.
    #[arg(long, default_value = "demo")]
    write_key: String,
    /// Print every accepted event on stdout, one JSON line each.
    #[arg(long)]
    print_events: bool,
    /// Write the batch endpoint URL to this file once listening.
    #[arg(long)]
    url_file: Option<PathBuf>,
    /// Largest accepted request body, bytes.
    #[arg(long, default_value_t = 500_000)]
    max_body: usize,
    /// Inject a fault: `503@first=2`, `429+1@every=3`, `drop@random=0.2,seed=7`,
    /// `slow=300@first=1`, `500` (always). Repeatable; the first that hits a
    /// request applies.
    #[arg(long = "fault", value_parser = Fault::parse)]
    faults: Vec<Fault>,
    /// Don't keep accepted events in memory (long runs, benchmarks).
    #[arg(long)]
    no_record: bool,
    /// On exit (stdin closed), print request and event counts to stderr.
    #[arg(long)]
    until_stdin_closes: bool,
    /// Refuse with 400 any batch holding an event that contains this text.
    #[arg(long, value_name = "TEXT")]
    refuse_marked: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = Config::new(args.write_key);
    config.max_body = args.max_body;
    config.faults = args.faults;
    config.print_events = args.print_events;
    config.record_events = !args.no_record;
    config.refuse_marked = args.refuse_marked;
    let standin = match SegmentStandin::spawn_on(config, args.listen.listen) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "segment-standin: error: cannot listen on {}: {e}",
                args.listen.listen
            );
            return ExitCode::from(2);
        }
    };
    let url = standin.url();
    let _ = writeln!(std::io::stderr(), "segment-standin: listening on {url}");
    if let Some(path) = &args.url_file {
        // Written whole then renamed, so a script polling for it never reads
        // half a URL.
        let tmp = path.with_extension("tmp");
        if let Err(e) =
            std::fs::write(&tmp, format!("{url}\n")).and_then(|()| std::fs::rename(&tmp, path))
        {
            let _ = writeln!(
                std::io::stderr(),
                "segment-standin: error: cannot write `{}`: {e}",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    if args.until_stdin_closes {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let r = standin.received();
        let _ = writeln!(
            std::io::stderr(),
            "segment-standin: {} requests, {} accepted, {} events accepted, {} dropped, largest body {} bytes, {} bytes on the wire, {} uncompressed, {} gzip requests",
            r.requests,
            r.accepted_requests,
            r.accepted_events,
            r.dropped.len(),
            r.body_sizes.iter().max().copied().unwrap_or(0),
            r.wire_bytes,
            r.plain_bytes,
            r.gzip_requests
        );
        return ExitCode::SUCCESS;
    }
    loop {
        std::thread::park();
    }
}
