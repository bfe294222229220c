//! The transform (`docs/tools/splunk-to-segment.md`), one input record at a time.
//!
//! It is the original jq filter, step for step:
//!
//! ```jq
//! select(.result) | .result
//! | $wksm[0][.namespace] as $owner | select($owner)
//! | $uidm[0][$owner] as $ownerId | select($ownerId)
//! | $uidm[0][.userId // $owner] as $id | select($id)
//! | {messageId, timestamp, namespace, type, userId: $id,
//!    event: (.event // "\($subjects[.event_subject] // .event_subject) \($verbs[.event_verb] // .event_verb)"),
//!    properties: (.properties | fromjson | .workspaceID = $ownerId),
//!    context: (.context | fromjson)}
//! ```
//!
//! with jq's truthiness (only `null` and `false` are false) and jq's errors
//! turned into per-record rejections. The line is walked once: the fields
//! the transform needs are noted as byte spans, `properties` and `context`
//! are unescaped into reusable buffers on the way, and the output record is
//! written by hand, copying values as they were written.

use std::collections::HashMap;

use crate::fused::{self, Fused};
use crate::json::{self, Compactor, Fail, Kind, Scanner, Special};
use crate::maps::{Fast, Map, MapValue};

static EVENT_NAMES: &str = include_str!("event-names.json");

/// Why a record produced no output without being wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop {
    /// The namespace is not in the workspace map (or maps to a falsy value).
    NoWorkspace,
    /// The workspace owner has no (truthy) SSO id in the uid map.
    NoOwnerId,
    /// The acting user (`userId`, else the owner) has no SSO id.
    NoUserId,
}

/// What became of one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// One event was appended to the output.
    Emitted,
    /// `null`, or no / `null` / `false` `result`: Splunk's markers.
    Marker,
    Dropped(Drop),
    /// Wrong input; the reason, for the operator.
    Rejected(String),
}

/// Reusable buffers of one worker.
#[derive(Default)]
pub struct Scratch {
    props: Vec<u8>,
    ctx: Vec<u8>,
    props_out: Vec<u8>,
    ctx_out: Vec<u8>,
    key: Vec<u8>,
    key2: Vec<u8>,
    name: String,
    compactor: Compactor,
}

#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
    escaped: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nested {
    Absent,
    NotString(Kind),
    /// Decoded into the scratch buffer: its first this many bytes.
    Decoded(usize),
    /// Compacted on the way by the fast path (valid, no duplicate keys).
    Fused(Fused),
}

struct Fields {
    message_id: Option<Span>,
    timestamp: Option<Span>,
    namespace: Option<Span>,
    type_: Option<Span>,
    user_id: Option<Span>,
    event: Option<Span>,
    event_subject: Option<Span>,
    event_verb: Option<Span>,
    properties: Nested,
    context: Nested,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            message_id: None,
            timestamp: None,
            namespace: None,
            type_: None,
            user_id: None,
            event: None,
            event_subject: None,
            event_verb: None,
            properties: Nested::Absent,
            context: Nested::Absent,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    MessageId,
    Timestamp,
    Namespace,
    Type,
    UserId,
    Event,
    EventSubject,
    EventVerb,
    Properties,
    Context,
    Other,
}

fn result_field(key: &[u8]) -> Field {
    match key {
        b"messageId" => Field::MessageId,
        b"timestamp" => Field::Timestamp,
        b"namespace" => Field::Namespace,
        b"type" => Field::Type,
        b"userId" => Field::UserId,
        b"event" => Field::Event,
        b"event_subject" => Field::EventSubject,
        b"event_verb" => Field::EventVerb,
        b"properties" => Field::Properties,
        b"context" => Field::Context,
        _ => Field::Other,
    }
}

enum ResultState {
    Absent,
    NotObject(Kind),
    Object,
}

/// Reads the key at the scanner (at its quote) and classifies it with `f`.
fn read_key<T>(s: &mut Scanner<'_>, buf: &mut Vec<u8>, f: fn(&[u8]) -> T) -> Result<T, String> {
    if s.peek() != Some(b'"') {
        return Err(invalid(&s.err("expected a string key")));
    }
    let start = s.pos;
    let escaped = s.skip_string().map_err(|e| invalid(&e))?;
    if !escaped {
        return Ok(f(&s.b[start + 1..s.pos - 1]));
    }
    buf.clear();
    let mut k = Scanner { b: s.b, pos: start };
    k.unescape_string(buf).map_err(|e| invalid(&e))?;
    Ok(f(buf))
}

fn invalid(e: &json::JsonError) -> String {
    format!("invalid JSON: {e}")
}

/// The text of a string value (a span of kind `String`).
fn string_at<'a>(line: &'a str, sp: Span, buf: &'a mut Vec<u8>) -> &'a str {
    if !sp.escaped {
        return line.get(sp.start + 1..sp.end - 1).unwrap_or("");
    }
    buf.clear();
    let mut s = Scanner {
        b: line.as_bytes(),
        pos: sp.start,
    };
    // Already validated while the line was read: this cannot fail, and the
    // decoded bytes are UTF-8.
    if s.unescape_string(buf).is_err() {
        return "";
    }
    std::str::from_utf8(buf).unwrap_or("")
}

/// The transform, with its two maps and the event-name tables.
pub struct Transformer {
    ws: Map,
    uid: Map,
    subjects: HashMap<String, String, Fast>,
    verbs: HashMap<String, String, Fast>,
}

#[derive(serde::Deserialize)]
struct EventNames {
    subjects: HashMap<String, String>,
    verbs: HashMap<String, String>,
}

impl Transformer {
    /// A transform with the given uid map and workspace map.
    pub fn new(uid: Map, ws: Map) -> Transformer {
        // The tables are compiled in; a unit test parses them.
        let names: EventNames = serde_json::from_str(EVENT_NAMES).unwrap_or(EventNames {
            subjects: HashMap::new(),
            verbs: HashMap::new(),
        });
        Transformer {
            ws,
            uid,
            subjects: names.subjects.into_iter().collect(),
            verbs: names.verbs.into_iter().collect(),
        }
    }

    /// Transforms one input line (without its newline). On `Emitted` the
    /// event and a newline were appended to `out`; otherwise `out` is as it
    /// was.
    pub fn record(&self, line: &[u8], sc: &mut Scratch, out: &mut Vec<u8>) -> Verdict {
        let line = match std::str::from_utf8(line) {
            Ok(l) => l,
            Err(e) => {
                return Verdict::Rejected(format!("invalid UTF-8 at byte {}", e.valid_up_to()))
            }
        };
        let mut f = Fields::new();
        match parse_line(line.as_bytes(), sc, &mut f) {
            Err(reason) => Verdict::Rejected(reason),
            Ok(ResultState::Absent) => Verdict::Marker,
            Ok(ResultState::NotObject(k)) => {
                Verdict::Rejected(format!("`result` is {}, not an object", k.article()))
            }
            Ok(ResultState::Object) => {
                let start = out.len();
                match self.row(line, &f, sc, out) {
                    Ok(Ok(())) => Verdict::Emitted,
                    Ok(Err(drop)) => {
                        out.truncate(start);
                        Verdict::Dropped(drop)
                    }
                    Err(reason) => {
                        out.truncate(start);
                        Verdict::Rejected(reason)
                    }
                }
            }
        }
    }

    /// Steps 2-5 of the transform (`docs/tools/splunk-to-segment.md`) on a parsed `result`.
    fn row(
        &self,
        line: &str,
        f: &Fields,
        sc: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<Result<(), Drop>, String> {
        // 2. owner = ws_map[r.namespace]
        let Some(ws) = &self.ws.entries else {
            return Ok(Err(Drop::NoWorkspace));
        };
        let ns = match f.namespace {
            None => return Err("`namespace` is absent".into()),
            Some(sp) if sp.kind != Kind::String => {
                return Err(format!(
                    "`namespace` is {}, not a string",
                    sp.kind.article()
                ))
            }
            Some(sp) => string_at(line, sp, &mut sc.key),
        };
        let owner: &MapValue = match ws.get(ns) {
            Some(v) if v.kind.truthy() => v,
            _ => return Ok(Err(Drop::NoWorkspace)),
        };
        // 3. owner_id = uid_map[owner]
        let Some(uid) = &self.uid.entries else {
            return Ok(Err(Drop::NoOwnerId));
        };
        let Some(owner_name) = owner.text.as_deref() else {
            return Err(format!(
                "the workspace map gives {} for namespace `{ns}`, not a string",
                owner.kind.article()
            ));
        };
        let owner_id: &MapValue = match uid.get(owner_name) {
            Some(v) if v.kind.truthy() => v,
            _ => return Ok(Err(Drop::NoOwnerId)),
        };
        // 4. id = uid_map[r.userId // owner]
        let id: &MapValue = match f.user_id {
            Some(sp) if sp.kind.truthy() => {
                if sp.kind != Kind::String {
                    return Err(format!("`userId` is {}, not a string", sp.kind.article()));
                }
                let user = string_at(line, sp, &mut sc.key);
                match uid.get(user) {
                    Some(v) if v.kind.truthy() => v,
                    _ => return Ok(Err(Drop::NoUserId)),
                }
            }
            _ => owner_id,
        };

        // 5. the event
        out.extend_from_slice(b"{\"messageId\":");
        raw(line, f.message_id, &mut sc.compactor, out)?;
        out.extend_from_slice(b",\"timestamp\":");
        raw(line, f.timestamp, &mut sc.compactor, out)?;
        out.extend_from_slice(b",\"namespace\":");
        raw(line, f.namespace, &mut sc.compactor, out)?;
        out.extend_from_slice(b",\"type\":");
        raw(line, f.type_, &mut sc.compactor, out)?;
        out.extend_from_slice(b",\"userId\":");
        out.extend_from_slice(id.raw.as_bytes());
        out.extend_from_slice(b",\"event\":");
        match f.event {
            Some(sp) if sp.kind.truthy() => raw(line, Some(sp), &mut sc.compactor, out)?,
            _ => {
                let subject = name_part(line, f.event_subject, "event_subject", &mut sc.key)?;
                let subject = self.subjects.get(subject).map_or(subject, String::as_str);
                let verb = name_part(line, f.event_verb, "event_verb", &mut sc.key2)?;
                let verb = self.verbs.get(verb).map_or(verb, String::as_str);
                sc.name.clear();
                sc.name.push_str(subject);
                sc.name.push(' ');
                sc.name.push_str(verb);
                json::write_str(out, &sc.name);
            }
        }
        out.extend_from_slice(b",\"properties\":");
        match f.properties {
            Nested::Absent => return Err("`properties` is absent".into()),
            Nested::NotString(k) => {
                return Err(format!(
                    "`properties` is {}, not a string holding JSON",
                    k.article()
                ))
            }
            Nested::Fused(fz) => {
                let p = &sc.props_out[..fz.len];
                let id = owner_id.raw.as_bytes();
                if fz.null {
                    out.extend_from_slice(b"{\"workspaceID\":");
                    out.extend_from_slice(id);
                    out.push(b'}');
                } else if let Some((a, b)) = fz.special {
                    out.extend_from_slice(&p[..a]);
                    out.extend_from_slice(id);
                    out.extend_from_slice(&p[b..]);
                } else {
                    out.extend_from_slice(&p[..p.len().saturating_sub(1)]);
                    if p.len() > 2 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"\"workspaceID\":");
                    out.extend_from_slice(id);
                    out.push(b'}');
                }
            }
            Nested::Decoded(n) => {
                let props = &sc.props[..n];
                let mark = out.len();
                let special = Special {
                    key: b"workspaceID",
                    value: owner_id.raw.as_bytes(),
                };
                match sc.compactor.compact_with_key(props, out, &special) {
                    Ok(Ok(())) => {}
                    Ok(Err(kind)) => {
                        return Err(format!(
                            "`properties` holds a JSON {}, not an object or null",
                            kind.name()
                        ))
                    }
                    Err(Fail::Json(e)) => {
                        return Err(format!("`properties` holds invalid JSON: {e}"))
                    }
                    Err(Fail::Slow) => {
                        out.truncate(mark);
                        slow_properties(props, owner_id, out)?;
                    }
                }
            }
        }
        out.extend_from_slice(b",\"context\":");
        match f.context {
            Nested::Absent => return Err("`context` is absent".into()),
            Nested::NotString(k) => {
                return Err(format!(
                    "`context` is {}, not a string holding JSON",
                    k.article()
                ))
            }
            Nested::Fused(fz) => out.extend_from_slice(&sc.ctx_out[..fz.len]),
            Nested::Decoded(n) => {
                let ctx = &sc.ctx[..n];
                let mark = out.len();
                match sc.compactor.compact(ctx, out) {
                    Ok(_) => {}
                    Err(Fail::Json(e)) => return Err(format!("`context` holds invalid JSON: {e}")),
                    Err(Fail::Slow) => {
                        out.truncate(mark);
                        slow_compact(ctx, out)
                            .map_err(|e| format!("`context` holds invalid JSON: {e}"))?;
                    }
                }
            }
        }
        out.extend_from_slice(b"}\n");
        Ok(Ok(()))
    }
}

/// A field copied from `result` (compacted), `null` when absent.
fn raw(
    line: &str,
    sp: Option<Span>,
    compactor: &mut Compactor,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let Some(sp) = sp else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    let text = &line.as_bytes()[sp.start..sp.end];
    match sp.kind {
        Kind::Object | Kind::Array => {
            let mark = out.len();
            match compactor.compact(text, out) {
                Ok(_) => Ok(()),
                Err(Fail::Json(e)) => Err(invalid(&e)),
                Err(Fail::Slow) => {
                    out.truncate(mark);
                    slow_compact(text, out).map_err(|e| format!("invalid JSON: {e}"))
                }
            }
        }
        // Scalars were validated when the line was read and hold no white
        // space outside strings.
        _ => {
            out.extend_from_slice(text);
            Ok(())
        }
    }
}

fn name_part<'a>(
    line: &'a str,
    sp: Option<Span>,
    field: &str,
    buf: &'a mut Vec<u8>,
) -> Result<&'a str, String> {
    match sp {
        None => Err(format!("`{field}` is absent and there is no `event`")),
        Some(sp) if sp.kind != Kind::String => Err(format!(
            "`{field}` is {}, not a string, and there is no `event`",
            sp.kind.article()
        )),
        Some(sp) => Ok(string_at(line, sp, buf)),
    }
}

/// Duplicate keys: serde_json's ordered map keeps the first position and the
/// last value, as jq does.
fn slow_compact(text: &[u8], out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    let v: serde_json::Value = serde_json::from_slice(text)?;
    serde_json::to_writer(out, &v)
}

fn slow_properties(text: &[u8], owner_id: &MapValue, out: &mut Vec<u8>) -> Result<(), String> {
    use serde_json::Value;
    let v: Value = serde_json::from_slice(text)
        .map_err(|e| format!("`properties` holds invalid JSON: {e}"))?;
    let id: Value = serde_json::from_str(&owner_id.raw).map_err(|e| e.to_string())?;
    let v = match v {
        Value::Null => {
            let mut m = serde_json::Map::new();
            m.insert("workspaceID".into(), id);
            Value::Object(m)
        }
        Value::Object(mut m) => {
            m.insert("workspaceID".into(), id);
            Value::Object(m)
        }
        other => {
            return Err(format!(
                "`properties` holds a JSON {}, not an object or null",
                Kind::of(&other).name()
            ))
        }
    };
    serde_json::to_writer(out, &v).map_err(|e| e.to_string())
}

/// Walks the line once; fills `f` from the last `result` seen.
fn parse_line(b: &[u8], sc: &mut Scratch, f: &mut Fields) -> Result<ResultState, String> {
    let mut s = Scanner::new(b);
    s.skip_ws();
    if s.peek() != Some(b'{') {
        let kind = s.skip_value(0).map_err(|e| invalid(&e))?;
        s.expect_end().map_err(|e| invalid(&e))?;
        return if kind == Kind::Null {
            Ok(ResultState::Absent)
        } else {
            Err(format!("not a JSON object but {}", kind.article()))
        };
    }
    s.pos += 1;
    let mut result = ResultState::Absent;
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
    } else {
        loop {
            s.skip_ws();
            let is_result = read_key(&mut s, &mut sc.key, |k| k == b"result")?;
            s.skip_ws();
            s.expect_byte(b':', "expected `:`")
                .map_err(|e| invalid(&e))?;
            s.skip_ws();
            if is_result {
                if s.peek() == Some(b'{') {
                    *f = Fields::new();
                    parse_result(&mut s, sc, f)?;
                    result = ResultState::Object;
                } else {
                    let kind = s.skip_value(1).map_err(|e| invalid(&e))?;
                    result = if kind.truthy() {
                        ResultState::NotObject(kind)
                    } else {
                        ResultState::Absent
                    };
                }
            } else {
                s.skip_value(1).map_err(|e| invalid(&e))?;
            }
            s.skip_ws();
            match s.peek() {
                Some(b',') => s.pos += 1,
                Some(b'}') => {
                    s.pos += 1;
                    break;
                }
                None => return Err(invalid(&s.err("unexpected end of JSON"))),
                Some(_) => return Err(invalid(&s.err("expected `,` or `}`"))),
            }
        }
    }
    s.expect_end().map_err(|e| invalid(&e))?;
    Ok(result)
}

/// The `result` object (scanner at its `{`).
fn parse_result(s: &mut Scanner<'_>, sc: &mut Scratch, f: &mut Fields) -> Result<(), String> {
    s.pos += 1;
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
        return Ok(());
    }
    loop {
        s.skip_ws();
        let field = read_key(s, &mut sc.key, result_field)?;
        s.skip_ws();
        s.expect_byte(b':', "expected `:`")
            .map_err(|e| invalid(&e))?;
        s.skip_ws();
        match field {
            Field::Properties | Field::Context => {
                let (buf, fast, slot, special) = if field == Field::Properties {
                    let key: &[u8] = b"workspaceID";
                    (
                        &mut sc.props,
                        &mut sc.props_out,
                        &mut f.properties,
                        Some(key),
                    )
                } else {
                    (&mut sc.ctx, &mut sc.ctx_out, &mut f.context, None)
                };
                if s.peek() == Some(b'"') {
                    if let Some(fz) =
                        fused::compact_encoded(s.b, s.pos, fast, &mut sc.compactor, special)
                    {
                        s.pos = fz.end;
                        *slot = Nested::Fused(fz);
                    } else {
                        let n = s.unescape_into(buf).map_err(|e| invalid(&e))?;
                        *slot = Nested::Decoded(n);
                    }
                } else {
                    *slot = Nested::NotString(s.skip_value(2).map_err(|e| invalid(&e))?);
                }
            }
            Field::Other => {
                s.skip_value(2).map_err(|e| invalid(&e))?;
            }
            _ => {
                let start = s.pos;
                let (kind, escaped) = if s.peek() == Some(b'"') {
                    (Kind::String, s.skip_string().map_err(|e| invalid(&e))?)
                } else {
                    (s.skip_value(2).map_err(|e| invalid(&e))?, false)
                };
                let sp = Some(Span {
                    start,
                    end: s.pos,
                    kind,
                    escaped,
                });
                match field {
                    Field::MessageId => f.message_id = sp,
                    Field::Timestamp => f.timestamp = sp,
                    Field::Namespace => f.namespace = sp,
                    Field::Type => f.type_ = sp,
                    Field::UserId => f.user_id = sp,
                    Field::Event => f.event = sp,
                    Field::EventSubject => f.event_subject = sp,
                    _ => f.event_verb = sp,
                }
            }
        }
        s.skip_ws();
        match s.peek() {
            Some(b',') => s.pos += 1,
            Some(b'}') => {
                s.pos += 1;
                return Ok(());
            }
            None => return Err(invalid(&s.err("unexpected end of JSON"))),
            Some(_) => return Err(invalid(&s.err("expected `,` or `}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_name_tables_parse() {
        let names: EventNames = serde_json::from_str(EVENT_NAMES).unwrap();
        assert_eq!(names.subjects["pipelineruns"], "PipelineRun");
        assert_eq!(names.verbs["deletecollection"], "collection deleted");
    }

    fn t() -> Transformer {
        Transformer::new(
            Map::from_json(r#"{"alice":1,"bob":"b-id","zero":0,"no":false,"owner":2}"#).unwrap(),
            Map::from_json(r#"{"ns":"owner","odd":5,"nul":null}"#).unwrap(),
        )
    }

    fn run(line: &str) -> (Verdict, String) {
        let mut out = Vec::new();
        let v = t().record(line.as_bytes(), &mut Scratch::default(), &mut out);
        (v, String::from_utf8(out).unwrap())
    }

    #[test]
    fn markers() {
        for l in [
            "null",
            " null ",
            "{}",
            r#"{"preview":false,"lastrow":true}"#,
            r#"{"result":null}"#,
            r#"{"result":false}"#,
        ] {
            assert_eq!(run(l).0, Verdict::Marker, "{l}");
        }
    }

    #[test]
    fn a_row() {
        let (v, out) = run(
            r#"{"result":{"namespace":"ns","messageId":"m","properties":"{\"a\": 1.0}","context":"null","event_subject":"components","event_verb":"trigger-pac-build"}}"#,
        );
        assert_eq!(v, Verdict::Emitted);
        assert_eq!(
            out,
            "{\"messageId\":\"m\",\"timestamp\":null,\"namespace\":\"ns\",\"type\":null,\"userId\":2,\"event\":\"Component trigger-pac-build\",\"properties\":{\"a\":1.0,\"workspaceID\":2},\"context\":null}\n"
        );
    }

    #[test]
    fn rejects_and_drops() {
        let base = |extra: &str| {
            format!(
                r#"{{"result":{{"namespace":"ns","properties":"{{}}","context":"{{}}","event":"e"{extra}}}}}"#
            )
        };
        assert_eq!(run(&base("")).0, Verdict::Emitted);
        assert_eq!(
            run(&base(r#","userId":"nobody""#)).0,
            Verdict::Dropped(Drop::NoUserId)
        );
        assert_eq!(
            run(&base(r#","userId":"no""#)).0,
            Verdict::Dropped(Drop::NoUserId)
        );
        assert_eq!(run(&base(r#","userId":"zero""#)).0, Verdict::Emitted);
        assert!(matches!(
            run(&base(r#","userId":7"#)).0,
            Verdict::Rejected(_)
        ));
        assert_eq!(run(&base(r#","userId":false"#)).0, Verdict::Emitted);
        assert_eq!(
            run(r#"{"result":{"namespace":"other"}}"#).0,
            Verdict::Dropped(Drop::NoWorkspace)
        );
        assert_eq!(
            run(r#"{"result":{"namespace":"nul"}}"#).0,
            Verdict::Dropped(Drop::NoWorkspace)
        );
        assert!(matches!(
            run(r#"{"result":{"namespace":"odd"}}"#).0,
            Verdict::Rejected(_)
        ));
        assert!(matches!(run(r#"{"result":{}}"#).0, Verdict::Rejected(_)));
        assert!(matches!(run(r#"{"result":1}"#).0, Verdict::Rejected(_)));
        assert!(matches!(run("[]").0, Verdict::Rejected(_)));
        assert!(matches!(run("{} {}").0, Verdict::Rejected(_)));
        assert!(matches!(run("\u{1}").0, Verdict::Rejected(_)));
        assert!(matches!(
            t().record(
                b"{\"a\":\"\xff\"}",
                &mut Scratch::default(),
                &mut Vec::new()
            ),
            Verdict::Rejected(_)
        ));
    }

    #[test]
    fn duplicates_take_the_slow_path_like_jq() {
        let (v, out) = run(
            r#"{"result":{"namespace":"ns","properties":"{\"workspaceID\":1,\"x\":[1.0],\"workspaceID\":3}","context":"{\"a\":1,\"b\":2,\"a\":3}","event":{"k":1,"k":2}}}"#,
        );
        assert_eq!(v, Verdict::Emitted);
        assert!(
            out.contains(r#""event":{"k":2},"properties":{"workspaceID":2,"x":[1.0]},"context":{"a":3,"b":2}}"#),
            "{out}"
        );
    }
}
