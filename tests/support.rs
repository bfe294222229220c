//! What the end-to-end tests share: the tool binaries (built by the same
//! cargo that runs the tests), the stand-ins loaded with the bundled demo
//! data (`scripts/demo/`), and a runner for the real driver scripts.
//!
//! The data: two Kubernetes stand-ins (a host cluster with UserSignups, a
//! staging member cluster with tenant Namespaces) from which the real map
//! makers build the maps, and the Splunk stand-in serving the sample export
//! dump split per query kind. Through the real pipeline they give exactly the
//! 18 events of `fixtures/s2s/sample/expected.jsonl` (the reference output of the
//! original implementation on that dump).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use standins::kube::{write_kubeconfig, KubeStandin, TlsCluster};
use standins::segment::{Config as SegmentConfig, SegmentStandin};
use standins::splunk::{self, Config as SplunkConfig, Rule, SplunkStandin};

pub const SPLUNK_TOKEN: &str = "e2e-splunk-token";
pub const WRITE_KEY: &str = "e2e-write-key";
pub const KUBE_TOKEN: &str = "e2e-kube-token";
/// The cluster name get-workspace-map picks by itself (`docs/tools/get-workspace-map.md`).
pub const STAGING_MEMBER: &str = "api-stone-stg-m01-7ayg-p1-openshiftapps-com:6443";

/// The tools that replace an original script (and answer to its name).
pub const SCRIPT_TOOLS: [&str; 7] = [
    "fetch-uj-records",
    "splunk-to-segment",
    "mk-segment-batch-payload",
    "segment-uploader",
    "segment-mass-uploader",
    "get-uid-map",
    "get-workspace-map",
];

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The directory of the workspace's binaries, built once per test process
/// (a no-op when `cargo test --workspace` already built them): a test must
/// not run an old binary. `E2E_NO_BUILD=1` skips the build, for when you
/// know the binaries are fresh.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test> → target/<profile>
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target directory")
            .to_path_buf();
        if std::env::var_os("E2E_NO_BUILD").is_some_and(|v| v == "1") {
            return dir;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(root())
            .args(["build", "--quiet", "--workspace"])
            .args(["--exclude", "segment-bridge-e2e"])
            // The targets `cargo test` builds, so that features unify the
            // same way and this is a no-op after `cargo test --workspace`.
            .args(["--bins", "--tests", "--examples"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status().expect("cannot run cargo build");
        assert!(status.success(), "cargo build of the tools failed");
        dir
    })
}

/// The expected Segment events, by messageId.
pub fn expected_events() -> BTreeMap<String, Value> {
    let text = testkit::fixture_text("s2s/sample/expected.jsonl");
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["messageId"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

/// What the Segment stand-in accepted, by messageId; panics on a duplicate.
pub fn received_events(seg: &SegmentStandin) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for v in seg.received().values() {
        let id = v["messageId"].as_str().unwrap().to_owned();
        assert!(out.insert(id.clone(), v).is_none(), "{id} delivered twice");
    }
    out
}

/// The two source clusters and a kubeconfig with their contexts `host` and
/// `member`.
pub struct SourceClusters {
    pub host: TlsCluster,
    pub member: TlsCluster,
    pub kubeconfig: PathBuf,
}

pub fn source_clusters(dir: &Path) -> SourceClusters {
    let data = root().join("scripts/demo");
    let host = KubeStandin::new();
    host.load_file(data.join("usersignups.json")).unwrap();
    let member = KubeStandin::new();
    member.load_file(data.join("namespaces.json")).unwrap();
    let host = TlsCluster::start(host, KUBE_TOKEN).unwrap();
    let member = TlsCluster::start(member, KUBE_TOKEN).unwrap();
    let kubeconfig = dir.join("kubeconfig-src");
    write_kubeconfig(
        &kubeconfig,
        &[
            host.entry("host", "host-cluster"),
            member.entry("member", STAGING_MEMBER),
        ],
        Some("host"),
    )
    .unwrap();
    SourceClusters {
        host,
        member,
        kubeconfig,
    }
}

/// The Splunk stand-in serving the sample dump (plus `extra` rows for the
/// query kind `extra_kind`); `tweak` adjusts the rule of each kind.
pub fn splunk_with(
    extra_kind: Option<(&str, Vec<String>)>,
    tweak: impl Fn(&str, &mut Rule),
) -> SplunkStandin {
    SplunkStandin::start(splunk_config(extra_kind, tweak)).unwrap()
}

/// The configuration [`splunk_with`] starts the stand-in with.
pub fn splunk_config(
    extra_kind: Option<(&str, Vec<String>)>,
    tweak: impl Fn(&str, &mut Rule),
) -> SplunkConfig {
    let text = std::fs::read_to_string(root().join("scripts/demo/splunk-dump.jsonl")).unwrap();
    let mut per_kind = splunk::split_dump(&text);
    if let Some((kind, rows)) = extra_kind {
        let k = splunk::KINDS.iter().find(|k| k.name == kind).unwrap();
        per_kind.entry(k.name).or_default().splice(0..0, rows);
    }
    let mut rules = splunk::rules_for_kinds(&per_kind);
    for (k, r) in splunk::KINDS.iter().zip(rules.iter_mut()) {
        tweak(k.name, r);
    }
    SplunkConfig {
        tokens: vec![SPLUNK_TOKEN.into()],
        rules,
        ..SplunkConfig::default()
    }
}

pub fn sample_splunk() -> SplunkStandin {
    splunk_with(None, |_, _| {})
}

pub fn segment(config: SegmentConfig) -> SegmentStandin {
    SegmentStandin::spawn(config).unwrap()
}

pub fn segment_config() -> SegmentConfig {
    SegmentConfig::new(WRITE_KEY)
}

/// A clean environment for the scripts: the tools on PATH, no inherited
/// configuration, no sleeping between retries.
pub fn command(program: impl AsRef<std::ffi::OsStr>, home: &Path) -> Command {
    let mut c = Command::new(program);
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    c.env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("SEGMENT_BRIDGE_BACKOFF_SCALE", "0")
        .env("LOG_LEVEL", "info");
    c
}

/// Runs the map makers against `src`, writing `uid-map.json` and
/// `ws-map.json` into `dir`.
pub fn make_maps(dir: &Path, src: &SourceClusters) -> (PathBuf, PathBuf) {
    let uid = dir.join("uid-map.json");
    let ws = dir.join("ws-map.json");
    for (tool, path, args) in [
        ("get-uid-map", &uid, vec!["--context", "host"]),
        ("get-workspace-map", &ws, vec![]),
    ] {
        let out = command(bin_dir().join(tool), dir)
            .env("KUBECONFIG_SRC", &src.kubeconfig)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{tool}: {}", text(&out.stderr));
        std::fs::write(path, &out.stdout).unwrap();
    }
    (uid, ws)
}

/// A fresh folder (HOME, state file, rejects) with the source clusters
/// (kept up while it lives) and the maps made from them.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub src: SourceClusters,
    pub maps: (PathBuf, PathBuf),
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let src = source_clusters(dir.path());
        let maps = make_maps(dir.path(), &src);
        Site { dir, src, maps }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// main-job.sh from this folder against `splunk` and `segment`.
    pub fn job(&self, splunk: &SplunkStandin, segment: &SegmentStandin) -> Job {
        Job::new(self.path(), splunk, segment, &self.maps)
    }
}

/// A [`Site`], the Splunk stand-in serving the sample and a Segment
/// stand-in without faults.
pub fn sample_site() -> (Site, SplunkStandin, SegmentStandin) {
    (Site::new(), sample_splunk(), segment(segment_config()))
}

impl Default for Site {
    fn default() -> Site {
        Site::new()
    }
}

/// One run of `scripts/main-job.sh`.
pub struct Job {
    cmd: Command,
}

impl Job {
    /// main-job.sh against `splunk` and `segment` with the maps; `dir` is
    /// HOME and holds the state file and rejects.
    pub fn new(
        dir: &Path,
        splunk: &SplunkStandin,
        segment: &SegmentStandin,
        maps: &(PathBuf, PathBuf),
    ) -> Job {
        let mut cmd = command("bash", dir);
        cmd.arg(root().join("scripts/main-job.sh"))
            .env("SPLUNK_API_URL", splunk.url())
            .env("SPLUNK_TOKEN", SPLUNK_TOKEN)
            .env("SEGMENT_BATCH_API", segment.url())
            .env("SEGMENT_WRITE_KEY", WRITE_KEY)
            .env("UID_MAP_FILE", &maps.0)
            .env("WS_MAP_FILE", &maps.1)
            .env("BRIDGE_STATE_FILE", dir.join("state.json"))
            .env("REJECTS_DIR", dir.join("rejects"));
        Job { cmd }
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Job {
        self.cmd.env(k, v);
        self
    }

    /// The job's standard input from `file`.
    pub fn stdin(mut self, file: &Path) -> Job {
        self.cmd.stdin(std::fs::File::open(file).unwrap());
        self
    }

    pub fn env_remove(mut self, k: &str) -> Job {
        self.cmd.env_remove(k);
        self
    }

    pub fn run(mut self) -> Ran {
        let out = self.cmd.output().unwrap();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
        }
    }
}

/// A finished script run.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The watermark in `dir/state.json`, if any.
pub fn watermark(dir: &Path) -> Option<i64> {
    let t = std::fs::read_to_string(dir.join("state.json")).ok()?;
    serde_json::from_str::<Value>(&t).ok()?["watermark"].as_i64()
}

/// All lines of the files in `dir/rejects` whose name starts with `prefix`.
pub fn rejects(dir: &Path, prefix: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("rejects")) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for e in entries {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().starts_with(prefix) {
            let t = std::fs::read_to_string(e.path()).unwrap();
            lines.extend(t.lines().map(str::to_owned));
        }
    }
    lines
}

/// `(earliest_time, latest_time)` of every export request, as numbers.
pub fn export_windows(s: &SplunkStandin) -> Vec<(i64, i64)> {
    s.exports()
        .iter()
        .map(|r| {
            (
                r.param("earliest_time").unwrap().parse().unwrap(),
                r.param("latest_time").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

pub use testkit::pushgateway::Pushgateway;
