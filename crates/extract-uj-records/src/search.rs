//! Splunk's `search` command terms, for the forms the query table uses.
//!
//! - `field=value` matches when any value of the (possibly multivalue)
//!   field equals `value` as a whole, **ignoring case**, with `*` matching
//!   any run of characters; `"field"="*"` therefore means "the field has a
//!   value". Field names are case-sensitive; quoting a field name (needed
//!   for dotted names) changes nothing.
//! - `field IN (a, b)` is `field=a OR field=b`.
//! - `field!=value` matches only events that *have* the field, with no
//!   value equal to `value` (unlike `NOT field=value`, which also matches
//!   events without the field).
//! - `NOT`, `OR`, `AND` (juxtaposition) as in boolean logic.
//!
//! Sources are listed in `docs/audit-extraction.md`.

use querygen::spl::Term;

use crate::fields::Env;

/// Whether `term` matches the event in `env`.
pub fn matches(term: &Term<'_>, env: &Env<'_>) -> bool {
    match term {
        Term::Str { field, value } | Term::Bare { field, value } => any_value(env, field, value),
        Term::Words { field, words } => words.iter().any(|w| any_value(env, field, w)),
        Term::NotEq { field, word } => {
            let values = env.values(field);
            !values.is_empty() && !values.iter().any(|v| wildcard_match(word, v))
        }
        Term::Not(t) => !matches(t, env),
        Term::Or(ts) => ts.iter().any(|t| matches(t, env)),
        Term::And(ts) => ts.iter().all(|t| matches(t, env)),
    }
}

fn any_value(env: &Env<'_>, field: &str, pattern: &str) -> bool {
    env.values(field).iter().any(|v| wildcard_match(pattern, v))
}

/// `pattern` (with `*` wildcards) against the whole of `text`, ignoring
/// case.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    glob(&p, &t)
}

/// Iterative glob with `*` only; linear backtracking on the last star.
fn glob(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_case() {
        assert!(wildcard_match("create", "CREATE"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*pac*", r#"{"PaC":{"state":"enabled"}}"#));
        assert!(wildcard_match("system:*", "system:serviceaccount:x"));
        assert!(!wildcard_match("system:*", "alice"));
        assert!(!wildcard_match("create", "created"));
        assert!(wildcard_match("a*b*c", "aXbYbc"));
        assert!(!wildcard_match("a*b*c", "aXbYb"));
    }
}
