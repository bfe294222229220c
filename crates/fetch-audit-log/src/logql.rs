//! The LogQL query: a stream selector for the audit tenant, then line
//! filters derived from querygen's table, so that the store sends only the
//! lines a user-journey query can select (docs/apis/loki.md, "The query").
//!
//! Every query of the table searches one API group, one resource, some
//! verbs and some response codes (`Kind::head`), and an audit event carries
//! each of them as a JSON value: `"verb":"update"`,
//! `"resource":"pipelineruns"`, `"apiGroup":"tekton.dev"`,
//! `"code":200`. So a line any query selects contains a verb, a resource and
//! a group of the table as quoted strings, and one of its codes after
//! `"code":`. One `|~` filter per class, chained (a chain of line filters
//! is an AND), sends exactly the lines that pass all four: a superset of
//! the candidates, as extract-uj-records' byte pre-filter is, and the same
//! reasoning makes both sound:
//!
//! - Splunk's search ignores case, so the names are matched with `(?i)`.
//! - A JSON string may spell a letter, a digit or a `.` as a `\u` escape,
//!   which a literal match would miss; a line with such an escape passes
//!   every filter (the API server never writes one, so this costs nothing).
//!
//! The filters are regular expressions in the syntax Loki's `|~` takes
//! (RE2, which the `regex` crate follows for everything used here), written
//! as backtick strings, which LogQL takes raw.

use querygen::kind::Kind;

/// The stream selector of the audit tenant. `log_type` is a stream label
/// in both of the LokiStack's data models; `log_source` is one only in the
/// OpenTelemetry model (docs/apis/loki.md, "Stream labels").
pub const DEFAULT_SELECTOR: &str = r#"{log_type="audit"}"#;

/// A `\u` escape of an ASCII letter, digit or `.` (`\u002e`, `\u0030`…`\u0039`,
/// `\u0041`…`\u007f`).
const ESCAPE: &str = r"\\u00(?:2[eE]|3[0-9]|[4-7][0-9a-fA-F])";

/// The line filters' regular expressions for `kinds`, in the order they are
/// chained: verbs, resources, API groups, response codes.
pub fn line_filters(kinds: &[Kind]) -> Vec<String> {
    let mut verbs: Vec<&str> = Vec::new();
    let mut resources: Vec<&str> = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    let mut codes: Vec<&str> = Vec::new();
    for k in kinds {
        for v in k.verbs {
            push_new(&mut verbs, v);
        }
        push_new(&mut resources, k.resource);
        push_new(&mut groups, k.api_group);
        for c in k.status_codes {
            push_new(&mut codes, c);
        }
    }
    let quoted = |words: &[&str]| {
        let alts: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
        format!(r#"(?i)"(?:{})"|{ESCAPE}"#, alts.join("|"))
    };
    let codes: Vec<String> = codes.iter().map(|c| regex::escape(c)).collect();
    vec![
        quoted(&verbs),
        quoted(&resources),
        quoted(&groups),
        format!(r#""code"\s*:\s*(?:{})\b|{ESCAPE}"#, codes.join("|")),
    ]
}

fn push_new<'a>(list: &mut Vec<&'a str>, item: &'a str) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The whole query: `selector` then one `|~` per line filter.
pub fn query(selector: &str, kinds: &[Kind]) -> String {
    let mut q = selector.trim().to_owned();
    for f in line_filters(kinds) {
        q.push_str(" |~ `");
        q.push_str(&f);
        q.push('`');
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use querygen::table::KINDS;

    fn passes(line: &str) -> bool {
        line_filters(KINDS)
            .iter()
            .all(|f| regex::Regex::new(f).unwrap().is_match(line))
    }

    #[test]
    fn the_query_is_the_selector_then_four_raw_filters() {
        let q = query(DEFAULT_SELECTOR, KINDS);
        assert!(q.starts_with(r#"{log_type="audit"} |~ `(?i)"(?:create|update|delete|patch)"|"#));
        assert_eq!(q.matches(" |~ `").count(), 4);
        assert!(!line_filters(KINDS).iter().any(|f| f.contains('`')));
        assert!(q.contains(r"appstudio\.redhat\.com"), "{q}");
    }

    #[test]
    fn candidates_pass_and_noise_does_not() {
        let upd = r#"{"verb":"update","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"},"responseStatus":{"code":200}}"#;
        assert!(passes(upd));
        let upper = r#"{"verb":"UPDATE","objectRef":{"resource":"PipelineRuns","apiGroup":"Tekton.dev"},"responseStatus":{"code": 200}}"#;
        assert!(passes(upper));
        let escaped = r#"{"verb":"upd\u0061te","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"},"responseStatus":{"code":200}}"#;
        assert!(passes(escaped));
        let get = r#"{"verb":"get","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"},"responseStatus":{"code":200}}"#;
        assert!(!passes(get));
        let failed = r#"{"verb":"update","objectRef":{"resource":"pipelineruns","apiGroup":"tekton.dev"},"responseStatus":{"code":409}}"#;
        assert!(!passes(failed));
        let pods = r#"{"verb":"update","objectRef":{"resource":"pods","apiVersion":"v1"},"responseStatus":{"code":200}}"#;
        assert!(!passes(pods));
    }
}
