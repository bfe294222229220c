//! bridge-window's state file (`State::from_json`, the watermark and the
//! delivery ledger) and ledger file (`ledger_ids`): what was read is
//! written back and read again unchanged; recording, pruning and capping
//! keep their promises (capped JSON within the bound, pruning drops only
//! older windows, recording adds only new ids).
#![no_main]

use bridge_window::ledger::{cap, prune, record};
use bridge_window::State;
use libfuzzer_sys::fuzz_target;
use segment_bridge_segment::intake::ledger_ids;

fuzz_target!(|data: &[u8]| {
    // State JSON, then after a NUL the ids a run delivered.
    let (state, ids) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let ids: Vec<String> = ledger_ids(ids).map(str::to_owned).collect();
    for id in &ids {
        assert!(!id.is_empty() && !id.contains('\n'));
    }
    let Ok(text) = std::str::from_utf8(state) else {
        return;
    };
    let Ok(mut st) = State::from_json(text, "fuzz") else {
        return;
    };
    let json = st.to_json();
    let again = State::from_json(&json, "fuzz").expect("our own JSON reads back");
    assert_eq!(again, st, "the state changed on a round trip");

    let at = st.watermark.unwrap_or(0);
    let before: usize = st.ids().count();
    let added = record(&mut st.ledger, at, &ids);
    assert!(st.ids().count() == before + added);
    for id in &ids {
        assert!(st.ids().any(|x| x == id), "a recorded id is missing");
    }
    let cut = at.saturating_sub(3600);
    let kept_newer: usize = st.ledger.range(cut..).map(|(_, s)| s.len()).sum();
    let total: usize = st.ids().count();
    let gone = prune(&mut st.ledger, cut);
    assert_eq!(gone + kept_newer, total);
    assert!(st.ledger.keys().all(|&k| k >= cut));
    let max = json.len() / 2;
    cap(&mut st.ledger, max);
    let size = serde_json::to_string(&st.ledger).unwrap().len();
    assert!(st.ledger.is_empty() || size <= max, "ledger over its cap");
});
