//! The part of LogQL the Loki stand-in evaluates: a stream selector
//! (`{name="v", name!="v", name=~"re", name!~"re"}`, regexes anchored at
//! both ends as Loki anchors them) followed by line filters (`|= "text"`,
//! `!= "text"`, `|~ "re"`, `!~ "re"`), strings in double quotes (Go
//! escapes) or backticks (raw). Anything else (parsers, metric queries) is
//! refused with a parse error, as a 400, so a client that sends more than
//! this is caught by its tests instead of silently served everything.

use std::collections::BTreeMap;

use regex::Regex;

/// A parsed log query.
#[derive(Debug, Clone)]
pub struct LogQuery {
    matchers: Vec<(String, MatchOp)>,
    filters: Vec<Filter>,
}

#[derive(Debug, Clone)]
enum MatchOp {
    Eq(String),
    Ne(String),
    Re(Regex),
    NotRe(Regex),
}

#[derive(Debug, Clone)]
enum Filter {
    Contains(String),
    NotContains(String),
    Re(Regex),
    NotRe(Regex),
}

impl LogQuery {
    /// Whether a stream with `labels` is selected (a missing label is `""`).
    pub fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers.iter().all(|(name, op)| {
            let v = labels.get(name).map_or("", String::as_str);
            match op {
                MatchOp::Eq(x) => v == x,
                MatchOp::Ne(x) => v != x,
                MatchOp::Re(r) => r.is_match(v),
                MatchOp::NotRe(r) => !r.is_match(v),
            }
        })
    }

    /// Whether `line` passes every line filter.
    pub fn keeps(&self, line: &str) -> bool {
        self.filters.iter().all(|f| match f {
            Filter::Contains(t) => line.contains(t.as_str()),
            Filter::NotContains(t) => !line.contains(t.as_str()),
            Filter::Re(r) => r.is_match(line),
            Filter::NotRe(r) => !r.is_match(line),
        })
    }
}

/// Parses `q`; the error is Loki's form, `parse error at line 1, col N: …`.
pub fn parse(q: &str) -> Result<LogQuery, String> {
    let mut p = Parser { s: q, i: 0 };
    p.ws();
    p.expect("{")?;
    let mut matchers = Vec::new();
    loop {
        p.ws();
        if p.eat("}") {
            break;
        }
        let name = p.ident()?;
        p.ws();
        let op = ["=~", "!~", "!=", "="]
            .into_iter()
            .find(|o| p.eat(o))
            .ok_or_else(|| p.err("expected a label matcher operator"))?;
        p.ws();
        let value = p.string()?;
        let anchored =
            |v: &str| Regex::new(&format!("^(?:{v})$")).map_err(|e| p.err(&e.to_string()));
        let m = match op {
            "=" => MatchOp::Eq(value),
            "!=" => MatchOp::Ne(value),
            "=~" => MatchOp::Re(anchored(&value)?),
            _ => MatchOp::NotRe(anchored(&value)?),
        };
        matchers.push((name, m));
        p.ws();
        if p.eat(",") {
            continue;
        }
        p.ws();
        p.expect("}")?;
        break;
    }
    if matchers.is_empty() {
        return Err(p.err("queries require at least one matcher"));
    }
    let mut filters = Vec::new();
    loop {
        p.ws();
        if p.i >= p.s.len() {
            break;
        }
        let op = ["|=", "!=", "|~", "!~"]
            .into_iter()
            .find(|o| p.eat(o))
            .ok_or_else(|| p.err("the stand-in takes only line filters after the selector"))?;
        p.ws();
        let text = p.string()?;
        let re = |t: &str| Regex::new(t).map_err(|e| p.err(&e.to_string()));
        filters.push(match op {
            "|=" => Filter::Contains(text),
            "!=" => Filter::NotContains(text),
            "|~" => Filter::Re(re(&text)?),
            _ => Filter::NotRe(re(&text)?),
        });
    }
    Ok(LogQuery { matchers, filters })
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("parse error at line 1, col {}: {what}", self.i + 1)
    }

    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    fn ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.i += n;
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.rest().starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &str) -> Result<(), String> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{t}`")))
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        let n = self
            .rest()
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if n == 0 || self.rest().as_bytes()[0].is_ascii_digit() {
            return Err(self.err("expected a label name"));
        }
        let id = self.rest()[..n].to_owned();
        self.i += n;
        Ok(id)
    }

    /// A `"…"` string with Go's escapes, or a raw `` `…` `` string.
    fn string(&mut self) -> Result<String, String> {
        if self.eat("`") {
            let end = self
                .rest()
                .find('`')
                .ok_or_else(|| self.err("unterminated raw string"))?;
            let v = self.rest()[..end].to_owned();
            self.i += end + 1;
            return Ok(v);
        }
        self.expect("\"")?;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += k + 1;
                    return Ok(out);
                }
                '\\' => {
                    let (_, e) = chars.next().ok_or_else(|| self.err("bad escape"))?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '\\' | '"' | '\'' => out.push(e),
                        'u' => {
                            let hex: String = (0..4)
                                .filter_map(|_| chars.next().map(|(_, h)| h))
                                .collect();
                            let c = u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("bad \\u escape"))?;
                            out.push(c);
                        }
                        _ => return Err(self.err(&format!("unknown escape `\\{e}`"))),
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.err("unterminated string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn selectors_and_filters() {
        let q =
            parse(r#"{log_type="audit", node=~"m[12]"} |= "verb" |~ `(?i)"UPDATE"` != "noise""#)
                .unwrap();
        assert!(q.selects(&labels(&[("log_type", "audit"), ("node", "m1")])));
        assert!(!q.selects(&labels(&[("log_type", "audit"), ("node", "m10")])));
        assert!(!q.selects(&labels(&[("log_type", "application"), ("node", "m1")])));
        assert!(q.keeps(r#"{"verb":"update"}"#));
        assert!(!q.keeps(r#"{"verb":"update","x":"noise"}"#));
        assert!(!q.keeps(r#"{"verb":"get"}"#));
        let q = parse(r#"{a="\"x\"\u0041"}"#).unwrap();
        assert!(q.selects(&labels(&[("a", "\"x\"A")])));
    }

    #[test]
    fn what_it_does_not_take_is_a_parse_error() {
        for bad in [
            r#"{a="b"} | json"#,
            r#"{a="b""#,
            "rate({a=\"b\"}[5m])",
            "{}",
            r#"{a="b"} |~ "(""#,
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.starts_with("parse error at line 1, col "), "{bad}: {e}");
        }
    }
}
