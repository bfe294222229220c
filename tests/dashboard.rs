//! The dashboard (`deploy/components/dashboard/segment-bridge-dashboard.json`)
//! against what the tools really push: a full run of the bridge and both
//! map makers to a real Pushgateway, its /metrics scraped, and every
//! panel's PromQL evaluated by `promtool test rules` over those series,
//! each required to return data. Also: every metric a panel names is one
//! the run published (so a renamed figure breaks this test, and new ones
//! need no list here), the JSON has what the OpenShift console needs, and
//! the ConfigMap kustomize generates carries the same JSON with the
//! console's label in its namespace.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use e2e::*;
use serde_json::{json, Value};

fn dashboard_file() -> PathBuf {
    root().join("deploy/components/dashboard/segment-bridge-dashboard.json")
}

fn dashboard() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dashboard_file()).unwrap()).unwrap()
}

/// Every panel of the dashboard (rows hold the panels, the layout the
/// console reads).
fn panels(d: &Value) -> Vec<&Value> {
    d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["panels"].as_array().unwrap())
        .collect()
}

fn exprs(d: &Value) -> Vec<String> {
    panels(d)
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap())
        .map(|t| t["expr"].as_str().unwrap().to_owned())
        .collect()
}

/// The metric names an expression uses (ours all start with the prefix).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find("segment_bridge_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

/// The series of a Pushgateway /metrics response: `name{labels}` (empty
/// labels left out, as Prometheus does with `honor_labels`) and value.
pub fn scraped_series(metrics: &str) -> Vec<(String, String)> {
    let body = metrics.split_once("\r\n\r\n").map_or(metrics, |(_, b)| b);
    body.lines()
        .filter(|l| l.starts_with("segment_bridge_"))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let kept: Vec<&str> = labels
                .split(',')
                .filter(|kv| !kv.is_empty() && !kv.ends_with("=\"\""))
                .collect();
            Some((format!("{name}{{{}}}", kept.join(",")), value.to_owned()))
        })
        .collect()
}

/// Both map makers, pushing their success to `gw`.
fn make_maps_pushing(site: &Site, gw: &Pushgateway) {
    for (tool, args) in [
        ("get-uid-map", vec!["--context", "host"]),
        ("get-workspace-map", vec![]),
    ] {
        let out = command(bin_dir().join(tool), site.path())
            .env("KUBECONFIG_SRC", &site.src.kubeconfig)
            .env("PUSHGATEWAY_URL", &gw.url)
            .args(args)
            .output()
            .unwrap();
        testkit::succeeded(&out, tool);
    }
}

/// A run of everything that pushes: both map makers and the bridge.
fn push_everything(gw: &Pushgateway) {
    let (site, splunk, seg) = sample_site();
    make_maps_pushing(&site, gw);
    let ran = site
        .job(&splunk, &seg)
        .env("PUSHGATEWAY_URL", &gw.url)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[test]
fn every_panel_returns_data_from_the_series_the_tools_push() {
    let gw = Pushgateway::start();
    push_everything(&gw);
    let series = scraped_series(&gw.metrics());
    assert!(!series.is_empty());
    let published: BTreeSet<String> = series
        .iter()
        .map(|(s, _)| s.split('{').next().unwrap().to_owned())
        .collect();

    let d = dashboard();
    let exprs = exprs(&d);
    for e in &exprs {
        let names = metric_names(e);
        assert!(!names.is_empty(), "`{e}` names no metric of ours");
        for n in names {
            assert!(
                published.contains(&n),
                "`{e}` uses {n}, which no tool published; published: {published:?}"
            );
        }
    }

    // promtool evaluates each expression over the pushed series (held
    // for ten minutes, as scrapes would see them) and must find data.
    let input: Vec<Value> = series
        .iter()
        .map(|(s, v)| json!({ "series": s, "values": format!("{v}+0x10") }))
        .collect();
    let tests: Vec<Value> = exprs
        .iter()
        .map(|e| {
            json!({
                "expr": format!("count({e}) > bool 0"),
                "eval_time": "5m",
                "exp_samples": [{ "labels": "{}", "value": 1 }],
            })
        })
        .collect();
    let file = json!({
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [{ "interval": "1m", "input_series": input, "promql_expr_test": tests }],
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard.test.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(&path)
        .output()
        .expect("promtool (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_json_has_what_the_console_needs() {
    let d = dashboard();
    assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(d["uid"].as_str().is_some());
    // The console reads the legacy layout: rows holding panels, each with
    // a span out of 12 and a type it draws.
    let rows = d["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        d.get("panels").is_none(),
        "top-level panels: the console wants rows"
    );
    let mut ids = BTreeSet::new();
    for row in rows {
        assert!(row["title"].as_str().is_some());
        let mut width = 0;
        for p in row["panels"].as_array().unwrap() {
            let title = p["title"].as_str().unwrap();
            assert!(ids.insert(p["id"].as_u64().unwrap()), "{title}: id twice");
            let kind = p["type"].as_str().unwrap();
            assert!(["graph", "singlestat"].contains(&kind), "{title}: {kind}");
            width += p["span"].as_u64().unwrap();
            let targets = p["targets"].as_array().unwrap();
            assert!(!targets.is_empty(), "{title}");
            for t in targets {
                assert!(t["expr"].as_str().is_some_and(|e| !e.is_empty()));
                assert!(t["refId"].as_str().is_some());
            }
        }
        assert!(width <= 12, "{}: spans add up to {width}", row["title"]);
    }
}

#[test]
fn the_console_configmap_carries_the_same_json() {
    let out = Command::new("kubectl")
        .args(["kustomize"])
        .arg(root().join("deploy/overlays/observed-private"))
        .output()
        .expect("kubectl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let json = configmap_json(&text, "segment-bridge-dashboard").unwrap();
    let from_map: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(from_map, dashboard());
}

/// The `segment-bridge.json` of the ConfigMap `name` in kustomize's output,
/// after checking its namespace and label (a small reader of the YAML
/// kustomize writes: a block scalar under `data`).
fn configmap_json(yaml: &str, name: &str) -> Option<String> {
    for doc in yaml.split("\n---\n") {
        let doc = format!("{doc}\n");
        if !doc.contains("kind: ConfigMap") || !doc.contains(&format!("  name: {name}\n")) {
            continue;
        }
        assert!(
            doc.contains("  namespace: openshift-config-managed\n"),
            "{doc}"
        );
        assert!(
            doc.contains("    console.openshift.io/dashboard: \"true\"\n"),
            "{doc}"
        );
        let start = doc.find("  segment-bridge.json: |")?;
        let body = &doc[start..];
        let body = &body[body.find('\n')? + 1..];
        let lines: Vec<&str> = body
            .lines()
            .take_while(|l| l.starts_with("    ") || l.is_empty())
            .map(|l| l.strip_prefix("    ").unwrap_or(l))
            .collect();
        return Some(lines.join("\n"));
    }
    None
}

/// The data of the dashboard picture in docs/operations.md: a simulated
/// day of hourly runs (the real tools against the stand-ins, each at its
/// BRIDGE_NOW, the map makers before each) with Segment down from 09:00 to
/// 13:59, each run's Pushgateway /metrics kept as `<sim time>.prom` (first
/// line `# real_time=<clock>`, so that the renderer can move clock-valued
/// series to the simulated day). Run by scripts/dev/render-dashboard.py
/// (`DASHBOARD_DAY_OUT` names the folder); ignored otherwise.
#[test]
#[ignore = "data for scripts/dev/render-dashboard.py"]
fn simulated_day_for_the_dashboard_picture() {
    let Some(out) = std::env::var_os("DASHBOARD_DAY_OUT").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&out).unwrap();
    let gw = Pushgateway::start();
    let site = Site::new();
    let splunk = sample_splunk();
    let healthy = segment(segment_config());
    let down = segment(segment_config().fault(standins::segment::Fault::status(
        503,
        standins::segment::When::Always,
    )));
    let start = (now() / 3600 - 24) * 3600;
    let outage = 9..14;
    std::fs::write(
        out.join("outage.json"),
        json!({ "start": start + outage.start * 3600, "end": start + outage.end * 3600 })
            .to_string(),
    )
    .unwrap();
    for hour in 0..24 {
        let at = start + hour * 3600;
        make_maps_pushing(&site, &gw);
        // Each hour brings new events: the ledger of the sample's ids is
        // emptied, the watermark kept.
        if let Some(wm) = watermark(site.path()) {
            std::fs::write(
                site.path().join("state.json"),
                format!("{{\"watermark\":{wm}}}"),
            )
            .unwrap();
        }
        let seg = if outage.contains(&hour) {
            &down
        } else {
            &healthy
        };
        let real = now();
        let ran = site
            .job(&splunk, seg)
            .env("PUSHGATEWAY_URL", &gw.url)
            .env("BRIDGE_NOW", at.to_string())
            .run();
        assert_eq!(ran.code == 0, !outage.contains(&hour), "{}", ran.stderr);
        let metrics = gw.metrics();
        let body = metrics.split_once("\r\n\r\n").map_or(&*metrics, |(_, b)| b);
        std::fs::write(
            out.join(format!("{at}.prom")),
            format!("# real_time={real}\n{body}"),
        )
        .unwrap();
    }
}
