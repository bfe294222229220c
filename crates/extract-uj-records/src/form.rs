//! The forms audit events arrive in, and how each gives back the events.
//!
//! The API server writes one `audit.k8s.io` Event per line, but what a user
//! has is usually what a collector made of it: a webhook batch, a log
//! forwarder's record with the event merged in or carried as a string, a
//! cloud provider's export. Each value of the input (a line, or a value of
//! a JSON text stream) is one *record*; this module finds the events in it.
//!
//! Detection looks at the record's own keys, most specific first, so that
//! one log may mix forms (as real exports do). A record whose form is not
//! recognised is reported, never taken as noise: silently giving no rows
//! is the failure this module exists to prevent. `--input-form` forces one
//! form for every record. The forms and their sources are listed in
//! `docs/audit-extraction.md` ("Input forms").

use std::fmt;

use serde_json::{Map, Value};

/// How deep wrappers may nest (a string in a record in a batch).
const MAX_NESTING: u8 = 4;

/// The input forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Form {
    /// Detect the form of each record from its keys.
    #[default]
    Auto,
    /// `audit.k8s.io` Event objects, as the API server writes them (also
    /// OpenShift's ClusterLogForwarder/Vector records, which merge the
    /// event's fields at the top level).
    Event,
    /// `{"kind":"EventList","items":[…]}`: the API server's webhook batch.
    EventList,
    /// `[…]`: a JSON array of events (Vector's `http` output).
    Array,
    /// `{"event":…}`: Splunk's HTTP event collector.
    Hec,
    /// `{"log":"…"}`: Fluent Bit, fluentd.
    Log,
    /// `{"message":"…"}`: Elastic/Logstash, CloudWatch Logs log events
    /// (and `{"logEvents":[…]}` batches).
    Message,
    /// `{"records":[{"properties":{"log":…}}]}` or one such record: AKS
    /// diagnostic logs through Event Hubs or a storage account.
    Aks,
    /// `{"kubernetes":{"audit":{…}}}`: an Elastic-indexed document
    /// (`event.original` when kept).
    Ecs,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use clap::ValueEnum;
        match self.to_possible_value() {
            Some(v) => f.write_str(v.get_name()),
            None => f.write_str("?"),
        }
    }
}

/// Why a record gave no event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unrecognised {
    #[error("not an audit event nor a known wrapper of one (see --input-form)")]
    Unknown,
    #[error("not in the form `{0}` given by --input-form")]
    NotForced(Form),
    #[error("the `{0}` text is not a JSON audit event")]
    BadInner(&'static str),
    #[error("wrappers nested too deep")]
    TooDeep,
}

/// What a record holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// An audit event.
    Event(Value),
    /// A log forwarder's record of another log (`log_type` other than
    /// `audit`: a container or node log): no audit event, and no error
    /// either; Splunk's audit index would not match it.
    OtherLog,
    /// Nothing we can read as an audit event.
    Bad(Unrecognised),
}

/// The events of one record, or why there are none.
pub fn events(record: Value, form: Form, out: &mut Vec<Found>) {
    match form {
        Form::Auto => auto(record, 0, out),
        forced => {
            let before = out.len();
            if !unwrap_as(forced, record, 0, out) {
                out.truncate(before);
                out.push(Found::Bad(Unrecognised::NotForced(forced)));
            }
        }
    }
}

/// Detects the form of `record`.
fn auto(record: Value, depth: u8, out: &mut Vec<Found>) {
    if depth > MAX_NESTING {
        out.push(Found::Bad(Unrecognised::TooDeep));
        return;
    }
    let form = match &record {
        // A list of scalars is no batch of events: one bad record.
        Value::Array(items)
            if !items.is_empty() && !items.iter().any(|v| v.is_object() || v.is_array()) =>
        {
            out.push(Found::Bad(Unrecognised::Unknown));
            return;
        }
        Value::Array(_) => Form::Array,
        Value::Object(m) if m.get("log_type").is_some_and(|t| t != "audit") => {
            out.push(Found::OtherLog);
            return;
        }
        Value::Object(m) => match detect(m) {
            Some(f) => f,
            None => {
                out.push(Found::Bad(Unrecognised::Unknown));
                return;
            }
        },
        _ => {
            out.push(Found::Bad(Unrecognised::Unknown));
            return;
        }
    };
    // `detect` only names a form whose keys are there.
    unwrap_as(form, record, depth, out);
}

/// Keys of which an audit event has at least one (every one has all but
/// `objectRef`); the pre-filter looks for the same (`prefilter::MARKERS`).
pub const EVENT_KEYS: [&str; 4] = ["auditID", "verb", "requestURI", "objectRef"];

/// The form an object's keys say, most specific first.
fn detect(m: &Map<String, Value>) -> Option<Form> {
    let has = |k: &str| m.contains_key(k);
    Some(if EVENT_KEYS.iter().any(|k| has(k)) {
        Form::Event
    } else if m.get("kind").and_then(Value::as_str) == Some("EventList") {
        Form::EventList
    } else if has("records") || m.get("properties").is_some_and(|p| p.get("log").is_some()) {
        Form::Aks
    } else if m
        .get("kubernetes")
        .is_some_and(|k| k.get("audit").is_some())
    {
        Form::Ecs
    } else if has("event") {
        Form::Hec
    } else if has("log") {
        Form::Log
    } else if has("message") || has("logEvents") {
        Form::Message
    } else {
        return None;
    })
}

/// Takes `record` as `form`; `false` when it is not in that form.
fn unwrap_as(form: Form, record: Value, depth: u8, out: &mut Vec<Found>) -> bool {
    let next = depth + 1;
    match (form, record) {
        (Form::Auto, r) => auto(r, depth, out),
        (Form::Event, Value::Object(m)) => out.push(event(m)),
        (Form::Array, Value::Array(items)) => {
            items.into_iter().for_each(|v| auto(v, next, out));
        }
        (Form::EventList, Value::Object(mut m)) => match m.remove("items") {
            Some(Value::Array(items)) => items.into_iter().for_each(|v| auto(v, next, out)),
            _ => return false,
        },
        (Form::Hec, Value::Object(mut m)) => match m.remove("event") {
            Some(inner) => inner_event("event", inner, next, out),
            None => return false,
        },
        (Form::Log, Value::Object(mut m)) => match m.remove("log") {
            Some(inner) => inner_event("log", inner, next, out),
            None => return false,
        },
        (Form::Message, Value::Object(mut m)) => {
            if let Some(Value::Array(batch)) = m.remove("logEvents") {
                for mut e in batch {
                    match e.get_mut("message").map(Value::take) {
                        Some(inner) => inner_event("message", inner, next, out),
                        None => out.push(Found::Bad(Unrecognised::BadInner("message"))),
                    }
                }
            } else {
                match m.remove("message") {
                    Some(inner) => inner_event("message", inner, next, out),
                    None => return false,
                }
            }
        }
        (Form::Aks, Value::Object(mut m)) => match m.remove("records") {
            Some(Value::Array(records)) => {
                for r in records {
                    if !unwrap_as(Form::Aks, r, next, out) {
                        out.push(Found::Bad(Unrecognised::BadInner("properties.log")));
                    }
                }
            }
            Some(_) => return false,
            None => match m.get_mut("properties").and_then(|p| p.get_mut("log")) {
                Some(inner) => inner_event("properties.log", inner.take(), next, out),
                None => return false,
            },
        },
        (Form::Ecs, Value::Object(mut m)) => {
            let original = m
                .get_mut("event")
                .and_then(|e| e.get_mut("original"))
                .map(Value::take);
            let audit = m.get_mut("kubernetes").and_then(|k| k.get_mut("audit"));
            match (original, audit) {
                (Some(text @ Value::String(_)), _) => {
                    inner_event("event.original", text, next, out)
                }
                (_, Some(audit)) => inner_event("kubernetes.audit", audit.take(), next, out),
                _ => return false,
            }
        }
        _ => return false,
    }
    true
}

/// An event carried inside a wrapper, as an object or as JSON text.
fn inner_event(key: &'static str, inner: Value, depth: u8, out: &mut Vec<Found>) {
    match inner {
        Value::String(text) => match serde_json::from_str::<Value>(text.trim_end()) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => auto(v, depth, out),
            _ => out.push(Found::Bad(Unrecognised::BadInner(key))),
        },
        v @ Value::Object(_) => auto(v, depth, out),
        _ => out.push(Found::Bad(Unrecognised::BadInner(key))),
    }
}

/// An event object as the API server wrote it. OpenShift's log forwarder
/// overwrites `level` with its own (`"default"`) and keeps the audit level
/// in `k8s_audit_level`: put it back.
fn event(mut m: Map<String, Value>) -> Found {
    if let Some(level) = m.get("k8s_audit_level").cloned() {
        m.insert("level".to_owned(), level);
    }
    Found::Event(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use Found::Bad;

    fn all(record: Value, form: Form) -> Vec<Found> {
        let mut out = Vec::new();
        events(record, form, &mut out);
        out
    }

    #[test]
    fn wrappers_give_the_event() {
        let ev = json!({"auditID": "a", "verb": "create"});
        let text = ev.to_string();
        let forms = [
            json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [ev]}),
            json!([ev]),
            json!({"event": ev}),
            json!({"event": text}),
            json!({"log": format!("{text}\n")}),
            json!({"message": text}),
            json!({"logEvents": [{"id": "1", "timestamp": 0, "message": text}]}),
            json!({"records": [{"category": "kube-audit", "properties": {"log": text}}]}),
            json!({"category": "kube-audit", "properties": {"log": ev}}),
            json!({"kubernetes": {"audit": ev}}),
            json!({"kubernetes": {"audit": {"x": 1}}, "event": {"original": text}}),
        ];
        for f in forms {
            assert_eq!(
                all(f.clone(), Form::Auto),
                vec![Found::Event(ev.clone())],
                "{f}"
            );
        }
    }

    #[test]
    fn forwarder_level_is_put_back() {
        let clf = json!({"auditID": "a", "level": "default", "k8s_audit_level": "Metadata"});
        let got = all(clf, Form::Auto);
        let Found::Event(ev) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(ev["level"], "Metadata");
        let infra = json!({"log_type": "infrastructure", "message": "started", "kubernetes": {}});
        assert_eq!(all(infra, Form::Auto), vec![Found::OtherLog]);
    }

    #[test]
    fn unknown_records_are_reported() {
        assert_eq!(
            all(json!({"a": true}), Form::Auto),
            vec![Bad(Unrecognised::Unknown)]
        );
        assert_eq!(
            all(json!("x"), Form::Auto),
            vec![Bad(Unrecognised::Unknown)]
        );
        assert_eq!(
            all(json!({"log": "plain text"}), Form::Auto),
            vec![Bad(Unrecognised::BadInner("log"))]
        );
        assert_eq!(all(json!([]), Form::Auto), vec![]);
        assert_eq!(
            all(json!(["a", 1]), Form::Auto),
            vec![Bad(Unrecognised::Unknown)]
        );
        assert_eq!(
            all(json!({"auditID": "a"}), Form::Log),
            vec![Bad(Unrecognised::NotForced(Form::Log))]
        );
        let mut deep = json!({"auditID": "a"});
        for _ in 0..10 {
            deep = json!([deep]);
        }
        assert_eq!(all(deep, Form::Auto), vec![Bad(Unrecognised::TooDeep)]);
    }
}
