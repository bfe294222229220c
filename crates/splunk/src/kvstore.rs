//! The Splunk KV store: replacing a collection's documents (`docs/apis/splunk.md`, "KV store"), so
//! that `querygen --uid-lookup NAME` searches can map usernames inside
//! Splunk with `| lookup NAME username OUTPUT sso_id`.
//!
//! Replacing is `DELETE …/storage/collections/data/{collection}` and then
//! `POST …/{collection}/batch_save` in chunks, each within Splunk's per-call
//! limits (`max_documents_per_batch_save`, 1,000 by default, and 50 MB).
//! Each call is retried with the shared policy; both are idempotent (delete
//! all; upsert by `_key`). Delete-then-save is not atomic: a search running
//! in between sees a partial collection, and a failure half-way leaves one.
//! The error says so; running again repairs it.

use serde_json::Value;

use super::request;
use super::{Client, Error};

/// Splunk's default `max_documents_per_batch_save`.
pub const DEFAULT_PER_CALL_LIMIT: usize = 1000;
/// Splunk's per-call size limit is 50 MB; stay a little under it.
pub const DEFAULT_MAX_BYTES: usize = 48 * 1024 * 1024;

/// Per-call limits of `batch_save`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Documents per call (`max_documents_per_batch_save`).
    pub per_call: usize,
    /// Bytes of one request body.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_call: DEFAULT_PER_CALL_LIMIT,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What a replace did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub documents: usize,
    /// `batch_save` calls that succeeded.
    pub batches: usize,
    /// Retries over all calls.
    pub retries: u32,
}

/// Replaces every document of `collection` (in the client's app, owner
/// `nobody`) with `docs`: one DELETE, then `batch_save` calls within
/// `limits`. Documents should carry `_key` so that a repeated save upserts.
/// An empty `docs` empties the collection: refuse an empty map before
/// calling this unless that is meant.
pub fn replace_collection(
    client: &Client,
    collection: &str,
    docs: &[Value],
    limits: Limits,
) -> Result<Stats, Error> {
    if collection.is_empty() {
        return Err(Error::Config(
            "the KV store collection name is empty".into(),
        ));
    }
    if limits.per_call == 0 {
        return Err(Error::Config(
            "the batch_save document limit must be at least 1".into(),
        ));
    }
    let chunks = pack(docs, limits)?;
    let cfg = client.config();
    let mut stats = Stats::default();
    let log_retry = |e: &Error, n: u32, d: std::time::Duration| {
        tracing::warn!(
            collection, retry = n, error = %e,
            "KV store `{collection}`: {e}; retry {n} in {:.1}s",
            d.as_secs_f64()
        );
    };

    let url = request::kv_collection_url(&cfg.api_url, &cfg.app, collection);
    let (res, retries) = client.call(&url, |http| http.delete(url.clone()), log_retry);
    stats.retries += retries;
    res?;

    let url = request::kv_batch_save_url(&cfg.api_url, &cfg.app, collection);
    for (i, body) in chunks.iter().enumerate() {
        let (res, retries) = client.call(
            &url,
            |http| {
                http.post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.bytes.clone())
            },
            log_retry,
        );
        stats.retries += retries;
        if let Err(e) = res {
            tracing::error!(
                collection, batch = i + 1, batches = chunks.len(), saved = stats.documents,
                "KV store `{collection}`: batch {} of {} failed after {} documents were saved; the collection is partial until the next successful run",
                i + 1,
                chunks.len(),
                stats.documents
            );
            return Err(e);
        }
        stats.batches += 1;
        stats.documents += body.count;
    }
    Ok(stats)
}

/// Documents `{key_field: name, value_field: value, "_key": name}` from a
/// JSON object such as the uid map (username → SSO id).
pub fn docs_from_map(
    map: &serde_json::Map<String, Value>,
    key_field: &str,
    value_field: &str,
) -> Vec<Value> {
    map.iter()
        .map(|(k, v)| {
            let mut d = serde_json::Map::new();
            d.insert("_key".to_owned(), Value::String(k.clone()));
            d.insert(key_field.to_owned(), Value::String(k.clone()));
            d.insert(value_field.to_owned(), v.clone());
            Value::Object(d)
        })
        .collect()
}

#[derive(Debug)]
struct Chunk {
    bytes: Vec<u8>,
    count: usize,
}

/// Cuts `docs` into JSON-array bodies within `limits`, in order.
fn pack(docs: &[Value], limits: Limits) -> Result<Vec<Chunk>, Error> {
    let mut chunks = Vec::new();
    let mut cur = Chunk {
        bytes: b"[".to_vec(),
        count: 0,
    };
    for (index, doc) in docs.iter().enumerate() {
        let enc = serde_json::to_vec(doc).map_err(|e| Error::Document {
            index,
            reason: e.to_string(),
        })?;
        if enc.len() + 2 > limits.max_bytes {
            return Err(Error::Document {
                index,
                reason: format!(
                    "{} bytes, over the {} byte limit of one call",
                    enc.len(),
                    limits.max_bytes
                ),
            });
        }
        // `,` + doc + closing `]`
        if cur.count == limits.per_call || cur.bytes.len() + enc.len() + 2 > limits.max_bytes {
            cur.bytes.push(b']');
            chunks.push(std::mem::replace(
                &mut cur,
                Chunk {
                    bytes: b"[".to_vec(),
                    count: 0,
                },
            ));
        }
        if cur.count > 0 {
            cur.bytes.push(b',');
        }
        cur.bytes.extend_from_slice(&enc);
        cur.count += 1;
    }
    if cur.count > 0 {
        cur.bytes.push(b']');
        chunks.push(cur);
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn packs_within_both_limits_in_order() {
        let docs: Vec<Value> = (0..2500).map(|i| json!({"_key": i.to_string()})).collect();
        let chunks = pack(&docs, Limits::default()).unwrap();
        assert_eq!(
            chunks.iter().map(|c| c.count).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
        let back: Vec<Value> = chunks
            .iter()
            .flat_map(|c| serde_json::from_slice::<Vec<Value>>(&c.bytes).unwrap())
            .collect();
        assert_eq!(back, docs);

        let limits = Limits {
            per_call: 1000,
            max_bytes: 40,
        };
        let chunks = pack(&docs[..10], limits).unwrap();
        assert!(chunks.iter().all(|c| c.bytes.len() <= 40));
        assert_eq!(chunks.iter().map(|c| c.count).sum::<usize>(), 10);

        let big = vec![json!({"x": "y".repeat(100)})];
        assert!(matches!(
            pack(&big, limits),
            Err(Error::Document { index: 0, .. })
        ));
        assert!(pack(&[], limits).unwrap().is_empty());
    }

    #[test]
    fn docs_from_a_map() {
        let m = json!({"alice": 123, "bob": "x9"});
        let docs = docs_from_map(m.as_object().unwrap(), "username", "sso_id");
        assert_eq!(
            docs,
            vec![
                json!({"_key": "alice", "username": "alice", "sso_id": 123}),
                json!({"_key": "bob", "username": "bob", "sso_id": "x9"}),
            ]
        );
    }
}
