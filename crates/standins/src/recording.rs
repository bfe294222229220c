//! The one recorded-request type of the stand-ins: what a test asserts on
//! when it wants to know what actually went over the wire.
//!
//! Secrets are never kept: a request's credentials are recorded as their
//! kind ([`AuthKind`]) and whether the stand-in accepted them.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::HeaderMap;
use base64::Engine as _;

/// How a request authenticated (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthKind {
    None,
    /// HTTP Basic. The user name is kept where it is not itself the secret
    /// (Segment's user name is the write key: empty there).
    Basic {
        user: String,
    },
    Bearer,
    /// Splunk's `Authorization: Splunk <session key>`.
    Splunk,
    Other,
}

/// Credentials as sent: the kind, and the secret for the stand-in to check.
pub struct Credentials {
    pub kind: AuthKind,
    /// `user:password` (Basic) or the token (Bearer, Splunk).
    pub secret: String,
}

impl Credentials {
    /// Reads the `Authorization` header.
    pub fn of(headers: &HeaderMap) -> Credentials {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(value) = value else {
            return Credentials {
                kind: AuthKind::None,
                secret: String::new(),
            };
        };
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim().to_owned();
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "bearer" => AuthKind::Bearer,
            "splunk" => AuthKind::Splunk,
            "basic" => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(&rest)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let user = decoded.split_once(':').map_or(&*decoded, |(u, _)| u);
                let kind = AuthKind::Basic {
                    user: user.to_owned(),
                };
                return Credentials {
                    kind,
                    secret: decoded,
                };
            }
            _ => AuthKind::Other,
        };
        Credentials { kind, secret: rest }
    }

    /// Basic `user:password` split, when Basic.
    pub fn basic(&self) -> Option<(&str, &str)> {
        match self.kind {
            AuthKind::Basic { .. } => {
                Some(self.secret.split_once(':').unwrap_or((&self.secret, "")))
            }
            _ => None,
        }
    }
}

/// One request as a stand-in received it, and how it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub auth: AuthKind,
    /// Whether the credentials were accepted (true where none are needed).
    pub authorized: bool,
    /// The status answered; 0 when the connection was closed unanswered.
    pub status: u16,
    /// The body (not kept where bodies are large and counted instead: the
    /// Segment stand-in keeps sizes only).
    pub body: Vec<u8>,
    /// The fields of a form-encoded body, decoded, in order.
    pub params: Vec<(String, String)>,
    /// Documents in a Splunk KV store `batch_save` body.
    pub documents: Option<usize>,
}

impl Recorded {
    /// A request from its parts, with no answer yet (status 200).
    pub fn new(
        method: &axum::http::Method,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
    ) -> Recorded {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Recorded {
            method: method.to_string(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or("").to_owned(),
            content_type: header("content-type"),
            accept: header("accept"),
            auth: Credentials::of(headers).kind,
            authorized: true,
            status: 200,
            body: Vec::new(),
            params: Vec::new(),
            documents: None,
        }
    }

    /// The decoded value of query parameter `name` (the first, if repeated).
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Keeps `body` (and, for a form-encoded one, its fields in `params`).
    #[must_use]
    pub fn with_body(mut self, body: &[u8]) -> Recorded {
        let form = self
            .content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if form {
            self.params = form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        }
        self.body = body.to_vec();
        self
    }

    /// Whether the body is form-encoded (`application/x-www-form-urlencoded`).
    pub fn is_form(&self) -> bool {
        self.content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
    }

    /// The decoded value of form field `name` (the first, if repeated).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The requests a stand-in received, shared between its handlers and the
/// test's handle. Clones share the same log.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Recorded>>>);

impl Log {
    fn lock(&self) -> MutexGuard<'_, Vec<Recorded>> {
        // A test thread that panicked while holding it leaves data that is
        // still good for reading.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn push(&self, r: Recorded) {
        self.lock().push(r);
    }

    /// Every request so far, in arrival order.
    pub fn all(&self) -> Vec<Recorded> {
        self.lock().clone()
    }

    /// Requests whose path is `path` exactly.
    pub fn to(&self, path: &str) -> Vec<Recorded> {
        self.filter(|r| r.path == path)
    }

    /// Requests that `keep` selects.
    pub fn filter(&self, keep: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        self.lock().iter().filter(|r| keep(r)).cloned().collect()
    }

    /// How many requests were recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_classified_and_params_decoded() {
        let mut h = HeaderMap::new();
        let basic = base64::engine::general_purpose::STANDARD.encode("admin:pw:x");
        h.insert("authorization", format!("Basic {basic}").parse().unwrap());
        let c = Credentials::of(&h);
        assert_eq!(
            c.kind,
            AuthKind::Basic {
                user: "admin".into()
            }
        );
        assert_eq!(c.basic(), Some(("admin", "pw:x")));
        h.insert("authorization", "Splunk key".parse().unwrap());
        assert_eq!(Credentials::of(&h).kind, AuthKind::Splunk);
        let uri: axum::http::Uri = "/x?labelSelector=a%2Fb%3Dc&limit=2".parse().unwrap();
        let r = Recorded::new(&axum::http::Method::POST, &uri, &h);
        assert_eq!(r.query_param("labelSelector").as_deref(), Some("a/b=c"));
        assert!(r.params.is_empty());
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let r = Recorded::new(&axum::http::Method::POST, &uri, &h)
            .with_body(b"search=search+index%3Dx&output_mode=json");
        assert_eq!(r.param("search"), Some("search index=x"));
        assert_eq!(r.params.len(), 2);
    }
}
