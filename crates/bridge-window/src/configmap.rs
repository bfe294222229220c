//! The watermark in a ConfigMap (`--state-configmap`), for the CronJob: a
//! pod has no disk that outlives it, and a ConfigMap needs no volume and no
//! PersistentVolumeClaim. Read with a GET (absent: no watermark yet), and
//! changed by read-modify-write of the one key `state.json` (other keys
//! and labels kept), through the cluster access of `segment-bridge-kube`
//! (in a pod: its service account, which the Role in
//! `deploy/base/rbac.yaml` lets touch only this ConfigMap).
//!
//! Two runs may commit at once (a manual backfill Job beside the CronJob).
//! A blind write would let the later one overwrite the other's ledger
//! entries, or move the watermark back. So the write is conditional: a
//! replace carrying the `resourceVersion` that was read (a create when
//! there was nothing), which the API server refuses with 409 Conflict if
//! the ConfigMap changed in between. On a conflict the state is read again
//! and the change is made again on what the other run wrote
//! ([`ConfigMapStore::update`]): the watermark is the larger of the two, the
//! ledger the union of both runs' entries (docs/delivery.md).

use std::ffi::OsStr;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ObjectMeta, PostParams};
use kube::Api;
use segment_bridge_kube::{configmap, ApiError, Source, Timeouts};

use crate::state::State;
use crate::Error;

/// The ConfigMap key holding [`State::to_json`].
pub const KEY: &str = "state.json";

/// How often a commit is redone on a fresh read after a conflict before it
/// gives up (each retry means another run committed meanwhile).
const CONFLICT_RETRIES: u32 = 10;

/// A watermark ConfigMap on the cluster of the kubeconfig (or in-cluster).
pub struct ConfigMapStore {
    rt: tokio::runtime::Runtime,
    api: Api<ConfigMap>,
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
        self.read().map(|(state, _)| state)
    }

    /// The stored state and the ConfigMap it came from.
    fn read(&self) -> Result<(Option<State>, Option<ConfigMap>), Error> {
        let cm = self
            .rt
            .block_on(self.api.get_opt(&self.name))
            .map_err(|e| Error::ReadKube {
                store: self.describe(),
                source: ApiError::from(e),
            })?;
        let text = cm.as_ref().and_then(|cm| cm.data.as_ref()?.get(KEY));
        let state = match text {
            Some(t) => Some(State::from_json(
                t,
                &format!("{} key `{KEY}`", self.describe()),
            )?),
            None => None,
        };
        Ok((state, cm))
    }

    /// Changes the stored state with `change` (given what is stored, it
    /// returns the new state), writing only if the ConfigMap is still as
    /// read; on a conflict, reads again and redoes `change`. Returns the
    /// state `change` last started from and what it made of it.
    pub fn update(&self, mut change: impl FnMut(&State) -> State) -> Result<(State, State), Error> {
        let mut conflicts = 0;
        loop {
            let (old, cm) = self.read()?;
            let old = old.unwrap_or_default();
            let new = change(&old);
            if new == old {
                return Ok((old, new));
            }
            configmap::check_size(&self.namespace, &self.name, KEY, &new.to_json())?;
            match self.write(&new, cm) {
                Ok(()) => return Ok((old, new)),
                Err(e) if e.code() == Some(409) && conflicts < CONFLICT_RETRIES => {
                    conflicts += 1;
                    tracing::info!(
                        "{} changed since it was read (another run committed): reading it again",
                        self.describe()
                    );
                }
                Err(source) => {
                    return Err(Error::Kube(segment_bridge_kube::Error::Publish {
                        namespace: self.namespace.clone(),
                        name: self.name.clone(),
                        source,
                    }))
                }
            }
        }
    }

    /// Writes `state` into `cm` as read (a replace conditional on its
    /// resourceVersion), or creates the ConfigMap when there was none.
    fn write(&self, state: &State, cm: Option<ConfigMap>) -> Result<(), ApiError> {
        let text = state.to_json();
        let pp = PostParams {
            field_manager: Some(configmap::FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        let fresh = cm.is_none();
        let mut cm = cm.unwrap_or_else(|| ConfigMap {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                labels: Some(
                    [(
                        "app.kubernetes.io/managed-by".to_owned(),
                        configmap::FIELD_MANAGER.to_owned(),
                    )]
                    .into(),
                ),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        });
        cm.metadata.managed_fields = None;
        cm.data
            .get_or_insert_with(Default::default)
            .insert(KEY.to_owned(), text);
        let r = if fresh {
            self.rt.block_on(self.api.create(&pp, &cm))
        } else {
            self.rt.block_on(self.api.replace(&self.name, &pp, &cm))
        };
        r.map(drop).map_err(ApiError::from)
    }
}
