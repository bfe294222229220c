//! Rows of a real Splunk export (tests/fixtures/splunk-rows.jsonl, from the
//! sample dump the project ships) reproduced byte for byte: for each, the
//! audit event it came from, rebuilt by hand, gives the very same `result`
//! text (field order, `json_object` layout, `null`s, numbers, empty
//! strings).

use querygen::table::KINDS;
use serde_json::{json, Value};

use crate::audit::{event, run, set};

const MOZILLA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";
const MANAGER: &str = "manager/v0.0.0 (linux/amd64) kubernetes/$Format";

/// `event` with its identity, namespace, name, actor, agent and time set.
fn at(e: Value, id: &str, ns: &str, name: &str, user: &str, agent: &str, ts: &str) -> Value {
    let e = set(e, &["auditID"], json!(id));
    let e = set(e, &["objectRef", "namespace"], json!(ns));
    let e = set(e, &["objectRef", "name"], json!(name));
    let e = set(e, &["user", "username"], json!(user));
    let e = set(e, &["userAgent"], json!(agent));
    set(e, &["requestReceivedTimestamp"], json!(ts))
}

fn events() -> Vec<Value> {
    let sa = "system:serviceaccount:openshift-pipelines:pipeline";
    let app = at(
        event("", "create", "appstudio.redhat.com", "applications", 201),
        "1968c35e-fb13-4b70-9263-f0176ae8c564",
        "nebula-tenant",
        "app",
        "smerriweather",
        MOZILLA,
        "2024-03-03T08:26:54.481756Z",
    );
    let app = set(
        app,
        &["responseObject", "metadata", "resourceVersion"],
        json!("1"),
    );

    let comp = at(
        event("", "patch", "appstudio.redhat.com", "components", 200),
        "fdebba97-3d03-4e46-85ba-8bb383702aad",
        "wren-blackwood-tenant",
        "devfile-sample-ncrg",
        "wren-blackwood",
        "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
        "2024-03-03T11:50:32.946866Z",
    );
    let comp = set(
        comp,
        &[
            "requestObject",
            "metadata",
            "annotations",
            "build.appstudio.openshift.io/request",
        ],
        json!("configure-pac"),
    );
    let comp = set(
        comp,
        &["responseObject"],
        json!({"metadata": {"resourceVersion": "5"},
        "spec": {"application": "shop-2", "componentName": "devfile-sample-ncrg",
                 "source": {"git": {"url": "https://github.com/wren-blackwood/devfile-sample", "revision": "main"}}}}),
    );

    let started = at(
        event("", "update", "tekton.dev", "pipelineruns", 200),
        "262474d0-df9d-4cae-a996-00d417879b68",
        "nebula-tenant",
        "dotnet-glbb-on-push-x",
        sa,
        MANAGER,
        "2024-03-03T09:30:06.916085Z",
    );
    let started = set(started, &["objectRef", "subresource"], json!("status"));
    let started = set(
        started,
        &["responseObject"],
        json!({
        "metadata": {"resourceVersion": "9", "labels": {"pipelines.appstudio.openshift.io/type": "build",
            "appstudio.openshift.io/application": "app", "appstudio.openshift.io/component": "dotnet-glbb"}},
        "spec": {},
        "status": {"startTime": "2024-03-03T09:30:06Z", "conditions": [{"type": "Succeeded", "status": "Unknown",
            "reason": "Running", "message": "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 4, Skipped: 0"}]}}),
    );

    let clair = at(
        event("", "update", "tekton.dev", "taskruns", 200),
        "3be44b50-1df7-4398-8125-2eac9c373de3",
        "kai-blackwood-tenant",
        "inventory-clair-scan",
        sa,
        MANAGER,
        "2024-03-03T10:56:12.416695Z",
    );
    let clair = set(clair, &["objectRef", "subresource"], json!("status"));
    let clair = set(
        clair,
        &[
            "requestObject",
            "metadata",
            "labels",
            "tekton.dev/pipelineTask",
        ],
        json!("clair-scan"),
    );
    let clair = set(
        clair,
        &["responseObject"],
        json!({
        "metadata": {"labels": {"appstudio.openshift.io/application": "rhtap-demo",
                                "appstudio.openshift.io/component": "inventory-k77r"}},
        "status": {"completionTime": "2024-03-03T10:56:12Z",
            "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}],
            "taskResults": [{"name": "CLAIR_SCAN_RESULT",
                "value": "{\"vulnerabilities\":{\"critical\":0,\"high\":6,\"medium\":30,\"low\":78},\"unpatched_vulnerabilities\":{\"critical\":0}}"}]}}),
    );

    let release = at(
        event("", "patch", "appstudio.redhat.com", "releases", 200),
        "38bc5f46-c12c-4f17-88e4-21728acbde23",
        "smerriweather-tenant",
        "service-2-release-qtgtf",
        "system:serviceaccount:release-service:release-service-controller-manager",
        MANAGER,
        "2024-03-03T10:10:42.796200Z",
    );
    let release = set(release, &["objectRef", "subresource"], json!("status"));
    let release = set(
        release,
        &["responseObject"],
        json!({
        "metadata": {"resourceVersion": "3", "ownerReferences": [{"kind": "Application", "name": "service-2"}]},
        "status": {"completionTime": "2024-03-03T10:10:42Z",
            "conditions": [{"type": "Released", "status": "True", "reason": "Succeeded", "message": ""}]}}),
    );
    vec![app, comp, started, clair, release]
}

/// The raw `result` text of an export line.
fn result_text(line: &str) -> &str {
    let start = line.find("\"result\":").expect("result") + "\"result\":".len();
    &line[start..line.len() - 1]
}

#[test]
fn real_splunk_rows_are_reproduced_byte_for_byte() {
    let fixture = include_str!("../fixtures/splunk-rows.jsonl");
    let (lines, _) = run(KINDS, &events());
    let ours: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("\"result\""))
        .map(|l| result_text(l))
        .collect();
    assert_eq!(ours.len(), 5, "{lines:#?}");
    for want in fixture.lines().map(result_text) {
        assert!(
            ours.contains(&want),
            "missing:\n{want}\nours:\n{}",
            ours.join("\n")
        );
    }
}
