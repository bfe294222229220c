//! Kubernetes stand-in clusters for the map makers' and bridge-window's
//! tests: HTTPS with their own CA and a bearer token, as a real cluster.

use std::path::{Path, PathBuf};

use standins::kube::{write_kubeconfig, KubeStandin, KubeconfigEntry, TlsCluster};

/// A cluster serving the objects of the JSON file `objects` (a List, an
/// array, one object or JSON lines), requiring `token`.
pub fn cluster(objects: impl AsRef<Path>, token: &str) -> TlsCluster {
    let s = KubeStandin::new();
    let path = objects.as_ref();
    s.load_file(path)
        .unwrap_or_else(|e| panic!("cannot load `{}`: {e}", path.display()));
    TlsCluster::start(s, token).expect("cannot start the Kubernetes stand-in")
}

/// Writes a kubeconfig of `entries` (the first is the current context) to
/// `dir/file` and returns its path.
pub fn kubeconfig(dir: &Path, file: &str, entries: &[KubeconfigEntry]) -> PathBuf {
    let p = dir.join(file);
    write_kubeconfig(&p, entries, None).expect("cannot write the kubeconfig");
    p
}
