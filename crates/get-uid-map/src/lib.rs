//! get-uid-map (`docs/tools/get-uid-map.md`): lists the `UserSignup`s of the host
//! cluster and maps each `status.compliantUsername` to the SSO user id of
//! the annotation `toolchain.dev.openshift.com/sso-user-id`, as one JSON
//! object (numeric ids as numbers). It replaces the `oc get usersignups`
//! template of the original and the `oc create configmap | oc apply` of its
//! job script: `--configmap` publishes by server-side apply, `--kvstore`
//! replaces a Splunk KV store collection so that searches can look users up
//! inside Splunk. Nothing is written when a cluster fails or the map is
//! empty.

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{ExitStatus, Outcome, ToolError};
use segment_bridge_kube::resources::HOST_OPERATOR_NAMESPACE;
use segment_bridge_kube::{MapArgs, MapJob, MapKind};
use segment_bridge_splunk::{self as splunk, kvstore};

/// ConfigMap data key of the map (the original job's file name).
pub const CONFIGMAP_KEY: &str = "uid-map.json";
/// KV store document fields: what `querygen --uid-lookup` looks up.
pub const KV_KEY_FIELD: &str = "username";
pub const KV_VALUE_FIELD: &str = "sso_id";

/// Prints the uid map (cluster username → SSO user id) of the host
/// cluster's UserSignups as one JSON object, or publishes it.
#[derive(Debug, clap::Parser)]
#[command(after_help = "Examples:
  get-uid-map > uid-map.json
  get-uid-map --context host | jq 'length'
  KUBECONFIG_SRC=host.kubeconfig get-uid-map --configmap uid-map   # in a CronJob pod
  get-uid-map --configmap uid-map --published > uid-map.json       # what was published
  SPLUNK_TOKEN=… get-uid-map --kvstore uid_map")]
pub struct Args {
    /// Context to read (repeatable; later contexts win on the same
    /// username). Default: the current context (in a pod: in-cluster).
    #[arg(long = "context", value_name = "CONTEXT")]
    pub contexts: Vec<String>,

    /// Namespace of the UserSignups.
    #[arg(long, default_value = HOST_OPERATOR_NAMESPACE, value_name = "NS")]
    pub namespace: String,

    #[command(flatten)]
    pub map: MapArgs,

    /// Replace the documents of this Splunk KV store collection with the map
    /// (`{"_key", "username", "sso_id"}` each), instead of printing it.
    #[arg(long, value_name = "COLLECTION")]
    pub kvstore: Option<String>,

    /// Documents per `batch_save` call: the Splunk server's
    /// `max_documents_per_batch_save`.
    #[arg(long, default_value_t = kvstore::DEFAULT_PER_CALL_LIMIT, value_name = "N")]
    pub kvstore_batch: usize,

    #[command(flatten)]
    pub splunk: splunk::ConnectionArgs,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Kube(#[from] segment_bridge_kube::Error),

    #[error("cannot replace KV store collection `{collection}`")]
    KvStore {
        collection: String,
        #[source]
        source: splunk::Error,
    },

    #[error(transparent)]
    Splunk(#[from] splunk::Error),
}

impl ToolError for Error {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Kube(e) => e.exit_status(),
            Error::KvStore { source, .. } | Error::Splunk(source) => source.exit_status(),
        }
    }
}

pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    // Configuration problems first (exit 2), before any cluster is read.
    let kv = match &args.kvstore {
        Some(collection) => Some((
            collection.clone(),
            splunk::Client::new(args.splunk.client_config()?)?,
        )),
        None => None,
    };
    let job = MapJob::new(args.map)?.publishing_elsewhere(kv.is_some());
    if let Some(outcome) = job.print_published(CONFIGMAP_KEY, output)? {
        return Ok(outcome);
    }

    let kind = MapKind::Uid {
        namespace: args.namespace,
    };
    let contexts: Vec<Option<String>> = if args.contexts.is_empty() {
        vec![None]
    } else {
        args.contexts.into_iter().map(Some).collect()
    };
    let merged = job.collect(&kind, &contexts)?;
    let text = segment_bridge_kube::maps::render(&merged.map);
    // Refuse a map over the ceiling before writing anywhere.
    let prepared = job.prepare_configmap(CONFIGMAP_KEY, &text)?;
    let written = job.publish_configmap(prepared.as_ref())?;
    let mut extra = None;
    if let Some((collection, client)) = &kv {
        let docs = kvstore::docs_from_map(&merged.map, KV_KEY_FIELD, KV_VALUE_FIELD);
        let stats = kvstore::replace_collection(
            client,
            collection,
            &docs,
            kvstore::Limits {
                per_call: args.kvstore_batch,
                ..kvstore::Limits::default()
            },
        )
        .map_err(|source| Error::KvStore {
            collection: collection.clone(),
            source,
        })?;
        extra = Some(format!(
            "replaced KV store collection `{collection}` ({} documents in {} batches)",
            stats.documents, stats.batches
        ));
    }
    job.print(output, &text)?;
    let report = segment_bridge_kube::Report::new(merged, text, written);
    Ok(report.finish(&kind, extra.as_deref()))
}
