//! Steps 2-5 of the transform (docs/tools/splunk-to-segment.md), one
//! record at a time.
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
//! turned into per-record [`Rejection`]s. Ids that Splunk's lookups put in
//! the row (`owner_sso_id`, `owner`, `sso_id`) take the place of the map
//! look-ups they answer (see [`Transformer::lookup`]). [`record`](crate::record) reads
//! the line; this module looks the ids up and writes the event by hand,
//! copying values as they were written.

use std::collections::HashMap;

use crate::hash::Fast;
use segment_bridge_json::jq::{self, Fixes};
use segment_bridge_json::token;

use crate::json::{self, compact_slow_counting, compact_slow_with_key, Fail, Kind, Special};
use crate::maps::{Map, MapValue};
use crate::record::{self, Buffers, Fields, Nested, ResultState, Span, SpanField, WORKSPACE_ID};
use crate::reject::{FieldName, Rejection, Unmapped, Verdict};

static EVENT_NAMES: &str = include_str!("event-names.json");

/// The keys of an event, in the order [`Transformer::record`] writes them
/// (the jq filter's object, above): what the tests and the fuzz harness
/// (fuzz/fuzz_targets/s2s.rs) check every emitted event against.
pub const EVENT_KEYS: [&str; 8] = [
    "messageId",
    "timestamp",
    "namespace",
    "type",
    "userId",
    "event",
    "properties",
    "context",
];

/// Reusable buffers of one worker.
#[derive(Default)]
pub struct Scratch {
    buf: Buffers,
    key2: Vec<u8>,
    name: String,
    /// A line with its invalid UTF-8 replaced (jq's rule).
    fixed: Vec<u8>,
    /// What jq's rules changed in the last record emitted.
    pub fixes: Fixes,
}

/// A record's end: an event written, or why not.
enum Stop {
    Dropped(Unmapped),
    Rejected(Rejection),
}

impl From<Rejection> for Stop {
    fn from(r: Rejection) -> Stop {
        Stop::Rejected(r)
    }
}

/// The ids steps 2-4 found, as the JSON text to write.
struct Ids<'m> {
    owner_id: &'m [u8],
    id: &'m [u8],
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

    /// Transforms one input record (one JSON value, without its newline).
    /// On `Emitted` the event and a newline were appended to `out`;
    /// otherwise `out` is as it was.
    /// [`Scratch::fixes`] says what jq's rules changed in the event
    /// (docs/json-streams.md): invalid UTF-8 in strings replaced by
    /// U+FFFD, keys given twice, numbers beyond the double range clamped.
    pub fn record(&self, line: &[u8], sc: &mut Scratch, out: &mut Vec<u8>) -> Verdict {
        sc.fixes = Fixes::default();
        sc.buf.dups = 0;
        token::take_wide_number();
        let start = out.len();
        let v = match std::str::from_utf8(line) {
            Ok(l) => self.record_str(l, sc, out),
            Err(e) => self.record_fixed(line, e.valid_up_to(), sc, out),
        };
        if v == Verdict::Emitted {
            sc.fixes.duplicate_keys = sc.buf.dups;
            if token::take_wide_number() {
                clamp(out, start, &mut sc.fixes);
            }
        } else {
            sc.fixes = Fixes::default();
        }
        v
    }

    /// A line with invalid UTF-8: inside strings, each invalid sequence is
    /// replaced by U+FFFD as jq does; elsewhere it is not JSON.
    fn record_fixed(
        &self,
        line: &[u8],
        offset: usize,
        sc: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Verdict {
        let mut fixed = std::mem::take(&mut sc.fixed);
        fixed.clear();
        let n = jq::replace_invalid_utf8(line, &mut fixed);
        let v = match std::str::from_utf8(&fixed) {
            Ok(l) => self.record_str(l, sc, out),
            Err(_) => Verdict::Rejected(Rejection::Utf8 { offset }),
        };
        sc.fixed = fixed;
        sc.fixes.invalid_utf8 = n;
        v
    }

    fn record_str(&self, line: &str, sc: &mut Scratch, out: &mut Vec<u8>) -> Verdict {
        let mut f = Fields::default();
        match record::parse_line(line.as_bytes(), &mut sc.buf, &mut f) {
            Err(reason) => Verdict::Rejected(reason),
            Ok(ResultState::Absent) => Verdict::Marker,
            Ok(ResultState::NotObject(k)) => Verdict::Rejected(Rejection::ResultNotObject(k)),
            Ok(ResultState::Object) => {
                let start = out.len();
                match self.row(line, &f, sc, out) {
                    Ok(()) => Verdict::Emitted,
                    Err(stop) => {
                        out.truncate(start);
                        match stop {
                            Stop::Dropped(d) => Verdict::Dropped(d),
                            Stop::Rejected(r) => Verdict::Rejected(r),
                        }
                    }
                }
            }
        }
    }

    /// Steps 2-5 on a parsed `result`.
    fn row(&self, line: &str, f: &Fields, sc: &mut Scratch, out: &mut Vec<u8>) -> Result<(), Stop> {
        let ids = self.lookup(line, f, &mut sc.buf.key)?;
        out.extend_from_slice(b"{\"messageId\":");
        raw(line, f[SpanField::MessageId], &mut sc.buf, out)?;
        out.extend_from_slice(b",\"timestamp\":");
        raw(line, f[SpanField::Timestamp], &mut sc.buf, out)?;
        out.extend_from_slice(b",\"namespace\":");
        raw(line, f[SpanField::Namespace], &mut sc.buf, out)?;
        out.extend_from_slice(b",\"type\":");
        raw(line, f[SpanField::Type], &mut sc.buf, out)?;
        out.extend_from_slice(b",\"userId\":");
        out.extend_from_slice(ids.id);
        out.extend_from_slice(b",\"event\":");
        self.event(line, f, sc, out)?;
        out.extend_from_slice(b",\"properties\":");
        properties(f.properties, ids.owner_id, &mut sc.buf, out)?;
        out.extend_from_slice(b",\"context\":");
        context(f.context, &mut sc.buf, out)?;
        out.extend_from_slice(b"}\n");
        Ok(())
    }

    /// Steps 2-4: the owner of the namespace, the owner's id, the user's id.
    ///
    /// Each look-up is answered by the row when Splunk's lookups put its
    /// answer there, else by the maps: step 2 by a truthy `owner`, steps
    /// 2-3 by a truthy `owner_sso_id`, step 4 (for a truthy `userId`) by a
    /// truthy `sso_id`. So rows without those fields take the original's
    /// path, and rows with all of them need no map, with the same drops.
    fn lookup<'a>(&'a self, line: &'a str, f: &Fields, key: &mut Vec<u8>) -> Result<Ids<'a>, Stop> {
        let owner_id = match row_id(line, f[SpanField::OwnerSsoId], FieldName::OwnerSsoId)? {
            Some(id) => {
                namespace(line, f, key)?;
                id
            }
            None => self.owner_id(line, f, key)?,
        };
        let id = match f[SpanField::UserId] {
            Some(sp) if sp.kind.truthy() && sp.kind != Kind::String => {
                return Err(Rejection::NotString(FieldName::UserId, sp.kind).into())
            }
            Some(sp) if sp.kind.truthy() => {
                match row_id(line, f[SpanField::SsoId], FieldName::SsoId)? {
                    Some(id) => id,
                    None => self.sso_id(record::string_at(line, sp, key), Unmapped::NoUserId)?,
                }
            }
            _ => owner_id,
        };
        Ok(Ids { owner_id, id })
    }

    /// Steps 2-3 from the maps (the owner from the row's `owner`, if it
    /// has one).
    fn owner_id<'a>(
        &'a self,
        line: &'a str,
        f: &Fields,
        key: &mut Vec<u8>,
    ) -> Result<&'a [u8], Stop> {
        let owner_name = match f[SpanField::Owner] {
            Some(sp) if sp.kind.truthy() => {
                namespace(line, f, key)?;
                if sp.kind != Kind::String {
                    return Err(Rejection::NotString(FieldName::Owner, sp.kind).into());
                }
                record::string_at(line, sp, key)
            }
            _ => {
                let ws = self
                    .ws
                    .entries
                    .as_ref()
                    .ok_or(Stop::Dropped(Unmapped::NoWorkspace))?;
                let ns = namespace(line, f, key)?;
                let owner = truthy(ws.get(ns)).ok_or(Stop::Dropped(Unmapped::NoWorkspace))?;
                // jq indexes a missing uid map before it minds the key's type.
                if self.uid.entries.is_none() {
                    return Err(Stop::Dropped(Unmapped::NoOwnerId));
                }
                let Some(owner_name) = owner.text else {
                    return Err(Rejection::OwnerNotString {
                        namespace: ns.into(),
                        kind: owner.kind,
                    }
                    .into());
                };
                owner_name
            }
        };
        self.sso_id(owner_name, Unmapped::NoOwnerId)
    }

    /// `uid_map[user]`, as the JSON text to write; not truthy: dropped
    /// with `why`.
    fn sso_id(&self, user: &str, why: Unmapped) -> Result<&[u8], Stop> {
        let uid = self.uid.entries.as_ref().ok_or(Stop::Dropped(why))?;
        Ok(truthy(uid.get(user))
            .ok_or(Stop::Dropped(why))?
            .raw
            .as_bytes())
    }

    /// `event` as it is when truthy, else built from subject and verb.
    fn event(
        &self,
        line: &str,
        f: &Fields,
        sc: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<(), Stop> {
        if let Some(sp) = f[SpanField::Event].filter(|sp| sp.kind.truthy()) {
            return raw(line, Some(sp), &mut sc.buf, out);
        }
        let subject = name_part(
            line,
            f[SpanField::EventSubject],
            FieldName::EventSubject,
            &mut sc.buf.key,
        )?;
        let subject = self.subjects.get(subject).map_or(subject, String::as_str);
        let verb = name_part(
            line,
            f[SpanField::EventVerb],
            FieldName::EventVerb,
            &mut sc.key2,
        )?;
        let verb = self.verbs.get(verb).map_or(verb, String::as_str);
        sc.name.clear();
        sc.name.push_str(subject);
        sc.name.push(' ');
        sc.name.push_str(verb);
        json::write_str(out, &sc.name);
        Ok(())
    }
}

/// Clamps numbers beyond the double range in the event written at
/// `start` of `out` (compact JSON and a newline), as jq prints them.
#[cold]
fn clamp(out: &mut Vec<u8>, start: usize, fixes: &mut Fixes) {
    let end = out.len() - 1;
    let Ok((event, found)) = jq::normalize(&out[start..end]) else {
        return;
    };
    if found.clamped_numbers > 0 {
        let event = event.into_owned();
        out.truncate(start);
        out.extend_from_slice(&event);
        out.push(b'\n');
        fixes.clamped_numbers = found.clamped_numbers;
    }
}

/// `namespace`, which must be a string.
fn namespace<'k>(line: &'k str, f: &Fields, key: &'k mut Vec<u8>) -> Result<&'k str, Stop> {
    match f[SpanField::Namespace] {
        None => Err(Rejection::Absent(FieldName::Namespace).into()),
        Some(sp) if sp.kind != Kind::String => {
            Err(Rejection::NotString(FieldName::Namespace, sp.kind).into())
        }
        Some(sp) => Ok(record::string_at(line, sp, key)),
    }
}

/// An id from the row (a lookup's output), as the JSON text to write: a
/// string of a plain decimal integer becomes that number, as get-uid-map
/// writes such an id into its map (so both paths give the same event);
/// any other string is kept as written. `None` when absent or falsy; not
/// a string: rejected.
fn row_id(line: &str, sp: Option<Span>, field: FieldName) -> Result<Option<&[u8]>, Stop> {
    let Some(sp) = sp.filter(|sp| sp.kind.truthy()) else {
        return Ok(None);
    };
    if sp.kind != Kind::String {
        return Err(Rejection::NotString(field, sp.kind).into());
    }
    let text = &line.as_bytes()[sp.start..sp.end];
    let inner = &text[1..text.len() - 1];
    let plain = !sp.escaped
        && !inner.is_empty()
        && inner.iter().all(u8::is_ascii_digit)
        && (inner == b"0" || inner[0] != b'0');
    Ok(Some(if plain { inner } else { text }))
}

/// A map value, if truthy.
fn truthy(v: Option<MapValue<'_>>) -> Option<MapValue<'_>> {
    v.filter(|v| v.kind.truthy())
}

/// A field copied from `result` (compacted), `null` when absent.
fn raw(line: &str, sp: Option<Span>, buf: &mut Buffers, out: &mut Vec<u8>) -> Result<(), Stop> {
    let Some(sp) = sp else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    let text = &line.as_bytes()[sp.start..sp.end];
    if !matches!(sp.kind, Kind::Object | Kind::Array) {
        // Scalars were validated when the line was read and hold no white
        // space outside strings.
        out.extend_from_slice(text);
        return Ok(());
    }
    let mark = out.len();
    match buf.compactor.compact(text, out) {
        Ok(_) => Ok(()),
        Err(Fail::Json(e)) => Err(Rejection::Json(e).into()),
        Err(Fail::Slow) => {
            out.truncate(mark);
            compact_slow_counting(text, out, &mut buf.dups)
                .map_err(|e| Rejection::Json(e).into())
                .map(drop)
        }
    }
}

fn name_part<'a>(
    line: &'a str,
    sp: Option<Span>,
    field: FieldName,
    buf: &'a mut Vec<u8>,
) -> Result<&'a str, Stop> {
    match sp {
        None => Err(Rejection::NameAbsent(field).into()),
        Some(sp) if sp.kind != Kind::String => Err(Rejection::NameNotString(field, sp.kind).into()),
        Some(sp) => Ok(record::string_at(line, sp, buf)),
    }
}

/// `properties`, decoded, with `workspaceID` set to the owner's id.
fn properties(p: Nested, id: &[u8], buf: &mut Buffers, out: &mut Vec<u8>) -> Result<(), Stop> {
    let n = match p {
        Nested::Absent => return Err(Rejection::Absent(FieldName::Properties).into()),
        Nested::NotString(k) => {
            return Err(Rejection::NotJsonString(FieldName::Properties, k).into())
        }
        Nested::Fused(fz) => {
            fused_properties(&buf.props_out[..fz.len], fz, id, out);
            return Ok(());
        }
        Nested::Decoded(n) => n,
    };
    let props = &buf.props[..n];
    let special = Special {
        key: WORKSPACE_ID,
        value: id,
    };
    let invalid = |e| Stop::from(Rejection::InnerJson(FieldName::Properties, e));
    let mark = out.len();
    let kind = match buf.compactor.compact_with_key(props, out, &special) {
        Ok(r) => r,
        Err(Fail::Json(e)) => return Err(invalid(e)),
        Err(Fail::Slow) => {
            out.truncate(mark);
            compact_slow_with_key(props, out, &special, &mut buf.dups).map_err(invalid)?
        }
    };
    kind.map_err(|k| Rejection::PropertiesNotObject(k).into())
}

/// Sets `workspaceID` in properties the fast path compacted.
fn fused_properties(p: &[u8], fz: crate::fused::Fused, id: &[u8], out: &mut Vec<u8>) {
    let special = Special {
        key: WORKSPACE_ID,
        value: id,
    };
    if let Some((a, b)) = fz.special.filter(|_| !fz.null) {
        out.extend_from_slice(&p[..a]);
        out.extend_from_slice(id);
        out.extend_from_slice(&p[b..]);
        return;
    }
    if fz.null {
        out.push(b'{');
    } else {
        out.extend_from_slice(&p[..p.len().saturating_sub(1)]);
        if p.len() > 2 {
            out.push(b',');
        }
    }
    json::push_member(out, &special);
    out.push(b'}');
}

/// `context`, decoded.
fn context(c: Nested, buf: &mut Buffers, out: &mut Vec<u8>) -> Result<(), Stop> {
    let n = match c {
        Nested::Absent => return Err(Rejection::Absent(FieldName::Context).into()),
        Nested::NotString(k) => return Err(Rejection::NotJsonString(FieldName::Context, k).into()),
        Nested::Fused(fz) => {
            out.extend_from_slice(&buf.ctx_out[..fz.len]);
            return Ok(());
        }
        Nested::Decoded(n) => n,
    };
    let ctx = &buf.ctx[..n];
    let invalid = |e| Stop::from(Rejection::InnerJson(FieldName::Context, e));
    let mark = out.len();
    match buf.compactor.compact(ctx, out) {
        Ok(_) => Ok(()),
        Err(Fail::Json(e)) => Err(invalid(e)),
        Err(Fail::Slow) => {
            out.truncate(mark);
            compact_slow_counting(ctx, out, &mut buf.dups)
                .map_err(invalid)
                .map(drop)
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
            Verdict::Dropped(Unmapped::NoUserId)
        );
        assert_eq!(
            run(&base(r#","userId":"no""#)).0,
            Verdict::Dropped(Unmapped::NoUserId)
        );
        assert_eq!(run(&base(r#","userId":"zero""#)).0, Verdict::Emitted);
        assert!(matches!(
            run(&base(r#","userId":7"#)).0,
            Verdict::Rejected(_)
        ));
        assert_eq!(run(&base(r#","userId":false"#)).0, Verdict::Emitted);
        assert_eq!(
            run(r#"{"result":{"namespace":"other"}}"#).0,
            Verdict::Dropped(Unmapped::NoWorkspace)
        );
        assert_eq!(
            run(r#"{"result":{"namespace":"nul"}}"#).0,
            Verdict::Dropped(Unmapped::NoWorkspace)
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
        // Invalid UTF-8 outside a string is not JSON (inside one, it is
        // replaced as jq does: tests/it/suite.rs).
        assert!(matches!(
            t().record(b"{\"a\":\xff}", &mut Scratch::default(), &mut Vec::new()),
            Verdict::Rejected(Rejection::Utf8 { offset: 5 })
        ));
    }

    #[test]
    fn ids_from_the_row_take_the_place_of_the_maps() {
        let none = Transformer::new(Map::none(), Map::none());
        let run_with = |t: &Transformer, extra: &str| {
            let line = format!(
                r#"{{"result":{{"namespace":"ns","properties":"{{}}","context":"null","event":"e"{extra}}}}}"#
            );
            let mut out = Vec::new();
            let v = t.record(line.as_bytes(), &mut Scratch::default(), &mut out);
            (v, String::from_utf8(out).unwrap())
        };
        let ids = |out: &str| {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            (
                v["userId"].to_string(),
                v["properties"]["workspaceID"].to_string(),
            )
        };
        let all = r#","userId":"alice","sso_id":"123","owner":"bob","owner_sso_id":"b-1""#;
        let (v, out) = run_with(&none, all);
        assert_eq!(v, Verdict::Emitted);
        assert_eq!(ids(&out), ("123".into(), r#""b-1""#.into()));
        // The maps' drops, with no map at all.
        for (extra, why) in [
            ("", Unmapped::NoWorkspace),
            (r#","owner":"bob""#, Unmapped::NoOwnerId),
            (
                r#","owner_sso_id":"7","userId":"alice""#,
                Unmapped::NoUserId,
            ),
            (
                r#","owner_sso_id":"7","userId":"alice","sso_id":null"#,
                Unmapped::NoUserId,
            ),
        ] {
            assert_eq!(run_with(&none, extra).0, Verdict::Dropped(why), "{extra}");
        }
        // No userId: the owner's id; leading zeros and escapes kept as text.
        let (_, out) = run_with(&none, r#","owner_sso_id":"007""#);
        assert_eq!(ids(&out), (r#""007""#.into(), r#""007""#.into()));
        let (_, out) = run_with(
            &none,
            r#","owner_sso_id":"\u0031","userId":"a","sso_id":"0""#,
        );
        assert_eq!(ids(&out), ("0".into(), r#""1""#.into()));
        assert!(out.contains(r#""workspaceID":"\u0031""#), "{out}");
        // The row wins over the maps; the maps fill what the row lacks.
        let (_, out) = run_with(&t(), r#","owner_sso_id":"9""#);
        assert_eq!(ids(&out), ("9".into(), "9".into()));
        let (_, out) = run_with(&t(), r#","owner_sso_id":"9","userId":"alice""#);
        assert_eq!(ids(&out), ("1".into(), "9".into()));
        let (_, out) = run_with(&t(), r#","owner":"alice""#);
        assert_eq!(ids(&out), ("1".into(), "1".into()));
        // Wrong kinds are rejected, as a namespace that is not a string.
        for extra in [
            r#","owner_sso_id":7"#,
            r#","owner":["bob"]"#,
            r#","owner_sso_id":"7","userId":"a","sso_id":{}"#,
        ] {
            assert!(
                matches!(run_with(&none, extra).0, Verdict::Rejected(_)),
                "{extra}"
            );
        }
        let mut out = Vec::new();
        let v = none.record(
            br#"{"result":{"owner_sso_id":"7","properties":"{}","context":"{}","event":"e"}}"#,
            &mut Scratch::default(),
            &mut out,
        );
        assert_eq!(
            v,
            Verdict::Rejected(Rejection::Absent(FieldName::Namespace))
        );
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

    #[test]
    fn number_literals_and_escapes_as_written_on_every_path() {
        let t = Transformer::new(
            Map::from_json(r#"{"owner":1E5,"alice":-0.0}"#).unwrap(),
            Map::from_json(r#"{"ns":"owner"}"#).unwrap(),
        );
        let row = |props: &str, ctx: &str| {
            format!(
                r#"{{"result":{{"namespace":"ns","userId":"alice","event":{{"e":1e-7,"e":2E+1}},"properties":{props},"context":{ctx}}}}}"#
            )
        };
        let out = |line: &str| {
            let mut out = Vec::new();
            assert_eq!(
                t.record(line.as_bytes(), &mut Scratch::default(), &mut out),
                Verdict::Emitted,
                "{line}"
            );
            String::from_utf8(out).unwrap()
        };
        // Duplicate keys (slow path), the fast path, and the decoded path
        // (an outer \u escape makes the fast path give up).
        let slow = out(&row(
            r#""{\"x\":1E5,\"x\":1E6,\"s\":\"\\u00e9\"}""#,
            r#""[1E5, \"\\u00e9\"]""#,
        ));
        let fast = out(&row(
            r#""{\"x\":1E6,\"s\":\"\\u00e9\"}""#,
            r#""[1E5, \"\\u00e9\"]""#,
        ));
        let decoded = out(&row(
            r#""\u0020{\"x\":1E6,\"s\":\"\\u00e9\"}""#,
            r#""\u0020[1E5,\"\\u00e9\"]""#,
        ));
        let want = r#"{"messageId":null,"timestamp":null,"namespace":"ns","type":null,"userId":-0.0,"event":{"e":2E+1},"properties":{"x":1E6,"s":"\u00e9","workspaceID":1E5},"context":[1E5,"\u00e9"]}"#;
        assert_eq!(slow.trim_end(), want);
        assert_eq!(fast, slow);
        assert_eq!(decoded, slow);
    }
}
