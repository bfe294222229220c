//! Reading a `query_range` answer: the log streams, merged into one list in
//! time order (docs/apis/loki.md, "The answer").
//!
//! Loki answers a log query with `resultType` `streams`: one object per
//! stream (its labels), each with its `[<ns epoch as a string>, <line>]`
//! pairs, oldest first for `direction=forward`. The `limit` counts entries
//! over all streams, so one page is the oldest `limit` entries of the
//! window, spread over several streams (the audit tenant has one per node).
//! They are merged here by time; entries of the same nanosecond keep the
//! order of their streams' labels, then their order inside the stream, so
//! the same answer always gives the same output.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

/// One log line of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Nanoseconds since the Unix epoch.
    pub ts: i64,
    /// Index of its stream in [`PageData::streams`].
    pub stream: usize,
    pub line: String,
}

/// A page: its entries in time order and the labels of its streams.
#[derive(Debug, Default)]
pub struct PageData {
    pub entries: Vec<Entry>,
    /// Each stream's labels as `{k="v", …}`, keys sorted.
    pub streams: Vec<String>,
}

/// Why an answer can't be read.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("the answer is not Loki's query_range JSON")]
    Json(#[source] serde_json::Error),
    #[error("Loki answered status `{0}` instead of `success`")]
    Status(String),
    #[error("Loki answered a `{0}` result, not log streams\nhint: the selector and filters must make a log query, not a metric query")]
    ResultType(String),
    #[error("an entry's timestamp is not a nanosecond epoch (`{0}`)")]
    Timestamp(String),
}

/// Reads an answer from `body`.
pub fn read(body: impl Read) -> Result<PageData, ResponseError> {
    let parsed: Body = serde_json::from_reader(std::io::BufReader::with_capacity(64 * 1024, body))
        .map_err(ResponseError::Json)?;
    if parsed.status != "success" {
        return Err(ResponseError::Status(parsed.status));
    }
    let data = parsed.data.unwrap_or_default();
    if data.result_type != "streams" {
        return Err(ResponseError::ResultType(data.result_type));
    }
    let mut page = PageData::default();
    for (i, s) in data.result.into_iter().enumerate() {
        page.streams.push(labels(&s.stream));
        for v in s.values {
            let ts =
                v.ts.parse::<i64>()
                    .map_err(|_| ResponseError::Timestamp(v.ts.clone()))?;
            page.entries.push(Entry {
                ts,
                stream: i,
                line: v.line,
            });
        }
    }
    let streams = &page.streams;
    // Stable: entries of one stream and nanosecond keep their order.
    page.entries
        .sort_by(|a, b| (a.ts, &streams[a.stream]).cmp(&(b.ts, &streams[b.stream])));
    Ok(page)
}

/// `{k="v", …}` with the keys in order (a `BTreeMap`'s).
fn labels(map: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

#[derive(Deserialize)]
struct Body {
    status: String,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(rename = "resultType", default)]
    result_type: String,
    #[serde(default)]
    result: Vec<StreamJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Value>,
}

/// `[ts, line, …]`: a matrix's numeric times are read too (and then
/// refused by the result type); anything after the line (structured
/// metadata, when asked for) is skipped.
struct Value {
    ts: String,
    line: String,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [timestamp, line] pair")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let ts: serde_json::Value = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let ts = match ts {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        let line: serde_json::Value = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let line = match line {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value { ts, line })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_merged_in_time_order() {
        let body = r#"{"status":"success","data":{"resultType":"streams","result":[
            {"stream":{"log_type":"audit","k8s_node_name":"m2"},"values":[["20","b"],["30","d"]]},
            {"stream":{"log_type":"audit","k8s_node_name":"m1"},"values":[["10","a"],["30","c"],["40","e",{"x":"y"}]]}
        ],"stats":{}}}"#;
        let p = read(body.as_bytes()).unwrap();
        let lines: Vec<&str> = p.entries.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["a", "b", "c", "d", "e"]);
        assert_eq!(p.streams[1], r#"{k8s_node_name="m1", log_type="audit"}"#);
    }

    #[test]
    fn failures_are_named() {
        let m = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"]]}]}}"#;
        assert!(matches!(read(m.as_bytes()), Err(ResponseError::ResultType(t)) if t == "matrix"));
        let e = r#"{"status":"error","errorType":"bad_data","error":"x"}"#;
        assert!(matches!(read(e.as_bytes()), Err(ResponseError::Status(_))));
        assert!(matches!(read(&b"<html>"[..]), Err(ResponseError::Json(_))));
        let t = r#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["x","l"]]}]}}"#;
        assert!(matches!(
            read(t.as_bytes()),
            Err(ResponseError::Timestamp(_))
        ));
        let cut = r#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1","l"]"#;
        assert!(matches!(read(cut.as_bytes()), Err(ResponseError::Json(_))));
    }
}
