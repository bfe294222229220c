//! splunk-to-segment's whole `run` over arbitrary bytes, in every input
//! format (the first byte picks it, and the maps): the counts add up, every emitted line
//! is a compact JSON object with the eight keys in order, the rejects file
//! has one line per rejected record, and the exit status follows the
//! rejections.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use segment_bridge_fuzz::{assert_json, lines, selector, temp_path};
use segment_bridge_json::token::is_compact;
use splunk_to_segment::{Args, Counts, InputFormat, Transformer, EVENT_KEYS};

/// The maps of the reference fixture, so that its rows come out as events.
const SAMPLE_UID: &str = include_str!("../../fixtures/s2s/sample/uid-map.json");
const SAMPLE_WS: &str = include_str!("../../fixtures/s2s/sample/ws-map.json");
/// Maps with odd values (numbers, `false`, an empty key).
const UID: &str = r#"{"owner":100,"alice":1,"":2,"zero":0,"nope":false,"big":123456789012345678901234567890,"u1":"sso-1","admin":"sso-admin"}"#;
const WS: &str =
    r#"{"ns":"owner","ns-num":5,"ns-false":false,"alice-tenant":"alice","u1-tenant":"u1"}"#;

struct Files {
    /// The transform of each pair of maps (the sample's, the odd ones),
    /// loaded once for all executions, with the map files' paths.
    maps: [(Transformer, PathBuf, PathBuf); 2],
    rejects: PathBuf,
}

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let rejects = temp_path("rejects");
        let mut maps = Vec::new();
        for (name, uid, ws) in [("sample", SAMPLE_UID, SAMPLE_WS), ("odd", UID, WS)] {
            let (u, w) = (
                temp_path(&format!("{name}-uid.json")),
                temp_path(&format!("{name}-ws.json")),
            );
            std::fs::write(&u, uid).unwrap();
            std::fs::write(&w, ws).unwrap();
            let t = splunk_to_segment::load_maps(&args(&u, &w, &rejects, InputFormat::Auto))
                .expect("the harness's maps load");
            maps.push((t, u, w));
        }
        Files {
            maps: maps
                .try_into()
                .unwrap_or_else(|_| unreachable!("two pairs of maps")),
            rejects,
        }
    })
}

fn args(uid: &Path, ws: &Path, rejects: &Path, input_format: InputFormat) -> Args {
    Args {
        uid_map: uid.to_owned(),
        ws_map: ws.to_owned(),
        rejects: Some(rejects.to_owned()),
        input_format,
        quiet: true,
        threads: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let (sel, input) = selector(data);
    let format = match sel % 4 {
        0 => InputFormat::Auto,
        1 => InputFormat::Jsonl,
        2 => InputFormat::Json,
        _ => InputFormat::Csv,
    };
    let f = files();
    let (transformer, uid, ws) = &f.maps[usize::from(sel & 4 != 0)];
    let args = args(uid, ws, &f.rejects, format);
    let mut out = Vec::new();
    let outcome = match splunk_to_segment::run_with(transformer, &args, &mut &input[..], &mut out) {
        Ok(o) => o,
        // A document or CSV file can be unreadable as a whole: an error of
        // the run (exit 1), not a panic. JSON text streams never are.
        Err(e) => {
            assert!(
                format != InputFormat::Jsonl,
                "a JSON text stream failed the run: {e}"
            );
            return;
        }
    };
    let c = Counts::of(&outcome);
    assert!(c.adds_up(), "counts do not add up: {c:?}");
    let emitted = lines(&out);
    assert_eq!(emitted.len() as u64, c.emitted);
    for line in emitted {
        assert_json(line, "an emitted event");
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let keys: Vec<&str> = v
            .as_object()
            .expect("an event is an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, EVENT_KEYS);
        assert!(is_compact(line), "white space outside strings");
    }
    let rejected = std::fs::read(&f.rejects).unwrap();
    assert_eq!(
        rejected.iter().filter(|&&b| b == b'\n').count() as u64,
        c.rejected,
        "rejects file and count disagree"
    );
    let want = if c.rejected > 0 { 3 } else { 0 };
    assert_eq!(outcome.status.code(), want);
});
