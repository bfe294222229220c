//! netrc credentials, read exactly as curl reads them, because the original
//! scripts ran `curl --netrc-file $CURL_NETRC` and operators' secrets are
//! netrc files written (and tested) against curl.
//!
//! Written here rather than taken from a crate: the netrc crates on crates.io
//! follow the BSD ftp manual page, not curl, and curl's reading differs in
//! ways existing files rely on. The rules below are curl's (the netrc parser
//! of curl 7.88 as Debian 12 ships it, security fixes included); the
//! differential test `tests/it/netrc_curl.rs` checks them against the real
//! `curl` binary. `docs/configuration.md` describes them for operators.
//!
//! - The file is read line by line. On each line, after spaces and tabs, a
//!   token starting with `#` ends the line (a comment), so a commented-out
//!   credential is never used.
//! - A token is either a run of non-white-space characters or a `"`-quoted
//!   string with the escapes `\n`, `\r`, `\t` and `\<any>`; an unterminated
//!   quoted string is a syntax error (curl fails the transfer).
//! - Entries are taken in file order: `machine NAME` (matched without regard
//!   to case against the host name, the port playing no part) or `default`
//!   (matching any host) starts an entry; inside a matching entry `login X`
//!   and `password X` are collected; the search stops as soon as both are
//!   known. So the first matching entry wins, and a `default` placed before a
//!   `machine` entry wins over it.
//! - A `machine` keyword met inside the matching entry ends it and forgets
//!   what it held; a later entry can match again.
//! - `macdef NAME` (outside an entry) starts a macro whose body, from the
//!   next line up to the first empty line, is skipped.
//! - A match with a login but no password gives an empty password; a
//!   `default` without login or password is no match at all.

use std::path::{Path, PathBuf};

use crate::secret::Secret;

/// The credentials found for a host. Either field may be empty (curl sends
/// what it found, empty or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub login: Option<String>,
    pub password: Option<Secret>,
}

/// A netrc file, kept as curl's line reader returns it.
#[derive(Debug, Clone, Default)]
pub struct Netrc {
    lines: Vec<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum NetrcError {
    #[error("cannot read netrc file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("netrc: line {line}: unterminated quoted string")]
    Unterminated { line: usize },
}

/// curl's line buffer: a line longer than this (its newline included) is
/// skipped whole.
const LINE_MAX: usize = 4095;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Nothing,
    Macdef,
    HostFound,
    HostValid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    None,
    Login,
    Password,
}

/// The search for one host: curl's state machine.
struct Search<'h> {
    host: &'h [u8],
    state: State,
    keyword: Keyword,
    found_login: bool,
    found_password: bool,
    our_login: bool,
    matched: bool,
    login: Option<Vec<u8>>,
    password: Option<Vec<u8>>,
}

impl Netrc {
    /// Splits `text` into lines as curl's reader does. Never fails: syntax
    /// errors are found by [`Netrc::lookup`], as curl finds them only if it
    /// reads that far.
    pub fn parse(text: &str) -> Result<Netrc, NetrcError> {
        Ok(Netrc::from_bytes(text.as_bytes()))
    }

    fn from_bytes(bytes: &[u8]) -> Netrc {
        let mut lines = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (rest[..=i].to_vec(), &rest[i + 1..]),
                // The last line without a newline gets one (if it fits).
                None if rest.len() < LINE_MAX => (rest.to_vec(), &[][..]),
                None => break,
            };
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            if line.len() <= LINE_MAX {
                lines.push(line);
            }
            rest = next;
        }
        Netrc { lines }
    }

    pub fn from_file(path: &Path) -> Result<Netrc, NetrcError> {
        let bytes = std::fs::read(path).map_err(|source| NetrcError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(Netrc::from_bytes(&bytes))
    }

    /// The credentials curl would use for `host` (a host name without
    /// port), `None` when nothing matches. An unterminated quoted string
    /// met before the search ends is an error.
    pub fn lookup(&self, host: &str) -> Result<Option<Entry>, NetrcError> {
        let mut s = Search::new(host.as_bytes());
        'lines: for (n, line) in self.lines.iter().enumerate() {
            if s.state == State::Macdef {
                if matches!(line.first(), Some(b'\n' | b'\r')) {
                    s.state = State::Nothing;
                } else {
                    continue;
                }
            }
            let mut pos = 0;
            while let Some(tok) = next_token(line, &mut pos) {
                let tok = tok.map_err(|()| NetrcError::Unterminated { line: n + 1 })?;
                if s.feed(&tok) {
                    break 'lines;
                }
            }
        }
        Ok(s.finish())
    }
}

impl<'h> Search<'h> {
    fn new(host: &'h [u8]) -> Self {
        Search {
            host,
            state: State::Nothing,
            keyword: Keyword::None,
            found_login: false,
            found_password: false,
            our_login: false,
            matched: false,
            login: None,
            password: None,
        }
    }

    /// Forgets the entry being read (a new `machine`).
    fn reset(&mut self) {
        self.keyword = Keyword::None;
        self.found_login = false;
        self.found_password = false;
        self.login = None;
        self.password = None;
    }

    /// Takes one token; `true` when the search is done.
    fn feed(&mut self, tok: &[u8]) -> bool {
        match self.state {
            State::Nothing => {
                if tok.eq_ignore_ascii_case(b"macdef") {
                    self.state = State::Macdef;
                } else if tok.eq_ignore_ascii_case(b"machine") {
                    self.state = State::HostFound;
                    self.reset();
                    self.our_login = false;
                } else if tok.eq_ignore_ascii_case(b"default") {
                    self.state = State::HostValid;
                    self.matched = true;
                }
            }
            // The rest of the `macdef` line; an empty token (white space
            // before the newline) ends the macro at once, as in curl.
            State::Macdef => {
                if tok.is_empty() {
                    self.state = State::Nothing;
                }
            }
            State::HostFound => {
                if tok.eq_ignore_ascii_case(self.host) {
                    self.state = State::HostValid;
                    self.matched = true;
                } else {
                    self.state = State::Nothing;
                }
            }
            State::HostValid => return self.in_entry(tok),
        }
        false
    }

    fn in_entry(&mut self, tok: &[u8]) -> bool {
        match self.keyword {
            Keyword::Login => {
                self.our_login = true;
                self.login = Some(tok.to_vec());
                self.found_login = true;
                self.keyword = Keyword::None;
            }
            Keyword::Password => {
                self.password = Some(tok.to_vec());
                self.found_password = true;
                self.keyword = Keyword::None;
            }
            Keyword::None => {
                if tok.eq_ignore_ascii_case(b"login") {
                    self.keyword = Keyword::Login;
                } else if tok.eq_ignore_ascii_case(b"password") {
                    self.keyword = Keyword::Password;
                } else if tok.eq_ignore_ascii_case(b"machine") {
                    self.state = State::HostFound;
                    self.reset();
                } else if tok.eq_ignore_ascii_case(b"default") {
                    self.login = None;
                    self.password = None;
                    self.matched = true;
                }
            }
        }
        self.found_login && self.found_password && self.our_login
    }

    fn finish(mut self) -> Option<Entry> {
        if !self.matched {
            return None;
        }
        if self.password.is_none() && self.our_login {
            self.password = Some(Vec::new());
        } else if self.login.is_none() && self.password.is_none() {
            // A `default` without credentials.
            return None;
        }
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        Some(Entry {
            login: Some(self.login.map(text).unwrap_or_default()),
            password: Some(Secret::new(self.password.map(text).unwrap_or_default())),
        })
    }
}

/// C's `isspace`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The next token of `line` from `pos`, curl's way: `None` at the end of
/// the line or at a comment, `Err` for an unterminated quoted string. Like
/// curl, the character right after a token (or after a closing quote) is
/// consumed, so white space before the newline yields one empty token.
fn next_token(line: &[u8], pos: &mut usize) -> Option<Result<Vec<u8>, ()>> {
    let mut i = *pos;
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match line.get(i) {
        None | Some(b'#') => return None,
        Some(b'"') => {}
        Some(_) => {
            let start = i;
            while line.get(i).is_some_and(|&b| !is_space(b)) {
                i += 1;
            }
            *pos = i + 1;
            return Some(Ok(line[start..i].to_vec()));
        }
    }
    let mut out = Vec::new();
    let mut escape = false;
    i += 1;
    while let Some(&c) = line.get(i) {
        i += 1;
        if escape {
            escape = false;
            out.push(match c {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                other => other,
            });
        } else if c == b'\\' {
            escape = true;
        } else if c == b'"' {
            *pos = i + 1;
            return Some(Ok(out));
        } else {
            out.push(c);
        }
    }
    Some(Err(()))
}

/// The netrc path the scripts used: `$CURL_NETRC`, else `$HOME/.netrc`.
pub fn default_path() -> Option<PathBuf> {
    match std::env::var_os(segment_bridge_core::env::CURL_NETRC) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(text: &str, host: &str) -> Option<(String, String)> {
        Netrc::parse(text)
            .unwrap()
            .lookup(host)
            .unwrap()
            .map(|e| (e.login.unwrap(), e.password.unwrap().expose().to_owned()))
    }

    fn pair(l: &str, p: &str) -> Option<(String, String)> {
        Some((l.to_owned(), p.to_owned()))
    }

    #[test]
    fn machine_then_default() {
        let text = "machine api.segment.io login KEY password \"\"\n\
                    machine Splunk.example login bob password \"p a\\\"ss\"\n\
                    default login anon password x\n";
        assert_eq!(creds(text, "api.segment.io"), pair("KEY", ""));
        assert_eq!(creds(text, "splunk.example"), pair("bob", "p a\"ss"));
        assert_eq!(creds(text, "other"), pair("anon", "x"));
    }

    #[test]
    fn comments_are_never_credentials() {
        let text = "# machine h login old password oldpass\n  #machine h login x\n";
        assert_eq!(creds(text, "h"), None);
        let text = "machine h login a password #b\nc\n";
        assert_eq!(creds(text, "h"), pair("a", "c"));
    }

    #[test]
    fn a_default_first_wins_and_an_empty_default_is_no_match() {
        assert_eq!(
            creds(
                "default login d password p\nmachine h login a password b\n",
                "h"
            ),
            pair("d", "p")
        );
        assert_eq!(
            creds("default\nmachine h login a password b\n", "h"),
            pair("a", "b")
        );
        assert_eq!(creds("default\n", "h"), None);
    }

    #[test]
    fn macdef_bodies_are_skipped() {
        let text =
            "macdef init\ncd /tmp\nmachine h login no password no\n\nmachine h login u password p";
        assert_eq!(creds(text, "h"), pair("u", "p"));
    }

    #[test]
    fn no_match_and_syntax_errors() {
        assert_eq!(creds("machine a login x", "b"), None);
        assert_eq!(creds("machine", "b"), None);
        let n = Netrc::parse("machine h login \"open\n").unwrap();
        assert!(matches!(
            n.lookup("h"),
            Err(NetrcError::Unterminated { line: 1 })
        ));
    }
}
