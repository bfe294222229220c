//! What one stand-in cluster holds: its objects by resource, the counters
//! the API server keeps (resource version, uids, compactions), and how it
//! is told to behave (token, faults, delay), with the requests it received.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::ResourceDef;
use crate::faults::Schedule;
use crate::recording::Log;

/// An object's key: (namespace or "" for cluster-scoped, name).
pub(super) type Key = (String, String);

#[derive(Default)]
pub(super) struct State_ {
    pub(super) objects: BTreeMap<&'static str, BTreeMap<Key, Value>>, // by plural
    pub(super) resource_version: u64,
    pub(super) uid_counter: u64,
    /// Bumped by `compact`: tokens issued before are expired.
    pub(super) compaction: u64,
    pub(super) token: Option<String>,
    pub(super) fail_all: Option<u16>,
    /// Statuses that resource requests answer, and when.
    pub(super) faults: Schedule<u16>,
    pub(super) expire_next_continue: u32,
    pub(super) delay: Duration,
    pub(super) requests: Log,
}

impl State_ {
    /// Fills in what the API server owns: namespace, uid, resourceVersion,
    /// creationTimestamp (kept from `old` on updates).
    pub(super) fn stamp(
        &mut self,
        res: &ResourceDef,
        ns: &str,
        mut obj: Value,
        old: Option<&Value>,
    ) -> Value {
        self.resource_version += 1;
        let rv = self.resource_version.to_string();
        let o = object_mut(&mut obj);
        o.insert("apiVersion".into(), json!(res.api_version()));
        o.insert("kind".into(), json!(res.kind));
        let m = object_mut(o.entry("metadata").or_insert_with(|| json!({})));
        if res.namespaced {
            m.insert("namespace".into(), json!(ns));
        }
        let old_meta = old.and_then(|o| o.get("metadata"));
        let uid = match old_meta.and_then(|m| m.get("uid")) {
            Some(u) => u.clone(),
            None => match m.get("uid") {
                Some(u) => u.clone(),
                None => {
                    self.uid_counter += 1;
                    json!(format!("00000000-0000-4000-8000-{:012x}", self.uid_counter))
                }
            },
        };
        m.insert("uid".into(), uid);
        let created = old_meta
            .and_then(|m| m.get("creationTimestamp"))
            .cloned()
            .or_else(|| m.get("creationTimestamp").cloned())
            .unwrap_or_else(|| json!("2024-01-01T00:00:00Z"));
        m.insert("creationTimestamp".into(), created);
        m.insert("resourceVersion".into(), json!(rv));
        obj
    }
}

/// `v` as an object, replacing whatever else it was with `{}` (a client may
/// send any JSON; the stand-in stores objects).
fn object_mut(v: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(serde_json::Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("replaced by an object above"),
    }
}
