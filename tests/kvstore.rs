//! The KV store path end to end (docs/kvstore.md): the real map makers
//! fill the Splunk stand-in's KV store collections, `scripts/main-job.sh`
//! runs in KV mode (SPLUNK_UID_LOOKUP, SPLUNK_WS_LOOKUP, no map files), the
//! stand-in evaluates the searches' `lookup`s against the collections, and
//! Segment receives exactly what the map-file path delivers.

use e2e::*;
use standins::splunk::{Config as SplunkConfig, SplunkStandin};

/// The sample Splunk with lookup definitions `uid_map` and `ws_map` over
/// the collections of the same names, filled by the real map makers.
fn kv_splunk(site: &Site) -> SplunkStandin {
    let splunk = SplunkStandin::start(SplunkConfig {
        lookups: [("uid_map", "uid_map"), ("ws_map", "ws_map")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .into(),
        ..splunk_config(None, |_, _| {})
    })
    .unwrap();
    for (tool, collection, args) in [
        ("get-uid-map", "uid_map", &["--context", "host"][..]),
        ("get-workspace-map", "ws_map", &[][..]),
    ] {
        let out = command(bin_dir().join(tool), site.path())
            .env("KUBECONFIG_SRC", &site.src.kubeconfig)
            .env("SPLUNK_API_URL", splunk.url())
            .env("SPLUNK_TOKEN", SPLUNK_TOKEN)
            .args(["--kvstore", collection])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{tool}: {err}");
        assert!(
            err.contains(&format!("KV store collection `{collection}`")),
            "{err}"
        );
        assert!(!splunk.collection(collection).is_empty());
    }
    splunk
}

/// splunk-to-segment's summary line in a job's stderr.
fn s2s_summary(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("splunk-to-segment: ") && l.contains(" read"))
        .unwrap_or_else(|| panic!("no summary in {stderr}"))
        .to_owned()
}

#[test]
fn the_join_in_splunk_delivers_the_map_file_paths_events_without_map_files() {
    let site = Site::new();
    let splunk = kv_splunk(&site);

    let by_maps = segment(segment_config());
    let ran = site
        .job(&splunk, &by_maps)
        .env_remove("BRIDGE_STATE_FILE")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let exports_by_maps = splunk.exports().len();

    let by_kv = segment(segment_config());
    let ran_kv = site
        .job(&splunk, &by_kv)
        .env_remove("BRIDGE_STATE_FILE")
        .env_remove("UID_MAP_FILE")
        .env_remove("WS_MAP_FILE")
        .env("SPLUNK_UID_LOOKUP", "uid_map")
        .env("SPLUNK_WS_LOOKUP", "ws_map")
        .run();
    assert_eq!(ran_kv.code, 0, "{}", ran_kv.stderr);
    assert!(
        ran_kv.stderr.contains("ids: looked up in Splunk"),
        "{}",
        ran_kv.stderr
    );

    // The same events as the map-file path (the reference output), and the
    // same drops, counted the same way.
    assert_eq!(received_events(&by_kv), received_events(&by_maps));
    assert_eq!(received_events(&by_kv), expected_events());
    assert_eq!(s2s_summary(&ran_kv.stderr), s2s_summary(&ran.stderr));
    assert!(
        s2s_summary(&ran.stderr).contains("dropped"),
        "{}",
        ran.stderr
    );

    // The KV run's eight searches carried the three lookups.
    let searches: Vec<String> = splunk.exports()[exports_by_maps..]
        .iter()
        .map(|r| r.param("search").unwrap().to_owned())
        .collect();
    assert_eq!(searches.len(), 8);
    for s in &searches {
        assert!(
            s.contains("|lookup uid_map username AS userId OUTPUT sso_id|lookup ws_map namespace OUTPUT owner|lookup uid_map username AS owner OUTPUT sso_id AS owner_sso_id|"),
            "{s}"
        );
    }
    assert!(!ran_kv.stderr.contains(SPLUNK_TOKEN) && !ran_kv.stderr.contains(WRITE_KEY));
}

#[test]
fn kv_mode_misconfigured_is_refused_before_anything_runs() {
    let site = Site::new();
    let splunk = sample_splunk();
    let seg = segment(segment_config());
    let ran = site
        .job(&splunk, &seg)
        .env("SPLUNK_WS_LOOKUP", "ws_map")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("SPLUNK_WS_LOOKUP needs SPLUNK_UID_LOOKUP"),
        "{}",
        ran.stderr
    );
    let ran = site
        .job(&splunk, &seg)
        .env_remove("UID_MAP_FILE")
        .env_remove("WS_MAP_FILE")
        .env("SPLUNK_UID_LOOKUP", "uid_map")
        .env("SPLUNK_WS_LOOKUP", "ws_map")
        .env("BRIDGE_SOURCE", "audit")
        .env("BRIDGE_AUDIT_LOG", "/dev/null")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("needs BRIDGE_SOURCE=splunk"),
        "{}",
        ran.stderr
    );
    assert!(splunk.requests().is_empty());
    assert_eq!(seg.requests(), 0);
}
