//! Publishing a document into a ConfigMap by server-side apply (the job
//! scripts' `oc create configmap --dry-run -o yaml | oc apply`, without
//! `oc`). The API server refuses ConfigMaps over 1 MiB of data; a uid map of
//! hundreds of thousands of users can pass that, so the size is checked here
//! first and a map that doesn't fit is refused before anything is written.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::error::{ApiError, Error};

/// The API server's limit on a ConfigMap's data (keys plus values).
pub const MAX_DATA_BYTES: usize = 1024 * 1024;
/// Our field manager for server-side apply.
pub const FIELD_MANAGER: &str = "segment-bridge";

/// Fails with [`Error::TooLarge`] when `key` and `value` don't fit.
pub fn check_size(namespace: &str, name: &str, key: &str, value: &str) -> Result<(), Error> {
    let size = key.len() + value.len();
    if size > MAX_DATA_BYTES {
        return Err(Error::TooLarge {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            size,
            limit: MAX_DATA_BYTES,
        });
    }
    Ok(())
}

/// Server-side applies ConfigMap `namespace/name` with `data: {key: value}`
/// (forcing ownership of the key), after [`check_size`].
pub async fn apply(
    client: kube::Client,
    namespace: &str,
    name: &str,
    key: &str,
    value: &str,
) -> Result<ConfigMap, Error> {
    check_size(namespace, name, key, value)?;
    let api: Api<ConfigMap> = Api::namespaced(client, namespace);
    let cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": FIELD_MANAGER},
        },
        "data": {key: value},
    });
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&cm),
    )
    .await
    .map_err(|e| Error::Publish {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        source: ApiError::from(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limit_counts_key_and_value() {
        let v = "x".repeat(MAX_DATA_BYTES - 3);
        assert!(check_size("ns", "cm", "abc", &v).is_ok());
        let e = check_size("ns", "cm", "abcd", &v).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the map is 1048577 bytes, over the ConfigMap limit of 1048576 bytes; ConfigMap `ns/cm` not written"
        );
    }
}
