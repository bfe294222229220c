//! Splunk's `eval`/`where` functions, for the subset the query table uses,
//! applied to one event.
//!
//! Null propagation follows Splunk: a field the event lacks is null; a
//! function of a null argument (`replace`, `mvindex`, `spath` of a null
//! input) is null; a comparison with null is not true, so `case` moves on
//! to its next clause and `where` drops the event; `isnull`/`isnotnull`
//! tell null apart; `json_object` keeps a null argument as JSON `null`.
//! String comparison in `eval` (`==`, `IN`, `like`) is case-sensitive,
//! unlike `search`. Sources: `docs/audit-extraction.md`.

use std::collections::HashMap;

use querygen::spl::{Cond, Expr, Operand, Step, Test};
use regex::Regex;

use crate::fields::{spath, Env, Val};

/// Regular expressions of the table, compiled once.
#[derive(Debug, Default)]
pub struct Regexes(HashMap<String, Regex>);

impl Regexes {
    /// Compiles `pattern` (once) for later [`Regexes::get`].
    pub fn add(&mut self, pattern: &str) -> Result<(), regex::Error> {
        if !self.0.contains_key(pattern) {
            self.0.insert(pattern.to_owned(), Regex::new(pattern)?);
        }
        Ok(())
    }

    fn get(&self, pattern: &str) -> Option<&Regex> {
        self.0.get(pattern)
    }
}

/// Every regular expression `expr` uses (SQL `like` patterns included).
pub fn collect_regexes(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Replace { regex, .. } => out.push((*regex).to_owned()),
        Expr::Case(arms) => arms.iter().for_each(|a| collect_regexes(&a.then, out)),
        _ => {}
    }
}

/// Every regular expression a step uses.
pub fn step_regexes(step: &Step, out: &mut Vec<String>) {
    match step {
        Step::StatusCondition {
            condition_type,
            tests,
        } => {
            out.push((*condition_type).to_owned());
            for (_, t) in *tests {
                if let Test::Like(p) = t {
                    out.push(like_regex(p));
                }
            }
        }
        Step::TaskResult { name, .. } => out.push((*name).to_owned()),
        _ => {}
    }
}

/// Evaluates `expr`.
pub fn eval(expr: &Expr, env: &Env<'_>, re: &Regexes) -> Val {
    match expr {
        Expr::Field(f) => env.get(f),
        Expr::Str(s) => Val::One((*s).to_owned()),
        Expr::Coalesce(fields) => fields
            .iter()
            .map(|f| env.get(f))
            .find(|v| !v.is_null())
            .unwrap_or(Val::Null),
        Expr::First(f) => env.get(f).index(0),
        Expr::Replace {
            field,
            regex,
            replacement,
        } => match re.get(regex) {
            Some(r) => replace(&env.get(field), r, replacement),
            None => Val::Null,
        },
        Expr::ConditionAttr(attr) => condition_attr(env, attr),
        Expr::RawPath(path) => spath(&env.event.json, path),
        Expr::Case(arms) => arms
            .iter()
            .find(|arm| arm.when.iter().all(|c| holds(c, env)))
            .map_or(Val::Null, |arm| eval(&arm.then, env, re)),
    }
}

fn condition_attr(env: &Env<'_>, attr: &str) -> Val {
    match env.condition_index {
        Some(i) => env
            .get(&format!("responseObject.status.conditions{{}}.{attr}"))
            .index(i),
        None => Val::Null,
    }
}

/// A `case` condition: true, or not (false and null alike).
fn holds(cond: &Cond, env: &Env<'_>) -> bool {
    match cond {
        Cond::Eq(operand, value) => {
            let v = match operand {
                Operand::Field(f) => env.get(f),
                Operand::RawPath(p) => spath(&env.event.json, p),
            };
            v.first() == Some(*value)
        }
        Cond::NotNull(f) => !env.values(f).is_empty(),
    }
}

/// `replace(v, regex, replacement)` on every value; `\N` in the
/// replacement is capture group `N`.
fn replace(v: &Val, re: &Regex, replacement: &str) -> Val {
    let rep = pcre_replacement(replacement);
    let each = |s: &String| re.replace_all(s, rep.as_str()).into_owned();
    match v {
        Val::Null => Val::Null,
        Val::One(s) => Val::One(each(s)),
        Val::Multi(vs) => Val::Multi(vs.iter().map(each).collect()),
    }
}

/// Splunk's `\1` back-references in the `regex` crate's `${1}` spelling, a
/// literal `$` escaped.
fn pcre_replacement(rep: &str) -> String {
    let mut out = String::with_capacity(rep.len() + 4);
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    out.push(d);
                }
                out.push('}');
            }
            '\\' => out.push(chars.next().unwrap_or('\\')),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// SQL `LIKE` (`%` any run, `_` one character) as an anchored regex.
pub fn like_regex(pattern: &str) -> String {
    let mut out = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            c => out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out.push('$');
    out
}

/// `mvfind(values, regex)`: the index of the first value the regex finds
/// a match in.
fn mvfind(v: &Val, re: &Regex) -> Option<i64> {
    v.values()
        .iter()
        .position(|s| re.is_match(s))
        .and_then(|i| i64::try_from(i).ok())
}

/// Runs a filter/extraction step; `false` drops the event.
pub fn step(step: &Step, env: &mut Env<'_>, re: &Regexes) -> bool {
    match step {
        Step::StatusCondition {
            condition_type,
            tests,
        } => {
            let types = env.get("responseObject.status.conditions{}.type");
            env.condition_index = re.get(condition_type).and_then(|r| mvfind(&types, r));
            env.condition_index.is_some() && tests.iter().all(|(a, t)| test(env, a, t, re))
        }
        Step::TaskResult {
            name,
            into,
            extract,
        } => {
            let names = env.get("responseObject.status.taskResults{}.name");
            let Some(i) = re.get(name).and_then(|r| mvfind(&names, r)) else {
                return false;
            };
            let value = env
                .get("responseObject.status.taskResults{}.value")
                .index(i);
            for path in *extract {
                let out = spath_field(&value, path);
                env.set(&format!("{into}.{path}"), out);
            }
            env.set(into, value);
            true
        }
        Step::Spath {
            input,
            path,
            output,
        } => {
            let out = spath_field(&env.get(input), path);
            env.set(output, out);
            true
        }
        Step::Search(terms) => terms.iter().all(|t| crate::search::matches(t, env)),
        // Dedup looks across events: the caller does it (see `query`).
        Step::Dedup { .. } => true,
    }
}

/// `spath input=<field holding JSON> path=…`: null when the field is null
/// or not JSON.
fn spath_field(input: &Val, path: &str) -> Val {
    input
        .first()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .map_or(Val::Null, |doc| spath(&doc, path))
}

fn test(env: &Env<'_>, attr: &str, t: &Test, re: &Regexes) -> bool {
    let v = condition_attr(env, attr);
    let Some(s) = v.first() else { return false };
    match t {
        Test::In(values) => values.contains(&s),
        Test::Like(p) => re.get(&like_regex(p)).is_some_and(|r| r.is_match(s)),
    }
}

/// `json_object(k1, v1, …)` as Splunk prints it: compact, keys in argument
/// order, null kept as `null`, a value that eval sees as a number (a
/// decimal numeral) as a JSON number, a multivalue as an array.
pub fn json_object(pairs: &[(&str, Val)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, k);
        out.push(':');
        match v {
            Val::Null => out.push_str("null"),
            Val::One(s) => push_scalar(&mut out, s),
            Val::Multi(vs) => push_json_array(&mut out, vs, push_scalar),
        }
    }
    out.push('}');
    out
}

/// `[a,b,…]`, each value written by `push`.
pub fn push_json_array(out: &mut String, values: &[String], push: fn(&mut String, &str)) {
    out.push('[');
    for (i, s) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push(out, s);
    }
    out.push(']');
}

fn push_scalar(out: &mut String, s: &str) {
    if is_numeral(s) {
        out.push_str(s);
    } else {
        push_json_string(out, s);
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: numbers eval takes as numbers and that
/// JSON can carry as written.
pub fn is_numeral(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

pub fn push_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_back_references() {
        assert_eq!(pcre_replacement(r"\1"), "${1}");
        assert_eq!(pcre_replacement(r"a$\12\\"), "a$$${12}\\");
        let r = Regex::new("^([^?]*)(.*)?").unwrap();
        assert_eq!(
            replace(&Val::One("https://g/r?x=1".into()), &r, r"\1"),
            Val::One("https://g/r".into())
        );
        assert_eq!(replace(&Val::Null, &r, r"\1"), Val::Null);
    }

    #[test]
    fn like_patterns() {
        let r = Regex::new(&like_regex("Tasks Completed: 0 %")).unwrap();
        assert!(
            r.is_match("Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 3, Skipped: 0")
        );
        assert!(!r.is_match("Tasks Completed: 10 (Failed: 0)"));
        assert!(!r.is_match("tasks completed: 0 x"));
        let r = Regex::new(&like_regex("a_c.")).unwrap();
        assert!(r.is_match("abc.") && !r.is_match("abcx"));
    }

    #[test]
    fn json_object_keeps_order_nulls_and_numbers() {
        let s = json_object(&[
            ("b", Val::One("x\"y".into())),
            ("a", Val::Null),
            ("n", Val::One("0".into())),
            ("v", Val::One("v1".into())),
            ("z", Val::One("007".into())),
            ("m", Val::Multi(vec!["1".into(), "q".into()])),
        ]);
        assert_eq!(
            s,
            r#"{"b":"x\"y","a":null,"n":0,"v":"v1","z":"007","m":[1,"q"]}"#
        );
    }

    #[test]
    fn numerals() {
        for s in ["0", "12", "-3", "1.5"] {
            assert!(is_numeral(s), "{s}");
        }
        for s in ["", "01", "1.", ".5", "1e3", "+1", "v1", "-"] {
            assert!(!is_numeral(s), "{s}");
        }
    }
}
