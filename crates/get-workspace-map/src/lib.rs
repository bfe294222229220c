//! get-workspace-map (`docs/tools/get-workspace-map.md`): lists the tenant namespaces
//! (`toolchain.dev.openshift.com/type=tenant`) of every member cluster and
//! maps each namespace name to its space label
//! (`toolchain.dev.openshift.com/space`), the workspace owner, as one JSON
//! object merged over the contexts (later contexts win). The contexts are
//! `CONTEXTS` (space separated), or else every kubeconfig context whose
//! cluster is a staging member cluster, read concurrently. A namespace
//! without the space label is skipped with a warning (the original printed
//! `"<no value>"`). Nothing is written when a cluster fails or the map is
//! empty. `--configmap` replaces the job script's `oc` calls; `--kvstore`
//! keeps a Splunk KV store collection equal to the map, so that searches can
//! find a namespace's owner inside Splunk (`querygen --ws-lookup`).

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{env, Outcome};
use segment_bridge_kube::{MapArgs, MapJob, MapKind, MapMaker, STAGING_MEMBER_CLUSTERS};
use segment_bridge_splunk::kvstore;

/// ConfigMap data key of the map (the original job's file name).
pub const CONFIGMAP_KEY: &str = "ws-map.json";
/// KV store document fields: what `querygen --ws-lookup` looks up.
pub const KV_KEY_FIELD: &str = "namespace";
pub const KV_VALUE_FIELD: &str = "owner";

/// Prints the workspace map (tenant namespace → workspace owner) of the
/// member clusters as one JSON object, or publishes it.
#[derive(Debug, clap::Parser)]
#[command(after_help = "Examples:
  get-workspace-map > ws-map.json                       # the staging member clusters' contexts
  CONTEXTS='m01 rh01' get-workspace-map | jq 'length'
  KUBECONFIG_SRC=members.kubeconfig get-workspace-map --configmap ws-map   # in a CronJob pod
  get-workspace-map --configmap ws-map --published > ws-map.json           # what was published
  SPLUNK_TOKEN=… get-workspace-map --kvstore ws_map")]
pub struct Args {
    /// Contexts to read, space separated; later contexts win on the same
    /// namespace. Default: every kubeconfig context whose cluster is one of
    /// the staging member clusters.
    #[arg(long, env = env::CONTEXTS, value_name = "\"CONTEXT …\"")]
    pub contexts: Option<String>,

    /// A context to read (repeatable; read after those of CONTEXTS).
    #[arg(long = "context", value_name = "CONTEXT")]
    pub context: Vec<String>,

    #[command(flatten)]
    pub map: MapArgs,

    #[command(flatten)]
    pub kv: kvstore::PublishArgs,
}

/// What stops the tool (shared with the other map maker).
pub use segment_bridge_kube::MakerError as Error;

pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let mut contexts: Vec<String> = args
        .contexts
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    contexts.extend(args.context);
    let maker = MapMaker {
        kind: MapKind::Workspace,
        configmap_key: CONFIGMAP_KEY,
        kv_fields: (KV_KEY_FIELD, KV_VALUE_FIELD),
    };
    maker.run(
        args.map,
        &args.kv,
        |job| or_staging_members(contexts, job),
        output,
    )
}

/// `contexts`, or when none was given, every context of the kubeconfig on a
/// staging member cluster (none: a configuration error).
fn or_staging_members(
    mut contexts: Vec<String>,
    job: &MapJob,
) -> Result<Vec<Option<String>>, Error> {
    if contexts.is_empty() {
        contexts = job.source().contexts_on_clusters(&STAGING_MEMBER_CLUSTERS);
        if contexts.is_empty() {
            return Err(segment_bridge_kube::Error::NoContexts(format!(
                "no context given (CONTEXTS, --context) and no kubeconfig context is on a staging member cluster ({})\nhint: set CONTEXTS to the member clusters' context names",
                STAGING_MEMBER_CLUSTERS.join(", ")
            ))
            .into());
        }
        tracing::debug!(
            "contexts on the staging member clusters: {}",
            contexts.join(" ")
        );
    }
    Ok(contexts.into_iter().map(Some).collect())
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}
