//! The Splunk KV store: keeping a collection equal to a map
//! (`docs/apis/splunk.md`, "KV store"), so that `querygen --uid-lookup` and
//! `--ws-lookup` searches can map usernames and namespaces inside Splunk.
//!
//! # No empty window
//!
//! Searches read the collection while it is updated, and a lookup that
//! misses drops the event. So an update never empties the collection, not
//! even for a moment: it (1) lists what the collection holds (`GET`, paged
//! with `limit`/`skip`, sorted by `_key`), (2) upserts by `_key` with
//! `batch_save` only the documents that are new or changed, each call
//! within Splunk's per-call limits (`max_documents_per_batch_save`, 1,000
//! by default, and 50 MB), and (3) deletes, by a `query` on `_key`, only
//! the keys the map no longer has. A document that is the same before and
//! after is never touched, so a lookup of an unchanged user succeeds at
//! every moment of the update; a changed one switches from its old value
//! to its new one in one upsert. A failure half-way leaves a collection
//! where every key is either old or new (never missing): running again
//! finishes the job.
//!
//! Each call is retried with the shared policy; all three are idempotent.

use std::collections::HashMap;

use serde_json::Value;

use super::request;
use super::{Client, Error};

/// Splunk's default `max_documents_per_batch_save`.
pub const DEFAULT_PER_CALL_LIMIT: usize = 1000;
/// Splunk's per-call size limit is 50 MB; stay a little under it.
pub const DEFAULT_MAX_BYTES: usize = 48 * 1024 * 1024;
/// Documents per listing page: under Splunk's `max_rows_per_query`
/// (50,000 by default).
pub const LIST_PAGE: usize = 10_000;
/// Keys per conditional delete, and the most bytes of its `query`, so that
/// the URL stays short.
const DELETE_KEYS: usize = 100;
const DELETE_QUERY_BYTES: usize = 4000;

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

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Documents of the map.
    pub documents: usize,
    /// Of them, new or changed: upserted.
    pub saved: usize,
    /// Already in the collection as they are: not touched.
    pub unchanged: usize,
    /// Keys the map no longer has, deleted.
    pub deleted: usize,
    /// `batch_save` calls that succeeded.
    pub batches: usize,
    /// Retries over all calls.
    pub retries: u32,
}

/// Makes `collection` (in the client's app, owner `nobody`) hold exactly
/// `docs`, each of which must carry a string `_key`, without ever emptying
/// it (see the module docs). An empty `docs` deletes every document:
/// refuse an empty map before calling this unless that is meant.
pub fn sync_collection(
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
    let mut keys = Vec::with_capacity(docs.len());
    for (index, d) in docs.iter().enumerate() {
        match d.get("_key").and_then(Value::as_str) {
            Some(k) => keys.push(k),
            None => {
                return Err(Error::Document {
                    index,
                    reason: "it has no string `_key`".into(),
                })
            }
        }
    }
    let mut stats = Stats {
        documents: docs.len(),
        ..Stats::default()
    };
    let fields: Vec<&str> = docs
        .first()
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_else(|| vec!["_key"]);
    let existing = list(client, collection, &fields, &mut stats)?;

    // 2. Upsert what is new or changed.
    let changed: Vec<&Value> = docs
        .iter()
        .zip(&keys)
        .filter(|(d, k)| existing.get(**k).is_none_or(|old| !same(d, old)))
        .map(|(d, _)| d)
        .collect();
    stats.unchanged = docs.len() - changed.len();
    let chunks = pack(&changed, limits)?;
    let url =
        request::kv_batch_save_url(&client.config().api_url, &client.config().app, collection);
    for (i, body) in chunks.iter().enumerate() {
        let (res, retries) = client.call(
            &url,
            |http| {
                http.post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.bytes.clone())
            },
            log_retry(collection),
        );
        stats.retries += retries;
        if let Err(e) = res {
            tracing::error!(
                collection, batch = i + 1, batches = chunks.len(), saved = stats.saved,
                "KV store `{collection}`: batch {} of {} failed after {} documents were saved; every key still holds its old or its new document, and the next run finishes the update",
                i + 1,
                chunks.len(),
                stats.saved
            );
            return Err(e);
        }
        stats.batches += 1;
        stats.saved += body.count;
    }

    // 3. Delete the keys that are gone.
    let wanted: std::collections::HashSet<&str> = keys.into_iter().collect();
    let mut gone: Vec<&str> = existing
        .keys()
        .map(String::as_str)
        .filter(|k| !wanted.contains(k))
        .collect();
    gone.sort_unstable();
    for query in delete_queries(&gone) {
        let url =
            request::kv_collection_url(&client.config().api_url, &client.config().app, collection);
        let url = request::with_query(&url, &[("query", &query)]);
        let (res, retries) =
            client.call(&url, |http| http.delete(url.clone()), log_retry(collection));
        stats.retries += retries;
        res?;
    }
    stats.deleted = gone.len();
    Ok(stats)
}

/// Whether the listed document `old` holds every field of `new` as it is.
fn same(new: &Value, old: &Value) -> bool {
    match (new.as_object(), old.as_object()) {
        (Some(n), Some(o)) => n.iter().all(|(k, v)| o.get(k) == Some(v)),
        _ => false,
    }
}

fn log_retry(collection: &str) -> impl FnMut(&Error, u32, std::time::Duration) + '_ {
    move |e, n, d| {
        tracing::warn!(
            collection, retry = n, error = %e,
            "KV store `{collection}`: {e}; retry {n} in {:.1}s",
            d.as_secs_f64()
        );
    }
}

/// Step 1: what the collection holds, `_key` → document (its `fields` only),
/// page by page in `_key` order.
fn list(
    client: &Client,
    collection: &str,
    fields: &[&str],
    stats: &mut Stats,
) -> Result<HashMap<String, Value>, Error> {
    let cfg = client.config();
    let base = request::kv_collection_url(&cfg.api_url, &cfg.app, collection);
    let fields = fields.join(",");
    let limit = LIST_PAGE.to_string();
    let mut out = HashMap::new();
    loop {
        let skip = out.len().to_string();
        let url = request::with_query(
            &base,
            &[
                ("fields", fields.as_str()),
                ("sort", "_key"),
                ("limit", limit.as_str()),
                ("skip", skip.as_str()),
            ],
        );
        let (res, retries) = client.call(&url, |http| http.get(url.clone()), log_retry(collection));
        stats.retries += retries;
        let body = res?.bytes().map_err(|source| Error::Transport {
            url: segment_bridge_net::http::redact_url(&url),
            source: source.without_url(),
        })?;
        let page: Vec<Value> = serde_json::from_slice(&body).map_err(|e| Error::Listing {
            reason: e.to_string(),
        })?;
        let n = page.len();
        for doc in page {
            if let Some(k) = doc.get("_key").and_then(Value::as_str) {
                out.insert(k.to_owned(), doc);
            }
        }
        if n < LIST_PAGE {
            return Ok(out);
        }
    }
}

/// `{"$or":[{"_key":…},…]}` queries deleting `keys`, each short enough for
/// a URL.
fn delete_queries(keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<Value> = Vec::new();
    let mut bytes = 0;
    for k in keys {
        let clause = serde_json::json!({ "_key": k });
        let len = clause.to_string().len() + 1;
        if !cur.is_empty() && (cur.len() == DELETE_KEYS || bytes + len > DELETE_QUERY_BYTES) {
            out.push(serde_json::json!({ "$or": std::mem::take(&mut cur) }).to_string());
            bytes = 0;
        }
        bytes += len;
        cur.push(clause);
    }
    if !cur.is_empty() {
        out.push(serde_json::json!({ "$or": cur }).to_string());
    }
    out
}

/// Documents `{"_key": name, key_field: name, value_field: value}` from the
/// entries of a JSON object such as the uid map (username → SSO id).
pub fn docs_from_map<'a>(
    map: impl IntoIterator<Item = (&'a str, Value)>,
    key_field: &str,
    value_field: &str,
) -> Vec<Value> {
    map.into_iter()
        .map(|(k, v)| {
            let mut d = serde_json::Map::new();
            d.insert("_key".to_owned(), Value::String(k.to_owned()));
            d.insert(key_field.to_owned(), Value::String(k.to_owned()));
            d.insert(value_field.to_owned(), v);
            Value::Object(d)
        })
        .collect()
}

/// The map makers' `--kvstore` options: which collection to keep equal to
/// the map, and how to reach Splunk. Flatten into a tool's `Args`.
#[derive(Debug, Clone, clap::Args)]
pub struct PublishArgs {
    /// Keep this Splunk KV store collection equal to the map (upsert what
    /// changed, then delete what is gone; it is never empty meanwhile),
    /// instead of printing it.
    #[arg(long, value_name = "COLLECTION")]
    pub kvstore: Option<String>,

    /// Documents per `batch_save` call: the Splunk server's
    /// `max_documents_per_batch_save`.
    #[arg(long, default_value_t = DEFAULT_PER_CALL_LIMIT, value_name = "N")]
    pub kvstore_batch: usize,

    #[command(flatten)]
    pub splunk: super::ConnectionArgs,
}

/// A collection to publish a map into, with its client: built before any
/// cluster is read, so that a configuration problem exits 2 first.
pub struct Publisher {
    pub collection: String,
    client: Client,
    limits: Limits,
}

impl PublishArgs {
    /// The publisher, when `--kvstore` was given.
    pub fn publisher(&self) -> Result<Option<Publisher>, Error> {
        let Some(collection) = &self.kvstore else {
            return Ok(None);
        };
        Ok(Some(Publisher {
            collection: collection.clone(),
            client: self.splunk.client()?,
            limits: Limits {
                per_call: self.kvstore_batch,
                ..Limits::default()
            },
        }))
    }
}

/// A map that could not be published into its collection.
#[derive(Debug, thiserror::Error)]
#[error("cannot update KV store collection `{collection}`")]
pub struct PublishError {
    pub collection: String,
    #[source]
    pub source: Error,
}

impl segment_bridge_core::error::ToolError for PublishError {
    fn exit_status(&self) -> segment_bridge_core::exit::ExitStatus {
        self.source.exit_status()
    }
}

impl Publisher {
    /// Makes the collection hold `map` as documents `{"_key": name,
    /// key_field: name, value_field: value}`; returns the summary text.
    pub fn publish<'a>(
        &self,
        map: impl IntoIterator<Item = (&'a str, Value)>,
        key_field: &str,
        value_field: &str,
    ) -> Result<String, PublishError> {
        let docs = docs_from_map(map, key_field, value_field);
        let s = sync_collection(&self.client, &self.collection, &docs, self.limits).map_err(
            |source| PublishError {
                collection: self.collection.clone(),
                source,
            },
        )?;
        Ok(format!(
            "KV store collection `{}`: {} documents ({} saved in {} batches, {} unchanged, {} deleted)",
            self.collection, s.documents, s.saved, s.batches, s.unchanged, s.deleted
        ))
    }
}

#[derive(Debug)]
struct Chunk {
    bytes: Vec<u8>,
    count: usize,
}

/// Cuts `docs` into JSON-array bodies within `limits`, in order.
fn pack(docs: &[&Value], limits: Limits) -> Result<Vec<Chunk>, Error> {
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
        let refs: Vec<&Value> = docs.iter().collect();
        let chunks = pack(&refs, Limits::default()).unwrap();
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
        let chunks = pack(&refs[..10], limits).unwrap();
        assert!(chunks.iter().all(|c| c.bytes.len() <= 40));
        assert_eq!(chunks.iter().map(|c| c.count).sum::<usize>(), 10);

        let big = json!({"x": "y".repeat(100)});
        assert!(matches!(
            pack(&[&big], limits),
            Err(Error::Document { index: 0, .. })
        ));
        assert!(pack(&[], limits).unwrap().is_empty());
    }

    #[test]
    fn delete_queries_stay_short_and_name_every_key() {
        let keys: Vec<String> = (0..250).map(|i| format!("user{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let qs = delete_queries(&refs);
        assert_eq!(qs.len(), 3);
        let mut named = Vec::new();
        for q in &qs {
            assert!(q.len() <= DELETE_QUERY_BYTES + 20, "{}", q.len());
            let v: Value = serde_json::from_str(q).unwrap();
            for c in v["$or"].as_array().unwrap() {
                named.push(c["_key"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(named, keys);
        let long = "k".repeat(3000);
        assert_eq!(delete_queries(&[&long, &long]).len(), 2);
        assert!(delete_queries(&[]).is_empty());
    }

    #[test]
    fn docs_from_a_map() {
        let m = json!({"alice": 123, "bob": "x9"});
        let m = m.as_object().unwrap();
        let docs = docs_from_map(
            m.iter().map(|(k, v)| (k.as_str(), v.clone())),
            "username",
            "sso_id",
        );
        assert_eq!(
            docs,
            vec![
                json!({"_key": "alice", "username": "alice", "sso_id": 123}),
                json!({"_key": "bob", "username": "bob", "sso_id": "x9"}),
            ]
        );
        assert!(same(
            &docs[0],
            &json!({"_user": "nobody", "_key": "alice", "username": "alice", "sso_id": 123})
        ));
        assert!(!same(
            &docs[0],
            &json!({"_key": "alice", "username": "alice", "sso_id": "123"})
        ));
    }
}
