//! One request of the Kubernetes stand-in: authentication, injected
//! faults, discovery, and routing a resource path to its verb. Every answer
//! is JSON; errors are `Status` objects as the real API server sends them.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{discovery, KubeStandin, ResourceDef, MAX_REQUEST_BODY_BYTES, RESOURCES};
use crate::recording::Recorded;

/// A request as the verbs see it.
pub(super) struct Req {
    pub(super) method: Method,
    pub(super) path: String,
    /// Decoded query parameters (the last of a repeated one).
    pub(super) query: BTreeMap<String, String>,
    pub(super) content_type: String,
    pub(super) body: Bytes,
}

pub(super) async fn handle(
    State(standin): State<KubeStandin>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut rec = Recorded::new(&method, &uri, &headers).with_body(&body);
    let req = Req {
        method,
        path: rec.path.clone(),
        query: form_urlencoded::parse(rec.query.as_bytes())
            .into_owned()
            .collect(),
        content_type: rec.content_type.clone().unwrap_or_default(),
        body,
    };
    let delay = standin.lock().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (status, value) = standin.answer(&req, authorization);
    rec.status = status.as_u16();
    rec.authorized = status != StatusCode::UNAUTHORIZED;
    standin.lock().requests.push(rec);
    (
        status,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

pub(super) fn status_body(
    code: StatusCode,
    reason: &str,
    message: impl Into<String>,
) -> (StatusCode, Value) {
    (
        code,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message.into(),
            "reason": reason,
            "code": code.as_u16(),
        }),
    )
}

fn reason_of(code: u16) -> &'static str {
    match code {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        413 => "RequestEntityTooLarge",
        410 => "Expired",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

/// Where a resource path points.
pub(super) struct Target {
    pub(super) res: ResourceDef,
    /// `None`: all namespaces (or a cluster-scoped resource).
    pub(super) namespace: Option<String>,
    pub(super) name: Option<String>,
}

impl KubeStandin {
    fn answer(&self, req: &Req, authorization: Option<&str>) -> (StatusCode, Value) {
        let mut st = self.lock();
        if let Some(code) = st.fail_all {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return status_body(code, reason_of(code.as_u16()), "stand-in: cluster is down");
        }
        if let Some(token) = &st.token {
            let expected = format!("Bearer {token}");
            if authorization != Some(expected.as_str()) {
                return status_body(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
            }
        }
        if req.body.len() > MAX_REQUEST_BODY_BYTES {
            // As the API server's `limitedReadBody` answers.
            return status_body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}"),
            );
        }
        if let Some(doc) = discovery::document(&req.path) {
            return if req.method == Method::GET {
                (StatusCode::OK, doc)
            } else {
                status_body(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
            };
        }
        let Some(target) = parse_target(&req.path) else {
            return status_body(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource",
            );
        };
        if let Some(code) = st.faults.hit().first().map(|c| **c) {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return status_body(code, reason_of(code.as_u16()), "stand-in: injected failure");
        }
        match (&req.method, &target.name) {
            (&Method::GET, None) => st.list(&target, &req.query),
            (&Method::GET, Some(name)) => st.get_one(&target, name),
            (&Method::POST, None) => st.create(&target, &req.body),
            (&Method::PUT, Some(name)) => st.replace(&target, name, &req.body),
            (&Method::PATCH, Some(name)) => st.patch(&target, name, req),
            (&Method::DELETE, Some(name)) => st.delete(&target, name),
            _ => status_body(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        }
    }
}

fn parse_target(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let find = |plural: &str| {
        RESOURCES
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
            .copied()
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 1 => {
            let res = find(plural)?;
            res.namespaced.then(|| Target {
                res,
                namespace: Some((*ns).to_owned()),
                name: tail.first().map(|s| (*s).to_owned()),
            })
        }
        [plural] => Some(Target {
            res: find(plural)?,
            namespace: None,
            name: None,
        }),
        [plural, name] => {
            let res = find(plural)?;
            (!res.namespaced).then(|| Target {
                res,
                namespace: None,
                name: Some((*name).to_owned()),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CONFIGMAPS, NAMESPACES, USERSIGNUPS};
    use super::*;

    #[test]
    fn targets() {
        let t = parse_target("/api/v1/namespaces").unwrap();
        assert_eq!((t.res, t.namespace, t.name), (NAMESPACES, None, None));
        let t = parse_target("/api/v1/namespaces/foo").unwrap();
        assert_eq!(t.name.as_deref(), Some("foo"));
        let t = parse_target("/api/v1/namespaces/foo/configmaps/bar").unwrap();
        assert_eq!(
            (t.res, t.namespace.as_deref(), t.name.as_deref()),
            (CONFIGMAPS, Some("foo"), Some("bar"))
        );
        let t = parse_target(
            "/apis/toolchain.dev.openshift.com/v1alpha1/namespaces/toolchain-host-operator/usersignups",
        )
        .unwrap();
        assert_eq!(t.res, USERSIGNUPS);
        assert!(parse_target("/api/v1/pods").is_none());
        assert!(parse_target("/api/v1/configmaps/x").is_none());
    }
}
