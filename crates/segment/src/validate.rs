//! What Segment would refuse or drop silently, caught before sending.
//!
//! Segment answers 200 to a batch and then drops, without telling anyone,
//! events without `userId`/`anonymousId`, a `track` without `event`, a
//! `messageId` over 100 characters; a line that is not a JSON object can't be
//! an event at all, and an event of 32,000 bytes or more can never be
//! delivered. Each of these is rejected here with a reason, so that the tools
//! report it instead of sending it into a black hole.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::payload::compact;
use super::{MAX_EVENT_BYTES, MAX_MESSAGE_ID_CHARS};

/// Why an event can't be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("not a JSON object")]
    NotObject,
    #[error("event too large: {bytes} bytes, Segment takes events under {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    #[error("no `userId` or `anonymousId` (Segment would drop it)")]
    NoUser,
    #[error("`track` event without `event` (Segment would drop it)")]
    TrackWithoutEvent,
    #[error("`messageId` of {chars} characters, Segment takes at most {MAX_MESSAGE_ID_CHARS}")]
    MessageIdTooLong { chars: usize },
}

/// The fields Segment's silent drops depend on; everything else is skipped
/// unparsed.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "userId", borrow, default)]
    user_id: Option<&'a RawValue>,
    #[serde(rename = "anonymousId", borrow, default)]
    anonymous_id: Option<&'a RawValue>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(rename = "messageId", borrow, default)]
    message_id: Option<&'a RawValue>,
}

/// A value that identifies someone: present, not `null`, not `""`.
fn is_set(v: Option<&RawValue>) -> bool {
    v.is_some_and(|v| !matches!(v.get(), "null" | "\"\""))
}

fn as_str(v: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<Cow<'_, str>>(v.get()).ok()
}

/// Checks one input line as a Segment event; returns it compacted (the bytes
/// to put in the body). `max_event` is the exclusive size bound
/// ([`MAX_EVENT_BYTES`] normally).
pub fn check_event_with(raw: &[u8], max_event: usize) -> Result<Cow<'_, [u8]>, Invalid> {
    let json = compact(raw);
    if json.first() != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(&json) {
                Ok(_) => Invalid::NotObject,
                Err(e) => Invalid::Json(e.to_string()),
            },
        );
    }
    let probe: Probe<'_> =
        serde_json::from_slice(&json).map_err(|e| Invalid::Json(e.to_string()))?;
    if !is_set(probe.user_id) && !is_set(probe.anonymous_id) {
        return Err(Invalid::NoUser);
    }
    if probe.kind.and_then(as_str).as_deref() == Some("track") && !is_set(probe.event) {
        return Err(Invalid::TrackWithoutEvent);
    }
    if let Some(id) = probe.message_id.and_then(as_str) {
        let chars = id.chars().count();
        if chars > MAX_MESSAGE_ID_CHARS {
            return Err(Invalid::MessageIdTooLong { chars });
        }
    }
    // Size last: an over-size line that is also broken reports the breakage.
    if json.len() >= max_event {
        return Err(Invalid::TooLarge {
            bytes: json.len(),
            limit: max_event,
        });
    }
    Ok(json)
}

/// [`check_event_with`] at Segment's per-event limit.
pub fn check_event(raw: &[u8]) -> Result<Cow<'_, [u8]>, Invalid> {
    check_event_with(raw, MAX_EVENT_BYTES)
}

/// The `messageId` of a (compact, valid) event, for reports.
pub fn message_id(event: &[u8]) -> Option<String> {
    let probe: Probe<'_> = serde_json::from_slice(event).ok()?;
    probe.message_id.and_then(as_str).map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(raw: &str) -> Option<Invalid> {
        check_event(raw.as_bytes()).err()
    }

    #[test]
    fn good_events_pass_compacted() {
        let e =
            check_event(br#"{"userId": 5, "type":"track","event":"x","messageId":"m"}"#).unwrap();
        assert_eq!(
            &*e,
            br#"{"userId":5,"type":"track","event":"x","messageId":"m"}"#
        );
        assert!(reason(r#"{"anonymousId":"a","type":"identify"}"#).is_none());
        assert!(reason(r#"{"userId":"u"}"#).is_none());
        assert_eq!(message_id(&e).as_deref(), Some("m"));
    }

    #[test]
    fn what_segment_drops_is_rejected() {
        assert_eq!(reason("[1,2]"), Some(Invalid::NotObject));
        assert_eq!(reason("\"s\""), Some(Invalid::NotObject));
        assert!(matches!(reason("{\"a\":"), Some(Invalid::Json(_))));
        assert!(matches!(reason("nope"), Some(Invalid::Json(_))));
        assert!(matches!(reason("{} {}"), Some(Invalid::Json(_))));
        assert_eq!(reason(r#"{"event":"x"}"#), Some(Invalid::NoUser));
        assert_eq!(
            reason(r#"{"userId":null,"anonymousId":""}"#),
            Some(Invalid::NoUser)
        );
        assert_eq!(
            reason(r#"{"userId":"u","type":"track"}"#),
            Some(Invalid::TrackWithoutEvent)
        );
        assert_eq!(
            reason(r#"{"userId":"u","type":"track","event":null}"#),
            Some(Invalid::TrackWithoutEvent)
        );
        let long = "é".repeat(101);
        assert_eq!(
            reason(&format!(r#"{{"userId":"u","messageId":"{long}"}}"#)),
            Some(Invalid::MessageIdTooLong { chars: 101 })
        );
        assert!(reason(&format!(
            r#"{{"userId":"u","messageId":"{}"}}"#,
            "é".repeat(100)
        ))
        .is_none());
    }

    #[test]
    fn size_bound_is_exclusive() {
        let pad = |n: usize| {
            let base = r#"{"userId":"u","p":""}"#.len();
            format!(r#"{{"userId":"u","p":"{}"}}"#, "x".repeat(n - base))
        };
        assert!(reason(&pad(MAX_EVENT_BYTES - 1)).is_none());
        assert_eq!(
            reason(&pad(MAX_EVENT_BYTES)),
            Some(Invalid::TooLarge {
                bytes: MAX_EVENT_BYTES,
                limit: MAX_EVENT_BYTES
            })
        );
    }
}
