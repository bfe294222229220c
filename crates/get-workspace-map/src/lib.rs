//! get-workspace-map (`docs/tools/get-workspace-map.md`): lists the tenant namespaces
//! (`toolchain.dev.openshift.com/type=tenant`) of every member cluster and
//! maps each namespace name to its space label
//! (`toolchain.dev.openshift.com/space`), the workspace owner, as one JSON
//! object merged over the contexts (later contexts win). The contexts are
//! `CONTEXTS` (space separated), or else every kubeconfig context whose
//! cluster is a staging member cluster, read concurrently. A namespace
//! without the space label is skipped with a warning (the original printed
//! `"<no value>"`). Nothing is written when a cluster fails or the map is
//! empty. `--configmap` replaces the job script's `oc` calls.

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::{env, Outcome};
use segment_bridge_kube::{MapArgs, MapJob, MapKind, STAGING_MEMBER_CLUSTERS};

pub use segment_bridge_kube::Error;

/// ConfigMap data key of the map (the original job's file name).
pub const CONFIGMAP_KEY: &str = "ws-map.json";

/// Prints the workspace map (tenant namespace → workspace owner) of the
/// member clusters as one JSON object, or publishes it.
#[derive(Debug, clap::Parser)]
#[command(after_help = "Examples:
  get-workspace-map > ws-map.json                       # the staging member clusters' contexts
  CONTEXTS='m01 rh01' get-workspace-map | jq 'length'
  KUBECONFIG_SRC=members.kubeconfig get-workspace-map --configmap ws-map   # in a CronJob pod
  get-workspace-map --configmap ws-map --published > ws-map.json           # what was published")]
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
}

pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let job = MapJob::new(args.map)?;
    if let Some(outcome) = job.print_published(CONFIGMAP_KEY, output)? {
        return Ok(outcome);
    }
    let mut contexts: Vec<String> = args
        .contexts
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    contexts.extend(args.context);
    if contexts.is_empty() {
        contexts = job.source().contexts_on_clusters(&STAGING_MEMBER_CLUSTERS);
        if contexts.is_empty() {
            return Err(Error::NoContexts(format!(
                "no context given (CONTEXTS, --context) and no kubeconfig context is on a staging member cluster ({})\nhint: set CONTEXTS to the member clusters' context names",
                STAGING_MEMBER_CLUSTERS.join(", ")
            )));
        }
        tracing::debug!(
            "contexts on the staging member clusters: {}",
            contexts.join(" ")
        );
    }
    let contexts: Vec<Option<String>> = contexts.into_iter().map(Some).collect();
    let report = job.run(&MapKind::Workspace, &contexts, CONFIGMAP_KEY, output)?;
    Ok(report.finish(&MapKind::Workspace, None))
}
