//! The verbs on stored objects: list (label selectors, `limit`/`continue`
//! pagination, expired continue tokens), get, create, replace and delete,
//! with the validation the real API server does that matters here (the
//! 1 MiB ConfigMap limit).

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::request::{status_body, Target};
use super::selectors::{parse_selector, Requirement};
use super::state::{Key, State_};
use super::{CONFIGMAPS, CONFIGMAP_MAX_BYTES};

/// A continue token: where the next page starts, and the compaction it was
/// issued under (a later compaction expires it).
#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    compaction: u64,
    start: (String, String),
    /// How many matched after `start` when it was issued (without a
    /// selector): the next page's `remainingItemCount` is this less that
    /// page, without going over every object again (which made a list of a
    /// million objects quadratic). 0 in a token without it: counted.
    #[serde(default)]
    remaining: usize,
}

/// What a list request asks for.
struct ListQuery {
    reqs: Vec<Requirement>,
    /// 0: no limit.
    limit: usize,
    /// List after this key (from a continue token).
    start: Option<Key>,
    /// The token's `remaining`.
    remaining: usize,
}

type Answer = (StatusCode, Value);

impl State_ {
    pub(super) fn list(&mut self, t: &Target, q: &BTreeMap<String, String>) -> Answer {
        let lq = match self.list_query(q) {
            Ok(lq) => lq,
            Err(e) => return e,
        };
        let (items, more) = self.page(t, &lq);
        let mut meta = json!({"resourceVersion": self.resource_version.to_string()});
        if let Some((last, remaining)) = more {
            let tok = ContinueToken {
                rv: self.resource_version,
                compaction: self.compaction,
                start: last,
                remaining,
            };
            let tok = serde_json::to_vec(&tok).unwrap_or_default();
            meta["continue"] = json!(base64::engine::general_purpose::STANDARD.encode(tok));
            if lq.reqs.is_empty() {
                meta["remainingItemCount"] = json!(remaining);
            }
        }
        (
            StatusCode::OK,
            json!({
                "kind": format!("{}List", t.res.kind),
                "apiVersion": t.res.api_version(),
                "metadata": meta,
                "items": items,
            }),
        )
    }

    /// The selector, limit and continue token of a list; an expired token
    /// (after a compaction, or told to) is a 410 Gone.
    fn list_query(&mut self, q: &BTreeMap<String, String>) -> Result<ListQuery, Answer> {
        let bad = |m: String| status_body(StatusCode::BAD_REQUEST, "BadRequest", m);
        let selector = q.get("labelSelector").map_or("", String::as_str);
        let reqs = parse_selector(selector)
            .map_err(|e| bad(format!("unable to parse requirement: {e}")))?;
        let limit = match q.get("limit") {
            None => 0,
            Some(l) => l.parse().map_err(|_| bad("invalid limit".into()))?,
        };
        let Some(tok) = q.get("continue").filter(|c| !c.is_empty()) else {
            return Ok(ListQuery {
                reqs,
                limit,
                start: None,
                remaining: 0,
            });
        };
        let tok = base64::engine::general_purpose::STANDARD
            .decode(tok)
            .ok()
            .and_then(|b| serde_json::from_slice::<ContinueToken>(&b).ok())
            .ok_or_else(|| bad("continue key is not valid".into()))?;
        if self.expire_next_continue > 0 || tok.compaction < self.compaction {
            self.expire_next_continue = self.expire_next_continue.saturating_sub(1);
            return Err(status_body(
                StatusCode::GONE,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
            ));
        }
        Ok(ListQuery {
            reqs,
            limit,
            start: Some(tok.start),
            remaining: tok.remaining,
        })
    }

    /// One page of the matching objects, and when more match, the last key
    /// served and how many remain (without a selector the exact count, as
    /// the real server reports it; with one, 1).
    fn page(&self, t: &Target, lq: &ListQuery) -> (Vec<Value>, Option<(Key, usize)>) {
        let empty = BTreeMap::new();
        let all = self.objects.get(t.res.plural).unwrap_or(&empty);
        let no_labels = Map::new();
        // Keys sort by namespace first: a namespace's objects are one range.
        let after = match (&lq.start, &t.namespace) {
            (Some(s), Some(ns)) if s.0 < *ns => all.range((ns.clone(), String::new())..),
            (Some(s), _) => all.range((Bound::Excluded(s.clone()), Bound::Unbounded)),
            (None, Some(ns)) => all.range((ns.clone(), String::new())..),
            (None, None) => all.range::<Key, _>(..),
        };
        let mut matching = after
            .take_while(|(k, _)| t.namespace.as_ref().is_none_or(|ns| &k.0 == ns))
            .filter(|(_, v)| {
                let labels = v
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .unwrap_or(&no_labels);
                lq.reqs.iter().all(|r| r.matches(labels))
            });
        let mut items = Vec::new();
        let mut last: Option<&Key> = None;
        for (k, v) in matching.by_ref() {
            items.push(v.clone());
            last = Some(k);
            if lq.limit != 0 && items.len() == lq.limit {
                break;
            }
        }
        let more = matching.next().is_some();
        let remaining = match (more, lq.reqs.is_empty(), lq.remaining) {
            (false, _, _) => 0,
            (true, false, _) => 1,
            // Objects created since the token was issued can make the
            // estimate short; never below the one seen.
            (true, true, r) if r > 0 => r.saturating_sub(items.len()).max(1),
            (true, true, _) => 1 + matching.count(),
        };
        let more = last
            .filter(|_| remaining > 0)
            .map(|k| (k.clone(), remaining));
        (items, more)
    }

    pub(super) fn key(t: &Target, name: &str) -> Key {
        let ns = if t.res.namespaced {
            t.namespace.clone().unwrap_or_default()
        } else {
            String::new()
        };
        (ns, name.to_owned())
    }

    pub(super) fn not_found(t: &Target, name: &str) -> (StatusCode, Value) {
        let message = if t.res.group.is_empty() {
            format!("{} \"{name}\" not found", t.res.plural)
        } else {
            format!("{}.{} \"{name}\" not found", t.res.plural, t.res.group)
        };
        let (code, mut v) = status_body(StatusCode::NOT_FOUND, "NotFound", message);
        v["details"] = json!({"name": name, "group": t.res.group, "kind": t.res.plural});
        (code, v)
    }

    pub(super) fn get_one(&self, t: &Target, name: &str) -> (StatusCode, Value) {
        match self
            .objects
            .get(t.res.plural)
            .and_then(|m| m.get(&Self::key(t, name)))
        {
            Some(v) => (StatusCode::OK, v.clone()),
            None => Self::not_found(t, name),
        }
    }

    pub(super) fn parse_body(body: &[u8]) -> Result<Value, (StatusCode, Value)> {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(status_body(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the stand-in accepts JSON object bodies only",
            )),
        }
    }

    /// Validation the real API server does that matters here.
    pub(super) fn validate(t: &Target, name: &str, obj: &Value) -> Result<(), (StatusCode, Value)> {
        if t.res.kind != CONFIGMAPS.kind {
            return Ok(());
        }
        let mut size = 0usize;
        if let Some(data) = obj.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                size += k.len() + v.as_str().map_or(0, str::len);
            }
        }
        if let Some(data) = obj.get("binaryData").and_then(Value::as_object) {
            for (k, v) in data {
                let n = v
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .map_or(0, |b| b.len());
                size += k.len() + n;
            }
        }
        if size > CONFIGMAP_MAX_BYTES {
            let (code, mut v) = status_body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                format!(
                    "ConfigMap \"{name}\" is invalid: []: Too long: must have at most {CONFIGMAP_MAX_BYTES} bytes"
                ),
            );
            v["details"] = json!({"name": name, "kind": "ConfigMap"});
            return Err((code, v));
        }
        Ok(())
    }

    /// Optimistic concurrency: a write that names a
    /// `metadata.resourceVersion` goes through only when it is the stored
    /// object's; otherwise 409 `Conflict`, as the API server answers (a
    /// write without one is unconditional).
    pub(super) fn precondition(
        t: &Target,
        name: &str,
        sent: &Value,
        old: Option<&Value>,
    ) -> Result<(), (StatusCode, Value)> {
        let rv = |v: &Value| {
            v.pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let Some(wanted) = rv(sent).filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        if old.and_then(rv).as_deref() == Some(wanted.as_str()) {
            return Ok(());
        }
        let (code, mut v) = status_body(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                t.res.plural
            ),
        );
        v["details"] = json!({"name": name, "kind": t.res.plural});
        Err((code, v))
    }

    pub(super) fn store(
        &mut self,
        t: &Target,
        name: &str,
        obj: Value,
        old: Option<&Value>,
    ) -> Value {
        let key = Self::key(t, name);
        let obj = self.stamp(&t.res, &key.0, obj, old);
        self.objects
            .entry(t.res.plural)
            .or_default()
            .insert(key, obj.clone());
        obj
    }

    pub(super) fn existing(&self, t: &Target, name: &str) -> Option<Value> {
        self.objects
            .get(t.res.plural)
            .and_then(|m| m.get(&Self::key(t, name)))
            .cloned()
    }

    pub(super) fn create(&mut self, t: &Target, body: &[u8]) -> (StatusCode, Value) {
        if t.res.namespaced && t.namespace.is_none() {
            return status_body(StatusCode::NOT_FOUND, "NotFound", "namespace required");
        }
        let obj = match Self::parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let Some(name) = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return status_body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "metadata.name: Required value: name is required",
            );
        };
        if self.existing(t, &name).is_some() {
            return status_body(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", t.res.plural),
            );
        }
        if let Err(e) = Self::validate(t, &name, &obj) {
            return e;
        }
        (StatusCode::CREATED, self.store(t, &name, obj, None))
    }

    pub(super) fn replace(&mut self, t: &Target, name: &str, body: &[u8]) -> (StatusCode, Value) {
        let obj = match Self::parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let Some(old) = self.existing(t, name) else {
            return Self::not_found(t, name);
        };
        if let Err(e) = Self::precondition(t, name, &obj, Some(&old)) {
            return e;
        }
        if let Err(e) = Self::validate(t, name, &obj) {
            return e;
        }
        (StatusCode::OK, self.store(t, name, obj, Some(&old)))
    }

    pub(super) fn delete(&mut self, t: &Target, name: &str) -> (StatusCode, Value) {
        match self
            .objects
            .get_mut(t.res.plural)
            .and_then(|m| m.remove(&Self::key(t, name)))
        {
            Some(v) => (StatusCode::OK, v),
            None => Self::not_found(t, name),
        }
    }
}
