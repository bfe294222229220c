//! netrc credentials, read with curl's rules, because the original scripts
//! ran `curl --netrc-file $CURL_NETRC` and operators' secrets are netrc files.
//!
//! Written here rather than taken from a crate: the netrc crates on crates.io
//! are unmaintained and none implements curl's quoting (`"a b"`, `\"`), its
//! `macdef` skipping and its `default` fallback together, which is what
//! existing secrets rely on.
//!
//! Rules (curl's): tokens are separated by white space; `machine NAME` starts
//! an entry, `default` starts the entry used when no machine matches; `login`,
//! `password`, `account` take one token; `macdef NAME` is followed by a macro
//! body that ends at an empty line and is skipped. A token may be quoted with
//! `"`, with `\"`, `\\`, `\n`, `\r`, `\t` escapes. The first entry whose
//! machine equals the host (ignoring case) wins; the port plays no part.

use std::path::{Path, PathBuf};

use crate::secret::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `None` for the `default` entry.
    pub machine: Option<String>,
    pub login: Option<String>,
    pub password: Option<Secret>,
}

#[derive(Debug, Clone, Default)]
pub struct Netrc {
    entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum NetrcError {
    #[error("cannot read netrc file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("netrc: `{keyword}` at the end of the file has no value")]
    MissingValue { keyword: String },
    #[error("netrc: unterminated quoted string")]
    Unterminated,
}

impl Netrc {
    pub fn parse(text: &str) -> Result<Netrc, NetrcError> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut lexer = Lexer::new(text);
        while let Some(tok) = lexer.next_token()? {
            match tok.as_str() {
                "machine" => {
                    let name = lexer.value("machine")?;
                    entries.push(Entry {
                        machine: Some(name),
                        login: None,
                        password: None,
                    });
                }
                "default" => entries.push(Entry {
                    machine: None,
                    login: None,
                    password: None,
                }),
                "login" | "password" | "account" => {
                    let v = lexer.value(&tok)?;
                    if let Some(e) = entries.last_mut() {
                        match tok.as_str() {
                            "login" => e.login = Some(v),
                            "password" => e.password = Some(Secret::new(v)),
                            _ => {}
                        }
                    }
                }
                "macdef" => {
                    lexer.value("macdef")?;
                    lexer.skip_macro();
                }
                // curl ignores unknown tokens.
                _ => {}
            }
        }
        Ok(Netrc { entries })
    }

    pub fn from_file(path: &Path) -> Result<Netrc, NetrcError> {
        let text = std::fs::read_to_string(path).map_err(|source| NetrcError::Read {
            path: path.to_owned(),
            source,
        })?;
        Netrc::parse(&text)
    }

    /// The entry for `host`: the first `machine` that matches, else the
    /// `default` entry.
    pub fn lookup(&self, host: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| {
                e.machine
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(host))
            })
            .or_else(|| self.entries.iter().find(|e| e.machine.is_none()))
    }
}

/// The netrc path the scripts used: `$CURL_NETRC`, else `$HOME/.netrc`.
pub fn default_path() -> Option<PathBuf> {
    match std::env::var_os(crate::env::CURL_NETRC) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc")),
    }
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { rest: text }
    }

    fn value(&mut self, keyword: &str) -> Result<String, NetrcError> {
        self.next_token()?.ok_or_else(|| NetrcError::MissingValue {
            keyword: keyword.to_owned(),
        })
    }

    fn next_token(&mut self) -> Result<Option<String>, NetrcError> {
        self.rest = self.rest.trim_start();
        if self.rest.is_empty() {
            return Ok(None);
        }
        if let Some(quoted) = self.rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.rest = &quoted[i + 1..];
                        return Ok(Some(out));
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 'r')) => out.push('\r'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, other)) => out.push(other),
                        None => return Err(NetrcError::Unterminated),
                    },
                    c => out.push(c),
                }
            }
            return Err(NetrcError::Unterminated);
        }
        let end = self
            .rest
            .find(char::is_whitespace)
            .unwrap_or(self.rest.len());
        let tok = self.rest[..end].to_owned();
        self.rest = &self.rest[end..];
        Ok(Some(tok))
    }

    /// A macro body runs from the next line to the first empty line.
    fn skip_macro(&mut self) {
        let after_line = match self.rest.find('\n') {
            Some(i) => &self.rest[i + 1..],
            None => "",
        };
        self.rest = match after_line.find("\n\n") {
            Some(i) => &after_line[i + 2..],
            None if after_line.starts_with('\n') => &after_line[1..],
            None => "",
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_then_default() {
        let n = Netrc::parse(
            "machine api.segment.io login KEY password \"\"\n\
             machine Splunk.example login bob password \"p a\\\"ss\"\n\
             default login anon password x\n",
        )
        .unwrap();
        let e = n.lookup("api.segment.io").unwrap();
        assert_eq!(e.login.as_deref(), Some("KEY"));
        assert_eq!(e.password.as_ref().unwrap().expose(), "");
        let e = n.lookup("splunk.example").unwrap();
        assert_eq!(e.password.as_ref().unwrap().expose(), "p a\"ss");
        assert_eq!(n.lookup("other").unwrap().login.as_deref(), Some("anon"));
    }

    #[test]
    fn one_line_and_macdef() {
        let n = Netrc::parse(
            "macdef init\ncd /tmp\nmachine fake login no\n\nmachine h login u password p",
        )
        .unwrap();
        let e = n.lookup("h").unwrap();
        assert_eq!(e.login.as_deref(), Some("u"));
        assert!(n.lookup("fake").is_none());
    }

    #[test]
    fn no_match_without_default() {
        let n = Netrc::parse("machine a login x").unwrap();
        assert!(n.lookup("b").is_none());
        assert!(Netrc::parse("machine").is_err());
        assert!(Netrc::parse("machine \"open").is_err());
    }
}
