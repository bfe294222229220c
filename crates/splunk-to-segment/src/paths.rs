//! The transform has three ways to compact a nested JSON text: straight
//! from its escaped form ([`fused`](crate::fused)), from the decoded text
//! by copying runs ([`Compactor`](crate::json::Compactor)), and the slow
//! way for duplicate or escaped keys ([`compact_slow`]). Which one runs
//! depends on the input, so they must give the same bytes wherever more
//! than one can: number literals and string escapes exactly as written.
//! This property test forces each path on the same texts and compares.

use proptest::prelude::*;

use crate::fused::compact_encoded;
use crate::json::{compact_slow, compact_slow_with_key, Compactor, Fail, Special};

/// Number literals as people write them, several that a round trip through
/// a float (or serde_json's own printing) would change.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "1.0",
    "1E5",
    "1e5",
    "1E+2",
    "2E-3",
    "1e-7",
    "0.5",
    "100",
    "12345678901234567890123",
    "9007199254740993",
];

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,5}".prop_map(|s| format!("\"{s}\"")),
        Just(r#""\u00e9\/\"\\\n""#.to_owned()),
        Just(r#""\ud83d\ude00 é""#.to_owned()),
        Just(r#""tab\tend""#.to_owned()),
    ]
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just(""), 1 => Just(" "), 1 => Just("\n\t")]
}

/// JSON texts with duplicate keys, escaped keys and odd literals.
fn text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        proptest::sample::select(NUMBERS).prop_map(str::to_owned),
        string(),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec((inner.clone(), ws()), 0..5)
                .prop_map(|v| format!("[{}]", join(v.into_iter().map(|(x, w)| format!("{w}{x}"))))),
            prop::collection::vec(
                (
                    proptest::sample::select(&["a", "b", "workspaceID", "\\u0061", "k1"][..]),
                    inner,
                    ws()
                ),
                0..5
            )
            .prop_map(|m| format!(
                "{{{}}}",
                join(
                    m.into_iter()
                        .map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}"))
                )
            )),
        ]
    })
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}

proptest! {
    #[test]
    fn every_path_gives_the_same_bytes(t in text()) {
        let mut slow = Vec::new();
        prop_assert!(compact_slow(t.as_bytes(), &mut slow).is_ok(), "{}", t);
        // The copying compactor, unless it must hand over to the slow way.
        let mut copied = Vec::new();
        match Compactor::default().compact(t.as_bytes(), &mut copied) {
            Ok(_) => prop_assert_eq!(&copied, &slow, "{}", t),
            Err(e) => prop_assert_eq!(e, Fail::Slow),
        }
        // Straight from the escaped form, when it can.
        let encoded = serde_json::to_string(&t).unwrap();
        let mut fused = Vec::new();
        if compact_encoded(encoded.as_bytes(), 0, &mut fused, &mut Compactor::default(), None).is_some() {
            prop_assert_eq!(&fused, &slow, "{}", t);
        }
        // With the key the transform sets.
        let special = Special { key: b"workspaceID", value: b"1E5" };
        let mut slow_key = Vec::new();
        let slow_kind = compact_slow_with_key(t.as_bytes(), &mut slow_key, &special, &mut 0).unwrap();
        let mut copied_key = Vec::new();
        match Compactor::default().compact_with_key(t.as_bytes(), &mut copied_key, &special) {
            Ok(kind) => {
                prop_assert_eq!(kind, slow_kind);
                if kind.is_ok() {
                    prop_assert_eq!(&copied_key, &slow_key, "{}", t);
                }
            }
            Err(e) => prop_assert_eq!(e, Fail::Slow),
        }
    }
}
