//! The two lookup maps (`docs/tools/get-uid-map.md`, `get-workspace-map.md`) and how they are read from clusters.
//!
//! uid map: `UserSignup` `status.compliantUsername` → annotation
//! `toolchain.dev.openshift.com/sso-user-id`; workspace map: tenant namespace
//! name → label `toolchain.dev.openshift.com/space`. An object without what
//! its entry needs is skipped with a reason (the originals printed broken or
//! placeholder values). Contexts are read concurrently; merged in the order
//! given, so later contexts win.

use futures_util::future::join_all;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::DynamicObject;
use serde_json::Value;

use crate::config::{Cluster, Source, Timeouts};
use crate::entries::EntryMap;
use crate::error::Error;
use crate::list::{list_fold, ListError, ListOptions};
use crate::resources::{self, SPACE_LABEL, SSO_USER_ID_ANNOTATION, TENANT_SELECTOR};

/// Which map to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapKind {
    /// uid map from the `UserSignup`s of this namespace.
    Uid { namespace: String },
    /// workspace map from the tenant namespaces.
    Workspace,
}

impl MapKind {
    /// The map's `map` label in metrics (`uid`, `workspace`).
    pub fn metric_label(&self) -> &'static str {
        match self {
            MapKind::Uid { .. } => "uid",
            MapKind::Workspace => "workspace",
        }
    }

    /// What is listed, for messages.
    pub fn what(&self) -> &'static str {
        match self {
            MapKind::Uid { .. } => "usersignups",
            MapKind::Workspace => "namespaces",
        }
    }

    fn singular(&self) -> &'static str {
        match self {
            MapKind::Uid { .. } => "usersignup",
            MapKind::Workspace => "namespace",
        }
    }
}

/// An object left out of the map, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub object: String,
    pub reason: String,
}

/// What one context contributed.
#[derive(Debug, Clone, Default)]
pub struct ContextMap {
    pub context: String,
    /// Entries in list order, duplicates resolved (the later object wins).
    pub entries: EntryMap,
    pub skipped: Vec<Skipped>,
    /// Keys that more than one object of this context mapped.
    pub duplicates: u64,
    pub objects: u64,
    pub pages: u32,
    pub restarts: u32,
    pub retries: u32,
}

/// The merged map and the run's figures.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub map: EntryMap,
    pub contexts: usize,
    pub objects: u64,
    pub skipped: u64,
    pub duplicates: u64,
    pub pages: u64,
    pub restarts: u64,
    pub retries: u64,
}

/// An SSO id as the original printed it (unquoted): a JSON number when it is
/// a plain decimal integer, else a JSON string rather than broken JSON.
/// Leading zeros keep it a string, so that its text survives.
pub fn id_value(id: &str) -> Value {
    let plain = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    if plain {
        if let Ok(n) = id.parse::<serde_json::Number>() {
            return Value::Number(n);
        }
    }
    Value::String(id.to_owned())
}

/// The uid-map entry of a `UserSignup`, or why it has none.
pub fn uid_entry(obj: &DynamicObject) -> Result<(String, Value), String> {
    let id = obj
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SSO_USER_ID_ANNOTATION));
    let Some(id) = id else {
        return Err(format!("no annotation `{SSO_USER_ID_ANNOTATION}`"));
    };
    if id.is_empty() {
        return Err(format!("empty annotation `{SSO_USER_ID_ANNOTATION}`"));
    }
    let user = match obj.data.pointer("/status/compliantUsername") {
        None | Some(Value::Null) => return Err("no `status.compliantUsername`".to_owned()),
        Some(Value::String(s)) if s.is_empty() => {
            return Err("empty `status.compliantUsername`".to_owned())
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("`status.compliantUsername` is not a string".to_owned()),
    };
    Ok((user, id_value(id)))
}

/// The workspace-map entry of a tenant namespace, or why it has none.
pub fn ws_entry(ns: &Namespace) -> Result<(String, Value), String> {
    let name = ns.metadata.name.clone().unwrap_or_default();
    match ns.metadata.labels.as_ref().and_then(|l| l.get(SPACE_LABEL)) {
        Some(space) if !space.is_empty() => Ok((name, Value::String(space.clone()))),
        Some(_) => Err(format!("empty label `{SPACE_LABEL}`")),
        None => Err(format!("no label `{SPACE_LABEL}`")),
    }
}

/// Builds a [`ContextMap`] one object at a time.
struct Builder<'a> {
    cm: ContextMap,
    kind: &'a MapKind,
    /// Which object gave each entry (by the entry's number), to name both
    /// sides of a duplicate: a span of `names` (a second map of a million
    /// strings would be as large as the map).
    owner: Vec<(u32, u32)>,
    names: String,
}

impl<'a> Builder<'a> {
    fn new(context: &str, kind: &'a MapKind) -> Builder<'a> {
        Builder {
            cm: ContextMap {
                context: context.to_owned(),
                ..ContextMap::default()
            },
            kind,
            owner: Vec::new(),
            names: String::new(),
        }
    }

    fn add(&mut self, object: String, r: Result<(String, Value), String>) {
        let cm = &mut self.cm;
        cm.objects += 1;
        match r {
            Ok((key, value)) => {
                let (place, known) = match cm.entries.insert(&key, &value) {
                    Ok(found) => found,
                    Err(e) => {
                        cm.skipped.push(Skipped {
                            object,
                            reason: e.to_string(),
                        });
                        return;
                    }
                };
                let at = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                self.names.push_str(&object);
                let span = (at, u32::try_from(object.len()).unwrap_or(0));
                let prev = match self.owner.get_mut(place) {
                    Some(o) => Some(std::mem::replace(o, span)),
                    None => {
                        self.owner.push(span);
                        None
                    }
                };
                if known {
                    let prev = prev
                        .and_then(|(at, len)| {
                            self.names.get(at as usize..at as usize + len as usize)
                        })
                        .unwrap_or("?");
                    cm.duplicates += 1;
                    tracing::warn!(
                        context = %cm.context, key = %key, object = %object, previous = %prev,
                        "context `{}`: {} `{prev}` and `{object}` both map `{key}`; keeping `{object}`'s",
                        cm.context,
                        self.kind.what()
                    );
                }
            }
            Err(reason) => cm.skipped.push(Skipped { object, reason }),
        }
    }
}

/// Folds `(object name, entry)` results into a [`ContextMap`].
#[cfg(test)]
fn fold(
    context: &str,
    kind: &MapKind,
    results: impl IntoIterator<Item = (String, Result<(String, Value), String>)>,
) -> ContextMap {
    let mut b = Builder::new(context, kind);
    for (object, r) in results {
        b.add(object, r);
    }
    b.cm
}

/// Builds the map of one cluster.
pub async fn read_cluster(
    cluster: &Cluster,
    kind: &MapKind,
    opts: &ListOptions,
) -> Result<ContextMap, Error> {
    let fail = |e: ListError| match e {
        ListError::Api(source) => Error::List {
            context: cluster.context.clone(),
            what: kind.what().to_owned(),
            source,
        },
        ListError::Expired { restarts } => Error::ListExpired {
            context: cluster.context.clone(),
            what: kind.what().to_owned(),
            restarts,
        },
    };
    let mut opts = opts.clone();
    opts.label = format!("context `{}`: {}", cluster.context, kind.what());
    let opts = &opts;
    let init = || Builder::new(&cluster.context, kind);
    let (mut cm, pages, restarts, retries) = match kind {
        MapKind::Uid { namespace } => {
            let api = resources::usersignups(cluster.client.clone(), namespace);
            let f = list_fold(&api, opts, init, |b, o| {
                let entry = uid_entry(&o);
                b.add(o.metadata.name.unwrap_or_default(), entry);
            })
            .await
            .map_err(fail)?;
            (f.acc.cm, f.pages, f.restarts, f.retries)
        }
        MapKind::Workspace => {
            let api = resources::namespaces(cluster.client.clone());
            let opts = opts.clone().labels(TENANT_SELECTOR);
            let f = list_fold(&api, &opts, init, |b, n| {
                let entry = ws_entry(&n);
                b.add(n.metadata.name.unwrap_or_default(), entry);
            })
            .await
            .map_err(fail)?;
            (f.acc.cm, f.pages, f.restarts, f.retries)
        }
    };
    cm.pages = pages;
    cm.restarts = restarts;
    cm.retries = retries;
    Ok(cm)
}

/// Reads every context concurrently (`None`: the current context or
/// in-cluster). Results come back in the order of `contexts`.
pub async fn read_contexts(
    source: &Source,
    contexts: &[Option<String>],
    kind: &MapKind,
    opts: &ListOptions,
    timeouts: Timeouts,
) -> Vec<Result<ContextMap, Error>> {
    let jobs = contexts.iter().map(|ctx| async move {
        let cluster = source.cluster(ctx.as_deref(), timeouts).await?;
        read_cluster(&cluster, kind, opts).await
    });
    join_all(jobs).await
}

/// How many skipped objects per context are worth a warning line each; the
/// rest go to the debug log.
const SKIP_WARNINGS: usize = 20;

/// Merges per-context maps in order (later contexts win), logging what was
/// skipped.
pub fn merge(kind: &MapKind, parts: Vec<ContextMap>) -> Merged {
    let mut m = Merged {
        contexts: parts.len(),
        ..Merged::default()
    };
    for cm in parts {
        for (i, s) in cm.skipped.iter().enumerate() {
            let (context, object, reason) = (&cm.context, &s.object, &s.reason);
            let message = format!(
                "context `{context}`: skipped {} `{object}`: {reason}",
                kind.singular()
            );
            // The first few are warnings; the rest only show at debug.
            if i < SKIP_WARNINGS {
                tracing::warn!(%context, %object, %reason, "{message}");
            } else {
                tracing::debug!(%context, %object, %reason, "{message}");
            }
        }
        if cm.skipped.len() > SKIP_WARNINGS {
            tracing::warn!(
                context = %cm.context, skipped = cm.skipped.len(),
                "context `{}`: {} more {} skipped (LOG_LEVEL=debug lists them)",
                cm.context,
                cm.skipped.len() - SKIP_WARNINGS,
                kind.what()
            );
        }
        m.objects += cm.objects;
        m.skipped += cm.skipped.len() as u64;
        m.duplicates += cm.duplicates;
        m.pages += u64::from(cm.pages);
        m.restarts += u64::from(cm.restarts);
        m.retries += u64::from(cm.retries);
        if m.map.is_empty() {
            // Moved, not copied entry by entry (which holds both at once).
            m.map = cm.entries;
        } else {
            for (k, v) in cm.entries.iter() {
                if m.map.insert_json(k, v).is_err() {
                    m.skipped += 1;
                    tracing::warn!(context = %cm.context, key = %k, "context `{}`: the map is larger than 4 GiB; `{k}` left out", cm.context);
                }
            }
        }
    }
    m.map.seal();
    m
}

/// The map as printed and published: one compact JSON object and a newline.
pub fn render(map: &EntryMap) -> String {
    let mut out = Vec::new();
    map.write_json(&mut out);
    out.push(b'\n');
    // Made of `str`s and serde_json's escapes: always UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signup(name: &str, id: Option<&str>, user: Option<&str>) -> DynamicObject {
        let mut v = json!({
            "apiVersion": "toolchain.dev.openshift.com/v1alpha1",
            "kind": "UserSignup",
            "metadata": {"name": name, "namespace": "toolchain-host-operator"},
            "spec": {},
        });
        if let Some(id) = id {
            v["metadata"]["annotations"] = json!({ SSO_USER_ID_ANNOTATION: id });
        }
        if let Some(u) = user {
            v["status"] = json!({ "compliantUsername": u });
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn ids_are_numbers_when_plain_integers() {
        assert_eq!(id_value("123").to_string(), "123");
        assert_eq!(
            id_value("123456789012345678901234567890").to_string(),
            "123456789012345678901234567890"
        );
        assert_eq!(id_value("0").to_string(), "0");
        assert_eq!(id_value("0123").to_string(), "\"0123\"");
        assert_eq!(id_value("f:abc-1").to_string(), "\"f:abc-1\"");
        assert_eq!(id_value("1e5").to_string(), "\"1e5\"");
        assert_eq!(id_value("-1").to_string(), "\"-1\"");
    }

    proptest::proptest! {
        /// Whatever the annotation holds, the output is valid JSON that
        /// carries the id's text unchanged (as a number or a string).
        #[test]
        fn any_id_round_trips(id in "\\PC{0,12}|[0-9]{1,40}") {
            let text = Value::Object(
                [("u".to_owned(), id_value(&id))].into_iter().collect(),
            )
            .to_string();
            let back: Value = serde_json::from_str(&text).unwrap();
            let kept = match &back["u"] {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                other => panic!("unexpected {other}"),
            };
            proptest::prop_assert_eq!(kept, id);
        }
    }

    #[test]
    fn uid_entries_and_reasons() {
        let ok = uid_entry(&signup("a", Some("42"), Some("alice"))).unwrap();
        assert_eq!(ok, ("alice".to_owned(), json!(42)));
        assert_eq!(
            uid_entry(&signup("b", None, Some("bob"))).unwrap_err(),
            "no annotation `toolchain.dev.openshift.com/sso-user-id`"
        );
        assert_eq!(
            uid_entry(&signup("c", Some("1"), None)).unwrap_err(),
            "no `status.compliantUsername`"
        );
    }

    #[test]
    fn later_objects_and_later_contexts_win() {
        let kind = MapKind::Uid {
            namespace: "x".into(),
        };
        let c1 = fold(
            "c1",
            &kind,
            vec![
                ("a".to_owned(), Ok(("u".to_owned(), json!(1)))),
                ("b".to_owned(), Ok(("v".to_owned(), json!(2)))),
                ("c".to_owned(), Ok(("u".to_owned(), json!(3)))),
                ("d".to_owned(), Err("no".to_owned())),
            ],
        );
        assert_eq!((c1.objects, c1.duplicates, c1.skipped.len()), (4, 1, 1));
        let c2 = fold(
            "c2",
            &kind,
            vec![("e".to_owned(), Ok(("v".to_owned(), json!(9))))],
        );
        let m = merge(&kind, vec![c1, c2]);
        assert_eq!(render(&m.map), "{\"u\":3,\"v\":9}\n");
        assert_eq!((m.objects, m.skipped, m.duplicates), (5, 1, 1));
    }
}
