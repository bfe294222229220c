//! The pieces of Splunk's search language (SPL) the queries are made of, and
//! how each one is written out.
//!
//! The query table (`table.rs`) says *what* each query searches, filters and
//! outputs in terms of these pieces; this module alone knows the spelling:
//! which names get quoted, where the spaces go, how a `case(...)` is laid out.
//! The spelling is the original generator's, quirks included (it is what the
//! byte-exact fixtures pin down), so each quirk is documented where it lives.
//!
//! Strings written in the table are SPL literals, copied as they are (the
//! `"\1"` of a `replace` is Splunk's back-reference, not an escape). Only
//! quoted term values ([`Term::Str`], [`Term::Bare`]) are escaped, because
//! that is where the user-supplied index goes.
//!
//! There is no variant that carries raw SPL text: `extract-uj-records`
//! evaluates these same values on raw audit events (its module `eval`
//! matches on every variant), so a table entry is the one truth for both
//! the query text and its local evaluation.

/// One term of a `search` command.
///
/// Every variant is structured (no SPL text passed through), so that the
/// same entry yields both the query text and, in `extract-uj-records`, the
/// local evaluation of the term.
#[derive(Debug, Clone, Copy)]
pub enum Term<'a> {
    /// `field="value"`: the value quoted, `"` and `\` escaped; the field
    /// name quoted unless it is a plain word. `*` in the value is Splunk's
    /// wildcard; `"field"="*"` means "the field exists".
    Str { field: &'a str, value: &'a str },
    /// `field="value"` with the field name written bare even when dotted
    /// (the original spelled the user terms of its actor predicate so;
    /// Splunk reads both spellings alike).
    Bare { field: &'a str, value: &'a str },
    /// `field=word`, or `field IN (w1, w2)` when there are several words.
    Words {
        field: &'a str,
        words: &'a [&'a str],
    },
    /// `field!=word`: the field exists and has another value.
    NotEq { field: &'a str, word: &'a str },
    /// `(NOT term)`; written `NOT term`, without parentheses, directly
    /// inside an [`Term::And`] (the original's spelling).
    Not(&'a Term<'a>),
    /// `(t1 OR t2 …)`.
    Or(&'a [Term<'a>]),
    /// `(t1 AND t2 …)`.
    And(&'a [Term<'a>]),
}

impl Term<'_> {
    pub fn render(&self, out: &mut String) {
        self.render_in(out, false);
    }

    /// `in_and`: the term is an operand of an `AND` group.
    fn render_in(&self, out: &mut String, in_and: bool) {
        match self {
            Term::Str { field, value } => {
                search_field(out, field);
                out.push('=');
                push_quoted(out, value);
            }
            Term::Bare { field, value } => {
                out.push_str(field);
                out.push('=');
                push_quoted(out, value);
            }
            Term::Words { field, words } => {
                search_field(out, field);
                if let [word] = words {
                    out.push('=');
                    out.push_str(word);
                } else {
                    out.push_str(" IN (");
                    out.push_str(&words.join(", "));
                    out.push(')');
                }
            }
            Term::NotEq { field, word } => {
                search_field(out, field);
                out.push_str("!=");
                out.push_str(word);
            }
            Term::Not(term) if in_and => {
                out.push_str("NOT ");
                term.render_in(out, false);
            }
            Term::Not(term) => {
                out.push_str("(NOT ");
                term.render_in(out, false);
                out.push(')');
            }
            Term::Or(terms) => group(out, terms, " OR ", false),
            Term::And(terms) => group(out, terms, " AND ", true),
        }
    }
}

fn group(out: &mut String, terms: &[Term<'_>], join: &str, in_and: bool) {
    out.push('(');
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            out.push_str(join);
        }
        t.render_in(out, in_and);
    }
    out.push(')');
}

/// A value computed by `eval`.
#[derive(Debug, Clone, Copy)]
pub enum Expr {
    /// `'field'`: a field of the event.
    Field(&'static str),
    /// `"text"`: a constant string.
    Str(&'static str),
    /// The first of these fields that is not null:
    /// `if(isnull('a'),if(isnull('b'),'c','b'),'a')`.
    Coalesce(&'static [&'static str]),
    /// The first value of a multi-valued field: `mvindex('field',0)`.
    First(&'static str),
    /// `replace('field',"regex","replacement")`.
    Replace {
        field: &'static str,
        regex: &'static str,
        replacement: &'static str,
    },
    /// An attribute (`reason`, `message`, …) of the status condition that a
    /// [`Step::StatusCondition`] found.
    ConditionAttr(&'static str),
    /// `spath(_raw, "path")`: a path into the raw audit record, for values
    /// that Splunk's automatic field extraction can't name (array elements).
    RawPath(&'static str),
    /// `case(when, then, …)`, laid out one clause per line, each line
    /// indented with four tabs (as the original's source had it).
    Case(&'static [Arm]),
}

/// One clause of an [`Expr::Case`]: when every condition of `when` holds
/// (`AND`), the value is `then`. An empty `when` is the catch-all `true()`.
#[derive(Debug, Clone, Copy)]
pub struct Arm {
    pub when: &'static [Cond],
    pub then: Expr,
}

/// A boolean condition of a `case` clause.
#[derive(Debug, Clone, Copy)]
pub enum Cond {
    /// `operand=="value"`: exact, case-sensitive string equality.
    Eq(Operand, &'static str),
    /// `NOT isnull('field')`: the field has a value.
    NotNull(&'static str),
}

/// The left side of a [`Cond::Eq`].
#[derive(Debug, Clone, Copy)]
pub enum Operand {
    /// A field of the event: bare when its name is a plain word (`verb`),
    /// else single-quoted (`'objectRef.resource'`).
    Field(&'static str),
    /// `spath(_raw,"path")`, written without the space that
    /// [`Expr::RawPath`] has (both are the original's spellings).
    RawPath(&'static str),
}

impl Cond {
    pub fn render(&self, out: &mut String) {
        match self {
            Cond::Eq(operand, value) => {
                match operand {
                    Operand::Field(f) if is_word(f) => out.push_str(f),
                    Operand::Field(f) => push_field_ref(out, f),
                    Operand::RawPath(p) => {
                        out.push_str("spath(_raw,\"");
                        out.push_str(p);
                        out.push_str("\")");
                    }
                }
                out.push_str("==\"");
                out.push_str(value);
                out.push('"');
            }
            Cond::NotNull(field) => {
                out.push_str("NOT isnull(");
                push_field_ref(out, field);
                out.push(')');
            }
        }
    }
}

const CASE_LINE: &str = "\n\t\t\t\t";

impl Expr {
    pub fn render(&self, out: &mut String) {
        match self {
            Expr::Field(field) => push_field_ref(out, field),
            Expr::Str(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Expr::Coalesce(fields) => coalesce(out, fields),
            Expr::First(field) => {
                out.push_str("mvindex(");
                push_field_ref(out, field);
                out.push_str(",0)");
            }
            Expr::Replace {
                field,
                regex,
                replacement,
            } => {
                out.push_str("replace(");
                push_field_ref(out, field);
                out.push_str(",\"");
                out.push_str(regex);
                out.push_str("\",\"");
                out.push_str(replacement);
                out.push_str("\")");
            }
            Expr::ConditionAttr(attr) => condition_attr(out, attr),
            Expr::RawPath(path) => {
                out.push_str("spath(_raw, \"");
                out.push_str(path);
                out.push_str("\")");
            }
            Expr::Case(arms) => {
                out.push_str("case(");
                for (i, arm) in arms.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(CASE_LINE);
                    if arm.when.is_empty() {
                        out.push_str("true()");
                    }
                    for (j, cond) in arm.when.iter().enumerate() {
                        if j > 0 {
                            out.push_str(CASE_LINE);
                            out.push_str("AND ");
                        }
                        cond.render(out);
                    }
                    out.push(',');
                    out.push_str(CASE_LINE);
                    arm.then.render(out);
                }
                out.push_str(CASE_LINE);
                out.push(')');
            }
        }
    }
}

fn coalesce(out: &mut String, fields: &[&str]) {
    match fields {
        [] => out.push_str("null()"),
        [only] => push_field_ref(out, only),
        [first, rest @ ..] => {
            out.push_str("if(isnull(");
            push_field_ref(out, first);
            out.push_str("),");
            coalesce(out, rest);
            out.push(',');
            push_field_ref(out, first);
            out.push(')');
        }
    }
}

/// A filtering or extracting stage between the `search` and the output
/// `eval`. Each renders as one or more SPL commands.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Keep events whose `status.conditions` has one of `condition_type`
    /// passing every test (attribute name, test); its index stays in
    /// `status_condition_index` for [`Expr::ConditionAttr`].
    StatusCondition {
        condition_type: &'static str,
        tests: &'static [(&'static str, Test)],
    },
    /// Keep Tekton TaskRuns that have the result `name`; its value (a JSON
    /// document) goes to the field `into`, and each of `extract` (a JSON
    /// path in it) to the field `into.path`.
    TaskResult {
        name: &'static str,
        into: &'static str,
        extract: &'static [&'static str],
    },
    /// `spath input=… path=… output=…`: extract a JSON path from a field
    /// holding JSON.
    Spath {
        input: &'static str,
        path: &'static str,
        output: &'static str,
    },
    /// A further `search` on fields computed by earlier steps.
    Search(&'static [Term<'static>]),
    /// Keep one event per value of `field`, the first in `sortby` order.
    Dedup {
        field: &'static str,
        sortby: &'static str,
    },
}

/// A test on an attribute of a status condition.
#[derive(Debug, Clone, Copy)]
pub enum Test {
    /// The attribute is one of these strings.
    In(&'static [&'static str]),
    /// The attribute matches this SQL-`LIKE` pattern (`%` = any text).
    Like(&'static str),
}

const CONDITIONS: &str = "responseObject.status.conditions{}";
const CONDITION_INDEX: &str = "status_condition_index";
const TASK_RESULTS: &str = "responseObject.status.taskResults{}";
const TASK_RESULT_INDEX: &str = "tekton_task_result_index";

impl Step {
    /// The SPL commands of this step, without the separating `|`.
    pub fn commands(&self) -> Vec<String> {
        match self {
            Step::StatusCondition {
                condition_type,
                tests,
            } => status_condition(condition_type, tests),
            Step::TaskResult {
                name,
                into,
                extract,
            } => task_result(name, into, extract),
            Step::Spath {
                input,
                path,
                output,
            } => vec![spath(input, path, output)],
            Step::Search(terms) => {
                let mut cmd = String::from("search");
                for term in *terms {
                    cmd.push(' ');
                    term.render(&mut cmd);
                }
                vec![cmd]
            }
            Step::Dedup { field, sortby } => vec![format!("dedup {field} sortby {sortby}")],
        }
    }
}

/// `eval` the index of the status condition of this type, keep the
/// objects that have one and pass every test on its attributes.
fn status_condition(condition_type: &str, tests: &[(&str, Test)]) -> Vec<String> {
    let find = format!("eval {CONDITION_INDEX}=mvfind('{CONDITIONS}.type', \"{condition_type}\")");
    let mut filter = format!("where isnotnull({CONDITION_INDEX})");
    for (attr, test) in tests {
        filter.push_str(" AND ");
        condition_test(&mut filter, attr, test);
    }
    vec![find, filter]
}

/// One test on a status condition's attribute: `attr IN ("a", "b")` or
/// `like(attr, "pattern")`.
fn condition_test(filter: &mut String, attr: &str, test: &Test) {
    match test {
        Test::In(values) => {
            condition_attr(filter, attr);
            filter.push_str(" IN (");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    filter.push_str(", ");
                }
                filter.push('"');
                filter.push_str(v);
                filter.push('"');
            }
            filter.push(')');
        }
        Test::Like(pattern) => {
            filter.push_str("like(");
            condition_attr(filter, attr);
            filter.push_str(", \"");
            filter.push_str(pattern);
            filter.push_str("\")");
        }
    }
}

/// The value of the task result `name` into the field `into`, then the
/// JSON paths to extract from it.
fn task_result(name: &str, into: &str, extract: &[&str]) -> Vec<String> {
    let mut cmds = vec![
        format!("eval {TASK_RESULT_INDEX}=mvfind('{TASK_RESULTS}.name', \"{name}\")"),
        format!("where isnotnull({TASK_RESULT_INDEX})"),
        format!("eval {into}=mvindex('{TASK_RESULTS}.value', {TASK_RESULT_INDEX})"),
    ];
    for path in extract {
        cmds.push(spath(into, path, &format!("{into}.{path}")));
    }
    cmds
}

fn spath(input: &str, path: &str, output: &str) -> String {
    let mut cmd = String::from("spath input=");
    search_field(&mut cmd, input);
    cmd.push_str(", path=");
    cmd.push_str(path);
    cmd.push_str(" output=");
    cmd.push_str(output);
    cmd
}

/// `mvindex('responseObject.status.conditions{}.ATTR', status_condition_index)`.
fn condition_attr(out: &mut String, attr: &str) {
    out.push_str("mvindex('");
    out.push_str(CONDITIONS);
    out.push('.');
    out.push_str(attr);
    out.push_str("', ");
    out.push_str(CONDITION_INDEX);
    out.push(')');
}

/// `'field'`: a field reference in an `eval` expression.
fn push_field_ref(out: &mut String, field: &str) {
    out.push('\'');
    out.push_str(field);
    out.push('\'');
}

/// A field name as a search argument: bare when it is a plain word,
/// double-quoted otherwise (dots, slashes, braces).
fn search_field(out: &mut String, field: &str) {
    if is_word(field) {
        out.push_str(field);
    } else {
        push_quoted(out, field);
    }
}

/// True for names made only of ASCII letters, digits and `_`.
pub fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `"s"` with `"` and `\` escaped by a backslash, Splunk's quoting rule for
/// search strings.
pub fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(t: Term<'_>) -> String {
        let mut s = String::new();
        t.render(&mut s);
        s
    }

    fn expr(e: Expr) -> String {
        let mut s = String::new();
        e.render(&mut s);
        s
    }

    #[test]
    fn search_terms_quote_dotted_fields_and_string_values() {
        assert_eq!(
            term(Term::Str {
                field: "objectRef.resource",
                value: "applications"
            }),
            r#""objectRef.resource"="applications""#
        );
        assert_eq!(
            term(Term::Words {
                field: "verb",
                words: &["create"]
            }),
            "verb=create"
        );
        assert_eq!(
            term(Term::Words {
                field: "responseStatus.code",
                words: &["200", "201"]
            }),
            r#""responseStatus.code" IN (200, 201)"#
        );
        assert_eq!(
            term(Term::Not(&Term::Str {
                field: "a.b",
                value: "*"
            })),
            r#"(NOT "a.b"="*")"#
        );
        assert_eq!(
            term(Term::Or(&[
                Term::Str {
                    field: "a.b",
                    value: "*"
                },
                Term::And(&[
                    Term::Bare {
                        field: "u.n",
                        value: "*"
                    },
                    Term::Not(&Term::Bare {
                        field: "u.n",
                        value: "s:*"
                    }),
                ]),
            ])),
            r#"("a.b"="*" OR (u.n="*" AND NOT u.n="s:*"))"#
        );
        assert_eq!(
            term(Term::NotEq {
                field: "verb",
                word: "create"
            }),
            "verb!=create"
        );
    }

    #[test]
    fn string_values_are_escaped() {
        assert_eq!(
            term(Term::Str {
                field: "index",
                value: r#"a"b\c"#
            }),
            r#"index="a\"b\\c""#
        );
    }

    #[test]
    fn coalesce_nests_if_isnull() {
        assert_eq!(expr(Expr::Coalesce(&["a"])), "'a'");
        assert_eq!(expr(Expr::Coalesce(&["a", "b"])), "if(isnull('a'),'b','a')");
        assert_eq!(
            expr(Expr::Coalesce(&["a", "b", "c"])),
            "if(isnull('a'),if(isnull('b'),'c','b'),'a')"
        );
    }

    #[test]
    fn functions_render_as_the_original_spelled_them() {
        assert_eq!(expr(Expr::First("o{}.name")), "mvindex('o{}.name',0)");
        assert_eq!(
            expr(Expr::Replace {
                field: "f",
                regex: "^(x)",
                replacement: r"\1"
            }),
            r#"replace('f',"^(x)","\1")"#
        );
        assert_eq!(
            expr(Expr::ConditionAttr("reason")),
            "mvindex('responseObject.status.conditions{}.reason', status_condition_index)"
        );
        assert_eq!(expr(Expr::RawPath("a{0}.b")), r#"spath(_raw, "a{0}.b")"#);
        assert_eq!(expr(Expr::Str("track")), r#""track""#);
    }

    #[test]
    fn case_puts_each_clause_on_a_tab_indented_line() {
        const ARMS: &[Arm] = &[
            Arm {
                when: &[
                    Cond::Eq(Operand::Field("a"), "1"),
                    Cond::Eq(Operand::Field("b.c"), "2"),
                    Cond::Eq(Operand::RawPath("r{0}.p"), "3"),
                    Cond::NotNull("d.e"),
                ],
                then: Expr::Field("x"),
            },
            Arm {
                when: &[],
                then: Expr::Field("y"),
            },
        ];
        assert_eq!(
            expr(Expr::Case(ARMS)),
            "case(\n\t\t\t\ta==\"1\"\n\t\t\t\tAND 'b.c'==\"2\"\n\t\t\t\tAND spath(_raw,\"r{0}.p\")==\"3\"\n\t\t\t\tAND NOT isnull('d.e'),\n\t\t\t\t'x',\n\t\t\t\ttrue(),\n\t\t\t\t'y'\n\t\t\t\t)"
        );
    }

    #[test]
    fn steps_expand_to_commands() {
        let cmds = Step::StatusCondition {
            condition_type: "Succeeded",
            tests: &[
                ("reason", Test::In(&["A", "B"])),
                ("message", Test::Like("x %")),
            ],
        }
        .commands();
        assert_eq!(
            cmds,
            [
                r#"eval status_condition_index=mvfind('responseObject.status.conditions{}.type', "Succeeded")"#,
                r#"where isnotnull(status_condition_index) AND mvindex('responseObject.status.conditions{}.reason', status_condition_index) IN ("A", "B") AND like(mvindex('responseObject.status.conditions{}.message', status_condition_index), "x %")"#,
            ]
        );
        let cmds = Step::TaskResult {
            name: "R",
            into: "r",
            extract: &["v.c"],
        }
        .commands();
        assert_eq!(cmds.len(), 4);
        assert_eq!(cmds[3], "spath input=r, path=v.c output=r.v.c");
        assert_eq!(
            Step::Spath {
                input: "a.b",
                path: "p",
                output: "o"
            }
            .commands(),
            [r#"spath input="a.b", path=p output=o"#]
        );
        assert_eq!(
            Step::Dedup {
                field: "f",
                sortby: "+_time"
            }
            .commands(),
            ["dedup f sortby +_time"]
        );
        assert_eq!(
            Step::Search(&[Term::Str {
                field: "a.b",
                value: "on"
            }])
            .commands(),
            [r#"search "a.b"="on""#]
        );
    }

    #[test]
    fn plain_words() {
        assert!(is_word("log_type"));
        assert!(!is_word("user.username"));
        assert!(!is_word(""));
    }
}
