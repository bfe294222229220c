//! proptest strategies for Splunk export lines: JSON *text* (not values),
//! so that white space, duplicate keys, number literals and escapes vary as
//! they can in real input, and broken lines show up too.

use proptest::prelude::*;

/// Number literals, some that jq would have rewritten.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.0",
    "-0",
    "0.5",
    "1e5",
    "2E-3",
    "12345678901234567890123",
    "9007199254740993",
];

/// A JSON string literal of arbitrary text (quotes, backslashes, controls,
/// non-ASCII), sometimes with `\u` escapes or an escaped slash.
pub fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "[a-z\"\\\\/\u{1}\n\té€😀 ]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#""\u00e9\/\ud83d\ude00""#.to_owned()),
    ]
}

/// Optional white space.
fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\t "), 1 => Just("\n")]
}

/// Any JSON value as text, with keys from a small set so that duplicates
/// occur. `nl` allows newlines in white space (not on an input line).
pub fn json_text(nl: bool) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        proptest::sample::select(NUMBERS).prop_map(str::to_owned),
        json_string(),
    ];
    let text = leaf.prop_recursive(4, 24, 5, move |inner| {
        prop_oneof![
            prop::collection::vec((inner.clone(), ws()), 0..5).prop_map(|items| {
                let body: Vec<String> = items
                    .into_iter()
                    .map(|(v, w)| format!("{w}{v}{w}"))
                    .collect();
                format!("[{}]", body.join(","))
            }),
            prop::collection::vec(
                (
                    proptest::sample::select(&["a", "b", "workspaceID", "k", "\\u0061"][..]),
                    inner,
                    ws()
                ),
                0..5
            )
            .prop_map(|members| {
                let body: Vec<String> = members
                    .into_iter()
                    .map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}{w}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    });
    text.prop_map(move |t| if nl { t } else { t.replace('\n', " ") })
}

/// A `properties` / `context` member value: usually a string holding JSON
/// (an object, null, anything, or broken text), sometimes not a string.
fn nested(object_biased: bool) -> impl Strategy<Value = String> {
    let inner = if object_biased {
        prop_oneof![
            30 => json_text(true).prop_map(|t| if t.starts_with('{') { t } else { format!("{{\"x\":{t}}}") }),
            1 => Just("null".to_owned()),
            1 => json_text(true),
            1 => Just("{\"a\":".to_owned()),
            1 => Just("NaN".to_owned()),
            1 => Just("{} {}".to_owned()),
            1 => Just(String::new()),
        ]
        .boxed()
    } else {
        prop_oneof![
            20 => json_text(true),
            1 => Just("{nope}".to_owned()),
            1 => Just(" null ".to_owned()),
        ]
        .boxed()
    };
    prop_oneof![
        40 => inner.prop_map(|t| serde_json::to_string(&t).unwrap()),
        1 => json_text(false),
    ]
}

fn pick(xs: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.9, proptest::sample::select(xs).prop_map(str::to_owned))
}

/// The `result` object of a row, as text.
pub fn result_text() -> impl Strategy<Value = String> {
    (
        (
            pick(&[
                "\"ns\"",
                "\"ns\"",
                "\"ns\"",
                "\"ns\"",
                "\"ns-zero\"",
                "\"elsewhere\"",
                "\"ns-num\"",
                "\"ns-false\"",
                "\"ns-ghost\"",
                "null",
                "5",
                "\"n\\u0073\"",
            ]),
            pick(&[
                "\"alice\"",
                "\"alice\"",
                "\"alice\"",
                "\"\"",
                "\"zero\"",
                "\"nope\"",
                "\"big\"",
                "\"stranger\"",
                "null",
                "false",
                "0",
                "true",
                "[]",
            ]),
            pick(&[
                "\"E\"",
                "\"\"",
                "0",
                "null",
                "false",
                "{\"x\":1.0}",
                "[ 1 ]",
            ]),
            pick(&[
                "\"components\"",
                "\"components\"",
                "\"components\"",
                "\"widgets\"",
                "null",
                "3",
                "\"pipeline\\u0072uns\"",
            ]),
            pick(&[
                "\"create\"",
                "\"create\"",
                "\"create\"",
                "\"trigger-pac-build\"",
                "null",
                "[]",
            ]),
        ),
        (
            proptest::option::weighted(0.97, nested(true)),
            proptest::option::weighted(0.97, nested(false)),
            proptest::option::of(json_text(false)),
            proptest::option::of(json_text(false)),
            proptest::option::of(json_text(false)),
        ),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |((ns, user, event, subject, verb), (props, ctx, mid, ts, extra), dup_ns, order)| {
                let mut members: Vec<(&str, String)> = Vec::new();
                let fields = [
                    ("namespace", ns),
                    ("userId", user),
                    ("event", event),
                    ("event_subject", subject),
                    ("event_verb", verb),
                    ("properties", props),
                    ("context", ctx),
                    ("messageId", mid),
                    ("timestamp", ts),
                    ("other", extra),
                ];
                for (k, v) in fields {
                    if let Some(v) = v {
                        members.push((k, v));
                    }
                }
                members.push(("type", "\"track\"".to_owned()));
                // Shuffle deterministically from `order`.
                let n = members.len();
                let mut o = order;
                for i in (1..n).rev() {
                    let j = (o % (i as u64 + 1)) as usize;
                    o /= i as u64 + 1;
                    members.swap(i, j);
                }
                if dup_ns {
                    // A key seen twice: the last one counts.
                    members.insert(0, ("namespace", "\"elsewhere\"".to_owned()));
                }
                let body: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            },
        )
}

/// One input line: mostly rows, some markers and broken lines.
pub fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => (result_text(), ws()).prop_map(|(r, w)| format!("{{\"preview\":false,{w}\"offset\":1,\"result\":{w}{r}{w}}}").replace('\n', " ")),
        1 => Just(r#"{"preview":false,"lastrow":true}"#.to_owned()),
        1 => Just("null".to_owned()),
        1 => Just(r#"{"result":null}"#.to_owned()),
        1 => Just(r#"{"result":false}"#.to_owned()),
        1 => Just(r#"{"result":"x"}"#.to_owned()),
        1 => Just("[1]".to_owned()),
        1 => Just("{\"result\":{}} {}".to_owned()),
        // Cut where no value can go on on the next line (a cut such as
        // `{"result":` does, as in jq: the stream tests cover that).
        1 => Just("{\"result\":}".to_owned()),
        1 => Just(String::new()),
        1 => json_text(false),
    ]
}
