//! `querygen`: the Splunk searches that extract user-journey events from the
//! Kubernetes audit logs, one per event kind.
//!
//! The queries are generated from a declarative table (`table.rs`: API group,
//! resource, verbs, predicates, status-condition and task-result filters,
//! output fields) so that a change to one kind is a change to one table
//! entry. Without `--uid-lookup` (and `--ws-lookup`) the output is
//! byte-identical to the original Go generator's.
//!
//! Library use (fetch-uj-records calls this in-process):
//!
//! ```
//! let opts = querygen::Options::default();
//! opts.validate().unwrap();
//! let qs = querygen::queries(&opts);
//! assert_eq!(qs.len(), 8);
//! assert!(qs[0].query.starts_with("search index=\"federated:rh_rhtap_stage_audit\""));
//! ```
//!
//! # The `--uid-lookup NAME` variant
//!
//! For a uid map kept in a Splunk KV store (`docs/tools/get-uid-map.md`: `get-uid-map
//! --kvstore`, plus a lookup definition `NAME` over that collection with the
//! columns `username` and `sso_id`), every query gets, between its `eval` and
//! its `fields`:
//!
//! ```text
//! |lookup NAME username AS userId OUTPUT sso_id
//! ```
//!
//! and its `fields` list gains `sso_id`. Every other output field is
//! unchanged: `userId` still holds the cluster username (so
//! splunk-to-segment with a uid-map file keeps working on these rows), and
//! `sso_id` holds that user's SSO id from the KV store, or is absent when
//! `userId` is not in the collection. The five kinds that don't compute
//! `userId` (PipelineRuns, Clair scans, releases, pull requests) never get
//! an `sso_id`: their events belong to the namespace's workspace owner,
//! which only the workspace map knows: outside Splunk, or inside it with
//! `--ws-lookup`.
//!
//! # The `--ws-lookup NAME` variant (with `--uid-lookup`)
//!
//! For a workspace map kept in a Splunk KV store as well
//! (`docs/tools/get-workspace-map.md`: `get-workspace-map --kvstore`, plus
//! a lookup definition `NAME` with the columns `namespace` and `owner`),
//! two more lookups follow the uid lookup:
//!
//! ```text
//! |lookup NAME namespace OUTPUT owner
//! |lookup UID username AS owner OUTPUT sso_id AS owner_sso_id
//! ```
//!
//! and the `fields` list gains `owner` (the namespace's workspace owner)
//! and `owner_sso_id` (the owner's SSO id). Each is absent when its lookup
//! has no match, so splunk-to-segment tells "no owner" from "the owner has
//! no SSO id" as it does with map files, and needs none.

pub mod kind;
pub mod spl;
pub mod table;

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{env, ExitStatus, Outcome, ToolError};

pub use kind::{Lookups, OWNER, OWNER_SSO_ID, SSO_ID};

/// What the queries are generated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Splunk index holding the audit logs (`SPLUNK_INDEX`).
    pub index: String,
    /// Name of a Splunk lookup mapping `username` → `sso_id`; when set, the
    /// queries add the row's `sso_id` (see the crate docs).
    pub uid_lookup: Option<String>,
    /// Name of a Splunk lookup mapping `namespace` → `owner`; with
    /// `uid_lookup`, the queries add the row's `owner` and `owner_sso_id`.
    pub ws_lookup: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            index: env::SPLUNK_INDEX_DEFAULT.to_owned(),
            uid_lookup: None,
            ws_lookup: None,
        }
    }
}

impl Options {
    /// Checks that the index and lookup name can go into a query as they
    /// are. [`queries`] never produces a query that breaks out of its quoted
    /// index whatever the options, but an index with a quote, a backslash or
    /// a control character is surely a mistake (a NUL would even split the
    /// `-0` output), so the tool refuses it instead of searching for it.
    pub fn validate(&self) -> Result<(), Error> {
        let bad_index = |reason: &'static str| Error::InvalidIndex {
            index: self.index.escape_debug().to_string(),
            reason,
        };
        if self.index.is_empty() {
            return Err(bad_index(
                "it is empty (unset `SPLUNK_INDEX` for the default index)",
            ));
        }
        if self.index.contains('"') {
            return Err(bad_index("it contains `\"`"));
        }
        if self.index.contains('\\') {
            return Err(bad_index("it contains `\\`"));
        }
        if self.index.chars().any(char::is_control) {
            return Err(bad_index("it contains a control character"));
        }
        for lookup in self.uid_lookup.iter().chain(&self.ws_lookup) {
            if !is_lookup_name(lookup) {
                return Err(Error::InvalidLookup {
                    name: lookup.escape_debug().to_string(),
                });
            }
        }
        if self.ws_lookup.is_some() && self.uid_lookup.is_none() {
            return Err(Error::WsLookupAlone);
        }
        Ok(())
    }

    /// The lookups the queries run.
    pub fn lookups(&self) -> Lookups<'_> {
        Lookups {
            uid: self.uid_lookup.as_deref(),
            ws: self.ws_lookup.as_deref(),
        }
    }
}

/// A lookup name usable bare in SPL: ASCII letters, digits, `_`, `-`, `.`.
pub fn is_lookup_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// One generated query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Query {
    /// Stable slug (`--name`).
    pub name: &'static str,
    /// Human title (readable listing).
    pub title: &'static str,
    /// The SPL text, ready for Splunk's `search` parameter.
    pub query: String,
}

/// All eight queries, in the original's order.
pub fn queries(opts: &Options) -> Vec<Query> {
    table::KINDS
        .iter()
        .map(|k| Query {
            name: k.name,
            title: k.title,
            query: k.query(&opts.index, opts.lookups()),
        })
        .collect()
}

/// The names of the queries, in order.
pub fn names() -> Vec<&'static str> {
    table::KINDS.iter().map(|k| k.name).collect()
}

/// The queries named in `names`, in table order (a name given twice counts
/// once); an empty `names` selects all.
pub fn queries_named<S: AsRef<str>>(opts: &Options, names: &[S]) -> Result<Vec<Query>, Error> {
    for n in names {
        if !table::KINDS.iter().any(|k| k.name == n.as_ref()) {
            return Err(Error::UnknownName {
                name: n.as_ref().to_owned(),
                valid: self::names().join(", "),
            });
        }
    }
    let mut qs = queries(opts);
    if !names.is_empty() {
        qs.retain(|q| names.iter().any(|n| n.as_ref() == q.name));
    }
    Ok(qs)
}

/// The queries separated by single NUL bytes, the whole ending in one
/// `\n` (the original's `-0` output, for `xargs -0`).
pub fn render_nul(qs: &[Query]) -> String {
    let mut out = qs
        .iter()
        .map(|q| q.query.as_str())
        .collect::<Vec<_>>()
        .join("\0");
    out.push('\n');
    out
}

/// The readable listing: per query its title, a `-` underline, and the
/// query split before every `|`, each piece indented by four spaces; one
/// empty line between queries.
pub fn render_pretty(qs: &[Query]) -> String {
    qs.iter()
        .map(|q| {
            format!(
                "{}\n{}\n    {}\n",
                q.title,
                "-".repeat(q.title.chars().count()),
                q.query.replace('|', "\n    |")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A JSON array of `{"name","title","query"}`, compact, ending in `\n`.
pub fn render_json(qs: &[Query]) -> Result<String, Error> {
    let mut out = serde_json::to_string(qs).map_err(Error::Json)?;
    out.push('\n');
    Ok(out)
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid Splunk index `{index}`: {reason}")]
    InvalidIndex { index: String, reason: &'static str },

    #[error("invalid lookup name `{name}`: use letters, digits, `_`, `-` and `.`")]
    InvalidLookup { name: String },

    #[error("--ws-lookup (SPLUNK_WS_LOOKUP) needs --uid-lookup (SPLUNK_UID_LOOKUP): the owner's SSO id is looked up in the uid lookup")]
    WsLookupAlone,

    #[error("unknown query name `{name}` (valid names: {valid})")]
    UnknownName { name: String, valid: String },

    #[error("`-0` separates text queries; it cannot be combined with `--format json`")]
    NulWithJson,

    #[error("cannot encode the queries as JSON")]
    Json(#[source] serde_json::Error),

    #[error("cannot write the queries")]
    Write(#[source] std::io::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Json(_) | Error::Write(_) => ExitStatus::Failed,
            _ => ExitStatus::Usage,
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The original's output: a titled listing, or NUL-separated with `-0`.
    Text,
    /// A JSON array of `{"name","title","query"}` objects.
    Json,
}

const AFTER_HELP: &str = "\
With --uid-lookup NAME, each query also runs
  |lookup NAME username AS userId OUTPUT sso_id
and outputs `sso_id` (the SSO id of `userId`, absent when the lookup has no
such username) besides the usual fields, `userId` still being the cluster
username. NAME is a Splunk lookup definition over the KV store collection
that `get-uid-map --kvstore` fills (columns `username`, `sso_id`).

With --ws-lookup NAME as well, each query then runs
  |lookup NAME namespace OUTPUT owner
  |lookup UID username AS owner OUTPUT sso_id AS owner_sso_id
and also outputs `owner` (the namespace's workspace owner) and
`owner_sso_id` (the owner's SSO id), each absent without a match. NAME is a
lookup definition over the collection `get-workspace-map --kvstore` fills
(columns `namespace`, `owner`). splunk-to-segment then needs no map files.

The original binary's Go-style spellings work too: one or two dashes,
a value after `=` or as the next argument, `-0=true`/`-0=false`, `-h`,
`-help` (`querygen -index=test_index -0`).

Examples:
  querygen -0 | fetch-uj-records --queries - | splunk-to-segment
  querygen --name component --index=test_index
  querygen --format json --uid-lookup uid_map
  querygen -0 --uid-lookup uid_map --ws-lookup ws_map";

/// Prints the Splunk searches that extract user-journey events from the
/// Kubernetes audit logs, one per event kind.
///
/// Without options: a titled, readable listing of all eight. With `-0`: the
/// queries separated by NUL bytes, as `fetch-uj-records --queries -` and
/// `xargs -0` read them.
#[derive(Debug, clap::Parser)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Splunk index holding the audit logs.
    #[arg(long, env = env::SPLUNK_INDEX, default_value = env::SPLUNK_INDEX_DEFAULT, value_name = "INDEX")]
    pub index: String,

    /// Separate the queries with NUL bytes (text format).
    #[arg(short = '0', long = "null")]
    pub null: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print only this query (repeatable; printed in the usual order).
    #[arg(long = "name", value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(names()))]
    pub names: Vec<String>,

    /// Map the cluster username to the SSO id inside Splunk with this lookup
    /// (adds the `sso_id` field; see below). Empty: no lookup.
    #[arg(long, env = env::SPLUNK_UID_LOOKUP, value_name = "NAME")]
    pub uid_lookup: Option<String>,

    /// With --uid-lookup: find each namespace's owner inside Splunk with
    /// this lookup (adds `owner` and `owner_sso_id`; see below). Empty: no
    /// lookup.
    #[arg(long, env = env::SPLUNK_WS_LOOKUP, value_name = "NAME")]
    pub ws_lookup: Option<String>,
}

/// Rewrites the Go flag package's spellings, which the original querygen
/// took, into clap's: a flag may start with `-` or `--` (`-index`,
/// `--index`); a value follows after `=` or as the next argument
/// (`-index=X`, `-index X`); a boolean flag takes no separate value but
/// may have one after `=` (`-0`, `--0`, `-0=true`, `-0=false`, with Go's
/// spellings of true and false: `1 t T TRUE true True` and `0 f F FALSE
/// false False`); `-h` and `-help` ask for help. As in Go, `--` or the
/// first argument that is not a flag ends the flags. Anything else is left
/// for clap to judge, so its errors still name the bad argument.
pub fn go_flags(argv: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory as _;
    let cmd = Args::command();
    let mut argv = argv.into_iter();
    let mut out: Vec<std::ffi::OsString> = argv.next().into_iter().collect();
    while let Some(arg) = argv.next() {
        let Some(text) = arg.to_str().map(str::to_owned) else {
            out.push(arg);
            continue;
        };
        let body = text
            .strip_prefix("--")
            .or_else(|| text.strip_prefix('-'))
            .filter(|b| !b.is_empty() && !b.starts_with(['-', '=']));
        let Some(body) = body else {
            // `--`, `-`, a positional argument: the flags end here.
            let ends = text == "--" || !text.starts_with('-') || text == "-";
            out.push(arg);
            if ends {
                out.extend(argv.by_ref());
            }
            continue;
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        match go_flag_kind(&cmd, name) {
            Some(GoFlag::Help) => out.push("--help".into()),
            Some(GoFlag::Bool(long)) => match value {
                None => out.push(format!("--{long}").into()),
                Some(v) => match go_bool(v) {
                    Some(true) => out.push(format!("--{long}").into()),
                    Some(false) => {}
                    // Not a boolean: clap refuses the value, naming it.
                    None => out.push(format!("--{long}={v}").into()),
                },
            },
            Some(GoFlag::Value(long)) => match value {
                Some(v) => out.push(format!("--{long}={v}").into()),
                None => {
                    out.push(format!("--{long}").into());
                    out.extend(argv.next());
                }
            },
            None => out.push(arg),
        }
    }
    out
}

enum GoFlag {
    Help,
    Bool(String),
    Value(String),
}

/// What the flag `name` (a long name, or a one-character short one) is.
fn go_flag_kind(cmd: &clap::Command, name: &str) -> Option<GoFlag> {
    if name == "h" || name == "help" {
        return Some(GoFlag::Help);
    }
    let mut chars = name.chars();
    let short = match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    };
    let arg = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(name) || (short.is_some() && a.get_short() == short))?;
    let long = arg.get_long()?.to_owned();
    Some(match arg.get_action() {
        clap::ArgAction::SetTrue => GoFlag::Bool(long),
        a if a.takes_values() => GoFlag::Value(long),
        _ => return None,
    })
}

/// Go's `strconv.ParseBool`.
fn go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Prints the selected queries in the chosen format.
pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let opts = Options {
        index: args.index,
        // An empty value (a manifest's blank variable) means no lookup.
        uid_lookup: args.uid_lookup.filter(|name| !name.is_empty()),
        ws_lookup: args.ws_lookup.filter(|name| !name.is_empty()),
    };
    opts.validate()?;
    if args.null && args.format == Format::Json {
        return Err(Error::NulWithJson);
    }
    let qs = queries_named(&opts, &args.names)?;
    let text = match args.format {
        Format::Json => render_json(&qs)?,
        Format::Text if args.null => render_nul(&qs),
        Format::Text => render_pretty(&qs),
    };
    output.write_all(text.as_bytes()).map_err(Error::Write)?;
    // Debug, not info: the original wrote nothing to stderr.
    tracing::debug!(queries = qs.len(), "printed {} queries", qs.len());
    Ok(Outcome::ok().count("queries", qs.len() as u64))
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_core::cli::main(env!("CARGO_PKG_NAME"), go_flags(argv), run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_index(index: &str) -> Options {
        Options {
            index: index.to_owned(),
            uid_lookup: None,
            ws_lookup: None,
        }
    }

    #[test]
    fn each_marker_is_in_its_own_query_and_no_other() {
        for uid_lookup in [None, Some("uid_map".to_owned())] {
            let mut opts = with_index("some_index");
            opts.uid_lookup = uid_lookup;
            let qs = queries(&opts);
            assert_eq!(qs.len(), table::KINDS.len());
            for kind in table::KINDS {
                let marker = kind.marker();
                let holders: Vec<_> = qs
                    .iter()
                    .filter(|q| q.query.contains(&marker))
                    .map(|q| q.name)
                    .collect();
                assert_eq!(holders, [kind.name], "marker {marker:?}");
            }
        }
    }

    #[test]
    fn default_options_are_valid() {
        Options::default().validate().unwrap();
        with_index("test_index").validate().unwrap();
        with_index("federated:x-y.z*").validate().unwrap();
    }

    #[test]
    fn indexes_that_would_break_the_quoting_are_rejected() {
        for bad in ["", "a\"b", "a\\b", "a\0b", "a\nb"] {
            let err = with_index(bad).validate().unwrap_err();
            assert!(matches!(err, Error::InvalidIndex { .. }), "{bad:?}");
            assert_eq!(err.exit_status(), ExitStatus::Usage);
        }
    }

    #[test]
    fn an_unvalidated_quote_is_still_escaped() {
        let qs = queries(&with_index(r#"x" | delete"#));
        assert!(qs[0]
            .query
            .starts_with(r#"search index="x\" | delete" log_type=audit"#));
    }

    #[test]
    fn lookup_names_are_checked_and_quoted_when_unchecked() {
        let mut o = Options {
            uid_lookup: Some("uid_map-v1.2".into()),
            ..Options::default()
        };
        o.validate().unwrap();
        o.uid_lookup = Some("a b|delete".into());
        assert!(matches!(o.validate(), Err(Error::InvalidLookup { .. })));
        let q = &queries(&o)[0].query;
        assert!(q.contains(r#"|lookup "a b|delete" username AS userId OUTPUT sso_id|"#));
    }

    #[test]
    fn uid_lookup_goes_between_eval_and_fields() {
        let o = Options {
            uid_lookup: Some("uids".into()),
            ..Options::default()
        };
        for q in queries(&o) {
            let lookup = q
                .query
                .find("|lookup uids username AS userId OUTPUT sso_id|fields ")
                .unwrap();
            assert!(q.query.find("|eval event").unwrap() < lookup, "{}", q.name);
            assert!(q.query.contains(
                "messageId,namespace,properties,sso_id,timestamp,type,userId|fields - _*"
            ));
        }
    }

    #[test]
    fn ws_lookup_adds_the_owner_lookups_after_the_uid_lookup() {
        let mut o = Options {
            uid_lookup: Some("uids".into()),
            ws_lookup: Some("ws".into()),
            ..Options::default()
        };
        o.validate().unwrap();
        for q in queries(&o) {
            assert!(
                q.query.contains("|lookup uids username AS userId OUTPUT sso_id|lookup ws namespace OUTPUT owner|lookup uids username AS owner OUTPUT sso_id AS owner_sso_id|fields "),
                "{}",
                q.name
            );
            assert!(q.query.contains(
                "messageId,namespace,owner,owner_sso_id,properties,sso_id,timestamp,type,userId|fields - _*"
            ));
        }
        o.uid_lookup = None;
        assert!(matches!(o.validate(), Err(Error::WsLookupAlone)));
        o.uid_lookup = Some("uids".into());
        o.ws_lookup = Some("w s".into());
        assert!(matches!(o.validate(), Err(Error::InvalidLookup { .. })));
    }

    #[test]
    fn selection_keeps_table_order_and_rejects_unknown_names() {
        let qs = queries_named(&Options::default(), &["release-done", "application"]).unwrap();
        let got: Vec<_> = qs.iter().map(|q| q.name).collect();
        assert_eq!(got, ["application", "release-done"]);
        let all = queries_named::<&str>(&Options::default(), &[]).unwrap();
        assert_eq!(all.len(), 8);
        let err = queries_named(&Options::default(), &["nope"]).unwrap_err();
        assert!(err.to_string().contains("pull-request-created"));
        assert_eq!(err.exit_status(), ExitStatus::Usage);
    }

    fn go(args: &[&str]) -> Vec<String> {
        go_flags(
            std::iter::once("querygen")
                .chain(args.iter().copied())
                .map(Into::into),
        )
        .into_iter()
        .skip(1)
        .map(|a| a.into_string().unwrap())
        .collect()
    }

    #[test]
    fn go_flag_spellings_become_clap_ones() {
        assert_eq!(go(&["-index=x"]), ["--index=x"]);
        assert_eq!(go(&["--index=x"]), ["--index=x"]);
        assert_eq!(go(&["-index", "x"]), ["--index", "x"]);
        assert_eq!(go(&["--index", "x"]), ["--index", "x"]);
        assert_eq!(go(&["-0"]), ["--null"]);
        assert_eq!(go(&["--0"]), ["--null"]);
        assert_eq!(go(&["-0=true"]), ["--null"]);
        assert_eq!(go(&["-0=T"]), ["--null"]);
        assert_eq!(go(&["-0=false"]), Vec::<String>::new());
        assert_eq!(go(&["-0=maybe"]), ["--null=maybe"]);
        assert_eq!(go(&["-h"]), ["--help"]);
        assert_eq!(go(&["-help"]), ["--help"]);
        assert_eq!(
            go(&["-format", "json", "-name=component"]),
            ["--format", "json", "--name=component"]
        );
        assert_eq!(go(&["-nope", "-0"]), ["-nope", "--null"]);
        assert_eq!(go(&["--", "-0"]), ["--", "-0"]);
        assert_eq!(go(&["stray", "-0"]), ["stray", "-0"]);
    }

    #[test]
    fn renderers() {
        let qs = [
            Query {
                name: "a",
                title: "Ab",
                query: "x | y|z".into(),
            },
            Query {
                name: "b",
                title: "C",
                query: "w".into(),
            },
        ];
        assert_eq!(render_nul(&qs), "x | y|z\0w\n");
        assert_eq!(
            render_pretty(&qs),
            "Ab\n--\n    x \n    | y\n    |z\n\nC\n-\n    w\n"
        );
        assert_eq!(
            render_json(&qs[1..]).unwrap(),
            "[{\"name\":\"b\",\"title\":\"C\",\"query\":\"w\"}]\n"
        );
    }
}
