//! The whole pipeline through every stand-in: the real map makers read the
//! Kubernetes stand-ins, `scripts/main-job.sh` runs fetch-uj-records |
//! splunk-to-segment | segment-mass-uploader against the Splunk and Segment
//! stand-ins. Each test asserts on what Segment holds (every expected
//! messageId, once, nothing else), on the exit code (the mapping documented in
//! main-job.sh) and on the watermark.

use std::collections::BTreeSet;

use e2e::*;
use standins::segment::{Fault as SegFault, When};
use standins::splunk::Fault as SplunkFault;
use standins::splunk::KINDS;

#[test]
fn every_expected_event_arrives_once_and_nothing_else() {
    let (site, splunk, seg) = sample_site();

    let ran = site.job(&splunk, &seg).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, "");

    // Segment holds exactly the reference events.
    assert_eq!(received_events(&seg), expected_events());
    // Splunk got the eight searches, all for the window bridge-window chose
    // (no watermark yet: the last 4 hours), and the watermark is its end.
    let windows = export_windows(&splunk);
    assert_eq!(windows.len(), KINDS.len());
    let (earliest, latest) = windows[0];
    assert!(windows.iter().all(|w| *w == (earliest, latest)));
    assert_eq!(latest - earliest, 4 * 3600);
    assert_eq!(watermark(site.path()), Some(latest));
    // The map makers read what they needed, with the bearer token.
    assert!(!site.src.host.standin.requests().is_empty());
    assert!(!site.src.member.standin.requests().is_empty());
    assert!(ran
        .stderr
        .contains("segment-mass-uploader: 18 events read, 0 already delivered, 18 sent"));
    assert!(!ran.stderr.contains(SPLUNK_TOKEN) && !ran.stderr.contains(WRITE_KEY));
}

#[test]
fn transient_faults_are_retried_and_lose_nothing() {
    let site = Site::new();
    // Splunk: one search over quota once, one cut mid-line once, one with a
    // FATAL message once. Segment: the first request refused with 503.
    let splunk = splunk_with(None, |kind, rule| match kind {
        "application" => {
            rule.fault = Some(SplunkFault::Status(503));
            rule.when = When::First(1);
        }
        "component" => {
            rule.fault = Some(SplunkFault::CutMidLine { after_rows: 3 });
            rule.when = When::First(1);
        }
        "release-done" => {
            rule.fault = Some(SplunkFault::Message {
                kind: "FATAL".into(),
                after_rows: 0,
            });
            rule.when = When::First(1);
        }
        _ => {}
    });
    let seg = segment(segment_config().fault(SegFault::status(503, When::First(1))));

    let ran = site.job(&splunk, &seg).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(received_events(&seg), expected_events());
    assert_eq!(splunk.exports().len(), 8 + 3);
    assert_eq!(seg.requests(), 2);
    assert!(watermark(site.path()).is_some());
}

#[test]
fn a_query_that_keeps_failing_fails_the_run_and_holds_the_watermark() {
    let site = Site::new();
    let splunk = splunk_with(None, |kind, rule| {
        if kind == "release-done" {
            rule.fault = Some(SplunkFault::Status(500));
        }
    });
    let seg = segment(segment_config());

    let ran = site.job(&splunk, &seg).run();
    // 11: stage 1 (fetch-uj-records) exited 1.
    assert_eq!(ran.code, 11, "{}", ran.stderr);
    assert!(ran.stderr.contains("fetch-uj-records failed (exit 1)"));
    // The other queries' events still went out; the release one did not.
    let got: BTreeSet<String> = received_events(&seg).into_keys().collect();
    let expected = expected_events();
    let release: BTreeSet<String> = expected
        .iter()
        .filter(|(_, v)| v["event"] == "Release process done")
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(release.len(), 1);
    let want: BTreeSet<String> = expected
        .keys()
        .filter(|k| !release.contains(*k))
        .cloned()
        .collect();
    assert_eq!(got, want);
    // Not a full success: no watermark, so the next run asks again.
    assert_eq!(watermark(site.path()), None);

    // Splunk recovers: the next run delivers the rest (what Segment accepted
    // before is in the ledger and not sent again), watermark set.
    let splunk = sample_splunk();
    let seg = segment(segment_config());
    let ran = site.job(&splunk, &seg).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let now_got: BTreeSet<String> = received_events(&seg).into_keys().collect();
    assert_eq!(now_got, release);
    assert!(watermark(site.path()).is_some());
}

#[test]
fn segment_down_fails_the_run_and_every_event_is_dead_lettered() {
    let site = Site::new();
    let splunk = sample_splunk();
    let seg = segment(segment_config().fault(SegFault::status(500, When::Always)));

    let ran = site.job(&splunk, &seg).run();
    // 31: stage 3 (segment-mass-uploader) exited 1.
    assert_eq!(ran.code, 31, "{}", ran.stderr);
    assert!(received_events(&seg).is_empty());
    // Retried (SEGMENT_RETRIES default 3), then written to the dead letter.
    assert_eq!(seg.requests(), 4);
    let dead: BTreeSet<String> = rejects(site.path(), "segment-mass-uploader")
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["messageId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(dead, expected_events().into_keys().collect());
    assert_eq!(watermark(site.path()), None);
}

#[test]
fn rejected_rows_are_reported_and_the_window_still_counts() {
    let site = Site::new();
    // A row whose `properties` is not JSON: splunk-to-segment rejects it.
    let bad = r#"{"preview":false,"offset":0,"result":{"context":"{}","event_subject":"applications","event_verb":"create","messageId":"bad-row-1","namespace":"nebula-tenant","properties":"{not json","timestamp":"2024-03-03T08:00:00Z","type":"track","userId":"smerriweather"}}"#;
    let splunk = splunk_with(Some(("application", vec![bad.to_owned()])), |_, _| {});
    let seg = segment(segment_config());

    let ran = site.job(&splunk, &seg).run();
    // 3: every stage finished, a record was rejected.
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_eq!(received_events(&seg), expected_events());
    let rejected = rejects(site.path(), "splunk-to-segment");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].contains("bad-row-1"));
    // Rejects would be rejected again: the watermark moves on.
    assert!(watermark(site.path()).is_some());
}

#[test]
fn configuration_errors_name_the_stage_and_send_nothing() {
    let (site, splunk, seg) = sample_site();

    // A broken uid map: splunk-to-segment exits 2 → 22.
    let broken = site.path().join("broken.json");
    std::fs::write(&broken, "{\"alice\":").unwrap();
    let ran = site.job(&splunk, &seg).env("UID_MAP_FILE", &broken).run();
    assert_eq!(ran.code, 22, "{}", ran.stderr);
    assert_eq!(seg.requests(), 0);
    assert_eq!(watermark(site.path()), None);

    // No Segment write key anywhere: segment-mass-uploader exits 2 → 32.
    let ran = site
        .job(&splunk, &seg)
        .env_remove("SEGMENT_WRITE_KEY")
        .run();
    assert_eq!(ran.code, 32, "{}", ran.stderr);
    assert_eq!(seg.requests(), 0);

    // A corrupt watermark: bridge-window start exits 2 → 42, before any
    // search is started.
    std::fs::write(site.path().join("state.json"), "garbage").unwrap();
    let before = splunk.exports().len();
    let ran = site.job(&splunk, &seg).run();
    assert_eq!(ran.code, 42, "{}", ran.stderr);
    assert_eq!(splunk.exports().len(), before);
    assert_eq!(seg.requests(), 0);
}

#[test]
fn without_a_state_the_window_is_taken_as_given() {
    let (site, splunk, seg) = sample_site();
    // The backfill Job: an explicit window, no watermark read or written.
    let ran = site
        .job(&splunk, &seg)
        .env_remove("BRIDGE_STATE_FILE")
        .env("QUERY_EARLIEST_TIME", "1700000000")
        .env("QUERY_LATEST_TIME", "1700086400")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(export_windows(&splunk)
        .iter()
        .all(|w| *w == (1_700_000_000, 1_700_086_400)));
    assert_eq!(received_events(&seg), expected_events());
    assert!(!site.path().join("state.json").exists());
}

#[test]
fn map_maker_scripts_publish_configmaps_the_bridge_reads_them_and_a_dead_cluster_fails() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_clusters(dir.path());
    // The cluster the jobs run in, where the maps are published.
    let here =
        standins::kube::TlsCluster::start(standins::kube::KubeStandin::new(), KUBE_TOKEN).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    standins::kube::write_kubeconfig(
        &kubeconfig,
        &[here.entry("here", "here").namespace("segment-bridge")],
        None,
    )
    .unwrap();
    let expected_uid: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testkit::fixture("s2s/sample/uid-map.json")).unwrap(),
    )
    .unwrap();
    for (script, cm, key, extra) in [
        (
            "uid-map-maker-job.sh",
            "uid-map",
            "uid-map.json",
            Some("--context=host"),
        ),
        ("ws-map-maker-job.sh", "ws-map", "ws-map.json", None),
    ] {
        let mut c = command("bash", dir.path());
        c.arg(root().join("scripts").join(script))
            .env("KUBECONFIG", &kubeconfig)
            .env("KUBECONFIG_SRC", &src.kubeconfig)
            .args(extra);
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let obj = here
            .standin
            .get(standins::kube::CONFIGMAPS, "segment-bridge", cm)
            .unwrap_or_else(|| panic!("{script} did not publish {cm}"));
        assert!(obj["data"]["manifest.json"].is_string(), "{obj}");
        // Read back as the bridge reads it: whole.
        let tool = if cm == "uid-map" {
            "get-uid-map"
        } else {
            "get-workspace-map"
        };
        let out = command(bin_dir().join(tool), dir.path())
            .env("KUBECONFIG", &kubeconfig)
            .args(["--configmap", cm, "--published"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let map: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            map.as_object().is_some_and(|m| !m.is_empty()),
            "{map} ({key})"
        );
        if cm == "uid-map" {
            assert_eq!(map, expected_uid);
        }
    }

    // The bridge job without map files reads them from the ConfigMaps (its
    // pod has no KUBECONFIG_SRC files) and delivers every event.
    let (splunk, seg) = (sample_splunk(), segment(segment_config()));
    let none = dir.path().join("none");
    let ran = Job::new(dir.path(), &splunk, &seg, &(none.clone(), none))
        .env_remove("UID_MAP_FILE")
        .env_remove("WS_MAP_FILE")
        .env("UID_MAP_CONFIGMAP", "uid-map")
        .env("WS_MAP_CONFIGMAP", "ws-map")
        .env("KUBECONFIG", &kubeconfig)
        .env("KUBECONFIG_SRC", dir.path().join("not-in-this-pod"))
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(received_events(&seg), expected_events());
    // A map that was never published: splunk-to-segment's stage, exit 2.
    let ran = Job::new(
        dir.path(),
        &splunk,
        &seg,
        &(dir.path().join("x"), dir.path().join("x")),
    )
    .env_remove("UID_MAP_FILE")
    .env("UID_MAP_CONFIGMAP", "no-such-map")
    .env("KUBECONFIG", &kubeconfig)
    .run();
    assert_eq!(ran.code, 21, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("ConfigMap `segment-bridge/no-such-map` does not exist"),
        "{}",
        ran.stderr
    );

    // A member cluster that answers 500: the workspace map fails, nothing is
    // written.
    src.member.standin.fail_all(Some(500));
    let before = here.standin.requests().len();
    let out = command("bash", dir.path())
        .arg(root().join("scripts/ws-map-maker-job.sh"))
        .env("KUBECONFIG", &kubeconfig)
        .env("KUBECONFIG_SRC", &src.kubeconfig)
        .env("WS_MAP_CONFIGMAP", "ws-map-2")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(here
        .standin
        .get(standins::kube::CONFIGMAPS, "segment-bridge", "ws-map-2")
        .is_none());
    assert!(here
        .standin
        .requests()
        .iter()
        .skip(before)
        .all(|r| r.method == "GET"));
}

#[test]
fn each_stage_pushes_its_figures_and_the_run_its_last_success() {
    let gw = Pushgateway::start();
    let (site, splunk, seg) = sample_site();

    let ran = site
        .job(&splunk, &seg)
        .env("PUSHGATEWAY_URL", &gw.url)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let v = |name: &str, stage: &str| gw.value(&format!("segment_bridge_{name}"), stage);
    assert_eq!(v("rows_emitted", "fetch-uj-records"), Some(24.0));
    assert_eq!(v("queries_failed", "fetch-uj-records"), Some(0.0));
    assert_eq!(v("events_read", "splunk-to-segment"), Some(24.0));
    assert_eq!(v("events_emitted", "splunk-to-segment"), Some(18.0));
    assert_eq!(v("events_rejected", "splunk-to-segment"), Some(0.0));
    assert_eq!(v("events_sent", "segment-mass-uploader"), Some(18.0));
    for stage in [
        "fetch-uj-records",
        "splunk-to-segment",
        "segment-mass-uploader",
    ] {
        assert_eq!(v("run_success", stage), Some(1.0), "{stage}");
        assert_eq!(v("run_exit_code", stage), Some(0.0), "{stage}");
    }
    #[allow(clippy::cast_precision_loss)]
    let wm = watermark(site.path()).unwrap() as f64;
    assert_eq!(v("last_success_timestamp_seconds", "watermark"), Some(wm));

    // A run with Segment down: the uploader's outcome says so, the last
    // success stays. (The ledger is emptied first, or the run would have
    // nothing left to send.)
    std::fs::write(
        site.path().join("state.json"),
        format!("{{\"watermark\":{wm}}}"),
    )
    .unwrap();
    let seg = segment(segment_config().fault(SegFault::status(500, When::Always)));
    let ran = site
        .job(&splunk, &seg)
        .env("PUSHGATEWAY_URL", &gw.url)
        .run();
    assert_eq!(ran.code, 31, "{}", ran.stderr);
    assert_eq!(v("run_success", "segment-mass-uploader"), Some(0.0));
    assert_eq!(v("run_exit_code", "segment-mass-uploader"), Some(1.0));
    assert_eq!(v("events_failed", "segment-mass-uploader"), Some(18.0));
    assert_eq!(v("last_success_timestamp_seconds", "watermark"), Some(wm));
}

#[test]
fn a_commit_that_fails_after_delivery_is_51_and_the_watermark_stays() {
    let (site, splunk, seg) = sample_site();
    // A bridge-window whose commit fails (the state store refusing the
    // write), first on PATH; start is the real one.
    let shim = site.path().join("shim");
    std::fs::create_dir(&shim).unwrap();
    let real = bin_dir().join("bridge-window");
    std::fs::write(
        shim.join("bridge-window"),
        format!(
            "#!/usr/bin/env bash\n[[ $1 == commit ]] && {{ echo 'bridge-window: error: refused' >&2; exit 1; }}\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        shim.join("bridge-window"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}:{}",
        shim.display(),
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ran = site.job(&splunk, &seg).env("PATH", path).run();
    // 51: the events went out, the watermark did not move.
    assert_eq!(ran.code, 51, "{}", ran.stderr);
    assert!(ran.stderr.contains("bridge-window commit failed (exit 1)"));
    assert_eq!(received_events(&seg), expected_events());
    assert_eq!(watermark(site.path()), None);
}
