//! Per query: events that must match, with their exact rows, and near
//! misses that must not.

use serde_json::{json, Value};

use crate::audit::{event, kind, result, row, run, set, unset, NO_ROWS};

pub const TS: &str = "2024-03-03T08:00:00.000000Z";
const APPSTUDIO: &str = "appstudio.redhat.com";
const TEKTON: &str = "tekton.dev";

/// Asserts that `name` selects nothing of `misses`, each alone.
fn misses(name: &str, misses: &[(&str, Value)]) {
    for (why, e) in misses {
        let (lines, _) = run(&[kind(name)], std::slice::from_ref(e));
        assert_eq!(lines, [NO_ROWS], "{name}: {why} must not match");
    }
}

/// `e` made by the user `username`.
fn by(username: &str, e: Value) -> Value {
    set(e, &["user", "username"], json!(username))
}

fn top<'a>(id: &'a str, subject: &'a str, verb: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("event_subject", subject),
        ("event_verb", verb),
        ("messageId", id),
        ("namespace", "alice-tenant"),
        ("timestamp", TS),
        ("type", "track"),
    ]
}

pub fn application(id: &str) -> Value {
    let e = event(id, "create", APPSTUDIO, "applications", 201);
    set(
        e,
        &["responseObject", "metadata", "resourceVersion"],
        json!("1234"),
    )
}

#[test]
fn application_created_by_a_person() {
    let (lines, s) = run(&[kind("application")], &[application("a1")]);
    let mut cols = top("a1", "applications", "create");
    cols.push(("userId", "alice"));
    let props = json!({"apiGroup": APPSTUDIO, "apiVersion": "v1alpha1", "application": "x",
                       "kind": "applications", "name": "x"});
    assert_eq!(lines, [row(0, true, result(&cols, props))]);
    assert_eq!(s.rows, [("application", 1)]);
}

#[test]
fn application_created_by_a_system_account_impersonating_a_person() {
    let e = by("system:admin", application("a2"));
    let e = set(e, &["impersonatedUser", "username"], json!("bob"));
    let (lines, _) = run(&[kind("application")], &[e]);
    assert!(lines[0].contains(r#""userId":"bob""#), "{}", lines[0]);
}

#[test]
fn application_near_misses() {
    misses(
        "application",
        &[
            (
                "wrong verb",
                set(application("m"), &["verb"], json!("update")),
            ),
            (
                "status 409",
                set(application("m"), &["responseStatus", "code"], json!(409)),
            ),
            (
                "system user alone",
                by("system:serviceaccount:ns:sa", application("m")),
            ),
            (
                "a dry-run create (no resourceVersion)",
                unset(application("m"), &["responseObject"]),
            ),
            (
                "another API group",
                set(
                    application("m"),
                    &["objectRef", "apiGroup"],
                    json!("example.com"),
                ),
            ),
            ("no user at all", unset(application("m"), &["user"])),
        ],
    );
}

#[test]
fn search_values_ignore_case_as_splunk_does() {
    let e = set(application("c1"), &["verb"], json!("CREATE"));
    let (lines, _) = run(&[kind("application")], &[e]);
    assert!(
        lines[0].contains(r#""event_verb":"CREATE""#),
        "{}",
        lines[0]
    );
}

pub fn component(id: &str, verb: &str) -> Value {
    let e = event(id, verb, APPSTUDIO, "components", 200);
    set(
        e,
        &["responseObject"],
        json!({"metadata": {"resourceVersion": "9", "labels": {}},
               "spec": {"application": "shop", "componentName": "web",
                        "source": {"git": {"url": "https://github.com/a/web"}}}}),
    )
}

#[test]
fn component_events_and_the_build_request_verb() {
    let json_patch = set(
        component("c1", "patch"),
        &["requestObject"],
        json!([{"op": "add", "path": "/metadata/annotations/build.appstudio.openshift.io~1request",
                "value": "trigger-pac-build"}]),
    );
    let merge_patch = set(
        component("c2", "patch"),
        &[
            "requestObject",
            "metadata",
            "annotations",
            "build.appstudio.openshift.io/request",
        ],
        json!("configure-pac"),
    );
    let mut e3 = set(
        component("c3", "update"),
        &["requestReceivedTimestamp"],
        json!("2024-03-03T07:00:00Z"),
    );
    e3 = set(
        e3,
        &["responseObject", "spec", "source", "git", "revision"],
        json!("main"),
    );
    let (lines, s) = run(&[kind("component")], &[json_patch, merge_patch, e3]);
    let props = |rev: Value| {
        json!({"apiGroup": APPSTUDIO, "apiVersion": "v1alpha1", "application": "shop",
               "component": "web", "kind": "components", "name": "x",
               "src_revision": rev, "src_url": "https://github.com/a/web"})
    };
    let with_user = |mut c: Vec<(&'static str, &'static str)>| {
        c.push(("userId", "alice"));
        c
    };
    // Newest first; equal times: the later line first.
    let c2 = with_user(top("c2", "components", "configure-pac"));
    let mut c3 = top("c3", "components", "update");
    c3.retain(|(k, _)| *k != "timestamp");
    c3.push(("timestamp", "2024-03-03T07:00:00Z"));
    let c3 = with_user(c3);
    assert_eq!(
        lines,
        [
            row(0, false, result(&c2, props(Value::Null))),
            row(
                1,
                false,
                result(
                    &with_user(top("c1", "components", "trigger-pac-build")),
                    props(Value::Null)
                )
            ),
            row(2, true, result(&c3, props(json!("main")))),
        ]
    );
    assert_eq!(s.rows, [("component", 3)]);
}

#[test]
fn component_near_misses() {
    misses(
        "component",
        &[
            ("a get", set(component("m", "get"), &["verb"], json!("get"))),
            (
                "status 404",
                set(
                    component("m", "update"),
                    &["responseStatus", "code"],
                    json!(404),
                ),
            ),
            (
                "a controller",
                by(
                    "system:serviceaccount:build-service:x",
                    component("m", "update"),
                ),
            ),
            (
                "a create without resourceVersion",
                unset(
                    component("m", "create"),
                    &["responseObject", "metadata", "resourceVersion"],
                ),
            ),
        ],
    );
}

pub fn pipelinerun(id: &str, verb: &str) -> Value {
    let e = event(
        id,
        verb,
        TEKTON,
        "pipelineruns",
        if verb == "create" { 201 } else { 200 },
    );
    let e = by("system:serviceaccount:openshift-pipelines:pac", e);
    set(
        e,
        &["responseObject"],
        json!({"metadata": {
                  "resourceVersion": "77",
                  "labels": {"pipelines.appstudio.openshift.io/type": "build",
                             "appstudio.openshift.io/application": "shop",
                             "appstudio.openshift.io/component": "web"},
                  "annotations": {
                      "pipelinesascode.tekton.dev/event-type": "push",
                      "pipelinesascode.tekton.dev/git-provider": "github",
                      "pipelinesascode.tekton.dev/log-url": "https://console/x",
                      "build.appstudio.redhat.com/commit_sha": "52ea259d",
                      "build.appstudio.openshift.io/repo": "https://github.com/a/web?rev=52ea259d",
                      "build.appstudio.redhat.com/target_branch": "main"}},
               "spec": {}}),
    )
}

fn tekton_top<'a>(
    id: &'a str,
    subject: &'a str,
    verb: &'a str,
    event: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut t = top(id, subject, verb);
    t.push(("event", event));
    t
}

#[test]
fn build_pipelinerun_created_near_misses() {
    let labels = [
        "responseObject",
        "metadata",
        "labels",
        "pipelines.appstudio.openshift.io/type",
    ];
    misses(
        "build-pipelinerun-created",
        &[
            (
                "a test pipeline",
                set(pipelinerun("m", "create"), &labels, json!("test")),
            ),
            (
                "no resourceVersion",
                unset(
                    pipelinerun("m", "create"),
                    &["responseObject", "metadata", "resourceVersion"],
                ),
            ),
            (
                "status 500",
                set(
                    pipelinerun("m", "create"),
                    &["responseStatus", "code"],
                    json!(500),
                ),
            ),
            ("an update", pipelinerun("m", "update")),
        ],
    );
}

fn status_update(e: Value, conditions: Value) -> Value {
    let e = set(e, &["objectRef", "subresource"], json!("status"));
    set(e, &["responseObject", "status", "conditions"], conditions)
}

pub fn started(id: &str) -> Value {
    let e = status_update(
        pipelinerun(id, "update"),
        json!([{"type": "Succeeded", "status": "Unknown", "reason": "Running",
                "message": "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 5, Skipped: 0"}]),
    );
    set(
        e,
        &["responseObject", "status", "startTime"],
        json!("2024-03-03T07:59:59Z"),
    )
}

#[test]
fn build_pipelinerun_started_near_misses() {
    let msg = ["responseObject", "status", "conditions"];
    misses(
        "build-pipelinerun-started",
        &[
            (
                "a task already done",
                set(
                    started("m"),
                    &msg,
                    json!([{"type": "Succeeded", "reason": "Running", "message": "Tasks Completed: 2 (Failed: 0)"}]),
                ),
            ),
            (
                "no start time",
                unset(started("m"), &["responseObject", "status", "startTime"]),
            ),
            (
                "not the status subresource",
                unset(started("m"), &["objectRef", "subresource"]),
            ),
            (
                "no Succeeded condition",
                set(
                    started("m"),
                    &msg,
                    json!([{"type": "Ready", "reason": "Running", "message": "Tasks Completed: 0 x"}]),
                ),
            ),
            (
                "status 409",
                set(started("m"), &["responseStatus", "code"], json!(409)),
            ),
        ],
    );
}

pub fn ended(id: &str, reason: &str) -> Value {
    let e = status_update(
        pipelinerun(id, "update"),
        json!([{"type": "Succeeded", "status": "False", "reason": reason, "message": "Tasks Completed: 3 (Failed: 1)"}]),
    );
    set(
        e,
        &["responseObject", "status", "completionTime"],
        json!("2024-03-03T08:00:00Z"),
    )
}

#[test]
fn build_pipelinerun_ended_near_misses() {
    misses(
        "build-pipelinerun-ended",
        &[
            ("still running", ended("m", "Running")),
            (
                "a status update without completion time",
                unset(
                    ended("m", "Failed"),
                    &["responseObject", "status", "completionTime"],
                ),
            ),
            ("case differs in a where test", ended("m", "failed")),
        ],
    );
}

pub fn clair(id: &str) -> Value {
    let e = event(id, "update", TEKTON, "taskruns", 200);
    let e = by("system:serviceaccount:openshift-pipelines:tekton", e);
    let e = set(
        e,
        &[
            "requestObject",
            "metadata",
            "labels",
            "tekton.dev/pipelineTask",
        ],
        json!("clair-scan"),
    );
    let e = set(
        e,
        &[
            "responseObject",
            "metadata",
            "labels",
            "appstudio.openshift.io/application",
        ],
        json!("shop"),
    );
    let e = set(e, &["responseObject", "spec"], json!({}));
    let e = status_update(
        e,
        json!([{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]),
    );
    let e = set(
        e,
        &["responseObject", "status", "completionTime"],
        json!("2024-03-03T08:00:00Z"),
    );
    set(
        e,
        &["responseObject", "status", "taskResults"],
        json!([{"name": "IMAGE_DIGEST", "value": "sha256:1"},
               {"name": "CLAIR_SCAN_RESULT",
                "value": "{\"vulnerabilities\":{\"critical\":0,\"high\":6,\"medium\":30,\"low\":78}}"}]),
    )
}

#[test]
fn clair_scan_near_misses() {
    let results = ["responseObject", "status", "taskResults"];
    misses(
        "clair-scan-completed",
        &[
            (
                "a status update without completion time",
                unset(clair("m"), &["responseObject", "status", "completionTime"]),
            ),
            (
                "failed scan",
                set(
                    clair("m"),
                    &["responseObject", "status", "conditions"],
                    json!([{"type": "Succeeded", "status": "False", "reason": "Failed"}]),
                ),
            ),
            (
                "no scan result",
                set(
                    clair("m"),
                    &results,
                    json!([{"name": "IMAGE_DIGEST", "value": "x"}]),
                ),
            ),
            (
                "another task",
                set(
                    clair("m"),
                    &[
                        "requestObject",
                        "metadata",
                        "labels",
                        "tekton.dev/pipelineTask",
                    ],
                    json!("build"),
                ),
            ),
        ],
    );
}

pub fn release(id: &str) -> Value {
    let e = event(id, "patch", APPSTUDIO, "releases", 200);
    let e = by("system:serviceaccount:release-service:manager", e);
    let e = status_update(
        e,
        json!([{"type": "Released", "status": "True", "reason": "Succeeded", "message": ""}]),
    );
    let e = set(
        e,
        &["responseObject", "metadata", "resourceVersion"],
        json!("5"),
    );
    let e = set(
        e,
        &["responseObject", "metadata", "ownerReferences"],
        json!([{"name": "shop"}, {"name": "other"}]),
    );
    set(
        e,
        &["responseObject", "status", "completionTime"],
        json!("2024-03-03T08:00:00Z"),
    )
}

#[test]
fn release_near_misses() {
    misses(
        "release-done",
        &[
            (
                "an update (not a patch)",
                set(release("m"), &["verb"], json!("update")),
            ),
            (
                "still progressing",
                set(
                    release("m"),
                    &["responseObject", "status", "conditions"],
                    json!([{"type": "Released", "reason": "Progressing"}]),
                ),
            ),
            (
                "not done",
                unset(
                    release("m"),
                    &["responseObject", "status", "completionTime"],
                ),
            ),
        ],
    );
}

/// `props` and the properties `more`, keys sorted as a row prints them.
fn with_props(props: &Value, more: Value) -> Value {
    let (Value::Object(props), Value::Object(more)) = (props.clone(), more) else {
        panic!("properties are objects");
    };
    let mut all: Vec<(String, Value)> = props.into_iter().chain(more).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(all.into_iter().collect())
}

/// The Tekton and release kinds: a matching event makes exactly one row,
/// the columns of `tekton_top` and these properties. One case per kind:
/// (kind, event, id, subject, verb, event name, properties).
#[test]
fn tekton_and_release_events_make_one_row_each() {
    // An ended build has the created one's properties and its status.
    let created = json!({"apiGroup": TEKTON, "apiVersion": "v1", "application": "shop",
        "commit_sha": "52ea259d", "component": "web", "git_trigger_event_type": "push",
        "git_trigger_provider": "github", "kind": "pipelineruns",
        "pipeline_log_url": "https://console/x", "repo": "https://github.com/a/web",
        "target_branch": "main"});
    let cases = [
        (
            "build-pipelinerun-created",
            pipelinerun("p1", "create"),
            ["p1", "pipelineruns", "create", "Build PipelineRun created"],
            created.clone(),
        ),
        (
            "build-pipelinerun-started",
            started("s1"),
            ["s1", "pipelineruns", "update", "Build PipelineRun started"],
            json!({"apiGroup": TEKTON, "apiVersion": "v1", "application": "shop",
                "component": "web", "git_trigger_event_type": "push", "git_trigger_provider": "github",
                "kind": "pipelineruns", "pipeline_log_url": "https://console/x"}),
        ),
        (
            "build-pipelinerun-ended",
            ended("e1", "Failed"),
            ["e1", "pipelineruns", "update", "Build PipelineRun ended"],
            with_props(
                &created,
                json!({"status_message": "Tasks Completed: 3 (Failed: 1)", "status_reason": "Failed"}),
            ),
        ),
        (
            // Numbers from the scan result stay numbers; a missing component is null.
            "clair-scan-completed",
            clair("k1"),
            ["k1", "taskruns", "update", "Clair scan TaskRun completed"],
            json!({"apiGroup": TEKTON, "apiVersion": "v1", "application": "shop",
                "component": null, "kind": "taskruns", "vulnerabilities_critical": 0,
                "vulnerabilities_high": 6, "vulnerabilities_low": 78, "vulnerabilities_medium": 30}),
        ),
        (
            "release-done",
            release("r1"),
            ["r1", "releases", "patch", "Release process done"],
            json!({"apiGroup": APPSTUDIO, "apiVersion": "v1alpha1", "application": "shop",
                "kind": "releases", "name": "x", "status_message": "", "status_reason": "Succeeded"}),
        ),
    ];
    for (name, e, [id, subject, verb, event], props) in cases {
        let (lines, _) = run(&[kind(name)], &[e]);
        let cols = tekton_top(id, subject, verb, event);
        assert_eq!(lines, [row(0, true, result(&cols, props))], "{name}");
    }
}

pub fn pull_request(id: &str, at: &str, url: &str) -> Value {
    let e = component(id, "update");
    let e = set(e, &["requestReceivedTimestamp"], json!(at));
    let e = by(
        "system:serviceaccount:build-service:build-service-controller-manager",
        e,
    );
    let status = json!({"pac": {"state": "enabled", "merge-url": url}}).to_string();
    set(
        e,
        &[
            "responseObject",
            "metadata",
            "annotations",
            "build.appstudio.openshift.io/status",
        ],
        json!(status),
    )
}

#[test]
fn pull_request_created_once_per_merge_url_oldest_first() {
    let events = [
        pull_request(
            "n2",
            "2024-03-03T09:00:00Z",
            "https://github.com/a/web/pull/2",
        ),
        pull_request(
            "n1b",
            "2024-03-03T08:30:00Z",
            "https://github.com/a/web/pull/1",
        ),
        pull_request(
            "n1a",
            "2024-03-03T08:10:00Z",
            "https://github.com/a/web/pull/1",
        ),
    ];
    let (lines, s) = run(&[kind("pull-request-created")], &events);
    let props = |n: &str| {
        json!({"apiGroup": APPSTUDIO, "apiVersion": "v1alpha1", "application": "shop",
               "component": "web", "kind": "components", "merge_url": format!("https://github.com/a/web/pull/{n}"),
               "name": "x", "src_revision": null, "src_url": "https://github.com/a/web"})
    };
    let cols = |id: &'static str, at: &'static str| {
        let mut c = tekton_top(id, "components", "update", "Pull request created");
        c.retain(|(k, _)| *k != "timestamp");
        c.push(("timestamp", at));
        c
    };
    assert_eq!(
        lines,
        [
            row(
                0,
                false,
                result(&cols("n1a", "2024-03-03T08:10:00Z"), props("1"))
            ),
            row(
                1,
                true,
                result(&cols("n2", "2024-03-03T09:00:00Z"), props("2"))
            ),
        ]
    );
    assert_eq!(s.rows, [("pull-request-created", 2)]);
}

#[test]
fn pull_request_near_misses() {
    let ann = ["responseObject", "metadata", "annotations"];
    let pr = || pull_request("m", TS, "https://github.com/a/web/pull/9");
    let mut req = ann.to_vec();
    req.push("build.appstudio.openshift.io/request");
    let mut st = ann.to_vec();
    st.push("build.appstudio.openshift.io/status");
    misses(
        "pull-request-created",
        &[
            (
                "a pending build request",
                set(pr(), &req, json!("configure-pac")),
            ),
            (
                "PaC disabled",
                set(
                    pr(),
                    &st,
                    json!(r#"{"pac":{"state":"disabled","merge-url":"u"}}"#),
                ),
            ),
            ("another user", by("alice", pr())),
            (
                "no merge url (dedup drops a null key)",
                set(pr(), &st, json!(r#"{"pac":{"state":"enabled"}}"#)),
            ),
            ("status not JSON", set(pr(), &st, json!("pac: enabled"))),
        ],
    );
}
