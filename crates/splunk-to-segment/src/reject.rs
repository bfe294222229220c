//! Why a record is refused (rejected, reported, written to `--rejects`) or
//! dropped (counted only), as types: tests match on them, the summary counts
//! them, and the words are written once, in `Display`.

use std::fmt;

use segment_bridge_json::token::SyntaxError;
use segment_bridge_json::StreamError;

use crate::json::Kind;

/// Why a record produced no output without being wrong (jq's `select`
/// failing in the original).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmapped {
    /// The namespace is not in the workspace map (or maps to a falsy value).
    NoWorkspace,
    /// The workspace owner has no (truthy) SSO id in the uid map.
    NoOwnerId,
    /// The acting user (`userId`, else the owner) has no SSO id.
    NoUserId,
}

/// A field of `result` that a rejection is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldName {
    Namespace,
    UserId,
    EventSubject,
    EventVerb,
    Properties,
    Context,
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldName::Namespace => "namespace",
            FieldName::UserId => "userId",
            FieldName::EventSubject => "event_subject",
            FieldName::EventVerb => "event_verb",
            FieldName::Properties => "properties",
            FieldName::Context => "context",
        })
    }
}

/// Why a record is wrong (the original, jq, failed on each of these too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("invalid UTF-8 at byte {offset}")]
    Utf8 { offset: usize },
    /// The line is not one JSON value: bad, or only part of one (it goes
    /// on, on the next line), or several. The stream reader judges it.
    #[error("invalid JSON: {0}")]
    Json(SyntaxError),
    /// The stream reader found a bad value.
    #[error("invalid JSON: {0}")]
    Stream(StreamError),
    #[error("not a JSON object but {}", .0.article())]
    NotObject(Kind),
    #[error("`result` is {}, not an object", .0.article())]
    ResultNotObject(Kind),
    #[error("`{0}` is absent")]
    Absent(FieldName),
    #[error("`{}` is {}, not a string", .0, .1.article())]
    NotString(FieldName, Kind),
    #[error("`{}` is {}, not a string holding JSON", .0, .1.article())]
    NotJsonString(FieldName, Kind),
    #[error("`{0}` holds invalid JSON: {1}")]
    InnerJson(FieldName, SyntaxError),
    #[error("`properties` holds a JSON {}, not an object or null", .0.name())]
    PropertiesNotObject(Kind),
    #[error("the workspace map gives {} for namespace `{namespace}`, not a string", .kind.article())]
    OwnerNotString { namespace: Box<str>, kind: Kind },
    #[error("`{0}` is absent and there is no `event`")]
    NameAbsent(FieldName),
    #[error("`{}` is {}, not a string, and there is no `event`", .0, .1.article())]
    NameNotString(FieldName, Kind),
    #[error("field `{0}` is not UTF-8")]
    CsvUtf8(Box<str>),
    #[error("CSV record has {got} fields, the header has {want}")]
    CsvFields { got: usize, want: usize },
}

/// What became of one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// One event was appended to the output.
    Emitted,
    /// `null`, or no / `null` / `false` `result`: Splunk's markers.
    Marker,
    Dropped(Unmapped),
    Rejected(Rejection),
}

impl Verdict {
    /// The line is not one good value: the stream reader must judge it.
    pub(crate) fn needs_stream(&self) -> bool {
        matches!(self, Verdict::Rejected(Rejection::Json(_)))
    }
}
