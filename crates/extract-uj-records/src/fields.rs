//! The fields Splunk extracts from one audit event, and the values the
//! evaluator works with.
//!
//! With `KV_MODE=json` Splunk names every leaf of the event by its path:
//! object keys joined with `.`, an array step written `{}` (so the `type` of
//! every status condition is one multivalue field
//! `responseObject.status.conditions{}.type`, its values in array order, one
//! per element that has a `type`). Keys that contain dots (label and
//! annotation names) are joined as they are, which is why the table can name
//! `responseObject.metadata.labels.appstudio.openshift.io/application`.
//! Leaf values are strings: a JSON string unescaped, a number as written, a
//! boolean as `true`/`false`. JSON `null` and empty objects or arrays give no
//! field. See `docs/audit-extraction.md` for the sources.

use std::collections::HashMap;

use serde_json::Value;

/// An eval value: null, one string, or a multivalue field's strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Null,
    One(String),
    Multi(Vec<String>),
}

impl Val {
    /// The value of a field with these values (none: null).
    pub fn of(values: &[String]) -> Val {
        match values {
            [] => Val::Null,
            [one] => Val::One(one.clone()),
            many => Val::Multi(many.to_vec()),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The values as a list (empty for null).
    pub fn values(&self) -> &[String] {
        match self {
            Val::Null => &[],
            Val::One(s) => std::slice::from_ref(s),
            Val::Multi(v) => v,
        }
    }

    /// The first value, which is what a scalar function sees of a
    /// multivalue field.
    pub fn first(&self) -> Option<&str> {
        self.values().first().map(String::as_str)
    }

    /// `mvindex(self, i)`: the `i`-th value (0-based, negative from the
    /// end), null when out of range.
    pub fn index(&self, i: i64) -> Val {
        let v = self.values();
        let len = i64::try_from(v.len()).unwrap_or(i64::MAX);
        let i = if i < 0 { len + i } else { i };
        usize::try_from(i)
            .ok()
            .and_then(|i| v.get(i))
            .map_or(Val::Null, |s| Val::One(s.clone()))
    }
}

/// One audit event: its parsed JSON (for `spath(_raw, …)`) and its
/// extracted fields.
#[derive(Debug)]
pub struct Event {
    pub json: Value,
    fields: HashMap<String, Vec<String>>,
}

impl Event {
    /// Extracts the fields of `json` (an object).
    pub fn new(json: Value) -> Event {
        let mut fields = HashMap::new();
        let mut path = String::new();
        flatten(&json, &mut path, &mut fields);
        Event { json, fields }
    }

    /// The values of a field (empty when the event has none).
    pub fn values(&self, name: &str) -> &[String] {
        self.fields.get(name).map_or(&[], Vec::as_slice)
    }
}

fn flatten(v: &Value, path: &mut String, out: &mut HashMap<String, Vec<String>>) {
    let len = path.len();
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                flatten(v, path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            path.push_str("{}");
            for item in items {
                flatten(item, path, out);
            }
            path.truncate(len);
        }
        Value::Null => {}
        leaf => {
            if let Some(s) = leaf_text(leaf) {
                out.entry(path.clone()).or_default().push(s);
            }
        }
    }
}

/// The text of a leaf as Splunk shows it: strings unescaped, numbers as
/// written (the workspace's serde_json keeps number literals), booleans as
/// words; `None` for null, objects and arrays.
pub fn leaf_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `spath(input, path)`: the values at `path` in the JSON `root`.
///
/// A path is steps separated by `.`, each a key with an optional `{n}` (the
/// `n`-th array element, 0-based for JSON) or `{}` (every element). A leaf
/// gives its text, an object or array its compact JSON text; nothing found
/// gives null.
pub fn spath(root: &Value, path: &str) -> Val {
    let mut current: Vec<&Value> = vec![root];
    for step in path.split('.') {
        let (key, index) = match step.find('{') {
            Some(i) => (&step[..i], Some(&step[i..])),
            None => (step, None),
        };
        let mut next = Vec::new();
        for v in current {
            let v = if key.is_empty() { Some(v) } else { v.get(key) };
            let Some(v) = v else { continue };
            match index {
                None => next.push(v),
                Some(idx) => select(v, idx, &mut next),
            }
        }
        current = next;
    }
    let texts: Vec<String> = current
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(_) | Value::Array(_) => Some(v.to_string()),
            other => leaf_text(other),
        })
        .collect();
    match texts.len() {
        0 => Val::Null,
        1 => Val::One(texts.into_iter().next().unwrap_or_default()),
        _ => Val::Multi(texts),
    }
}

/// Applies `{n}` / `{}` index steps (possibly several: `{0}{1}`) to `v`.
fn select<'a>(v: &'a Value, idx: &str, out: &mut Vec<&'a Value>) {
    let mut current = vec![v];
    for part in idx.split('}').filter(|p| !p.is_empty()) {
        let part = part.trim_start_matches('{');
        let mut next = Vec::new();
        for v in current {
            let Value::Array(items) = v else { continue };
            if part.is_empty() {
                next.extend(items.iter());
            } else if let Some(item) = part.parse::<usize>().ok().and_then(|i| items.get(i)) {
                next.push(item);
            }
        }
        current = next;
    }
    out.extend(current);
}

/// The fields one event has at one point of the pipeline: the extracted
/// ones, the fixed ones of its index, and those computed by earlier steps.
pub struct Env<'e> {
    pub(crate) event: &'e Event,
    fixed: &'e [(&'static str, String)],
    computed: Vec<(String, Val)>,
    /// `status_condition_index` of a `StatusCondition` step.
    pub(crate) condition_index: Option<i64>,
}

impl<'e> Env<'e> {
    pub fn new(event: &'e Event, fixed: &'e [(&'static str, String)]) -> Env<'e> {
        Env {
            event,
            fixed,
            computed: Vec::new(),
            condition_index: None,
        }
    }

    /// The values of a field.
    pub fn values(&self, name: &str) -> &[String] {
        if let Some((_, v)) = self.computed.iter().rev().find(|(n, _)| n == name) {
            return v.values();
        }
        if let Some((_, v)) = self.fixed.iter().find(|(n, _)| *n == name) {
            return std::slice::from_ref(v);
        }
        self.event.values(name)
    }

    pub fn get(&self, name: &str) -> Val {
        Val::of(self.values(name))
    }

    pub(crate) fn set(&mut self, name: &str, v: Val) {
        self.computed.push((name.to_owned(), v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_keys_join_with_dots_and_arrays_become_multivalue_fields() {
        let e = Event::new(json!({
            "objectRef": {"resource": "components"},
            "responseStatus": {"code": 200},
            "responseObject": {
                "metadata": {"labels": {"appstudio.openshift.io/application": "app"}},
                "status": {"conditions": [
                    {"type": "Succeeded", "reason": "Running"},
                    {"type": "Ready"},
                ]},
            },
            "flag": true,
            "gone": null,
            "empty": [],
        }));
        assert_eq!(e.values("objectRef.resource"), ["components"]);
        assert_eq!(e.values("responseStatus.code"), ["200"]);
        assert_eq!(
            e.values("responseObject.metadata.labels.appstudio.openshift.io/application"),
            ["app"]
        );
        assert_eq!(
            e.values("responseObject.status.conditions{}.type"),
            ["Succeeded", "Ready"]
        );
        // One value per element that has the key: indexes can shift.
        assert_eq!(
            e.values("responseObject.status.conditions{}.reason"),
            ["Running"]
        );
        assert_eq!(e.values("flag"), ["true"]);
        assert!(e.values("gone").is_empty() && e.values("empty{}").is_empty());
    }

    #[test]
    fn spath_indexes_arrays_from_zero_and_prints_objects_as_json() {
        let raw = json!({"requestObject": [{"path": "/a", "value": "x"}, {"path": "/b"}],
                         "o": {"k": [1, 2]}});
        assert_eq!(spath(&raw, "requestObject{0}.path"), Val::One("/a".into()));
        assert_eq!(spath(&raw, "requestObject{1}.path"), Val::One("/b".into()));
        assert_eq!(spath(&raw, "requestObject{2}.path"), Val::Null);
        assert_eq!(
            spath(&raw, "requestObject{}.path"),
            Val::Multi(vec!["/a".into(), "/b".into()])
        );
        assert_eq!(spath(&raw, "o"), Val::One(r#"{"k":[1,2]}"#.into()));
        assert_eq!(spath(&raw, "o.missing"), Val::Null);
    }

    #[test]
    fn mvindex_counts_from_either_end() {
        let v = Val::Multi(vec!["a".into(), "b".into()]);
        assert_eq!(v.index(0), Val::One("a".into()));
        assert_eq!(v.index(-1), Val::One("b".into()));
        assert_eq!(v.index(2), Val::Null);
        assert_eq!(Val::Null.index(0), Val::Null);
    }
}
