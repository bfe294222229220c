//! The cheap test that throws away audit noise before any JSON parse.
//!
//! Most of an audit log is `get`/`list`/`watch` of pods, secrets, leases….
//! An event a query can select has a verb, a resource and an API group of
//! the table as JSON string values, so its line contains each of them as a
//! quoted string (`"update"`, `"pipelineruns"`, `"tekton.dev"`); compared
//! without case, as Splunk's search does. One Aho-Corasick pass over the
//! line looks for all of them at once and stops as soon as one of each
//! class has been seen.
//!
//! Sound, not just likely: a JSON string can spell a letter or a dot as a
//! `\u` escape (`"upd\u0061te"`) and would slip past the literal search, so
//! a line that contains an escape of an ASCII letter or of `.` (`\u004x`
//! to `\u007x`, `\u002e`) is always passed on to the full evaluation. The
//! API server's encoder never writes those (Go's `encoding/json` escapes
//! only `<`, `>`, `&`, U+2028/9 and control characters), so this costs
//! nothing on real logs.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use querygen::kind::Kind;

const ESCAPES: &[&str] = &["\\u002e", "\\u004", "\\u005", "\\u006", "\\u007"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Verb,
    Resource,
    Group,
    Escape,
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
                add(format!("\"{v}\""), Class::Verb);
            }
            add(format!("\"{}\"", k.resource), Class::Resource);
            add(format!("\"{}\"", k.api_group), Class::Group);
        }
        for e in ESCAPES {
            add((*e).to_owned(), Class::Escape);
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)?;
        Ok(PreFilter { ac, classes })
    }

    /// `false` only for a line no query can select.
    pub fn may_match(&self, line: &[u8]) -> bool {
        let (mut verb, mut resource, mut group) = (false, false, false);
        for m in self.ac.find_overlapping_iter(line) {
            match self.classes[m.pattern().as_usize()] {
                Class::Verb => verb = true,
                Class::Resource => resource = true,
                Class::Group => group = true,
                Class::Escape => return true,
            }
            if verb && resource && group {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use querygen::table::KINDS;

    #[test]
    fn noise_is_rejected_and_candidates_pass() {
        let f = PreFilter::new(KINDS).unwrap();
        let noise = br#"{"kind":"Event","verb":"get","objectRef":{"resource":"pods","apiVersion":"v1"},"requestURI":"/api/v1/pods?a=1\u0026b=2"}"#;
        assert!(!f.may_match(noise));
        let list_pr =
            br#"{"verb":"list","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"}}"#;
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
    }
}
