//! Listing every object of a type on a big cluster: pages of `limit` objects
//! joined by continue tokens (docs/apis/kubernetes.md). A page that fails transiently
//! (connection error, timeout, 429, 5xx but 501) is retried with the
//! project's retry policy; a 410 Gone means the continue token expired (the
//! server compacted its history), and the only correct answer is to start
//! the list again from the beginning, dropping what was collected.

use std::fmt::Debug;

use kube::api::{Api, ListParams};
use segment_bridge_net::retry::{classify_status, RetryPolicy, Verdict};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// How to list.
#[derive(Debug, Clone)]
pub struct ListOptions {
    pub label_selector: Option<String>,
    /// Objects per page (`limit`); 0 asks for everything at once.
    pub page_size: u32,
    /// How many times a list may restart after 410 Gone.
    pub max_restarts: u32,
    pub retry: RetryPolicy,
    /// Names the list in log lines (`context `x`: usersignups`).
    pub label: String,
}

impl ListOptions {
    pub fn new(page_size: u32, retry: RetryPolicy) -> ListOptions {
        ListOptions {
            label_selector: None,
            page_size,
            max_restarts: 5,
            retry,
            label: "list".to_owned(),
        }
    }

    #[must_use]
    pub fn labels(mut self, selector: impl Into<String>) -> ListOptions {
        self.label_selector = Some(selector.into());
        self
    }
}

/// Every object, and how it went.
#[derive(Debug)]
pub struct Listed<K> {
    pub items: Vec<K>,
    /// Pages fetched, restarts included.
    pub pages: u32,
    /// Restarts after 410 Gone.
    pub restarts: u32,
    /// Retried page requests.
    pub retries: u32,
}

/// Why [`list_all`] stopped.
#[derive(Debug)]
pub enum ListError {
    Api(ApiError),
    /// 410 Gone more than `max_restarts` times.
    Expired {
        restarts: u32,
    },
}

/// Whether a failed page request is worth retrying.
pub fn classify(e: &ApiError) -> Verdict {
    match e {
        // 410 Gone is an expired continue token: the list restarts instead.
        ApiError::Status { code: 410, .. } => Verdict::Fail,
        ApiError::Status { code, .. } => classify_status(*code),
        ApiError::Transport(err) => classify_transport(err),
    }
}

fn classify_transport(err: &kube::Error) -> Verdict {
    // A certificate that doesn't verify or credentials that are refused
    // won't get better; connections that fail or time out may.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if s.contains("invalid peer certificate") || s.contains("UnknownIssuer") {
            return Verdict::Fail;
        }
        cur = e.source();
    }
    match err {
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
            Verdict::Retry
        }
        _ => Verdict::Fail,
    }
}

/// Lists every object `api` sees, page by page.
pub async fn list_all<K>(api: &Api<K>, opts: &ListOptions) -> Result<Listed<K>, ListError>
where
    K: Clone + DeserializeOwned + Debug,
{
    let f = list_fold(api, opts, Vec::new, |v: &mut Vec<K>, k| v.push(k)).await?;
    Ok(Listed {
        items: f.acc,
        pages: f.pages,
        restarts: f.restarts,
        retries: f.retries,
    })
}

/// A fold over every object, and how it went.
#[derive(Debug)]
pub struct Folded<A> {
    pub acc: A,
    pub pages: u32,
    pub restarts: u32,
    pub retries: u32,
}

/// Folds every object `api` sees into an accumulator, page by page, so that
/// only one page of objects is held at a time (a cluster with hundreds of
/// thousands of objects doesn't need them all in memory). A restart after
/// 410 Gone starts again from `init()`.
pub async fn list_fold<K, A>(
    api: &Api<K>,
    opts: &ListOptions,
    mut init: impl FnMut() -> A,
    mut add: impl FnMut(&mut A, K),
) -> Result<Folded<A>, ListError>
where
    K: Clone + DeserializeOwned + Debug,
{
    let mut out = Folded {
        acc: init(),
        pages: 0,
        restarts: 0,
        retries: 0,
    };
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default();
        if let Some(sel) = &opts.label_selector {
            lp = lp.labels(sel);
        }
        if opts.page_size > 0 {
            lp = lp.limit(opts.page_size);
        }
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = match fetch_page(api, &lp, opts, &mut out.retries).await {
            Ok(p) => p,
            Err(ApiError::Status { code: 410, .. }) if token.is_some() => {
                if out.restarts >= opts.max_restarts {
                    return Err(ListError::Expired {
                        restarts: out.restarts,
                    });
                }
                out.restarts += 1;
                tracing::warn!(
                    "{}: continue token expired (410 Gone); restarting the list ({} of {})",
                    opts.label,
                    out.restarts,
                    opts.max_restarts
                );
                out.acc = init();
                token = None;
                continue;
            }
            Err(e) => return Err(ListError::Api(e)),
        };
        out.pages += 1;
        for item in page.items {
            add(&mut out.acc, item);
        }
        match page.metadata.continue_.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

async fn fetch_page<K>(
    api: &Api<K>,
    lp: &ListParams,
    opts: &ListOptions,
    retries: &mut u32,
) -> Result<kube::core::ObjectList<K>, ApiError>
where
    K: Clone + DeserializeOwned + Debug,
{
    let mut attempt = 0u32;
    loop {
        match api.list(lp).await.map_err(ApiError::from) {
            Ok(page) => return Ok(page),
            Err(e) if classify(&e) == Verdict::Retry && attempt < opts.retry.retries => {
                let delay = opts.retry.delay(attempt, None);
                tracing::warn!(
                    "{}: list page failed ({e}); retry {} in {:.1}s",
                    opts.label,
                    attempt + 1,
                    delay.as_secs_f64()
                );
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                attempt += 1;
                *retries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
