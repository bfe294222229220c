//! JSON text streams, as jq reads them (docs/json-streams.md).
//!
//! Values separated by any white space: several on one line, one spread
//! over many lines, blank lines between them. Each value is handed over
//! with the line and column where it starts. Because no JSON token spans
//! two lines (see [`token`](super::token)), the grammar is followed token
//! by token within a line, and only the nesting of the value being read is
//! carried from one line to the next: memory is one value at a time.
//!
//! A value that is wrong is handed over too, with its error, and reading
//! resumes after it: after the bracket that closes it, or at a line that
//! starts with `{` or `[` in its first column, whichever comes first (see
//! [`Skip`]); a bad token at the top level takes the rest of its line. JSON lines, one whole value per line, go through without a
//! copy: the value is a slice of the line.

use std::io::{self, BufRead};

use super::token::{self, Scalar, Syntax, MAX_DEPTH};
use super::{LineError, LineReader};

/// One top-level value of a stream (or the bytes of a bad one).
#[derive(Debug, Clone, Copy)]
pub struct Value<'a> {
    /// 1-based line where the value starts.
    pub number: u64,
    /// 1-based column (in bytes, a byte-order mark not counted) where the
    /// value starts.
    pub column: u64,
    /// The value's text, white space inside kept; for a bad value, its
    /// text up to where reading resumes.
    pub bytes: &'a [u8],
    /// Why the value is not JSON; `None` for a good one.
    pub error: Option<StreamError>,
}

impl<'a> Value<'a> {
    /// The value as text, or a reason naming the bad byte offset.
    pub fn text(&self) -> Result<&'a str, LineError> {
        std::str::from_utf8(self.bytes).map_err(|e| LineError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })
    }

    /// Never true (a stream has no blank values); here so that code written
    /// for [`Line`](super::Line) reads the same.
    pub fn is_blank(&self) -> bool {
        false
    }
}

/// Where a bad value went wrong (1-based line and column of the problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{syntax} (line {line}, column {column})")]
pub struct StreamError {
    pub syntax: Syntax,
    pub line: u64,
    pub column: u64,
}

/// What the grammar expects next inside a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (top level, after `:`, after `,` in an array).
    Value,
    /// A value or `]` (right after `[`).
    ValueOrClose,
    /// A key or `}` (right after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    Colon,
    /// `,` or the closing bracket of the innermost container.
    CommaOrClose,
}

/// Skipping the rest of a bad value: up to the bracket that closes it, or
/// up to a line that starts with `{` or `[` in its first column (where a
/// new value begins in JSON lines and in `jq .` output alike), whichever
/// comes first. So a bad pretty-printed value is one error, and a value
/// cut off at the end of its line never swallows the complete value on the
/// next line.
#[derive(Debug, Clone, Copy)]
struct Skip {
    err: StreamError,
    depth: usize,
    in_string: bool,
}

/// The most of a bad value's text that is kept (what `--rejects` files
/// get); reading it still goes to its end.
const MAX_BAD: usize = 1 << 20;

/// How one step over a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A value is complete; it ends at this index of the line.
    Done(usize),
    /// A bad value, which ends (and reading resumes) at this index of the
    /// line.
    Bad(StreamError, usize),
    /// The line is used up, the value (if one started) goes on.
    LineEnd,
}

/// The grammar state between tokens, carried across lines: a push reader
/// for callers that read the lines themselves (splunk-to-segment feeds it
/// only the lines its fast path can't take whole).
#[derive(Debug)]
pub struct Framer {
    stack: Vec<u8>,
    expect: Expect,
    /// Start (line, column) of the value being read.
    start: Option<(u64, u64)>,
    /// Text of the value from the lines before this one.
    carried: Vec<u8>,
    /// Where the value starts in the current line (0 when it started on
    /// an earlier one).
    from: usize,
    /// Skipping the rest of a bad value.
    skip: Option<Skip>,
}

impl Default for Framer {
    fn default() -> Framer {
        Framer::new()
    }
}

impl Framer {
    pub fn new() -> Framer {
        Framer {
            stack: Vec::new(),
            expect: Expect::Value,
            start: None,
            carried: Vec::new(),
            from: 0,
            skip: None,
        }
    }

    /// Whether a value has started and not ended.
    pub fn in_value(&self) -> bool {
        self.start.is_some()
    }

    fn reset(&mut self) {
        self.skip = None;
        self.stack.clear();
        self.expect = Expect::Value;
        self.start = None;
        self.carried.clear();
        self.from = 0;
    }

    /// Reads tokens of `line` (line `number`) from `i` until a value ends,
    /// a bad one is found, or the line is used up.
    pub(crate) fn step(&mut self, number: u64, line: &[u8], mut i: usize) -> Step {
        if let Some(err) = self.skip.map(|s| s.err) {
            return self
                .skim(line, i)
                .map_or(Step::LineEnd, |end| Step::Bad(err, end));
        }
        loop {
            i = token::skip_ws(line, i);
            if i == line.len() {
                return Step::LineEnd;
            }
            if self.start.is_none() {
                self.start = Some((number, i as u64 + 1));
                self.from = i;
            }
            match self.token(line, i) {
                Ok((end, true)) => return Step::Done(end),
                Ok((end, false)) => i = end,
                Err(e) => return self.bad(number, line, e),
            }
        }
    }

    /// A syntax error: the rest of the bad value is skipped (see
    /// [`Skip`]); a bad token at the top level takes the rest of its line.
    fn bad(&mut self, number: u64, line: &[u8], e: token::SyntaxError) -> Step {
        let err = StreamError {
            syntax: e.syntax,
            line: number,
            column: e.offset as u64 + 1,
        };
        if self.stack.is_empty() {
            // Garbage outside any value (`not json at all`, a log line in
            // the stream) is one bad record, not one per word.
            return Step::Bad(err, line.len());
        }
        let in_string = matches!(
            e.syntax,
            Syntax::InvalidEscape
                | Syntax::InvalidUnicodeEscape
                | Syntax::LoneSurrogate
                | Syntax::ControlInString
        );
        self.skip = Some(Skip {
            err,
            depth: self.stack.len(),
            in_string,
        });
        // The offending byte is read again, leniently; an unterminated
        // string takes the rest of its line.
        let from = match e.syntax {
            Syntax::UnterminatedString => line.len(),
            _ if in_string => e.offset + 1,
            _ => e.offset,
        };
        self.skim(line, from)
            .map_or(Step::LineEnd, |end| Step::Bad(err, end))
    }

    /// Skips the rest of a bad value, counting brackets outside strings;
    /// returns where it ends in `line`, or `None` when it goes on.
    fn skim(&mut self, line: &[u8], mut i: usize) -> Option<usize> {
        let started_before = self.from == 0 && !self.carried.is_empty();
        let skip = self.skip.as_mut()?;
        if i == 0 && started_before && matches!(line.first(), Some(b'{' | b'[')) {
            // A new value at the start of a line: the bad one was cut off.
            return Some(0);
        }
        while i < line.len() {
            let c = line[i];
            i += 1;
            match c {
                b'\\' if skip.in_string => i += 1,
                b'"' => skip.in_string = !skip.in_string,
                _ if skip.in_string => {}
                b'{' | b'[' => skip.depth += 1,
                b'}' | b']' => {
                    skip.depth -= 1;
                    if skip.depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        // No string spans lines.
        skip.in_string = false;
        None
    }

    /// One token at `i`; returns the index after it and whether it ends the
    /// top-level value.
    fn token(&mut self, b: &[u8], i: usize) -> Result<(usize, bool), token::SyntaxError> {
        let c = b[i];
        match self.expect {
            Expect::Colon if c == b':' => {
                self.expect = Expect::Value;
                return Ok((i + 1, false));
            }
            Expect::Colon => return Err(Syntax::ExpectedColon.at(i)),
            Expect::Key | Expect::KeyOrClose if c == b'"' => {
                let (end, _) = token::skip_string(b, i)?;
                self.expect = Expect::Colon;
                return Ok((end, false));
            }
            Expect::KeyOrClose | Expect::ValueOrClose | Expect::CommaOrClose if self.closes(c) => {
                self.stack.pop();
                return Ok((i + 1, self.after_value()));
            }
            Expect::Key | Expect::KeyOrClose => return Err(Syntax::ExpectedKey.at(i)),
            Expect::CommaOrClose if c == b',' => {
                self.expect = if self.stack.last() == Some(&b'{') {
                    Expect::Key
                } else {
                    Expect::Value
                };
                return Ok((i + 1, false));
            }
            Expect::CommaOrClose if self.stack.last() == Some(&b'{') => {
                return Err(Syntax::ExpectedCommaOrBrace.at(i))
            }
            Expect::CommaOrClose => return Err(Syntax::ExpectedCommaOrBracket.at(i)),
            Expect::Value | Expect::ValueOrClose => {}
        }
        self.value_token(b, i)
    }

    /// A token where a value is expected: a scalar or an opening bracket.
    fn value_token(&mut self, b: &[u8], i: usize) -> Result<(usize, bool), token::SyntaxError> {
        match b[i] {
            open @ (b'{' | b'[') => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Syntax::TooDeep.at(i));
                }
                self.stack.push(open);
                self.expect = if open == b'{' {
                    Expect::KeyOrClose
                } else {
                    Expect::ValueOrClose
                };
                Ok((i + 1, false))
            }
            _ => {
                let (_, end): (Scalar, usize) = token::scalar(b, i)?;
                Ok((end, self.after_value()))
            }
        }
    }

    fn closes(&self, c: u8) -> bool {
        match self.stack.last() {
            Some(b'{') => c == b'}',
            Some(b'[') => c == b']',
            _ => false,
        }
    }

    /// After a complete value: the top-level one is done, or the container
    /// expects a comma or its end.
    fn after_value(&mut self) -> bool {
        self.expect = Expect::CommaOrClose;
        self.stack.is_empty()
    }

    /// The text of the value that just ended at `end` of `line` (or, for a
    /// bad one, up to `end`), and its start; the framer is ready for the
    /// next value.
    fn take<'a>(&'a mut self, line: &'a [u8], end: usize) -> ((u64, u64), &'a [u8]) {
        let start = self.start.unwrap_or((0, 0));
        let from = self.from;
        self.skip = None;
        self.stack.clear();
        self.expect = Expect::Value;
        self.start = None;
        self.from = 0;
        if self.carried.is_empty() {
            return (start, &line[from..end]);
        }
        self.carried.extend_from_slice(&line[..end]);
        let text = trim_end(&self.carried);
        (start, text)
    }

    /// Keeps the rest of a line that ended inside a value.
    fn carry(&mut self, line: &[u8]) {
        if self.in_value() {
            if self.skip.is_none() || self.carried.len() < MAX_BAD {
                self.carried.extend_from_slice(&line[self.from..]);
                self.carried.push(b'\n');
            }
            self.from = 0;
        }
    }

    /// Reads one line (without its terminator); hands every value that
    /// ends in it, good or bad, to `f` in order.
    pub fn feed_line<E>(
        &mut self,
        number: u64,
        line: &[u8],
        f: &mut impl FnMut(Value<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut i = 0;
        loop {
            let (end, resume, error) = match self.step(number, line, i) {
                Step::LineEnd => {
                    self.carry(line);
                    return Ok(());
                }
                Step::Done(end) => (end, end, None),
                Step::Bad(err, end) => (end, end, Some(err)),
            };
            let ((number, column), bytes) = self.take(line, end);
            let r = f(Value {
                number,
                column,
                bytes,
                error,
            });
            self.carried.clear();
            r?;
            i = resume;
        }
    }

    /// At the end of input (the last line was `number`): hands the value
    /// still open, cut off, to `f`.
    pub fn finish_input<E>(
        &mut self,
        number: u64,
        f: &mut impl FnMut(Value<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let r = match self.finish(number) {
            Some(v) => f(v),
            None => Ok(()),
        };
        self.reset();
        r
    }

    /// At the end of input: the bad value still open, if any.
    fn finish(&mut self, number: u64) -> Option<Value<'_>> {
        self.start?;
        let err = self.skip.map_or(
            StreamError {
                syntax: Syntax::UnexpectedEnd,
                line: number,
                column: 1,
            },
            |s| s.err,
        );
        let ((line, column), bytes) = self.take(&[], 0);
        Some(Value {
            number: line,
            column,
            bytes,
            error: Some(err),
        })
    }
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rposition(|&c| !token::is_ws(c))
        .map_or(0, |p| p + 1);
    &b[..n]
}

/// Reads the values of a JSON text stream one at a time; the counterpart of
/// [`LineReader`] for input that need not be one value per line.
pub struct JsonStream<R> {
    lines: LineReader<R>,
    line: Vec<u8>,
    /// The current line is `line[..len]`, read up to `pos`.
    len: usize,
    pos: usize,
    number: u64,
    framer: Framer,
    /// A value was handed out and `carried` must be cleared before reading on.
    clear: bool,
    eof: bool,
}

impl<R: BufRead> JsonStream<R> {
    pub fn new(inner: R) -> Self {
        JsonStream {
            lines: LineReader::new(inner),
            line: Vec::with_capacity(64 * 1024),
            len: 0,
            pos: 0,
            number: 0,
            framer: Framer::new(),
            clear: false,
            eof: false,
        }
    }

    /// The next value (good or bad), or `None` at the end of input.
    pub fn next_value(&mut self) -> io::Result<Option<Value<'_>>> {
        if std::mem::take(&mut self.clear) {
            self.framer.carried.clear();
        }
        loop {
            if self.pos >= self.len && !self.read_line()? {
                if self.eof {
                    return Ok(None);
                }
                self.eof = true;
                self.clear = true;
                return Ok(self.framer.finish(self.number));
            }
            let line = &self.line[..self.len];
            match self.framer.step(self.number, line, self.pos) {
                Step::LineEnd => {
                    self.framer.carry(line);
                    self.pos = self.len;
                }
                Step::Done(end) => {
                    self.pos = end;
                    self.clear = true;
                    let ((number, column), bytes) = self.framer.take(&self.line[..self.len], end);
                    return Ok(Some(Value {
                        number,
                        column,
                        bytes,
                        error: None,
                    }));
                }
                Step::Bad(err, resume) => {
                    self.pos = resume;
                    self.clear = true;
                    let ((number, column), bytes) =
                        self.framer.take(&self.line[..self.len], resume);
                    return Ok(Some(Value {
                        number,
                        column,
                        bytes,
                        error: Some(err),
                    }));
                }
            }
        }
    }

    /// [`next_value`](Self::next_value) under [`LineReader`]'s name, so a
    /// tool written for JSON lines reads streams by changing its
    /// constructor alone (`LineReader::new` → `JsonStream::new`): a bad
    /// value then comes with its text, which the tool's own parse rejects
    /// with the line number as before (`Value::error` says more).
    pub fn next_line(&mut self) -> io::Result<Option<Value<'_>>> {
        self.next_value()
    }

    /// Reads the next line into `line`; false at the end of input.
    fn read_line(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.line.clear();
        match self.lines.next_line_into(&mut self.line)? {
            Some((number, range)) => {
                self.line.truncate(range.end);
                if range.start > 0 {
                    self.line.drain(..range.start);
                }
                self.len = self.line.len();
                self.pos = 0;
                self.number = number;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, column, text, error) of every value of `input`.
    fn values(input: &str) -> Vec<(u64, u64, String, Option<Syntax>)> {
        let mut r = JsonStream::new(input.as_bytes());
        let mut out = Vec::new();
        while let Some(v) = r.next_value().unwrap() {
            let text = String::from_utf8(v.bytes.to_vec()).unwrap();
            out.push((v.number, v.column, text, v.error.map(|e| e.syntax)));
        }
        out
    }

    /// The same through the push reader, line by line.
    fn pushed(input: &str) -> Vec<(u64, u64, String, Option<Syntax>)> {
        let mut f = Framer::new();
        let mut out = Vec::new();
        let mut last = 0;
        let mut push = |v: Value<'_>| -> Result<(), ()> {
            let text = String::from_utf8(v.bytes.to_vec()).unwrap();
            out.push((v.number, v.column, text, v.error.map(|e| e.syntax)));
            Ok(())
        };
        let mut lines = LineReader::new(input.as_bytes());
        while let Some(l) = lines.next_line().unwrap() {
            last = l.number;
            f.feed_line(l.number, l.bytes, &mut push).unwrap();
        }
        f.finish_input(last, &mut push).unwrap();
        out
    }

    fn good(n: u64, c: u64, t: &str) -> (u64, u64, String, Option<Syntax>) {
        (n, c, t.to_string(), None)
    }

    fn both(input: &str) -> Vec<(u64, u64, String, Option<Syntax>)> {
        let a = values(input);
        assert_eq!(a, pushed(input), "{input:?}");
        a
    }

    /// A value's line, column and text.
    type At<'a> = (u64, u64, &'a str);

    /// Where each value of an input without errors starts, and its text.
    fn all_good(input: &str) -> Vec<(u64, u64, String)> {
        let got = both(input);
        assert!(got.iter().all(|v| v.3.is_none()), "{input:?}: {got:?}");
        got.into_iter().map(|(n, c, t, _)| (n, c, t)).collect()
    }

    #[test]
    fn json_lines_several_per_line_and_spread_over_lines() {
        let cases: [(&str, &[At<'_>]); 4] = [
            (
                "\u{feff}{\"a\":1}\n\n  [1, 2] 3 \"x\"\r\n{\n  \"b\": [\n    true\n  ]\n}\nnull",
                &[
                    (1, 1, "{\"a\":1}"),
                    (3, 3, "[1, 2]"),
                    (3, 10, "3"),
                    (3, 12, "\"x\""),
                    (4, 1, "{\n  \"b\": [\n    true\n  ]\n}"),
                    (9, 1, "null"),
                ],
            ),
            (
                "1\"a\"[]{}",
                &[(1, 1, "1"), (1, 2, "\"a\""), (1, 5, "[]"), (1, 7, "{}")],
            ),
            ("", &[]),
            (" \n\t\n", &[]),
        ];
        for (input, want) in cases {
            let want: Vec<_> = want.iter().map(|&(n, c, t)| (n, c, t.to_owned())).collect();
            assert_eq!(all_good(input), want, "{input:?}");
        }
    }

    #[test]
    fn a_bad_value_is_named_and_reading_resumes_after_it() {
        let got = both("{\"a\":01} {\"b\":2}\n[1 2] 3\nNaN 4\n+1\n{\"s\":\"\\x}\"} 5\n}} 6\n");
        assert_eq!(
            got,
            vec![
                (1, 1, "{\"a\":01}".into(), Some(Syntax::LeadingZero)),
                good(1, 10, "{\"b\":2}"),
                (2, 1, "[1 2]".into(), Some(Syntax::ExpectedCommaOrBracket)),
                good(2, 7, "3"),
                // Garbage outside a value takes the rest of its line.
                (3, 1, "NaN 4".into(), Some(Syntax::NanOrInfinity)),
                (4, 1, "+1".into(), Some(Syntax::PlusSign)),
                (5, 1, "{\"s\":\"\\x}\"}".into(), Some(Syntax::InvalidEscape)),
                good(5, 13, "5"),
                (6, 1, "}} 6".into(), Some(Syntax::ExpectedValue)),
            ]
        );
    }

    #[test]
    fn a_bad_pretty_printed_value_is_one_error() {
        let got = both("{\n  \"a\": [\n    NaN,\n    {\"b\": \"]}\"}\n  ]\n}\n{\n  \"c\": 1\n}\n");
        assert_eq!(
            got,
            vec![
                (
                    1,
                    1,
                    "{\n  \"a\": [\n    NaN,\n    {\"b\": \"]}\"}\n  ]\n}".into(),
                    Some(Syntax::NanOrInfinity)
                ),
                good(7, 1, "{\n  \"c\": 1\n}"),
            ]
        );
    }

    #[test]
    fn a_value_cut_off_does_not_swallow_the_next_line() {
        let got = both("{\"a\":{\"b\":1}\n{\"c\":3}\n{\"d\":\n");
        assert_eq!(
            got,
            vec![
                (
                    1,
                    1,
                    "{\"a\":{\"b\":1}".into(),
                    Some(Syntax::ExpectedCommaOrBrace)
                ),
                good(2, 1, "{\"c\":3}"),
                (3, 1, "{\"d\":".into(), Some(Syntax::UnexpectedEnd)),
            ]
        );
        // A string can't span lines.
        let got = both("{\"a\":\"x\n}\n7\n");
        assert_eq!(got[0].3, Some(Syntax::UnterminatedString));
        assert_eq!(got.last().unwrap(), &good(3, 1, "7"));
    }

    #[test]
    fn code_written_for_line_reader_reads_a_stream() {
        // The loop every JSON-lines tool has, with only the constructor
        // changed.
        let mut reader = JsonStream::new(&b"{\n  \"a\": 1\n}\n\n[2] 3\n"[..]);
        let mut seen = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            if line.is_blank() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_slice(line.bytes).unwrap();
            seen.push((line.number, v));
        }
        assert_eq!(
            seen,
            vec![
                (1, serde_json::json!({"a": 1})),
                (5, serde_json::json!([2])),
                (5, serde_json::json!(3))
            ]
        );
    }

    #[test]
    fn too_deep_is_an_error_not_a_crash() {
        let deep = "[".repeat(200);
        let got = both(&format!("{deep}\n1\n{{}}\n"));
        assert_eq!(got[0].3, Some(Syntax::TooDeep));
        assert_eq!(got[1], good(3, 1, "{}"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn interesting() -> impl Strategy<Value = u8> {
            prop_oneof![
                4 => proptest::sample::select(&b"{}[]\":,\\ \n\t\r0123456789-+.eEtruefalsnNI'x"[..]),
                1 => any::<u8>(),
            ]
        }

        /// Valid values, serialised by serde_json, compact or pretty.
        fn value() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just("null".to_owned()),
                Just("true".to_owned()),
                any::<i64>().prop_map(|n| n.to_string()),
                "[a-z \"\\\\é]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            ];
            leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4)
                        .prop_map(|v| format!("[{}]", v.join(","))),
                    proptest::collection::vec(inner, 0..4).prop_map(|v| {
                        let m: Vec<String> = v
                            .iter()
                            .enumerate()
                            .map(|(i, x)| format!("\"k{i}\":{x}"))
                            .collect();
                        format!("{{{}}}", m.join(","))
                    }),
                ]
            })
            .prop_flat_map(|t| {
                let pretty = serde_json::to_string_pretty(
                    &serde_json::from_str::<serde_json::Value>(&t).unwrap(),
                )
                .unwrap();
                prop_oneof![Just(t), Just(pretty)]
            })
        }

        proptest! {
            #[test]
            fn arbitrary_bytes_never_panic_and_both_readers_agree(
                input in proptest::collection::vec(interesting(), 0..300),
            ) {
                let text = String::from_utf8_lossy(&input).into_owned();
                let got = values(&text);
                prop_assert_eq!(&got, &pushed(&text));
                for (_, _, t, e) in &got {
                    if e.is_none() {
                        prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok(), "{:?}", t);
                    }
                }
            }

            #[test]
            fn a_valid_stream_gives_back_its_values(
                vals in proptest::collection::vec(value(), 0..8),
                seps in proptest::collection::vec(proptest::sample::select(&[" ", "\n", "\n\n", "\t", "\r\n", " \n "][..]), 8),
            ) {
                let mut text = String::new();
                for (i, v) in vals.iter().enumerate() {
                    text.push_str(v);
                    text.push_str(seps[i % seps.len()]);
                }
                let got = both(&text);
                let texts: Vec<&str> = got.iter().map(|(_, _, t, e)| {
                    assert!(e.is_none(), "{text:?}");
                    t.as_str()
                }).collect();
                prop_assert_eq!(texts, vals.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
}
