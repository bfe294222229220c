//! get-uid-map (`docs/tools/get-uid-map.md`): lists the `UserSignup`s of the host
//! cluster and maps each `status.compliantUsername` to the SSO user id of
//! the annotation `toolchain.dev.openshift.com/sso-user-id`, as one JSON
//! object (numeric ids as numbers). It replaces the `oc get usersignups`
//! template of the original and the `oc create configmap | oc apply` of its
//! job script: `--configmap` publishes by server-side apply, `--kvstore`
//! keeps a Splunk KV store collection equal to the map so that searches can
//! look users up inside Splunk. Nothing is written when a cluster fails or the map is
//! empty.

use segment_bridge_core::cli::{Input, Output};
use segment_bridge_core::Outcome;
use segment_bridge_kube::resources::HOST_OPERATOR_NAMESPACE;
use segment_bridge_kube::{MapArgs, MapKind, MapMaker};
use segment_bridge_splunk::kvstore;

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

    #[command(flatten)]
    pub kv: kvstore::PublishArgs,
}

/// What stops the tool (shared with the other map maker).
pub use segment_bridge_kube::MakerError as Error;

pub fn run(args: Args, _input: Input<'_>, output: Output<'_>) -> Result<Outcome, Error> {
    let contexts: Vec<Option<String>> = if args.contexts.is_empty() {
        vec![None]
    } else {
        args.contexts.into_iter().map(Some).collect()
    };
    let maker = MapMaker {
        kind: MapKind::Uid {
            namespace: args.namespace,
        },
        configmap_key: CONFIGMAP_KEY,
        kv_fields: (KV_KEY_FIELD, KV_VALUE_FIELD),
    };
    maker.run(args.map, &args.kv, |_| Ok(contexts), output)
}

/// The tool's entry, as its own `main.rs` and the multicall binary
/// (`segment-bridge`, crates/segment-bridge) start it: `argv` is the command
/// line, program name first.
pub fn main(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    segment_bridge_net::main(env!("CARGO_PKG_NAME"), argv, run)
}
