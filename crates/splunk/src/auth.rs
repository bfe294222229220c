//! Splunk credentials: a token (`SPLUNK_TOKEN`, sent as `Bearer`), else the
//! netrc entry of the API host (Basic, as `curl --netrc-file` did), and the
//! one place where the `Authorization` header is added.

use std::path::Path;

use reqwest::blocking::RequestBuilder;
use reqwest::Url;

use super::Error;
use segment_bridge_net::netrc::{self, Netrc};
use segment_bridge_net::secret::Secret;

/// How requests authenticate. Secrets are held in [`Secret`] and only
/// exposed in [`Credentials::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer <token>` (Splunk authentication tokens).
    Bearer(Secret),
    /// `Authorization: Splunk <sessionKey>`.
    SessionKey(Secret),
    /// HTTP Basic.
    Basic { user: String, password: Secret },
}

impl Credentials {
    /// `token` if given, else the netrc entry for the host of `api_url`.
    ///
    /// `netrc_file` is `CURL_NETRC`: when given it must be readable; when
    /// not, `$HOME/.netrc` is used if it exists. No credentials at all is a
    /// configuration error (Splunk would answer 401 to every query).
    pub fn resolve(
        token: Option<Secret>,
        netrc_file: Option<&Path>,
        api_url: &Url,
    ) -> Result<Credentials, Error> {
        if let Some(t) = token {
            return Ok(Credentials::Bearer(t));
        }
        let host = api_url.host_str().unwrap_or_default();
        let netrc = match netrc_file.filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => Some(Netrc::from_file(p)?),
            None => match netrc::default_path() {
                Some(p) if p.exists() => Some(Netrc::from_file(&p)?),
                _ => None,
            },
        };
        let entry = match &netrc {
            Some(n) => n.lookup(host)?,
            None => None,
        };
        match entry {
            Some(e) => Ok(Credentials::Basic {
                user: e.login.clone().unwrap_or_default(),
                password: e.password.clone().unwrap_or_default(),
            }),
            None => Err(Error::Config(format!(
                "no Splunk credentials for `{host}`: set SPLUNK_TOKEN, or add `machine {host} login USER password PASSWORD` to the netrc file (CURL_NETRC, default ~/.netrc)"
            ))),
        }
    }

    /// Adds the `Authorization` header: the only place a secret goes out.
    pub fn apply(&self, rb: RequestBuilder) -> RequestBuilder {
        match self {
            Credentials::Bearer(t) => rb.bearer_auth(t.expose()),
            Credentials::SessionKey(k) => rb.header(
                reqwest::header::AUTHORIZATION,
                format!("Splunk {}", k.expose()),
            ),
            Credentials::Basic { user, password } => rb.basic_auth(user, Some(password.expose())),
        }
    }

    /// `bearer`, `splunk` or `basic`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Bearer(_) => "bearer token",
            Credentials::SessionKey(_) => "session key",
            Credentials::Basic { .. } => "basic auth",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::temp_file;

    #[test]
    fn token_wins_then_netrc_host_entry() {
        let (dir, p) = temp_file(
            "netrc",
            "machine splunk.example login bob password s3cret\n",
        );
        let url = Url::parse("https://splunk.example:8089").unwrap();
        let c = Credentials::resolve(Some(Secret::new("tok")), Some(&p), &url).unwrap();
        assert_eq!(c, Credentials::Bearer(Secret::new("tok")));
        let c = Credentials::resolve(None, Some(&p), &url).unwrap();
        assert_eq!(
            c,
            Credentials::Basic {
                user: "bob".into(),
                password: Secret::new("s3cret")
            }
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let other = Url::parse("https://elsewhere:8089").unwrap();
        let e = Credentials::resolve(None, Some(&p), &other).unwrap_err();
        assert!(e.to_string().contains("no Splunk credentials"));
        let e = Credentials::resolve(None, Some(&dir.path().join("nope")), &url).unwrap_err();
        assert!(matches!(e, Error::Netrc(_)));
    }
}
