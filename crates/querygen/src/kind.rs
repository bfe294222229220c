//! What one event kind's query is made of, and how its text is put together
//! from the parts.
//!
//! Every query has the same shape:
//!
//! ```text
//! search index="…" log_type=audit "objectRef.apiGroup"="…" "objectRef.resource"="…"
//!        verb… "responseStatus.code"… <predicate terms>
//!  | <filter steps>                               (joined with " | ")
//! |eval <top-level fields>,properties=json_object(…),context=json_object(…)
//! [|lookup <uid lookup> username AS userId OUTPUT sso_id]
//! [|lookup <ws lookup> namespace OUTPUT owner
//!  |lookup <uid lookup> username AS owner OUTPUT sso_id AS owner_sso_id]
//! |fields <output fields>|fields - _*            (joined with "|")
//! ```
//!
//! Top-level `eval` assignments and `json_object` keys come out in name
//! order, `properties` and `context` last; the `fields` list is in name
//! order too. The two different joins are the original generator's: its
//! hand-written search part used `" | "`, its generated output part `"|"`.

use crate::spl::{push_quoted, Expr, Step, Term};

/// A named value: an output field or a `json_object` key, and its expression.
pub type Field = (&'static str, Expr);

/// One event kind: the audit records it selects and the event it outputs.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Stable slug for `--name`.
    pub name: &'static str,
    /// Title in the readable listing.
    pub title: &'static str,
    /// `objectRef.apiGroup` of the audited request.
    pub api_group: &'static str,
    /// `objectRef.resource` (plural) of the audited request.
    pub resource: &'static str,
    /// API verbs selected.
    pub verbs: &'static [&'static str],
    /// `responseStatus.code`s selected.
    pub status_codes: &'static [&'static str],
    /// Further search terms narrowing the records.
    pub predicate: &'static [Term<'static>],
    /// Filter / extraction steps between the search and the output.
    pub steps: &'static [Step],
    /// A fixed event name; without it, splunk-to-segment builds one from
    /// `event_subject` and `event_verb`.
    pub event: Option<&'static str>,
    /// The `event_verb` output field.
    pub event_verb: Expr,
    /// Who acted (`userId`); without it the event is attributed to the
    /// namespace's workspace owner downstream.
    pub user_id: Option<Expr>,
    /// The `properties` object, as groups of keys (merged, then sorted).
    pub properties: &'static [&'static [Field]],
}

/// Output fields every kind computes the same way.
pub const COMMON: &[Field] = &[
    ("event_subject", Expr::Field("objectRef.resource")),
    ("messageId", Expr::Field("auditID")),
    ("namespace", Expr::Field("objectRef.namespace")),
    ("timestamp", Expr::Field("requestReceivedTimestamp")),
    ("type", Expr::Str("track")),
];

/// The `context` object, the same for every kind.
pub const CONTEXT: &[Field] = &[("userAgent", Expr::Field("userAgent"))];

/// The field the `--uid-lookup` variant adds: the SSO id of `userId`.
pub const SSO_ID: &str = "sso_id";
/// The fields the `--ws-lookup` variant adds: the namespace's owner
/// (username) and the owner's SSO id.
pub const OWNER: &str = "owner";
pub const OWNER_SSO_ID: &str = "owner_sso_id";

/// The Splunk lookups a query runs (crate docs, "The lookup variants").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lookups<'a> {
    /// username → SSO id (`--uid-lookup`).
    pub uid: Option<&'a str>,
    /// namespace → owner username (`--ws-lookup`); used only with `uid`.
    pub ws: Option<&'a str>,
}

/// The uid lookup alone (`None`: no lookup), as `Kind::query` took it.
impl<'a> From<Option<&'a str>> for Lookups<'a> {
    fn from(uid: Option<&'a str>) -> Lookups<'a> {
        Lookups { uid, ws: None }
    }
}

impl Lookups<'_> {
    /// The `lookup` commands, in order.
    fn commands(&self) -> Vec<String> {
        let Some(uid) = self.uid else {
            return Vec::new();
        };
        let mut cmds = vec![lookup_command(uid, "username AS userId", SSO_ID)];
        if let Some(ws) = self.ws {
            cmds.push(lookup_command(ws, "namespace", OWNER));
            cmds.push(lookup_command(
                uid,
                "username AS owner",
                "sso_id AS owner_sso_id",
            ));
        }
        cmds
    }

    /// The output fields the lookups add.
    pub fn fields(&self) -> Vec<&'static str> {
        match (self.uid, self.ws) {
            (None, _) => Vec::new(),
            (Some(_), None) => vec![SSO_ID],
            (Some(_), Some(_)) => vec![SSO_ID, OWNER, OWNER_SSO_ID],
        }
    }
}

impl Kind {
    /// The query text for `index`, with the given lookups.
    pub fn query<'a>(&self, index: &str, lookups: impl Into<Lookups<'a>>) -> String {
        let lookups = lookups.into();
        let mut search = String::from("search");
        for term in self.head(index).iter().chain(self.predicate) {
            search.push(' ');
            term.render(&mut search);
        }
        let mut filter = vec![search];
        for step in self.steps {
            filter.extend(step.commands());
        }

        let mut output = vec![self.eval()];
        output.extend(lookups.commands());
        output.push(format!(
            "fields {}",
            self.columns(&lookups.fields()).join(",")
        ));
        output.push("fields - _*".to_owned());

        format!("{}|{}", filter.join(" | "), output.join("|"))
    }

    /// The search terms every query starts with: index, log type, API
    /// group, resource, verbs and status codes; [`Kind::predicate`] follows.
    pub fn head<'a>(&'a self, index: &'a str) -> [Term<'a>; 6] {
        [
            Term::Str {
                field: "index",
                value: index,
            },
            Term::Words {
                field: "log_type",
                words: &["audit"],
            },
            Term::Str {
                field: "objectRef.apiGroup",
                value: self.api_group,
            },
            Term::Str {
                field: "objectRef.resource",
                value: self.resource,
            },
            Term::Words {
                field: "verb",
                words: self.verbs,
            },
            Term::Words {
                field: "responseStatus.code",
                words: self.status_codes,
            },
        ]
    }

    /// A piece of this kind's query text that no other kind's query holds,
    /// whatever the index and lookups: the `event` assignment of a kind
    /// with a fixed event name, else its resource and verb terms. Whoever
    /// must tell the queries apart by their text (the Splunk stand-in) asks
    /// here instead of keeping a list of its own; a test checks that each
    /// marker is in its own query and no other.
    pub fn marker(&self) -> String {
        let mut out = String::new();
        if let Some(event) = self.event {
            out.push_str("event=");
            Expr::Str(event).render(&mut out);
        } else {
            let head = self.head("");
            head[3].render(&mut out);
            out.push(' ');
            head[4].render(&mut out);
        }
        out
    }

    /// How this kind's rows are recognised in an export: by `result.event`
    /// when the kind has a fixed event name, else by `result.event_subject`
    /// (the resource). Returns `(field, value)`.
    pub fn row_key(&self) -> (&'static str, &'static str) {
        match self.event {
            Some(event) => ("event", event),
            None => ("event_subject", self.resource),
        }
    }

    /// Top-level output fields computed by `eval`, in name order.
    pub fn top_level(&self) -> Vec<(&'static str, Expr)> {
        let mut top: Vec<(&'static str, Expr)> = COMMON.to_vec();
        if let Some(event) = self.event {
            top.push(("event", Expr::Str(event)));
        }
        top.push(("event_verb", self.event_verb));
        if let Some(user) = self.user_id {
            top.push(("userId", user));
        }
        top.sort_by_key(|(name, _)| *name);
        top
    }

    /// The `properties` keys, merged from their groups, in name order.
    pub fn property_fields(&self) -> Vec<Field> {
        let mut props: Vec<Field> = self.properties.concat();
        props.sort_by_key(|(name, _)| *name);
        props
    }

    fn eval(&self) -> String {
        let mut cmd = String::from("eval ");
        for (name, expr) in self.top_level() {
            cmd.push_str(name);
            cmd.push('=');
            expr.render(&mut cmd);
            cmd.push(',');
        }
        cmd.push_str("properties=");
        json_object(&mut cmd, &self.property_fields());
        cmd.push_str(",context=");
        json_object(&mut cmd, CONTEXT);
        cmd
    }

    /// The columns of a result row, in Splunk's order (the `fields`
    /// list's): what the kind computes, plus `userId` always (so that
    /// every query outputs the same columns; kinds that don't compute it
    /// leave it empty), plus `sso_id` with the uid lookup.
    pub fn output_fields(&self, with_lookup: bool) -> Vec<&'static str> {
        self.columns(if with_lookup { &[SSO_ID] } else { &[] })
    }

    /// The columns of a result row with the fields `lookups` add, in
    /// Splunk's order.
    pub fn columns(&self, lookups: &[&'static str]) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.top_level().iter().map(|(n, _)| *n).collect();
        names.extend(["userId", "properties", "context"]);
        names.extend(lookups);
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// `json_object("key",value,…)`.
fn json_object(out: &mut String, fields: &[Field]) {
    out.push_str("json_object(");
    for (i, (key, expr)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(key);
        out.push_str("\",");
        expr.render(out);
    }
    out.push(')');
}

/// `lookup NAME <input> OUTPUT <output>`, e.g. `lookup NAME username AS
/// userId OUTPUT sso_id`: the lookup's `username` column matched against
/// the event's `userId`, its `sso_id` column copied into the event. A name
/// that is not a plain lookup name (which `Options::validate` rejects) is
/// quoted rather than spliced in.
fn lookup_command(lookup: &str, input: &str, output: &str) -> String {
    let mut cmd = String::from("lookup ");
    if crate::is_lookup_name(lookup) {
        cmd.push_str(lookup);
    } else {
        push_quoted(&mut cmd, lookup);
    }
    cmd.push(' ');
    cmd.push_str(input);
    cmd.push_str(" OUTPUT ");
    cmd.push_str(output);
    cmd
}
