//! Generates a synthetic Splunk export corpus for the benchmark
//! (`scripts/bench/s2s.sh`): rows shaped like the sample fixture, with
//! `properties` of 0.2-40 KB (mostly small, as in production exports), markers,
//! rows dropped for each reason, and the uid and workspace maps.
//!
//! Numbers and strings are written the way jq 1.6 prints them, so that the
//! benchmark can check our output against jq's byte for byte.
//!
//! Usage: `s2s_corpus ROWS DIR` writes DIR/input.jsonl, DIR/uid-map.json and
//! DIR/ws-map.json. Deterministic (fixed seed).

use std::fmt::Write as _;
use std::io::{BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const SUBJECTS: &[&str] = &[
    "applications",
    "components",
    "pipelineruns",
    "taskruns",
    "releases",
    "repositories",
];
const VERBS: &[&str] = &["create", "patch", "update", "delete", "trigger-pac-build"];
const WORDS: &[&str] = &[
    "alpha", "build", "catalog", "devfile", "sample", "operator", "quarkus", "node", "go",
    "python", "main", "develop", "tekton", "chains", "sbom", "clair", "scan", "release",
];
const USERS: usize = 2000;

/// A JSON-encoded string of a JSON object of about `target` bytes.
fn properties(rng: &mut Rng, target: usize) -> String {
    let mut p = String::with_capacity(target + 256);
    let _ = write!(
        p,
        "{{\"apiGroup\":\"appstudio.redhat.com\",\"apiVersion\":\"v1alpha1\",\"application\":\"{}-{}\",\"kind\":\"{}\",\"name\":\"{}-{}\"",
        rng.pick(WORDS),
        rng.below(100),
        rng.pick(SUBJECTS),
        rng.pick(WORDS),
        rng.below(10000)
    );
    let mut i = 0;
    while p.len() < target {
        match rng.below(5) {
            0 => {
                let _ = write!(p, ",\"count{i}\":{}", rng.below(1 << 40));
            }
            1 => {
                let _ = write!(
                    p,
                    ",\"url{i}\":\"https://github.com/{}/{}.git\"",
                    rng.pick(WORDS),
                    rng.pick(WORDS)
                );
            }
            2 => {
                let _ = write!(
                    p,
                    ",\"result{i}\":{{\"name\":\"{}\",\"value\":\"{} \\\"quoted\\\" {}\",\"ok\":true,\"n\":null}}",
                    rng.pick(WORDS),
                    rng.pick(WORDS),
                    rng.below(1000)
                );
            }
            3 => {
                let _ = write!(
                    p,
                    ",\"list{i}\":[{},{},-{},\"{}\",false]",
                    rng.below(1000),
                    rng.below(100000),
                    rng.below(50),
                    rng.pick(WORDS)
                );
            }
            _ => {
                let _ = write!(p, ",\"text{i}\":\"");
                for _ in 0..(5 + rng.below(30)) {
                    p.push_str(rng.pick(WORDS));
                    p.push(' ');
                }
                p.push_str("\\n\\tend\"");
            }
        }
        i += 1;
    }
    p.push('}');
    // Encode as a JSON string (jq's escapes).
    let mut enc = String::with_capacity(p.len() + p.len() / 5 + 2);
    enc.push('"');
    for c in p.chars() {
        match c {
            '"' => enc.push_str("\\\""),
            '\\' => enc.push_str("\\\\"),
            c => enc.push(c),
        }
    }
    enc.push('"');
    enc
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rows), Some(dir)) = (args.get(1), args.get(2)) else {
        return Err(std::io::Error::other("usage: s2s_corpus ROWS DIR"));
    };
    let rows: u64 = rows
        .parse()
        .map_err(|_| std::io::Error::other("ROWS must be a number"))?;
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;

    // Users u0..u1999; u1900.. have no SSO id; namespaces ns0..ns1999 owned by
    // their user, ns1950.. not in the workspace map.
    let mut uid = String::from("{");
    for u in 0..1900 {
        let _ = write!(
            uid,
            "{}\"u{u}\":{}",
            if u > 0 { "," } else { "" },
            60_000_000 + u
        );
    }
    uid.push('}');
    std::fs::write(dir.join("uid-map.json"), uid)?;
    let mut ws = String::from("{");
    for n in 0..1950 {
        let _ = write!(
            ws,
            "{}\"ns{n}-tenant\":\"u{n}\"",
            if n > 0 { "," } else { "" }
        );
    }
    ws.push('}');
    std::fs::write(dir.join("ws-map.json"), ws)?;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("input.jsonl"))?);
    for row in 0..rows {
        if row % 5000 == 4999 {
            writeln!(out, "{{\"preview\":false,\"lastrow\":true}}")?;
            continue;
        }
        let size = if rng.below(1000) < 15 {
            2_000 + rng.below(38_000) as usize
        } else {
            200 + rng.below(500) as usize
        };
        let ns = rng.below(USERS as u64);
        let user = if rng.below(4) == 0 {
            ns
        } else {
            rng.below(USERS as u64)
        };
        let mut line = String::with_capacity(size + 600);
        let _ = write!(
            line,
            "{{\"preview\":false,\"offset\":{row},\"lastrow\":false,\"result\":{{\"context\":\"{{\\\"userAgent\\\":\\\"kubectl/v1.27.3 (linux/amd64) kubernetes/25b4e43\\\"}}\",\"event_subject\":\"{}\",\"event_verb\":\"{}\",\"messageId\":\"{:016x}-{:08x}\",\"namespace\":\"ns{ns}-tenant\",\"properties\":{},\"timestamp\":\"2024-03-03T08:{:02}:{:02}.481756Z\",\"type\":\"track\"",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.next(),
            row,
            properties(&mut rng, size),
            rng.below(60),
            rng.below(60)
        );
        if rng.below(3) != 0 {
            let _ = write!(line, ",\"userId\":\"u{user}\"");
        }
        if rng.below(10) == 0 {
            let _ = write!(line, ",\"event\":\"Pull Request created\"");
        }
        line.push_str("}}\n");
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}
