//! The Kubernetes crate against the stand-in, through kube-rs: paged lists
//! (remainingItemCount, label selectors, restarts on 410), ConfigMap apply
//! and the stand-in's own size validation, exec credential plugins.

use std::path::Path;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use segment_bridge_kube::list::{list_all, ListError, ListOptions};
use segment_bridge_kube::{configmap, Cluster, Source, Timeouts};
use segment_bridge_net::retry::RetryPolicy;
use serde::Serialize as _;
use serde_json::json;
use standins::kube::{kubeconfig, KubeStandin, KubeconfigEntry, TlsCluster, CONFIGMAPS};
use standins::server::RunningServer;

fn namespaces(n: usize) -> KubeStandin {
    let s = KubeStandin::new();
    for i in 0..n {
        let mut labels = json!({"toolchain.dev.openshift.com/type": if i % 2 == 0 { "tenant" } else { "other" }});
        if i % 3 == 0 {
            labels["toolchain.dev.openshift.com/space"] = json!(format!("u{i}"));
        }
        s.add(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": format!("ns-{i:02}"), "labels": labels}}))
            .unwrap();
    }
    s
}

async fn client_for(entry: KubeconfigEntry) -> Cluster {
    let doc = kubeconfig(&[entry], None).to_string();
    let source = Source::from_yaml(&doc).unwrap();
    source.cluster(None, Timeouts::default()).await.unwrap()
}

/// `s` served on loopback and a client of it (the server stops when the
/// first half is dropped).
async fn served(s: &KubeStandin) -> (RunningServer, Cluster) {
    let server = s.serve().unwrap();
    let c = client_for(KubeconfigEntry::new("c", "c", server.url())).await;
    (server, c)
}

fn no_sleep(retries: u32) -> RetryPolicy {
    let mut p = RetryPolicy::new(retries);
    p.scale = 0.0;
    p
}

fn names(items: &[Namespace]) -> Vec<String> {
    items
        .iter()
        .map(|n| n.metadata.name.clone().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_remaining_item_count_only_without_selector() {
    let s = namespaces(10);
    let (_server, c) = served(&s).await;
    let api: Api<Namespace> = Api::all(c.client.clone());
    let page = api.list(&ListParams::default().limit(4)).await.unwrap();
    assert_eq!(page.items.len(), 4);
    assert_eq!(page.metadata.remaining_item_count, Some(6));
    assert!(page.metadata.continue_.is_some());
    // The following pages count down from the token (not by going over
    // every object again), to the last page, which has neither.
    let mut token = page.metadata.continue_.clone();
    let mut seen = names(&page.items);
    for left in [2, 0] {
        let page = api
            .list(
                &ListParams::default()
                    .limit(4)
                    .continue_token(token.as_deref().unwrap()),
            )
            .await
            .unwrap();
        seen.extend(names(&page.items));
        let expected = (left > 0).then_some(left);
        assert_eq!(page.metadata.remaining_item_count, expected);
        token = page.metadata.continue_.clone();
        assert_eq!(token.is_some(), left > 0);
    }
    let all = names(&api.list(&ListParams::default()).await.unwrap().items);
    assert_eq!(seen, all);
    let page = api
        .list(
            &ListParams::default()
                .limit(2)
                .labels("toolchain.dev.openshift.com/type=tenant"),
        )
        .await
        .unwrap();
    assert_eq!(page.metadata.remaining_item_count, None);

    for (selector, expected) in [
        ("toolchain.dev.openshift.com/type=tenant", 5),
        ("toolchain.dev.openshift.com/type!=tenant", 5),
        ("toolchain.dev.openshift.com/space", 4),
        ("!toolchain.dev.openshift.com/space", 6),
        (
            "toolchain.dev.openshift.com/type=tenant,toolchain.dev.openshift.com/space",
            2,
        ),
        ("toolchain.dev.openshift.com/type in (tenant,other)", 10),
    ] {
        let listed = list_all(&api, &ListOptions::new(3, no_sleep(0)).labels(selector))
            .await
            .unwrap();
        assert_eq!(listed.items.len(), expected, "{selector}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_restarts_after_410_and_gives_up_eventually() {
    let s = namespaces(7);
    let (_server, c) = served(&s).await;
    let api: Api<Namespace> = Api::all(c.client.clone());

    let listed = list_all(&api, &ListOptions::new(2, no_sleep(0)))
        .await
        .unwrap();
    assert_eq!(
        (listed.items.len(), listed.pages, listed.restarts),
        (7, 4, 0)
    );

    // A compaction between two pages expires the token held by the client.
    s.expire_next_continue(2);
    let listed = list_all(&api, &ListOptions::new(3, no_sleep(0)))
        .await
        .unwrap();
    assert_eq!(names(&listed.items).len(), 7);
    assert_eq!(listed.restarts, 2);
    let mut sorted = names(&listed.items);
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no duplicates after a restart");

    s.expire_next_continue(100);
    let mut opts = ListOptions::new(3, no_sleep(0));
    opts.max_restarts = 2;
    match list_all(&api, &opts).await {
        Err(ListError::Expired { restarts }) => assert_eq!(restarts, 2),
        other => panic!("expected Expired, got {other:?}"),
    }

    // compact(): every outstanding token is expired.
    s.expire_next_continue(0);
    let first = api.list(&ListParams::default().limit(3)).await.unwrap();
    s.compact();
    let token = first.metadata.continue_.unwrap();
    let err = api
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref st) if st.code == 410 && st.reason == "Expired"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_others_are_not() {
    let s = namespaces(3);
    let (_server, c) = served(&s).await;
    let api: Api<Namespace> = Api::all(c.client.clone());
    s.fail_next(2, 500);
    let listed = list_all(&api, &ListOptions::new(0, no_sleep(3)))
        .await
        .unwrap();
    assert_eq!((listed.items.len(), listed.retries), (3, 2));

    s.fail_next(1, 403);
    match list_all(&api, &ListOptions::new(0, no_sleep(3))).await {
        Err(ListError::Api(e)) => assert_eq!(e.code(), Some(403)),
        other => panic!("expected a 403, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmap_apply_create_get_and_size_limit() {
    let s = KubeStandin::new();
    let (_server, c) = served(&s).await;

    let cm = configmap::apply(c.client.clone(), "ns", "map", "m.json", "{}\n")
        .await
        .unwrap();
    assert_eq!(cm.data.unwrap()["m.json"], "{}\n");
    let cm = configmap::apply(c.client.clone(), "ns", "map", "m.json", "{\"a\":1}\n")
        .await
        .unwrap();
    assert_eq!(cm.data.unwrap()["m.json"], "{\"a\":1}\n");
    let stored = s.get(CONFIGMAPS, "ns", "map").unwrap();
    assert_eq!(stored["data"], json!({"m.json": "{\"a\":1}\n"}));
    assert_eq!(
        stored["metadata"]["managedFields"][0]["manager"],
        "segment-bridge"
    );

    // Server-side apply semantics: a key this manager stops applying goes,
    // another manager's key stays.
    let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), "ns");
    let by = |manager: &str, data: serde_json::Value| {
        let api = api.clone();
        let manager = manager.to_owned();
        async move {
            let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "shared"}, "data": data});
            api.patch(
                "shared",
                &PatchParams::apply(&manager).force(),
                &Patch::Apply(&cm),
            )
            .await
            .unwrap()
        }
    };
    by("a", json!({"x": "1", "y": "2"})).await;
    by("b", json!({"z": "3"})).await;
    let cm = by("a", json!({"x": "4"})).await;
    let data = serde_json::to_value(cm.data.unwrap()).unwrap();
    assert_eq!(data, json!({"x": "4", "z": "3"}));

    // Plain create and get work too; a second create conflicts.
    let other: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "other"}, "data": {"k": "v"}}))
    .unwrap();
    api.create(&PostParams::default(), &other).await.unwrap();
    assert_eq!(api.get("other").await.unwrap().data.unwrap()["k"], "v");
    let err = api
        .create(&PostParams::default(), &other)
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref st) if st.code == 409),
        "{err:?}"
    );
    assert!(api.get_opt("missing").await.unwrap().is_none());

    // Our check refuses before sending; the stand-in refuses like the API
    // server when something sends it anyway.
    let big = "x".repeat(configmap::MAX_DATA_BYTES);
    let before = s.requests().len();
    let err = configmap::apply(c.client.clone(), "ns", "big", "m.json", &big)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("over the ConfigMap limit"),
        "{err}"
    );
    assert_eq!(s.requests().len(), before, "nothing sent");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "big"}, "data": {"m.json": big}});
    let err = api
        .patch(
            "big",
            &PatchParams::apply("test").force(),
            &Patch::Apply(&cm),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref st) if st.code == 422),
        "{err:?}"
    );
    assert!(s.get(CONFIGMAPS, "ns", "big").is_none());
}

/// The API server's other limits and preconditions, as the stand-in
/// enforces them: a request body over 3 MiB is refused (413) before it is
/// read as an object, and a write naming a stale resourceVersion is
/// refused with 409 Conflict (a write naming none is unconditional).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_body_limit_and_resource_version_preconditions() {
    let s = KubeStandin::new();
    let (_server, c) = served(&s).await;
    let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), "ns");

    // 3 MiB of body: binaryData of 2.4 MB is 3.2 MB of base64.
    let huge: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "huge"},
        "binaryData": {"b": base64_of(&vec![0u8; 2_400_000])}}))
    .unwrap();
    let err = api.create(&PostParams::default(), &huge).await.unwrap_err();
    match err {
        kube::Error::Api(st) => {
            assert_eq!(
                (st.code, st.reason.as_str()),
                (413, "RequestEntityTooLarge")
            );
            assert_eq!(st.message, "Request entity too large: limit is 3145728");
        }
        other => panic!("{other:?}"),
    }
    // Under both limits: 1,000,000 bytes of binaryData (1.33 MB of body).
    let shard: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "shard"},
        "binaryData": {"b": base64_of(&vec![1u8; 1_000_000])}}))
    .unwrap();
    api.create(&PostParams::default(), &shard).await.unwrap();

    let mut cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "state"}, "data": {"k": "1"}}))
    .unwrap();
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let read_rv = created.metadata.resource_version.clone();
    // Someone else writes meanwhile (unconditionally).
    cm.data = Some([("k".to_owned(), "2".to_owned())].into());
    api.replace("state", &PostParams::default(), &cm)
        .await
        .unwrap();
    // Our write, conditional on what we read: refused.
    cm.metadata.resource_version = read_rv;
    cm.data = Some([("k".to_owned(), "3".to_owned())].into());
    let err = api
        .replace("state", &PostParams::default(), &cm)
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref st) if st.code == 409 && st.reason == "Conflict"),
        "{err:?}"
    );
    // The same through server-side apply.
    let apply = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "state", "resourceVersion": cm.metadata.resource_version}, "data": {"k": "4"}});
    let err = api
        .patch(
            "state",
            &PatchParams::apply("t").force(),
            &Patch::Apply(&apply),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref st) if st.code == 409),
        "{err:?}"
    );
    assert_eq!(s.get(CONFIGMAPS, "ns", "state").unwrap()["data"]["k"], "2");
    // With the current resourceVersion it goes through.
    let now = api.get("state").await.unwrap();
    cm.metadata.resource_version = now.metadata.resource_version;
    api.replace("state", &PostParams::default(), &cm)
        .await
        .unwrap();
    assert_eq!(s.get(CONFIGMAPS, "ns", "state").unwrap()["data"]["k"], "3");
}

fn base64_of(bytes: &[u8]) -> String {
    k8s_openapi::ByteString(bytes.to_vec())
        .serialize(serde_json::value::Serializer)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// kube runs the kubeconfig's exec credential plugin; the stand-in sees its
/// token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_plugin_credentials_over_tls() {
    let cluster = TlsCluster::start(namespaces(2), "exec-token").unwrap();
    let (_dir, plugin) = testkit::temp_file(
        "cred-plugin",
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\"}}'\n",
    );
    make_executable(&plugin);
    let mut doc = kubeconfig(&[cluster.entry("c", "c")], None);
    doc["users"][0]["user"] = json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": plugin.to_str().unwrap(),
        "interactiveMode": "Never",
    }});
    let source = Source::from_yaml(&doc.to_string()).unwrap();
    let c = source.cluster(None, Timeouts::default()).await.unwrap();
    let api: Api<Namespace> = Api::all(c.client.clone());
    let listed = list_all(&api, &ListOptions::new(0, no_sleep(0)))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 2);
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}
