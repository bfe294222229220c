//! Drives the `querygen` binary: byte-exact comparison with the original's
//! output (`fixtures/querygen`, the reference fixtures), the
//! JSON format, name selection, the uid-lookup variant and usage errors.

use assert_cmd::Command;
use predicates::prelude::*;

const DEFAULT_NUL: &[u8] = testkit::querygen::DEFAULT_NUL.as_bytes();
const TEST_INDEX_NUL: &[u8] = testkit::querygen::TEST_INDEX_NUL.as_bytes();
const DEFAULT_PRETTY: &[u8] = testkit::querygen::DEFAULT_PRETTY.as_bytes();

/// The binary with a clean environment for the variables it reads.
fn querygen() -> Command {
    let mut cmd = Command::cargo_bin("querygen").unwrap();
    cmd.env_remove("SPLUNK_INDEX")
        .env_remove("SPLUNK_UID_LOOKUP")
        .env_remove("SPLUNK_WS_LOOKUP")
        .env_remove("PUSHGATEWAY_URL")
        .env_remove("LOG_LEVEL");
    cmd
}

fn stdout_of(args: &[&str]) -> Vec<u8> {
    stdout_with(&[], args)
}

/// stdout of a successful run with `env` set and `args`, which says
/// nothing on stderr.
fn stdout_with(env: &[(&str, &str)], args: &[&str]) -> Vec<u8> {
    let out = querygen()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{env:?} {args:?}: {:?}", out);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Asserts that a run with `env` set and `args` is a usage error: exit 2,
/// nothing on stdout, each of `needles` on stderr.
fn usage_error(env: &[(&str, &str)], args: &[&str], needles: &[&str]) {
    let pred = needles.iter().fold(predicate::always().boxed(), |p, n| {
        p.and(predicate::str::contains(*n)).boxed()
    });
    querygen()
        .envs(env.iter().copied())
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .stderr(pred);
}

fn json_of(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&stdout_of(args)).unwrap()
}

/// Compares the output of `what` byte for byte, showing the first
/// difference readably.
fn assert_bytes_eq(what: &str, got: &[u8], want: &[u8]) {
    if got != want {
        let at = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let from = at.saturating_sub(80);
        panic!(
            "{what}: outputs differ at byte {at} (got {} bytes, want {}):\n got: {:?}\nwant: {:?}",
            got.len(),
            want.len(),
            String::from_utf8_lossy(&got[from..(at + 80).min(got.len())]),
            String::from_utf8_lossy(&want[from..(at + 80).min(want.len())]),
        );
    }
}

/// Byte for byte the original's output (`fixtures/querygen`), whichever
/// way the index is given; an empty uid-lookup variable means no lookup.
/// Cases: (environment, arguments, the original's output).
#[test]
fn output_matches_the_original_byte_for_byte() {
    type Env = &'static [(&'static str, &'static str)];
    let cases: [(Env, &[&str], &[u8]); 5] = [
        (&[], &["-0"], DEFAULT_NUL),
        (&[], &["-0", "--index=test_index"], TEST_INDEX_NUL),
        (&[], &[], DEFAULT_PRETTY),
        (&[("SPLUNK_INDEX", "test_index")], &["-0"], TEST_INDEX_NUL),
        (&[("SPLUNK_UID_LOOKUP", "")], &["-0"], DEFAULT_NUL),
    ];
    for (env, args, want) in cases {
        assert_bytes_eq(&format!("{env:?} {args:?}"), &stdout_with(env, args), want);
    }
}

#[test]
fn json_format_carries_the_same_queries() {
    let nul = String::from_utf8(stdout_of(&["-0"])).unwrap();
    let texts: Vec<&str> = nul.strip_suffix('\n').unwrap().split('\0').collect();
    let json = json_of(&["--format", "json"]);
    let arr = json.as_array().unwrap();
    assert_eq!(arr.len(), querygen::table::KINDS.len());
    for (item, text) in arr.iter().zip(&texts) {
        let obj = item.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        assert_eq!(keys, ["name", "title", "query"]);
        assert_eq!(obj["query"].as_str().unwrap(), *text);
    }
    assert_eq!(arr[0]["name"], "application");
    assert_eq!(arr[0]["title"], "Application events");
    assert_eq!(arr[7]["name"], "pull-request-created");
    // The pretty listing's titles are the JSON titles, in order.
    let pretty = String::from_utf8(stdout_of(&[])).unwrap();
    let titles: Vec<&str> = pretty
        .split("\n\n")
        .map(|block| block.lines().next().unwrap())
        .collect();
    let json_titles: Vec<&str> = arr.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, json_titles);
}

#[test]
fn selecting_by_name_prints_only_those_queries_in_table_order() {
    let nul = String::from_utf8(stdout_of(&["-0"])).unwrap();
    let all: Vec<&str> = nul.strip_suffix('\n').unwrap().split('\0').collect();

    let one = stdout_of(&["-0", "--name", "component"]);
    assert_eq!(one, format!("{}\n", all[1]).into_bytes());

    let two = stdout_of(&["-0", "--name", "release-done", "--name", "application"]);
    assert_eq!(two, format!("{}\0{}\n", all[0], all[6]).into_bytes());

    let json = json_of(&["--format=json", "--name=clair-scan-completed"]);
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["query"].as_str().unwrap(), all[4]);

    let pretty = String::from_utf8(stdout_of(&["--name", "application"])).unwrap();
    assert!(pretty.starts_with("Application events\n------------------\n    search "));
    assert!(!pretty.contains("Component"));
}

#[test]
fn every_name_selects_exactly_one_query() {
    let json = json_of(&["--format", "json"]);
    for item in json.as_array().unwrap() {
        let name = item["name"].as_str().unwrap();
        let one = json_of(&["--format", "json", "--name", name]);
        assert_eq!(one.as_array().unwrap(), std::slice::from_ref(item));
    }
}

#[test]
fn unknown_name_is_a_usage_error_listing_the_valid_names() {
    usage_error(
        &[],
        &["--name", "applications"],
        &[
            "applications",
            "application, component",
            "pull-request-created",
        ],
    );
}

#[test]
fn uid_lookup_adds_the_lookup_and_keeps_the_output_fields() {
    let plain = json_of(&["--format", "json"]);
    let looked = json_of(&["--format", "json", "--uid-lookup", "uid_map"]);
    let (plain, looked) = (plain.as_array().unwrap(), looked.as_array().unwrap());
    assert_eq!(plain.len(), looked.len());
    for (p, l) in plain.iter().zip(looked) {
        // plain = HEAD|fields LIST|fields - _*
        let p = p["query"].as_str().unwrap();
        let (head, list) = p
            .strip_suffix("|fields - _*")
            .unwrap()
            .rsplit_once("|fields ")
            .unwrap();
        // looked = HEAD|lookup …|fields LIST+sso_id (in name order)|fields - _*
        let mut fields: Vec<&str> = list.split(',').collect();
        assert!(fields.contains(&"userId") && fields.contains(&"namespace"));
        fields.push("sso_id");
        fields.sort_unstable();
        let want = format!(
            "{head}|lookup uid_map username AS userId OUTPUT sso_id|fields {}|fields - _*",
            fields.join(",")
        );
        assert_eq!(l["query"].as_str().unwrap(), want);
    }
}

#[test]
fn uid_lookup_comes_from_the_environment_and_works_with_nul_output() {
    let stdout = stdout_with(
        &[("SPLUNK_UID_LOOKUP", "uids")],
        &["-0", "--name", "application"],
    );
    let text = String::from_utf8(stdout).unwrap();
    assert!(text.contains("|lookup uids username AS userId OUTPUT sso_id|"));
    assert!(!text.contains('\0'));
}

#[test]
fn ws_lookup_from_the_environment_adds_the_owner_fields_and_needs_the_uid_lookup() {
    let env = [("SPLUNK_UID_LOOKUP", "uids"), ("SPLUNK_WS_LOOKUP", "ws")];
    let looked = String::from_utf8(stdout_with(&env, &["-0"])).unwrap();
    let uid_only = String::from_utf8(stdout_with(&env[..1], &["-0"])).unwrap();
    let owner = "|lookup ws namespace OUTPUT owner|lookup uids username AS owner OUTPUT sso_id AS owner_sso_id";
    assert_eq!(looked.matches(owner).count(), 8);
    // Without the owner lookups and fields, the uid-lookup queries.
    let stripped = looked
        .replace(owner, "")
        .replace(",owner,owner_sso_id,", ",");
    assert_eq!(stripped, uid_only);
    // An empty variable means no lookup: the original's bytes.
    assert_eq!(
        stdout_with(&[("SPLUNK_WS_LOOKUP", "")], &["-0"]),
        DEFAULT_NUL
    );
    usage_error(&env[1..], &["-0"], &["--ws-lookup", "needs --uid-lookup"]);
    usage_error(
        &[],
        &["--uid-lookup", "u", "--ws-lookup", "w s"],
        &["invalid lookup name"],
    );
}

#[test]
fn an_empty_index_variable_is_rejected_not_defaulted() {
    usage_error(&[("SPLUNK_INDEX", "")], &["-0"], &["it is empty"]);
}

#[test]
fn an_index_with_a_quote_is_rejected() {
    usage_error(
        &[],
        &["-0", r#"--index=foo" | delete"#],
        &["invalid Splunk index"],
    );
}

#[test]
fn an_index_with_a_backslash_or_newline_is_rejected() {
    for bad in ["a\\b", "a\nb", ""] {
        usage_error(&[], &["-0", "--index", bad], &["invalid Splunk index"]);
    }
}

#[test]
fn a_lookup_name_that_is_not_a_plain_name_is_rejected() {
    usage_error(
        &[],
        &["--uid-lookup", "uid map|delete"],
        &["invalid lookup name"],
    );
}

#[test]
fn nul_and_json_together_are_a_usage_error() {
    usage_error(&[], &["-0", "--format", "json"], &["-0"]);
}

#[test]
fn help_shows_env_vars_names_and_an_example_pipeline() {
    querygen().arg("--help").assert().success().stdout(
        predicate::str::contains("SPLUNK_INDEX")
            .and(predicate::str::contains("SPLUNK_UID_LOOKUP"))
            .and(predicate::str::contains("SPLUNK_WS_LOOKUP"))
            .and(predicate::str::contains("build-pipelinerun-started"))
            .and(predicate::str::contains(
                "querygen -0 | fetch-uj-records --queries - | splunk-to-segment",
            )),
    );
}

#[test]
fn in_process_run_matches_the_binary() {
    use clap::Parser;
    let args = querygen::Args::try_parse_from(["querygen", "-0", "--index", "test_index"]).unwrap();
    let mut input = std::io::empty();
    let mut out = Vec::new();
    let outcome = querygen::run(args, &mut std::io::BufReader::new(&mut input), &mut out).unwrap();
    assert_eq!(outcome.status, segment_bridge_core::ExitStatus::Ok);
    assert_bytes_eq("in-process run", &out, TEST_INDEX_NUL);
}

/// The Go flag package's spellings, which the original querygen binary
/// took, give byte-identical output.
mod go_flags {
    use super::*;

    #[test]
    fn every_spelling_of_index_and_nul_gives_the_original_output() {
        let indexes: [&[&str]; 4] = [
            &["-index=test_index"],
            &["-index", "test_index"],
            &["--index=test_index"],
            &["--index", "test_index"],
        ];
        let nuls: [&[&str]; 5] = [&["-0"], &["--0"], &["-0=true"], &["--0=1"], &["--null"]];
        for index in indexes {
            for nul in nuls {
                for args in [[index, nul].concat(), [nul, index].concat()] {
                    assert!(stdout_of(&args) == TEST_INDEX_NUL, "{args:?}");
                }
            }
        }
        for nul in nuls {
            assert!(stdout_of(nul) == DEFAULT_NUL, "{nul:?}");
        }
    }

    #[test]
    fn nul_false_is_the_readable_listing() {
        for args in [
            &["-0=false"][..],
            &["--0=f"],
            &["-0=0", "-index=federated:rh_rhtap_stage_audit"],
        ] {
            assert!(stdout_of(args) == DEFAULT_PRETTY, "{args:?}");
        }
        assert!(stdout_of(&["-0=false", "-0"]) == DEFAULT_NUL);
    }

    #[test]
    fn h_and_help_print_the_help() {
        let help = stdout_of(&["--help"]);
        assert!(String::from_utf8_lossy(&help).contains("--index"));
        for args in [&["-h"][..], &["-help"], &["--h"], &["-index=x", "-help"]] {
            assert_eq!(stdout_of(args), help, "{args:?}");
        }
    }

    #[test]
    fn a_bad_boolean_is_a_usage_error() {
        let out = querygen().arg("-0=maybe").output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("maybe"));
    }
}
