//! Where the Segment write key comes from.
//!
//! The original ran `curl --netrc-file $CURL_NETRC`, so operators keep the
//! write key as the login of the API host's netrc entry (the password is
//! empty). `SEGMENT_WRITE_KEY` overrides the file, for the demo and for
//! setups that inject secrets as variables. The key is held in a [`Secret`]
//! from the moment it is read.

use std::path::{Path, PathBuf};

use segment_bridge_net::netrc::{Netrc, NetrcError};
use segment_bridge_net::secret::Secret;

/// HTTP basic credentials for Segment: the write key as user name and a
/// password (empty unless the netrc entry has one, which curl would send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub write_key: Secret,
    pub password: Secret,
}

impl Credentials {
    pub fn from_write_key(write_key: Secret) -> Credentials {
        Credentials {
            write_key,
            password: Secret::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "no Segment write key: `SEGMENT_WRITE_KEY` is not set and {}",
        match path {
            Some(p) => format!("`{}` has no entry for `{host}`", p.display()),
            None => "there is no netrc file (`CURL_NETRC`, `$HOME/.netrc`)".to_owned(),
        }
    )]
    Missing { host: String, path: Option<PathBuf> },
    #[error("the netrc entry for `{host}` in `{}` has no login (the write key)", path.display())]
    NoLogin { host: String, path: PathBuf },
    #[error("the Segment API URL has no host")]
    NoHost,
    #[error(transparent)]
    Netrc(#[from] NetrcError),
}

/// The write key from `SEGMENT_WRITE_KEY`, if set and not empty.
pub fn write_key_from_env() -> Option<Secret> {
    std::env::var(segment_bridge_core::env::SEGMENT_WRITE_KEY)
        .ok()
        .filter(|k| !k.is_empty())
        .map(Secret::new)
}

/// The credentials for `api_url`: `write_key` when given (from
/// `SEGMENT_WRITE_KEY`), else the netrc entry for the URL's host (or the
/// `default` entry) in `netrc` (`CURL_NETRC`, else `$HOME/.netrc`). A netrc
/// file that was named explicitly must exist; `$HOME/.netrc` may be absent.
pub fn resolve(
    api_url: &reqwest::Url,
    write_key: Option<Secret>,
    netrc: Option<&Path>,
    netrc_explicit: bool,
) -> Result<Credentials, CredentialsError> {
    if let Some(k) = write_key.filter(|k| !k.is_empty()) {
        return Ok(Credentials::from_write_key(k));
    }
    let host = api_url
        .host_str()
        .ok_or(CredentialsError::NoHost)?
        .to_owned();
    let Some(path) = netrc else {
        return Err(CredentialsError::Missing { host, path: None });
    };
    if !netrc_explicit && !path.exists() {
        return Err(CredentialsError::Missing { host, path: None });
    }
    let file = Netrc::from_file(path)?;
    let entry = file
        .lookup(&host)?
        .ok_or_else(|| CredentialsError::Missing {
            host: host.clone(),
            path: Some(path.to_owned()),
        })?;
    let login = entry
        .login
        .clone()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| CredentialsError::NoLogin {
            host,
            path: path.to_owned(),
        })?;
    Ok(Credentials {
        write_key: Secret::new(login),
        password: entry.password.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::temp_file;

    fn url() -> reqwest::Url {
        reqwest::Url::parse("https://api.segment.io/v1/batch").unwrap()
    }

    #[test]
    fn env_key_wins_over_netrc() {
        let (_dir, p) = temp_file(
            "netrc",
            "machine api.segment.io login FROMFILE password \"\"\n",
        );
        let c = resolve(&url(), Some(Secret::new("FROMENV")), Some(&p), true).unwrap();
        assert_eq!(c.write_key.expose(), "FROMENV");
        let c = resolve(&url(), Some(Secret::new("")), Some(&p), true).unwrap();
        assert_eq!(c.write_key.expose(), "FROMFILE");
        assert!(c.password.is_empty());
        let c = resolve(&url(), None, Some(&p), true).unwrap();
        assert_eq!(c.write_key.expose(), "FROMFILE");
    }

    #[test]
    fn default_entry_missing_entry_and_missing_file() {
        let (dir, p) = temp_file(
            "netrc",
            "machine other login X\ndefault login DEF password pw\n",
        );
        let c = resolve(&url(), None, Some(&p), true).unwrap();
        assert_eq!((c.write_key.expose(), c.password.expose()), ("DEF", "pw"));

        std::fs::write(&p, "machine other login X\n").unwrap();
        let e = resolve(&url(), None, Some(&p), true).unwrap_err();
        assert!(matches!(e, CredentialsError::Missing { .. }));
        assert!(
            e.to_string().contains("no entry for `api.segment.io`"),
            "{e}"
        );

        std::fs::write(&p, "machine api.segment.io password secret\n").unwrap();
        let e = resolve(&url(), None, Some(&p), true).unwrap_err();
        assert!(matches!(e, CredentialsError::NoLogin { .. }));
        assert!(!e.to_string().contains("secret"));

        let gone = dir.path().join("absent");
        assert!(matches!(
            resolve(&url(), None, Some(&gone), true).unwrap_err(),
            CredentialsError::Netrc(_)
        ));
        assert!(matches!(
            resolve(&url(), None, Some(&gone), false).unwrap_err(),
            CredentialsError::Missing { path: None, .. }
        ));
    }
}
