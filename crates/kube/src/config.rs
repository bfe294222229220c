//! Where the clusters are: a kubeconfig (a `KUBECONFIG`-style list of files,
//! merged with kubectl's rules) or, when there is none, the in-cluster
//! service account of the pod we run in. Authentication (tokens, client
//! certificates, exec plugins) and TLS with the cluster CA are kube's.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::{Config, KubeConfigOptions, Kubeconfig};

use crate::error::Error;

/// The staging member clusters whose contexts get-workspace-map reads when
/// no context is named (`docs/tools/get-workspace-map.md`).
pub const STAGING_MEMBER_CLUSTERS: [&str; 2] = [
    "api-stone-stg-m01-7ayg-p1-openshiftapps-com:6443",
    "api-stone-stg-rh01-l2vh-p1-openshiftapps-com:6443",
];

/// A context of the kubeconfig and the name of its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    pub name: String,
    pub cluster: String,
}

/// Where clients come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A (merged) kubeconfig.
    Kubeconfig {
        kubeconfig: Box<Kubeconfig>,
        paths: Vec<PathBuf>,
    },
    /// The pod's service account.
    InCluster,
}

/// Per-request limits of the clients built here.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Reading a response (a list page); a hung API server fails instead of
    /// stalling the job.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(60),
        }
    }
}

/// A client for one context, with what messages should call it.
#[derive(Clone)]
pub struct Cluster {
    /// The context name, or `in-cluster`.
    pub context: String,
    pub client: kube::Client,
    /// The context's namespace (or the service account's), else `default`.
    pub default_namespace: String,
}

impl Source {
    /// Loads the kubeconfig named by `paths` (a `KUBECONFIG`-style list,
    /// `:`-separated). Without one: `~/.kube/config` if it exists, else the
    /// in-cluster configuration when running in a pod.
    pub fn load(paths: Option<&OsStr>) -> Result<Source, Error> {
        let mut list: Vec<PathBuf> = paths
            .map(|p| {
                std::env::split_paths(p)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() {
            if let Some(home) = std::env::var_os("HOME") {
                let default = PathBuf::from(home).join(".kube").join("config");
                if default.is_file() {
                    list.push(default);
                }
            }
        }
        if list.is_empty() {
            return match Config::incluster() {
                Ok(_) => Ok(Source::InCluster),
                Err(e) => Err(Error::NoConfig(e)),
            };
        }
        let mut merged = Kubeconfig::default();
        for path in &list {
            let kc = Kubeconfig::read_from(path).map_err(|source| match source {
                // kube's message repeats the path; keep just the cause.
                kube::config::KubeconfigError::ReadConfig(io, _) => Error::ReadKubeconfig {
                    path: path.clone(),
                    source: io,
                },
                source => Error::Kubeconfig {
                    path: path.clone(),
                    source,
                },
            })?;
            merged = merged.merge(kc).map_err(|source| Error::Kubeconfig {
                path: path.clone(),
                source,
            })?;
        }
        Ok(Source::Kubeconfig {
            kubeconfig: Box::new(merged),
            paths: list,
        })
    }

    /// A kubeconfig given as text (tests, embedding).
    pub fn from_yaml(text: &str) -> Result<Source, Error> {
        let kc = Kubeconfig::from_yaml(text).map_err(|source| Error::Kubeconfig {
            path: PathBuf::from("<text>"),
            source,
        })?;
        Ok(Source::Kubeconfig {
            kubeconfig: Box::new(kc),
            paths: Vec::new(),
        })
    }

    /// The kubeconfig's contexts in file order (none in-cluster).
    pub fn contexts(&self) -> Vec<ContextInfo> {
        match self {
            Source::Kubeconfig { kubeconfig, .. } => kubeconfig
                .contexts
                .iter()
                .map(|c| ContextInfo {
                    name: c.name.clone(),
                    cluster: c
                        .context
                        .as_ref()
                        .map(|c| c.cluster.clone())
                        .unwrap_or_default(),
                })
                .collect(),
            Source::InCluster => Vec::new(),
        }
    }

    /// The kubeconfig's current context.
    pub fn current_context(&self) -> Option<&str> {
        match self {
            Source::Kubeconfig { kubeconfig, .. } => kubeconfig.current_context.as_deref(),
            Source::InCluster => None,
        }
    }

    /// Names of the contexts whose cluster is one of `clusters`, in
    /// kubeconfig order.
    pub fn contexts_on_clusters(&self, clusters: &[&str]) -> Vec<String> {
        self.contexts()
            .into_iter()
            .filter(|c| clusters.contains(&c.cluster.as_str()))
            .map(|c| c.name)
            .collect()
    }

    /// Checks that every named context exists (a usage error before any
    /// network traffic otherwise).
    pub fn check_contexts(&self, names: &[String]) -> Result<(), Error> {
        let known = self.contexts();
        for name in names {
            if matches!(self, Source::InCluster) {
                return Err(Error::ContextWithoutKubeconfig {
                    context: name.clone(),
                });
            }
            if !known.iter().any(|c| &c.name == name) {
                let list: Vec<String> = known.iter().map(|c| format!("`{}`", c.name)).collect();
                return Err(Error::UnknownContext {
                    context: name.clone(),
                    known: if list.is_empty() {
                        "none".to_owned()
                    } else {
                        list.join(", ")
                    },
                });
            }
        }
        Ok(())
    }

    /// A client for `context` (`None`: the current context, or in-cluster).
    /// Needs a tokio runtime. Retries are ours (the list helper's), so
    /// kube's own retry layer is off.
    pub async fn cluster(&self, context: Option<&str>, t: Timeouts) -> Result<Cluster, Error> {
        let label = context
            .or(self.current_context())
            .unwrap_or("in-cluster")
            .to_owned();
        let mut config = match self {
            Source::InCluster => {
                if let Some(c) = context {
                    return Err(Error::ContextWithoutKubeconfig {
                        context: c.to_owned(),
                    });
                }
                Config::incluster().map_err(Error::NoConfig)?
            }
            Source::Kubeconfig { kubeconfig, .. } => {
                if let Some(c) = context {
                    self.check_contexts(&[c.to_owned()])?;
                } else if kubeconfig.current_context.is_none() {
                    return Err(Error::NoContexts(
                        "the kubeconfig has no current-context; name one with --context".to_owned(),
                    ));
                }
                let opts = KubeConfigOptions {
                    context: context.map(str::to_owned),
                    ..KubeConfigOptions::default()
                };
                Config::from_custom_kubeconfig((**kubeconfig).clone(), &opts)
                    .await
                    .map_err(|source| match source {
                        // kube-rs parses NO_PROXY itself, more strictly than
                        // kubectl (an empty entry is an error there).
                        kube::config::KubeconfigError::ParseNoProxy(source) => Error::NoProxy {
                            context: label.clone(),
                            source,
                        },
                        source => Error::ContextConfig {
                            context: label.clone(),
                            source,
                        },
                    })?
            }
        };
        config.proxy_url = self.proxy(context, &config, &label)?;
        config.default_retry = false;
        config.connect_timeout = Some(t.connect);
        config.read_timeout = Some(t.read);
        let default_namespace = config.default_namespace.clone();
        let client = kube::Client::try_from(config).map_err(|source| Error::Client {
            context: label.clone(),
            source,
        })?;
        Ok(Cluster {
            context: label,
            client,
            default_namespace,
        })
    }
}

impl Source {
    /// The proxy for the cluster of `context` as kubectl picks it (see
    /// [`crate::proxy`]), replacing kube-rs's own choice.
    fn proxy<T: std::str::FromStr>(
        &self,
        context: Option<&str>,
        config: &Config,
        label: &str,
    ) -> Result<Option<T>, Error>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let uri = &config.cluster_url;
        let chosen = crate::proxy::choose(
            uri.scheme_str().unwrap_or("https"),
            uri.host().unwrap_or_default(),
            uri.port_u16(),
            self.cluster_proxy_url(context),
            &crate::proxy::ProcessEnv,
        );
        let Some(text) = chosen else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|e| Error::Proxy {
            context: label.to_owned(),
            url: segment_bridge_net::http::redact_url_text(&text),
            source: Box::new(e),
        })
    }

    /// The `proxy-url` of the cluster of `context` (default: the current
    /// context), if the kubeconfig sets one.
    fn cluster_proxy_url(&self, context: Option<&str>) -> Option<&str> {
        let Source::Kubeconfig { kubeconfig, .. } = self else {
            return None;
        };
        let name = context.or(kubeconfig.current_context.as_deref())?;
        let ctx = kubeconfig.contexts.iter().find(|c| c.name == name)?;
        let cluster_name = &ctx.context.as_ref()?.cluster;
        let cluster = kubeconfig
            .clusters
            .iter()
            .find(|c| &c.name == cluster_name)?;
        cluster.cluster.as_ref()?.proxy_url.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KC: &str = r#"
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: api-stone-stg-m01-7ayg-p1-openshiftapps-com:6443
  cluster: {server: "https://127.0.0.1:1"}
- name: other
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: u
  user: {token: t}
contexts:
- name: a
  context: {cluster: other, user: u}
- name: m01
  context: {cluster: "api-stone-stg-m01-7ayg-p1-openshiftapps-com:6443", user: u, namespace: ns1}
"#;

    #[test]
    fn contexts_and_staging_selection() {
        let s = Source::from_yaml(KC).unwrap();
        assert_eq!(s.current_context(), Some("a"));
        assert_eq!(s.contexts().len(), 2);
        assert_eq!(
            s.contexts_on_clusters(&STAGING_MEMBER_CLUSTERS),
            vec!["m01".to_owned()]
        );
        assert!(s.check_contexts(&["m01".into()]).is_ok());
        let e = s.check_contexts(&["nope".into()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "context `nope` is not in the kubeconfig (it has: `a`, `m01`)"
        );
    }

    #[tokio::test]
    async fn client_for_a_context_takes_its_namespace() {
        let s = Source::from_yaml(KC).unwrap();
        let c = s.cluster(Some("m01"), Timeouts::default()).await.unwrap();
        assert_eq!(
            (c.context.as_str(), c.default_namespace.as_str()),
            ("m01", "ns1")
        );
        let c = s.cluster(None, Timeouts::default()).await.unwrap();
        assert_eq!(
            (c.context.as_str(), c.default_namespace.as_str()),
            ("a", "default")
        );
    }
}
