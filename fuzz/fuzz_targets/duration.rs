//! The duration parsers: core's `cli::parse_duration` (every tool's
//! timeouts: `90`, `2.5`, `1h30m`, `500ms`) and bridge-window's `Secs`
//! (`BRIDGE_WINDOW` and friends: `4h`, `1h30m`, `2d`, `90s`, seconds).
//! `Secs` prints in a form it reads back to the same value; `Secs` is
//! core's duration in whole seconds, rounded up, never below it.
#![no_main]

use bridge_window::Secs;
use libfuzzer_sys::fuzz_target;
use segment_bridge_core::duration::{duration_secs, duration_secs_f64, parse_duration};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let core = parse_duration(s);
    if let Ok(d) = &core {
        let secs = duration_secs(s).expect("same parser");
        assert!(secs >= d.as_secs() && secs <= d.as_secs().saturating_add(1));
        assert_eq!(duration_secs_f64(s).expect("same parser"), d.as_secs_f64());
    }
    if let Ok(Secs(n)) = s.parse::<Secs>() {
        assert!(n >= 0, "a negative duration");
        let shown = Secs(n).to_string();
        assert_eq!(
            shown.parse::<Secs>(),
            Ok(Secs(n)),
            "{shown} reads back differently"
        );
        // Secs is core's syntax in whole seconds, rounded up.
        let secs = duration_secs(s).unwrap_or_else(|e| panic!("core refuses {s:?}: {e}"));
        assert_eq!(
            u64::try_from(n).ok(),
            Some(secs),
            "core and Secs differ on {s:?}"
        );
    }
});
