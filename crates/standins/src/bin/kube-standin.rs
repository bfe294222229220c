//! The Kubernetes stand-in as a program: one cluster per process, for the
//! demo and for poking at with kubectl. Prints its URL on the first line of
//! stdout, optionally writes (or adds itself to) a kubeconfig, and serves
//! until killed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use standins::kube::{write_kubeconfig, KubeStandin, KubeconfigEntry, TestCa};
use standins::server::Listen;
use standins::server::ListenArg;

/// Local stand-in of a Kubernetes API server (UserSignups, Namespaces,
/// ConfigMaps).
#[derive(Parser)]
#[command(
    name = "kube-standin",
    after_help = "Example:\n  kube-standin --tls --fixtures usersignups.json --kubeconfig /tmp/kc --context host &\n  KUBECONFIG=/tmp/kc kubectl get usersignups -n toolchain-host-operator\n  KUBECONFIG=/tmp/kc get-uid-map"
)]
struct Args {
    #[command(flatten)]
    listen: ListenArg,

    /// JSON file of objects to serve: a List, an array, one object or JSON
    /// lines (repeatable).
    #[arg(long = "fixtures", value_name = "FILE")]
    fixtures: Vec<PathBuf>,

    /// Serve HTTPS with a certificate from a freshly generated CA (written
    /// into the kubeconfig).
    #[arg(long)]
    tls: bool,

    /// Bearer token to require (written into the kubeconfig; kubectl asks
    /// for a password when a user has no credentials at all).
    #[arg(
        long,
        env = "KUBE_STANDIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        default_value = "standin-token"
    )]
    token: String,

    /// Write a kubeconfig for this cluster to FILE. With --add, contexts
    /// already in FILE (written by other kube-standins) are kept.
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Keep the contexts already in --kubeconfig (several stand-ins = one
    /// multi-cluster kubeconfig).
    #[arg(long, requires = "kubeconfig")]
    add: bool,

    /// Context name in the kubeconfig.
    #[arg(long, default_value = "standin")]
    context: String,

    /// Cluster name in the kubeconfig (get-workspace-map picks the staging
    /// member clusters by it).
    #[arg(long, default_value = "standin-cluster")]
    cluster: String,

    /// Default namespace of the context.
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,

    /// Answer every request with this status (a dead cluster).
    #[arg(long, value_name = "STATUS")]
    fail_all: Option<u16>,

    /// Wait this long before answering each request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay_ms: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    segment_bridge_core::cli::init_logging("kube-standin");
    let standin = KubeStandin::new();
    for f in &args.fixtures {
        let n = standin
            .load_file(f)
            .with_context(|| format!("cannot load `{}`", f.display()))?;
        tracing::info!("loaded {n} objects from `{}`", f.display());
    }
    standin.require_token(args.token.clone());
    standin.fail_all(args.fail_all);
    standin.set_delay(Duration::from_millis(args.delay_ms));

    let listen = Listen::on(args.listen.listen);
    let (server, ca) = if args.tls {
        let ca = TestCa::generate().context("cannot generate the CA")?;
        (standin.spawn(listen.tls(&ca)?)?, Some(ca))
    } else {
        (standin.spawn(listen)?, None)
    };

    if let Some(path) = &args.kubeconfig {
        let mut entry = KubeconfigEntry::new(&args.context, &args.cluster, server.url());
        if let Some(ca) = &ca {
            entry = entry.ca(ca.ca_pem());
        }
        entry = entry.token(args.token.clone());
        if let Some(ns) = &args.namespace {
            entry = entry.namespace(ns.clone());
        }
        let mut entries = if args.add && path.exists() {
            standins::kube::read_kubeconfig_entries(path)
                .with_context(|| format!("cannot read `{}`", path.display()))?
        } else {
            Vec::new()
        };
        entries.retain(|e| e.context != args.context);
        entries.push(entry);
        let current = entries.first().map(|e| e.context.clone());
        write_kubeconfig(path, &entries, current.as_deref())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        tracing::info!(
            "kubeconfig `{}`: context `{}` (cluster `{}`)",
            path.display(),
            args.context,
            args.cluster
        );
    }

    standins::server::announce_and_serve(&server.url())
}
