//! The watermark in a ConfigMap (`--state-configmap`), for the CronJob: a
//! pod has no disk that outlives it, and a ConfigMap needs no volume and no
//! PersistentVolumeClaim. Read with a GET (absent: no watermark yet), written
//! by server-side apply of the one key `state.json`, through the cluster
//! access of `segment-bridge-kube` (in a pod: its service account, which the
//! Role in `deploy/base/rbac.yaml` lets touch only this ConfigMap).

use std::ffi::OsStr;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use segment_bridge_kube::{configmap, ApiError, Source, Timeouts};

use crate::state::State;
use crate::Error;

/// The ConfigMap key holding [`State::to_json`].
pub const KEY: &str = "state.json";

/// A watermark ConfigMap on the cluster of the kubeconfig (or in-cluster).
pub struct ConfigMapStore {
    rt: tokio::runtime::Runtime,
    api: Api<ConfigMap>,
    client: kube::Client,
    pub namespace: String,
    pub name: String,
}

impl ConfigMapStore {
    /// Sets up the client for ConfigMap `name` in `namespace` (default: the
    /// kubeconfig context's namespace, in a pod the pod's own).
    pub fn connect(
        name: &str,
        namespace: Option<&str>,
        kubeconfig: Option<&OsStr>,
    ) -> Result<ConfigMapStore, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Kube(segment_bridge_kube::Error::Runtime(e)))?;
        let source = Source::load(kubeconfig.filter(|p| !p.is_empty()))?;
        let cluster = rt.block_on(source.cluster(None, Timeouts::default()))?;
        let namespace = namespace
            .filter(|n| !n.is_empty())
            .map_or_else(|| cluster.default_namespace.clone(), str::to_owned);
        let api = Api::namespaced(cluster.client.clone(), &namespace);
        Ok(ConfigMapStore {
            rt,
            api,
            client: cluster.client,
            namespace,
            name: name.to_owned(),
        })
    }

    /// `ConfigMap ns/name`, for messages.
    pub fn describe(&self) -> String {
        format!("ConfigMap `{}/{}`", self.namespace, self.name)
    }

    /// The stored state; `None` when the ConfigMap or its key is absent.
    pub fn load(&self) -> Result<Option<State>, Error> {
        let cm = self
            .rt
            .block_on(self.api.get_opt(&self.name))
            .map_err(|e| Error::ReadKube {
                store: self.describe(),
                source: ApiError::from(e),
            })?;
        let text = cm.and_then(|cm| cm.data).and_then(|mut d| d.remove(KEY));
        match text {
            Some(t) => State::from_json(&t, &format!("{} key `{KEY}`", self.describe())).map(Some),
            None => Ok(None),
        }
    }

    /// Replaces the stored state (server-side apply: creates the ConfigMap
    /// if needed, changes only our key).
    pub fn save(&self, state: &State) -> Result<(), Error> {
        self.rt
            .block_on(configmap::apply(
                self.client.clone(),
                &self.namespace,
                &self.name,
                KEY,
                &state.to_json(),
            ))
            .map(|_| ())
            .map_err(Error::Kube)
    }
}
