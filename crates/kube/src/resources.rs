//! The objects the map makers read: `UserSignup`s through the dynamic API
//! with an explicit plural (no CRD types to compile, and no guessing
//! `usersignups` from the kind), and tenant `Namespace`s.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ApiResource, DynamicObject};

/// Namespace the host operator keeps `UserSignup`s in.
pub const HOST_OPERATOR_NAMESPACE: &str = "toolchain-host-operator";
/// Annotation of a `UserSignup` holding the SSO user id.
pub const SSO_USER_ID_ANNOTATION: &str = "toolchain.dev.openshift.com/sso-user-id";
/// Label selecting tenant namespaces.
pub const TENANT_SELECTOR: &str = "toolchain.dev.openshift.com/type=tenant";
/// Label of a tenant namespace naming its space (workspace).
pub const SPACE_LABEL: &str = "toolchain.dev.openshift.com/space";

/// `toolchain.dev.openshift.com/v1alpha1` `UserSignup`, plural `usersignups`.
pub fn usersignup_resource() -> ApiResource {
    ApiResource {
        group: "toolchain.dev.openshift.com".to_owned(),
        version: "v1alpha1".to_owned(),
        api_version: "toolchain.dev.openshift.com/v1alpha1".to_owned(),
        kind: "UserSignup".to_owned(),
        plural: "usersignups".to_owned(),
    }
}

/// The `UserSignup`s of `namespace`.
pub fn usersignups(client: kube::Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client, namespace, &usersignup_resource())
}

/// All namespaces (cluster-scoped).
pub fn namespaces(client: kube::Client) -> Api<Namespace> {
    Api::all(client)
}
