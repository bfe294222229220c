//! One test per edge case `docs/tools/splunk-to-segment.md` names, driving the real binary.

use std::io::Write;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::common::{keys, parse_lines, result, row, Maps};
use serde_json::{json, Value};
use splunk_to_segment::EVENT_KEYS;

/// Runs the binary on `input`; returns (exit code, stdout lines, stderr).
fn run(maps: &Maps, args: &[&str], input: &str) -> (i32, Vec<Value>, String) {
    let out = maps.cmd().args(args).write_stdin(input).output().unwrap();
    (
        out.status.code().unwrap(),
        parse_lines(&out.stdout),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs the binary on `input`, which must exit 0 with `emitted` events out
/// and `said` on stderr; returns (events, stderr).
fn ok_saying(maps: &Maps, input: &str, emitted: usize, said: &str) -> (Vec<Value>, String) {
    let (code, out, err) = run(maps, &[], input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.len(), emitted, "{out:?}");
    assert!(err.contains(said), "{err}");
    (out, err)
}

/// The text the binary prints for `input` with the standard maps, which
/// must exit 0.
fn printed(input: String) -> String {
    let out = Maps::standard().cmd().write_stdin(input).output().unwrap();
    testkit::exited(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

fn one(extra: &str) -> (i32, Vec<Value>, String) {
    run(&Maps::standard(), &[], &row(&result(extra)))
}

#[test]
fn empty_string_user_id_is_looked_up_as_the_key_empty_string() {
    let (code, out, _) = one(r#","userId":"""#);
    assert_eq!(code, 0);
    assert_eq!(out[0]["userId"], json!(2));
    // Without "" in the uid map: dropped for lack of a user id, not
    // replaced by the owner.
    let maps = Maps::new(r#"{"owner":100}"#, r#"{"ns":"owner"}"#);
    ok_saying(&maps, &row(&result(r#","userId":"""#)), 0, "no user id 1");
}

#[test]
fn empty_string_and_zero_events_are_kept_as_they_are() {
    let (_, out, _) = one(r#","event":"""#);
    assert_eq!(out[0]["event"], json!(""));
    let (_, out, _) = one(r#","event":0"#);
    assert_eq!(out[0]["event"], json!(0));
    let (_, out, _) = one(r#","event":{"x":[1.0]}"#);
    assert_eq!(out[0]["event"], json!({"x": [1.0]}));
    // null and false fall back to the translated name.
    for e in ["null", "false"] {
        let (_, out, _) = one(&format!(r#","event":{e}"#));
        assert_eq!(out[0]["event"], json!("Component created"));
    }
}

#[test]
fn zero_id_in_the_uid_map_is_truthy_and_stays_zero() {
    let (code, out, _) = one(r#","userId":"zero""#);
    assert_eq!(code, 0);
    let raw = serde_json::to_string(&out[0]).unwrap();
    assert!(raw.contains(r#""userId":0,"#), "{raw}");
    // The owner's id 0 is truthy too: workspaceID 0.
    let maps = Maps::standard();
    let line = row(&result(r#","userId":"alice""#))
        .replace(r#""namespace":"ns""#, r#""namespace":"ns-zero""#);
    let (code, out, _) = run(&maps, &[], &line);
    assert_eq!(code, 0);
    assert_eq!(out[0]["properties"]["workspaceID"], json!(0));
    // false in the map is falsy: dropped.
    ok_saying(
        &maps,
        &row(&result(r#","userId":"nope""#)),
        0,
        "no user id 1",
    );
}

#[test]
fn absent_or_falsy_user_id_falls_back_to_the_owner() {
    for extra in ["", r#","userId":null"#, r#","userId":false"#] {
        let (code, out, _) = one(extra);
        assert_eq!(code, 0, "{extra}");
        assert_eq!(out[0]["userId"], json!(100), "{extra}");
        assert_eq!(out[0]["properties"]["workspaceID"], json!(100));
    }
    let (_, out, _) = one(r#","userId":"alice""#);
    assert_eq!(out[0]["userId"], json!(1));
    assert_eq!(out[0]["properties"]["workspaceID"], json!(100));
}

#[test]
fn drops_per_reason() {
    let maps = Maps::standard();
    let lines = [
        row(&result("")).replace(r#""ns""#, r#""elsewhere""#),
        row(&result("")).replace(r#""ns""#, r#""ns-false""#),
        row(&result("")).replace(r#""ns""#, r#""ns-unknown-owner""#),
        // The owner has no id: dropped even though the user maps.
        row(&result(r#","userId":"alice""#)).replace(r#""ns""#, r#""ns-unknown-owner""#),
        row(&result(r#","userId":"stranger""#)),
    ];
    ok_saying(
        &maps,
        &lines.join("\n"),
        0,
        "read 5, emitted 0, markers skipped 0, dropped 5 (no workspace 2, no owner id 2, no user id 1), rejected 0",
    );
}

#[test]
fn missing_event_subject_or_verb_is_rejected() {
    let maps = Maps::standard();
    let no_subject = row(&result("")).replace(r#""event_subject":"components","#, "");
    let no_verb = row(&result("")).replace(r#","event_verb":"create""#, "");
    let num_verb = row(&result("")).replace(r#""event_verb":"create""#, r#""event_verb":3"#);
    let with_event =
        row(&result(r#","event":"E""#)).replace(r#""event_subject":"components","#, "");
    let input = [no_subject, no_verb, num_verb, with_event].join("\n");
    let (code, out, err) = run(&maps, &[], &input);
    assert_eq!(code, 3);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["event"], json!("E"));
    assert!(err.contains("line 1: `event_subject` is absent"), "{err}");
    assert!(err.contains("line 2: `event_verb` is absent"), "{err}");
    assert!(err.contains("line 3: `event_verb` is a number"), "{err}");
}

#[test]
fn unknown_subjects_and_verbs_are_used_raw() {
    let line = row(&result(""))
        .replace("components", "widgets")
        .replace(r#""create""#, r#""trigger-pac-build""#);
    let (_, out, _) = run(&Maps::standard(), &[], &line);
    assert_eq!(out[0]["event"], json!("widgets trigger-pac-build"));
}

#[test]
fn workspace_id_is_replaced_in_place_or_appended_last() {
    let props = r#","properties":"{\"a\":1,\"workspaceID\":\"old\",\"b\":2}""#;
    let line = row(&result("")).replace(r#","properties":"{\"a\":1}""#, props);
    let (_, out, _) = run(&Maps::standard(), &[], &line);
    assert_eq!(keys(&out[0]["properties"]), ["a", "workspaceID", "b"]);
    assert_eq!(out[0]["properties"]["workspaceID"], json!(100));
    let (_, out, _) = one("");
    assert_eq!(keys(&out[0]["properties"]), ["a", "workspaceID"]);
    assert_eq!(keys(&out[0]), EVENT_KEYS);
}

#[test]
fn null_properties_and_context() {
    let line = row(&result(""))
        .replace(r#""properties":"{\"a\":1}""#, r#""properties":"null""#)
        .replace(r#""context":"{\"c\":true}""#, r#""context":" null ""#);
    let text = printed(line);
    assert!(
        text.ends_with(",\"properties\":{\"workspaceID\":100},\"context\":null}\n"),
        "{text}"
    );
}

#[test]
fn absent_fields_are_null_and_key_order_is_fixed() {
    let line = row(r#"{"context":"[1, 2]","properties":"{}","namespace":"ns","event":"e"}"#);
    assert_eq!(
        printed(line),
        "{\"messageId\":null,\"timestamp\":null,\"namespace\":\"ns\",\"type\":null,\"userId\":100,\"event\":\"e\",\"properties\":{\"workspaceID\":100},\"context\":[1,2]}\n"
    );
}

#[test]
fn preview_and_marker_rows_are_skipped_silently() {
    let input = [
        r#"{"preview":false,"lastrow":true}"#,
        "null",
        r#"{"preview":false,"result":null}"#,
        r#"{"preview":false,"result":false}"#,
        "",
        "   ",
        &row(&result("")),
    ]
    .join("\n");
    let (_, err) = ok_saying(
        &Maps::standard(),
        &input,
        1,
        "read 5, emitted 1, markers skipped 4, dropped 0 (no workspace 0, no owner id 0, no user id 0), rejected 0",
    );
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn a_first_line_that_is_not_json_nor_a_csv_header_is_one_bad_record() {
    // A stray line before the rows (a warning a script printed, a cut
    // line): `auto` must not take it for a CSV header, which would make
    // every row after it a bad CSV record.
    let maps = Maps::standard();
    let good = row(&result(""));
    for first in [
        "WARNING: search results may be incomplete",
        "oops, cut",
        "id,name",
    ] {
        let input = format!("{first}\n{good}\n{good}\n");
        let (code, out, err) = run(&maps, &[], &input);
        assert_eq!(code, 3, "{first}: {err}");
        assert_eq!(out.len(), 2, "{first}: {err}");
        assert!(err.contains("line 1"), "{first}: {err}");
        assert!(err.contains("read 3, emitted 2"), "{first}: {err}");
    }
    // A header naming a field the transform reads is a CSV export's.
    let (code, out, err) = run(&maps, &[], "_time,namespace\n1,ns\n");
    assert_eq!((code, out.len()), (3, 0), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn malformed_lines_mid_stream_are_reported_written_to_rejects_and_the_rest_goes_on() {
    let maps = Maps::standard();
    let rejects = maps.dir.path().join("rejects.jsonl");
    let good = row(&result(""));
    let bad: Vec<String> = vec![
        "{not json".into(),
        "[1,2]".into(),
        r#"{"result":"text"}"#.into(),
        row(&result("")).replace(r#""namespace":"ns""#, r#""namespace":7"#),
        row(&result("")).replace(r#""ns""#, r#""ns-num""#),
        row(&result(r#","userId":12"#)),
        row(&result("")).replace(r#""properties":"{\"a\":1}""#, r#""properties":{"a":1}"#),
        row(&result("")).replace(r#""properties":"{\"a\":1}""#, r#""properties":"[1]""#),
        row(&result("")).replace(r#""properties":"{\"a\":1}""#, r#""properties":"{\"a\":"#),
        row(&result("")).replace(r#","properties":"{\"a\":1}""#, ""),
        row(&result("")).replace(r#""context":"{\"c\":true}""#, r#""context":"{nope}""#),
        row(&result("")).replace(r#","context":"{\"c\":true}""#, ""),
    ];
    let mut lines = vec![good.clone()];
    for b in &bad {
        lines.push(b.clone());
        lines.push(good.clone());
    }
    let (code, out, err) = run(
        &maps,
        &["--rejects", rejects.to_str().unwrap()],
        &lines.join("\n"),
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(out.len(), bad.len() + 1);
    for (i, _) in bad.iter().enumerate() {
        let n = 2 * i + 2;
        // Lines that are not JSON are named with the column where the
        // bad value starts.
        assert!(
            err.contains(&format!("warning: line {n}: "))
                || err.contains(&format!("warning: line {n}, column 1: ")),
            "line {n} in {err}"
        );
    }
    assert!(err.contains(&format!("rejected {}", bad.len())), "{err}");
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(written, bad.join("\n") + "\n");
}

#[test]
fn strict_json_rejects_what_jq_1_6_let_through() {
    let good = row(&result(""));
    let cases = [
        (good.replace(r#""offset":0"#, r#""offset":NaN"#), "NaN"),
        (
            good.replace(r#""offset":0"#, r#""offset":Infinity"#),
            "NaN and Infinity",
        ),
        (good.replace(r#""offset":0"#, r#""offset":+1"#), "`+`"),
        (
            good.replace(r#""offset":0"#, r#""offset":01"#),
            "leading zero",
        ),
        (
            good.replace(r#"{\"a\":1}"#, r#"{\"a\":01}"#),
            "leading zero",
        ),
        (good.replace(r#"{\"a\":1}"#, r#"{\"a\":NaN}"#), "NaN"),
    ];
    let input: Vec<&str> = cases.iter().map(|(l, _)| l.as_str()).collect();
    let (code, out, err) = run(&Maps::standard(), &[], &input.join("\n"));
    assert_eq!(code, 3);
    assert!(out.is_empty());
    for (i, (_, why)) in cases.iter().enumerate() {
        let line = err
            .lines()
            .find(|l| {
                l.contains(&format!("line {}: ", i + 1))
                    || l.contains(&format!("line {}, column 1: ", i + 1))
            })
            .unwrap_or_else(|| panic!("no report for line {} in {err}", i + 1));
        assert!(line.contains(why), "{line} lacks {why}");
    }
}

#[test]
fn invalid_utf8_outside_a_string_is_rejected_with_its_line_number() {
    // (Inside a string it is replaced as jq does: suite.rs.)
    let maps = Maps::standard();
    let mut input = row(&result("")).into_bytes();
    input.extend_from_slice(b"\n{\"result\":\xff\xfe}\n");
    input.extend_from_slice(row(&result("")).as_bytes());
    let out = maps.cmd().write_stdin(input).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(parse_lines(&out.stdout).len(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: invalid UTF-8"), "{err}");
}

#[test]
fn big_integers_and_decimals_are_kept_as_written_past_the_double_range_clamped() {
    let line = row(&result(r#","userId":"big""#))
        .replace(
            r#"{\"a\":1}"#,
            r#"{\"a\":1.0,\"b\":12345678901234567890123,\"c\":1e+400,\"d\":-0.000}"#,
        )
        .replace(
            r#""messageId":"m1""#,
            r#""messageId":100000000000000000000001"#,
        );
    let text = printed(line);
    assert!(
        text.contains(r#""messageId":100000000000000000000001,"#),
        "{text}"
    );
    assert!(
        text.contains(r#""userId":123456789012345678901234567890,"#),
        "{text}"
    );
    assert!(
        text.contains(r#""properties":{"a":1.0,"b":12345678901234567890123,"c":1.7976931348623157e+308,"d":-0.000,"workspaceID":100}"#),
        "{text}"
    );
    // A 1.0 id in the uid map stays 1.0.
    let text = printed(row(&result(r#","userId":"float""#)));
    assert!(text.contains(r#""userId":1.0,"#), "{text}");
}

#[test]
fn empty_map_files_drop_everything() {
    let maps = Maps::new("", "");
    ok_saying(&maps, &row(&result("")), 0, "no workspace 1");
    // The default is /dev/null: the same.
    let out = assert_cmd::Command::cargo_bin("splunk-to-segment")
        .unwrap()
        .env_remove("UID_MAP_FILE")
        .env_remove("WS_MAP_FILE")
        .env_remove("PUSHGATEWAY_URL")
        .write_stdin(row(&result("")))
        .output()
        .unwrap();
    testkit::exited(&out, 0);
    assert_eq!(testkit::stdout(&out), "", "everything dropped");
}

#[test]
fn only_the_first_value_of_a_map_file_counts() {
    let maps = Maps::new(
        r#"{"owner":100} {"owner":999}"#,
        r#"{"ns":"owner"} garbage"#,
    );
    let (code, out, _) = run(&maps, &[], &row(&result("")));
    assert_eq!(code, 0);
    assert_eq!(out[0]["userId"], json!(100));
}

/// Waits for the child, killing it if it takes unreasonably long (a guard
/// against hanging the suite, not a timing assertion).
fn wait_guarded(child: &mut std::process::Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the tool read stdin before checking its map files");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn unreadable_or_invalid_map_file_exits_2_before_reading_stdin() {
    let maps = Maps::standard();
    let missing = maps.dir.path().join("missing.json");
    let not_json = maps.dir.path().join("bad.json");
    std::fs::write(&not_json, "{\"a\":").unwrap();
    let array = maps.dir.path().join("array.json");
    std::fs::write(&array, "[1,2]").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("splunk-to-segment");
    for (flag, path, what) in [
        ("--uid-map", &missing, "cannot read"),
        ("--ws-map", &missing, "cannot read"),
        ("--uid-map", &not_json, "not valid JSON"),
        ("--ws-map", &array, "not an object"),
        ("--uid-map", &maps.dir.path().to_path_buf(), "cannot read"),
    ] {
        // A stdin that fails when read (a directory): reading it first
        // would exit 1, not 2.
        let out = StdCommand::new(&bin)
            .arg(flag)
            .arg(path)
            .stdin(std::fs::File::open("/").unwrap())
            .env_remove("PUSHGATEWAY_URL")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {path:?}: {err}");
        assert!(err.contains(what), "{err}");
        assert!(err.contains(flag), "{err}");
        assert!(out.stdout.is_empty());

        // A stdin that never ends: the tool must not wait for it.
        let mut child = StdCommand::new(&bin)
            .arg(flag)
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env_remove("PUSHGATEWAY_URL")
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(row(&result("")).as_bytes());
        let status = wait_guarded(&mut child);
        drop(stdin);
        assert_eq!(status.code(), Some(2));
    }
}

#[test]
fn unwritable_rejects_file_exits_2() {
    let maps = Maps::standard();
    let out = maps
        .cmd()
        .args(["--rejects", "/nonexistent-dir/rejects.jsonl"])
        .write_stdin(row(&result("")))
        .output()
        .unwrap();
    testkit::failed(&out, 2);
}

#[test]
fn bom_on_the_first_line_is_ignored() {
    let input = format!("\u{feff}{}\n{}\n", row(&result("")), row(&result("")));
    for fmt in ["auto", "jsonl"] {
        let (code, out, _) = run(&Maps::standard(), &["--input-format", fmt], &input);
        assert_eq!(code, 0, "{fmt}");
        assert_eq!(out.len(), 2, "{fmt}");
    }
}

#[test]
fn summary_line_and_quiet() {
    let input = [row(&result("")), "null".into(), "oops".into()].join("\n");
    let (code, _, err) = run(&Maps::standard(), &[], &input);
    assert_eq!(code, 3);
    let last = err.lines().last().unwrap();
    assert_eq!(
        last,
        "splunk-to-segment: read 3, emitted 1, markers skipped 1, dropped 0 (no workspace 0, no owner id 0, no user id 0), rejected 1"
    );
    let (code, _, err) = run(&Maps::standard(), &["--quiet"], &input);
    assert_eq!(code, 3);
    assert!(!err.contains("read 3"), "{err}");
    assert!(err.contains("line 3, column 1: "), "warnings stay: {err}");
    let (code, _, err) = run(&Maps::standard(), &["-q"], &row(&result("")));
    assert_eq!(code, 0);
    assert_eq!(err, "");
}

fn csv_escape(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[test]
fn csv_input() {
    let header = "messageId,timestamp,namespace,type,userId,event,event_subject,event_verb,properties,context,_time";
    let props = csv_escape(r#"{"a":1.0,"workspaceID":"x"}"#);
    let ctx = csv_escape(r#"{"userAgent":"kubectl, \"quoted\""}"#);
    let rows = [
        format!("m1,t1,ns,track,alice,,components,create,{props},{ctx},123"),
        // Empty userId cell: absent, so the owner is used.
        format!("m2,t2,ns,track,,Pull Request created,,,{props},{ctx},124"),
        // Dropped: unknown namespace.
        format!("m3,t3,elsewhere,track,,,components,create,{props},{ctx},125"),
        // Rejected: properties not JSON.
        format!("m4,t4,ns,track,,,components,create,nope,{ctx},126"),
        // Rejected: wrong number of fields.
        "m5,t5,ns".to_owned(),
    ];
    let input = format!("{header}\n{}\n", rows.join("\n"));
    let maps = Maps::standard();
    let rejects = maps.dir.path().join("rejects.jsonl");
    for fmt in ["csv", "auto"] {
        let (code, out, err) = run(
            &maps,
            &[
                "--input-format",
                fmt,
                "--rejects",
                rejects.to_str().unwrap(),
            ],
            &input,
        );
        assert_eq!(code, 3, "{fmt}: {err}");
        assert_eq!(out.len(), 2, "{fmt}");
        assert_eq!(out[0]["userId"], json!(1));
        assert_eq!(out[0]["event"], json!("Component created"));
        assert_eq!(keys(&out[0]["properties"]), ["a", "workspaceID"]);
        assert_eq!(
            serde_json::to_string(&out[0]["properties"]).unwrap(),
            r#"{"a":1.0,"workspaceID":100}"#
        );
        assert_eq!(out[0]["context"]["userAgent"], json!("kubectl, \"quoted\""));
        assert_eq!(out[1]["userId"], json!(100));
        assert_eq!(out[1]["event"], json!("Pull Request created"));
        assert!(
            err.contains("line 5: `properties` holds invalid JSON"),
            "{err}"
        );
        assert!(err.contains("line 6: CSV record has 3 fields"), "{err}");
        assert!(err.contains("read 5, emitted 2"), "{err}");
        // Rejects are written as JSON lines, which the tool reads back.
        let written = std::fs::read_to_string(&rejects).unwrap();
        let back: Vec<Value> = written
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0]["result"]["messageId"], json!("m4"));
    }
}

#[test]
fn json_document_input() {
    let doc = json!({
        "preview": false,
        "init_offset": 0,
        "messages": [],
        "fields": [{"name": "messageId"}],
        "results": [
            serde_json::from_str::<Value>(&result(r#","userId":"alice""#)).unwrap(),
            null,
            serde_json::from_str::<Value>(&result("")).unwrap(),
            "not an object",
        ],
    });
    let pretty = serde_json::to_string_pretty(&doc).unwrap();
    let compact = serde_json::to_string(&doc).unwrap();
    let bare_array = serde_json::to_string(&doc["results"]).unwrap();
    for (fmt, input) in [
        ("json", &pretty),
        ("auto", &pretty),
        ("auto", &compact),
        ("auto", &bare_array),
    ] {
        let (code, out, err) = run(&Maps::standard(), &["--input-format", fmt], input);
        assert_eq!(code, 3, "{fmt}: {err}");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["userId"], json!(1));
        assert_eq!(out[1]["userId"], json!(100));
        assert!(err.contains("record 4: `result` is a string"), "{err}");
        assert!(
            err.contains("read 4, emitted 2, markers skipped 1"),
            "{err}"
        );
    }
    // Not a results document: a failure, exit 1.
    let (code, _, err) = run(&Maps::standard(), &["--input-format", "json"], "{\"a\":1}");
    assert_eq!(code, 1);
    assert!(err.contains("no `results` array"), "{err}");
}

#[test]
fn very_long_lines_and_crlf() {
    let big = "x".repeat(3 << 20);
    let line = row(&result("")).replace(r#"{\"a\":1}"#, &format!(r#"{{\"a\":\"{big}\"}}"#));
    let input = format!("{line}\r\n{}\r\n", row(&result("")));
    let (code, out, _) = run(&Maps::standard(), &[], &input);
    assert_eq!(code, 0);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["properties"]["a"].as_str().unwrap().len(), big.len());
}
