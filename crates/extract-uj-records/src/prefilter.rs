//! The cheap test that throws away audit noise before any JSON parse.
//!
//! Most of an audit log is `get`/`list`/`watch` of pods, secrets, leases….
//! An event a query can select has a verb, a resource and an API group of
//! the table as JSON string values, so its text contains each of them right
//! after a quote (`"update`, `"pipelineruns`, `"tekton.dev`); compared
//! without case, as Splunk's search does. Only the opening quote is looked
//! for, so the test holds at any depth of embedding: an event carried as a
//! string inside a collector's record (`{"log":"{\"verb\":\"update\"…"}`)
//! still has a quote right before each value. One Aho-Corasick pass over the
//! value looks for all of them at once.
//!
//! Sound, not just likely: a JSON string can spell a letter, a dot or a
//! quote as a `\u` escape (`"upd\u0061te"`) and would slip past the literal
//! search, so a value that contains an escape of an ASCII letter, of `.` or
//! of `"` (`\u004x` to `\u007x`, `\u002e`, `\u0022`) is always passed on
//! to the full evaluation. The API server (Go's `encoding/json`) and the
//! collectors never write those, so this costs nothing on real logs.
//!
//! Skipping is also where a value is counted as noise, so the test must
//! only skip what the full path would call noise too: one audit event that
//! no query selects. A value without any of the keys that make an audit
//! event (`auditID`, `verb`, `requestURI`, `objectRef`) anywhere cannot be
//! one, and a value that may hold
//! several events (a top-level array, an `EventList`, a `records` or
//! `logEvents` batch) is counted event by event; both always go to the full
//! path (`docs/audit-extraction.md`, "The pre-filter").

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use querygen::kind::Kind;

const ESCAPES: &[&str] = &["\\u002e", "\\u0022", "\\u004", "\\u005", "\\u006", "\\u007"];

/// The keys that make an object an audit event (`form::EVENT_KEYS`),
/// after their opening quote.
const MARKERS: [&str; 4] = ["\"auditID", "\"verb", "\"requestURI", "\"objectRef"];

/// Keys of the forms that carry several events in one value.
const CONTAINERS: &[&str] = &["\"EventList", "\"records", "\"logEvents"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Verb,
    Resource,
    Group,
    Escape,
    Marker,
    Container,
}

/// The pre-filter for a set of kinds.
pub struct PreFilter {
    ac: AhoCorasick,
    classes: Vec<Class>,
}

impl PreFilter {
    /// Built from the kinds' verbs, resources and API groups.
    pub fn new(kinds: &[Kind]) -> Result<PreFilter, aho_corasick::BuildError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut classes = Vec::new();
        let mut add = |p: String, c: Class| {
            if !patterns.contains(&p) {
                patterns.push(p);
                classes.push(c);
            }
        };
        for k in kinds {
            for v in k.verbs {
                add(format!("\"{v}"), Class::Verb);
            }
            add(format!("\"{}", k.resource), Class::Resource);
            add(format!("\"{}", k.api_group), Class::Group);
        }
        for e in ESCAPES {
            add((*e).to_owned(), Class::Escape);
        }
        for m in MARKERS {
            add(m.to_owned(), Class::Marker);
        }
        for c in CONTAINERS {
            add((*c).to_owned(), Class::Container);
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)?;
        Ok(PreFilter { ac, classes })
    }

    /// `false` only for one valid JSON value that is a single audit event
    /// no query can select (noise).
    pub fn may_match(&self, value: &[u8]) -> bool {
        if value.first() == Some(&b'[') {
            return true;
        }
        let (mut verb, mut resource, mut group, mut marker) = (false, false, false, false);
        for m in self.ac.find_overlapping_iter(value) {
            match self.classes[m.pattern().as_usize()] {
                Class::Verb => verb = true,
                Class::Resource => resource = true,
                Class::Group => group = true,
                Class::Marker => marker = true,
                Class::Escape | Class::Container => return true,
            }
            if verb && resource && group {
                return true;
            }
        }
        !marker
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use querygen::table::KINDS;

    #[test]
    fn noise_is_rejected_and_candidates_pass() {
        let f = PreFilter::new(KINDS).unwrap();
        let noise = br#"{"kind":"Event","auditID":"a","verb":"get","objectRef":{"resource":"pods","apiVersion":"v1"},"requestURI":"/api/v1/pods?a=1\u0026b=2"}"#;
        assert!(!f.may_match(noise));
        let list_pr =
            br#"{"auditID":"a","verb":"list","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"}}"#;
        assert!(!f.may_match(list_pr));
        let upd =
            br#"{"verb":"update","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"}}"#;
        assert!(f.may_match(upd));
        // Splunk's search ignores case, so the pre-filter does too.
        let upper =
            br#"{"verb":"UPDATE","objectRef":{"resource":"PipelineRuns","apiGroup":"Tekton.dev"}}"#;
        assert!(f.may_match(upper));
        let escaped = br#"{"verb":"upd\u0061te","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"}}"#;
        assert!(f.may_match(escaped));
        // Embedded in a collector's string, one level or more.
        let embedded = br#"{"log":"{\"auditID\":\"a\",\"verb\":\"update\",\"objectRef\":{\"resource\":\"pipelineruns\",\"apiGroup\":\"tekton.dev\"}}"}"#;
        assert!(f.may_match(embedded));
        let embedded_noise = br#"{"log":"{\"auditID\":\"a\",\"verb\":\"get\",\"objectRef\":{\"resource\":\"pods\"}}"}"#;
        assert!(!f.may_match(embedded_noise));
        // Not an audit event, or maybe several: the full path decides.
        assert!(f.may_match(br#"{"a":true}"#));
        assert!(f.may_match(br#"{"log":"GET /healthz"}"#));
        assert!(f.may_match(br#"[{"auditID":"a","verb":"get"}]"#));
        assert!(f.may_match(br#"{"kind":"EventList","items":[{"auditID":"a"}]}"#));
        assert!(f.may_match(br#"{"auditID":"a","verb":"get","n":"\u0022"}"#));
    }
}
