//! The discovery documents kube-rs and kubectl read before they list:
//! `/version`, `/api`, `/apis`, `/api/v1` and the toolchain group.

use serde_json::{json, Value};

use super::{RESOURCES, TOOLCHAIN_GROUP, TOOLCHAIN_VERSION};

/// The verbs every served resource claims.
const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// The discovery document at `path`, if it is one.
pub(super) fn document(path: &str) -> Option<Value> {
    let group_doc = |g: &str, v: &str| {
        json!({
            "name": g,
            "versions": [{"groupVersion": format!("{g}/{v}"), "version": v}],
            "preferredVersion": {"groupVersion": format!("{g}/{v}"), "version": v},
        })
    };
    let resource_list = |group: &str, version: &str| {
        let gv = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        let resources: Vec<Value> = RESOURCES
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .map(|r| {
                json!({
                    "name": r.plural,
                    "singularName": r.singular,
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": VERBS,
                    "shortNames": r.short_names,
                })
            })
            .collect();
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
    };
    let path = path.trim_end_matches('/');
    Some(match path {
        "/version" => json!({
            "major": "1", "minor": "32", "gitVersion": "v1.32.0-standin",
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc",
            "platform": "linux/amd64",
        }),
        "/api" => json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        }),
        "/apis" => json!({
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": [group_doc(TOOLCHAIN_GROUP, TOOLCHAIN_VERSION)],
        }),
        "/api/v1" => resource_list("", "v1"),
        p if p == format!("/apis/{TOOLCHAIN_GROUP}") => {
            let mut g = group_doc(TOOLCHAIN_GROUP, TOOLCHAIN_VERSION);
            g["kind"] = json!("APIGroup");
            g["apiVersion"] = json!("v1");
            g
        }
        p if p == format!("/apis/{TOOLCHAIN_GROUP}/{TOOLCHAIN_VERSION}") => {
            resource_list(TOOLCHAIN_GROUP, TOOLCHAIN_VERSION)
        }
        _ => return None,
    })
}
