//! Paging through one (sub-)window by time, losing and repeating nothing.
//!
//! Each request asks for the oldest `limit` lines of what is left of the
//! window (`direction=forward`, `start` inclusive). A page with fewer than
//! `limit` lines is the last. After a full page, the next one starts at the
//! page's *last nanosecond itself*, not one past it: lines that share that
//! nanosecond may not all have fit into the page, and starting one past it
//! would lose the rest. Those of that nanosecond that went out already are
//! remembered (by stream and text, counting repeats) and skipped when the
//! next page returns them again, so none is written twice.
//!
//! If a full page brings nothing new, more than `limit` lines share one
//! nanosecond and no page of that size can get past them: that is reported
//! as a failure (raise `--limit`), never skipped over silently.

use std::collections::HashMap;
use std::time::Duration;

use crate::loki::{self, Client, Page};
use crate::window::{self, Span};

/// Why a window was not read to its end.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error(transparent)]
    Loki(#[from] loki::Error),
    #[error("more than {limit} lines share the nanosecond {}; no page of {limit} lines gets past them\nhint: raise --limit / LOKI_LIMIT (up to the store's max_entries_limit_per_query)", window::show(*ts))]
    Stuck { ts: i64, limit: u32 },
    /// Writing the lines out failed (the reader went away).
    #[error("cannot write the lines out")]
    Output(#[source] std::io::Error),
    /// Not started: an earlier window was refused, and the same token would
    /// be refused again.
    #[error("not fetched: the gateway refused the token for an earlier window")]
    NotRun,
}

/// What reading one window did.
#[derive(Debug, Default)]
pub struct Report {
    /// `Err` when the window was not read to its end.
    pub result: Option<WindowError>,
    pub pages: u64,
    pub lines: u64,
    /// Bytes of the answers' bodies.
    pub bytes: u64,
    /// Lines of a boundary nanosecond returned again and skipped.
    pub repeated: u64,
    pub retries: u64,
}

/// Reads `span` page by page, handing each page's new lines to `emit` in
/// time order. `on_retry` sees each failed request about to be retried.
pub fn fetch(
    client: &Client,
    query: &str,
    span: Span,
    limit: u32,
    mut emit: impl FnMut(&[&str]) -> std::io::Result<()>,
    mut on_retry: impl FnMut(&loki::Error, u32, Duration),
) -> Report {
    let mut report = Report::default();
    let mut cursor = span.start;
    // Lines already written at the nanosecond `cursor`, by (stream, text).
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    loop {
        let page = Page {
            query,
            span: Span {
                start: cursor,
                end: span.end,
            },
            limit,
        };
        let fetched = client.query_range(&page, &mut on_retry);
        report.retries += u64::from(fetched.retries);
        let fetched = match fetched.result {
            Ok(f) => f,
            Err(e) => {
                report.result = Some(WindowError::Loki(e));
                return report;
            }
        };
        report.pages += 1;
        report.bytes += fetched.bytes;
        let data = fetched.page;
        let full = data.entries.len() >= limit as usize;
        let mut out: Vec<&str> = Vec::with_capacity(data.entries.len());
        for e in &data.entries {
            if e.ts < cursor || e.ts >= span.end {
                // Outside what was asked: not ours to write (another
                // window, or a store that ignores the bounds).
                continue;
            }
            if e.ts == cursor {
                let key = (data.streams[e.stream].clone(), e.line.clone());
                if let Some(n) = seen.get_mut(&key).filter(|n| **n > 0) {
                    *n -= 1;
                    report.repeated += 1;
                    continue;
                }
            }
            out.push(&e.line);
        }
        let new = out.len() as u64;
        if let Err(e) = emit(&out) {
            report.result = Some(WindowError::Output(e));
            return report;
        }
        report.lines += new;
        if !full {
            return report;
        }
        let Some(last) = data.entries.last().map(|e| e.ts) else {
            return report;
        };
        if new == 0 || last < cursor {
            report.result = Some(WindowError::Stuck { ts: cursor, limit });
            return report;
        }
        // The next page starts at `last` and returns this page's lines of
        // that nanosecond again, in the same order: all of them count.
        seen.clear();
        for e in data.entries.iter().filter(|e| e.ts == last) {
            *seen
                .entry((data.streams[e.stream].clone(), e.line.clone()))
                .or_insert(0) += 1;
        }
        cursor = last;
    }
}
