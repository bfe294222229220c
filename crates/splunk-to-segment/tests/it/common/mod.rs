//! Helpers shared by the integration tests: run the real binary with maps
//! in temporary files, and a reference implementation of the transform
//! (`docs/tools/splunk-to-segment.md`) over
//! `serde_json::Value` to compare the fast path against.

pub mod gen;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// `name` under the reference fixtures of this tool (`fixtures/s2s`).
pub fn fixture(name: &str) -> PathBuf {
    testkit::fixture(Path::new("s2s").join(name))
}

/// A directory holding `uid-map.json` and `ws-map.json`.
pub struct Maps {
    pub dir: tempfile::TempDir,
}

impl Maps {
    pub fn new(uid: &str, ws: &str) -> Maps {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("uid-map.json"), uid).unwrap();
        std::fs::write(dir.path().join("ws-map.json"), ws).unwrap();
        Maps { dir }
    }

    /// The maps most tests use: namespace `ns` owned by `owner` (id 100),
    /// users `alice` (1), `""` (the empty name, 2), `zero` (0), `nope`
    /// (false), `big` (a big integer), `float` (1.0).
    pub fn standard() -> Maps {
        Maps::new(
            r#"{"owner":100,"alice":1,"":2,"zero":0,"nope":false,"big":123456789012345678901234567890,"float":1.0,"zero-owner":0}"#,
            r#"{"ns":"owner","ns-zero":"zero-owner","ns-unknown-owner":"ghost","ns-false":false,"ns-num":5}"#,
        )
    }

    pub fn uid(&self) -> PathBuf {
        self.dir.path().join("uid-map.json")
    }

    pub fn ws(&self) -> PathBuf {
        self.dir.path().join("ws-map.json")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("splunk-to-segment").unwrap();
        c.env_remove("UID_MAP_FILE")
            .env_remove("WS_MAP_FILE")
            .env_remove("LOG_FORMAT")
            .env_remove("LOG_LEVEL")
            .env_remove("PUSHGATEWAY_URL")
            .arg("--uid-map")
            .arg(self.uid())
            .arg("--ws-map")
            .arg(self.ws());
        c
    }
}

/// One export row around `result` (a JSON text).
pub fn row(result: &str) -> String {
    format!(r#"{{"preview":false,"offset":0,"lastrow":false,"result":{result}}}"#)
}

/// A result in namespace `ns` with the given extra members (JSON text,
/// leading comma included) and string-encoded properties/context.
pub fn result(extra: &str) -> String {
    format!(
        r#"{{"messageId":"m1","timestamp":"t","namespace":"ns","type":"track","properties":"{{\"a\":1}}","context":"{{\"c\":true}}","event_subject":"components","event_verb":"create"{extra}}}"#
    )
}

/// Output lines parsed back (order of keys kept).
pub fn parse_lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The keys of an object in order.
pub fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// What the reference says about one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Emitted(String),
    Marker,
    NoWorkspace,
    NoOwnerId,
    NoUserId,
    Rejected,
}

fn truthy(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null) | Some(Value::Bool(false)))
}

/// `map[key]` as jq does it: a null map gives null; an object needs a
/// string key.
fn index<'m>(map: &'m Value, key: Option<&Value>) -> Result<Option<&'m Value>, ()> {
    match map {
        Value::Null => Ok(None),
        Value::Object(m) => match key {
            Some(Value::String(k)) => Ok(m.get(k)),
            _ => Err(()),
        },
        _ => Err(()),
    }
}

/// The transform (`docs/tools/splunk-to-segment.md`) over `serde_json::Value`, straight from the jq filter.
pub fn reference(line: &str, uid: &Value, ws: &Value, names: &Value) -> Ref {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return Ref::Rejected;
    };
    let r = match &v {
        Value::Null => return Ref::Marker,
        Value::Object(o) => match o.get("result") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => return Ref::Marker,
            Some(Value::Object(r)) => r,
            Some(_) => return Ref::Rejected,
        },
        _ => return Ref::Rejected,
    };
    let Ok(owner) = index(ws, r.get("namespace")) else {
        return Ref::Rejected;
    };
    if !truthy(owner) {
        return Ref::NoWorkspace;
    }
    let Ok(owner_id) = index(uid, owner) else {
        return Ref::Rejected;
    };
    if !truthy(owner_id) {
        return Ref::NoOwnerId;
    }
    let user = if truthy(r.get("userId")) {
        r.get("userId")
    } else {
        owner
    };
    let Ok(id) = index(uid, user) else {
        return Ref::Rejected;
    };
    if !truthy(id) {
        return Ref::NoUserId;
    }
    let null = Value::Null;
    let event = if truthy(r.get("event")) {
        r["event"].clone()
    } else {
        let part = |field: &str, table: &str| -> Result<String, ()> {
            let raw = r.get(field).unwrap_or(&null);
            let Some(s) = raw.as_str() else {
                return Err(());
            };
            Ok(names[table]
                .get(s)
                .and_then(Value::as_str)
                .unwrap_or(s)
                .to_owned())
        };
        let (Ok(s), Ok(vb)) = (
            part("event_subject", "subjects"),
            part("event_verb", "verbs"),
        ) else {
            return Ref::Rejected;
        };
        Value::String(format!("{s} {vb}"))
    };
    let Some(Value::String(p)) = r.get("properties") else {
        return Ref::Rejected;
    };
    let mut props = match serde_json::from_str::<Value>(p) {
        Ok(Value::Object(m)) => m,
        Ok(Value::Null) => serde_json::Map::new(),
        _ => return Ref::Rejected,
    };
    props.insert(
        "workspaceID".into(),
        owner_id.cloned().unwrap_or(Value::Null),
    );
    let Some(Value::String(c)) = r.get("context") else {
        return Ref::Rejected;
    };
    let Ok(context) = serde_json::from_str::<Value>(c) else {
        return Ref::Rejected;
    };
    let get = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    let mut out = serde_json::Map::new();
    out.insert("messageId".into(), get("messageId"));
    out.insert("timestamp".into(), get("timestamp"));
    out.insert("namespace".into(), get("namespace"));
    out.insert("type".into(), get("type"));
    out.insert("userId".into(), id.cloned().unwrap_or(Value::Null));
    out.insert("event".into(), event);
    out.insert("properties".into(), Value::Object(props));
    out.insert("context".into(), context);
    Ref::Emitted(serde_json::to_string(&Value::Object(out)).unwrap())
}

/// A JSON line in serde_json's canonical form (keys in order, numbers as
/// written, strings re-escaped), to compare outputs that may differ only in
/// string escapes.
pub fn canonical(line: &str) -> String {
    serde_json::to_string(&serde_json::from_str::<Value>(line).unwrap()).unwrap()
}

pub fn event_names() -> Value {
    serde_json::from_str(include_str!("../../../src/event-names.json")).unwrap()
}
