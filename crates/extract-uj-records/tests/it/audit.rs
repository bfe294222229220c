//! Audit events for the tests: a realistic base event per kind, changed
//! field by field to make the near misses.

use extract_uj_records::{extract, window::Window, Settings, Summary};
use querygen::kind::Kind;
use querygen::table::KINDS;
use serde_json::{json, Value};

pub fn kind(name: &str) -> Kind {
    *KINDS.iter().find(|k| k.name == name).expect("kind")
}

/// An audit event of `verb` on `resource` by alice, answered `code`.
pub fn event(id: &str, verb: &str, group: &str, resource: &str, code: u16) -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": id,
        "stage": "ResponseComplete",
        "requestURI": format!("/apis/{group}/v1/namespaces/alice-tenant/{resource}/x"),
        "verb": verb,
        "user": {"username": "alice", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.1"],
        "userAgent": "kubectl/v1.27.3",
        "objectRef": {
            "resource": resource,
            "namespace": "alice-tenant",
            "name": "x",
            "apiGroup": group,
            "apiVersion": if group == "tekton.dev" { "v1" } else { "v1alpha1" },
        },
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": "2024-03-03T08:00:00.000000Z",
        "stageTimestamp": "2024-03-03T08:00:00.050000Z",
    })
}

/// Sets `path` (`a.b.c`, keys only) in `v`, creating objects on the way.
pub fn set(mut v: Value, path: &[&str], value: Value) -> Value {
    let mut cur = &mut v;
    for (i, key) in path.iter().enumerate() {
        if i + 1 == path.len() {
            cur[*key] = value;
            break;
        }
        if cur.get(*key).is_none() {
            cur[*key] = json!({});
        }
        cur = &mut cur[*key];
    }
    v
}

/// Removes `path` from `v`.
pub fn unset(mut v: Value, path: &[&str]) -> Value {
    let (last, parents) = path.split_last().expect("path");
    let mut cur = &mut v;
    for key in parents {
        cur = &mut cur[*key];
    }
    if let Some(m) = cur.as_object_mut() {
        m.shift_remove(*last);
    }
    v
}

/// The lines `extract` prints for `events` (compact JSON, one per line)
/// with only `kinds`, and its figures.
pub fn run(kinds: &[Kind], events: &[Value]) -> (Vec<String>, Summary) {
    let input: String = events.iter().map(|e| format!("{e}\n")).collect();
    run_text(kinds, &input, Window::default())
}

pub fn run_text(kinds: &[Kind], input: &str, window: Window) -> (Vec<String>, Summary) {
    run_with(
        kinds,
        input,
        Settings {
            window,
            ..Settings::default()
        },
    )
}

pub fn run_with(kinds: &[Kind], input: &str, settings: Settings) -> (Vec<String>, Summary) {
    let mut out = Vec::new();
    let mut rejects = segment_bridge_core::rejects::Rejects::open(None).expect("no file");
    let summary = extract(
        kinds,
        settings,
        &mut rejects,
        &mut input.as_bytes(),
        &mut out,
    )
    .expect("extract");
    let text = String::from_utf8(out).expect("utf-8");
    (text.lines().map(str::to_owned).collect(), summary)
}

/// An export row line: `result` built from `(column, value)` pairs, with
/// `properties` and `context` given as JSON values (printed compact).
pub fn row(offset: usize, last: bool, result: Value) -> String {
    let lastrow = if last { ",\"lastrow\":true" } else { "" };
    format!("{{\"preview\":false,\"offset\":{offset}{lastrow},\"result\":{result}}}")
}

/// The `result` of a row: the columns in `fields` order.
pub fn result(top: &[(&str, &str)], properties: Value) -> Value {
    let mut m = serde_json::Map::new();
    let props = properties.to_string();
    let ctx = json!({"userAgent": "kubectl/v1.27.3"}).to_string();
    let mut cols: Vec<(&str, String)> = top.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    cols.push(("properties", props));
    cols.push(("context", ctx));
    cols.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in cols {
        m.insert(k.to_owned(), Value::String(v));
    }
    Value::Object(m)
}

pub const NO_ROWS: &str = r#"{"preview":false,"lastrow":true}"#;
