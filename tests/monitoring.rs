//! What the alerts watch, pushed by the real tools to a real Pushgateway:
//! the map makers' last success time and map size (only on success, so a
//! failed run leaves them), and splunk-to-segment's dropped events by reason
//! as one labelled metric.

use std::io::{Read, Write};

use e2e::{bin_dir, command, now, root, source_clusters, Pushgateway};

/// Every series of `name` on the Pushgateway: (labels text, value).
fn series(gw: &Pushgateway, name: &str) -> Vec<(String, f64)> {
    let port: u16 = gw.url.rsplit(':').next().unwrap().parse().unwrap();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?.strip_prefix('{')?;
            let (labels, value) = rest.rsplit_once("} ")?;
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn one(gw: &Pushgateway, name: &str, label: &str) -> Option<f64> {
    let found: Vec<f64> = series(gw, name)
        .into_iter()
        .filter(|(l, _)| l.contains(label))
        .map(|(_, v)| v)
        .collect();
    assert!(found.len() <= 1, "{name}{{{label}}}: {found:?}");
    found.first().copied()
}

#[test]
fn map_makers_push_their_success_time_and_size_only_on_success() {
    let gw = Pushgateway::start();
    let dir = tempfile::tempdir().unwrap();
    let src = source_clusters(dir.path());
    let before = now();
    let mut sizes = Vec::new();
    for (tool, map, args) in [
        ("get-uid-map", "uid", vec!["--context", "host"]),
        ("get-workspace-map", "workspace", vec![]),
    ] {
        let out = command(bin_dir().join(tool), dir.path())
            .env("KUBECONFIG_SRC", &src.kubeconfig)
            .env("PUSHGATEWAY_URL", &gw.url)
            .args(args)
            .output()
            .unwrap();
        testkit::succeeded(&out, tool);
        let printed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap();
        assert!(!printed.is_empty());
        let label = format!("map=\"{map}\"");
        #[allow(clippy::cast_precision_loss)]
        let entries = printed.len() as f64;
        assert_eq!(
            one(&gw, "segment_bridge_map_entries", &label),
            Some(entries),
            "{tool}"
        );
        let at = one(
            &gw,
            "segment_bridge_map_last_success_timestamp_seconds",
            &label,
        )
        .unwrap();
        #[allow(clippy::cast_precision_loss)]
        let window = (before - 1) as f64..=(now() + 1) as f64;
        assert!(window.contains(&at), "{tool}: {at} not in {window:?}");
        sizes.push((label, entries, at));
    }

    // A failed run (a context that is not in the kubeconfig: exit 2) pushes
    // its failure to its own group and leaves the map's success alone.
    let out = command(bin_dir().join("get-uid-map"), dir.path())
        .env("KUBECONFIG_SRC", &src.kubeconfig)
        .env("PUSHGATEWAY_URL", &gw.url)
        .args(["--context", "no-such-context"])
        .output()
        .unwrap();
    testkit::exited(&out, 2);
    assert_eq!(
        one(&gw, "segment_bridge_run_success", "stage=\"get-uid-map\""),
        Some(0.0)
    );
    let (label, entries, at) = &sizes[0];
    assert_eq!(
        one(&gw, "segment_bridge_map_entries", label),
        Some(*entries)
    );
    assert_eq!(
        one(
            &gw,
            "segment_bridge_map_last_success_timestamp_seconds",
            label
        ),
        Some(*at)
    );
}

#[test]
fn splunk_to_segment_pushes_drops_by_reason() {
    let gw = Pushgateway::start();
    let dir = tempfile::tempdir().unwrap();
    // No maps: every event is dropped for want of a workspace or user id.
    let rows = std::fs::read(root().join("scripts/demo/splunk-dump.jsonl")).unwrap();
    let mut child = command(bin_dir().join("splunk-to-segment"), dir.path())
        .env("PUSHGATEWAY_URL", &gw.url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&rows).unwrap();
    let out = child.wait_with_output().unwrap();
    testkit::exited(&out, 0);
    let stage = "stage=\"splunk-to-segment\"";
    let mut total = 0.0;
    for reason in ["no_workspace", "no_owner_id", "no_user_id"] {
        let labelled = one(
            &gw,
            "segment_bridge_events_dropped",
            &format!("reason=\"{reason}\""),
        );
        let plain = one(&gw, &format!("segment_bridge_dropped_{reason}"), stage);
        assert_eq!(labelled, plain, "{reason}");
        total += labelled.unwrap();
    }
    assert!(total > 0.0, "nothing dropped without maps");
    let read = one(&gw, "segment_bridge_events_read", stage).unwrap();
    let emitted = one(&gw, "segment_bridge_events_emitted", stage).unwrap();
    assert_eq!(emitted, 0.0);
    assert!(total <= read);
}
