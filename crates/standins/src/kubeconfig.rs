//! Kubeconfig files pointing at stand-in clusters, written and read with
//! kube's own [`Kubeconfig`] type (so what the tools read is what kube-rs
//! and kubectl read): one context per [`KubeconfigEntry`], each with its own
//! cluster (server, CA) and user (bearer token).

use std::path::Path;

use base64::Engine as _;
use kube::config::{AuthInfo, Context, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use secrecy::ExposeSecret as _;
use serde_json::Value;

/// One context of a kubeconfig written by [`write_kubeconfig`].
#[derive(Debug, Clone)]
pub struct KubeconfigEntry {
    pub context: String,
    /// The cluster name (get-workspace-map picks contexts by it).
    pub cluster: String,
    /// `https://127.0.0.1:PORT` (or `http://…`).
    pub server: String,
    /// PEM of the CA to trust (`certificate-authority-data`).
    pub ca_pem: Option<String>,
    /// Bearer token of the user of this context.
    pub token: Option<String>,
    /// The context's default namespace.
    pub namespace: Option<String>,
}

impl KubeconfigEntry {
    pub fn new(
        context: impl Into<String>,
        cluster: impl Into<String>,
        server: impl Into<String>,
    ) -> KubeconfigEntry {
        KubeconfigEntry {
            context: context.into(),
            cluster: cluster.into(),
            server: server.into(),
            ca_pem: None,
            token: None,
            namespace: None,
        }
    }

    #[must_use]
    pub fn ca(mut self, pem: impl Into<String>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    #[must_use]
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }

    fn user(&self) -> String {
        format!("{}-user", self.context)
    }

    fn named_cluster(&self) -> NamedCluster {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        NamedCluster {
            name: self.cluster.clone(),
            cluster: Some(kube::config::Cluster {
                server: Some(self.server.clone()),
                certificate_authority_data: self.ca_pem.as_deref().map(b64),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn named_user(&self) -> NamedAuthInfo {
        NamedAuthInfo {
            name: self.user(),
            auth_info: Some(AuthInfo {
                token: self.token.clone().map(Into::into),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn named_context(&self) -> NamedContext {
        NamedContext {
            name: self.context.clone(),
            context: Some(Context {
                cluster: self.cluster.clone(),
                user: Some(self.user()),
                namespace: self.namespace.clone(),
                ..Default::default()
            }),
            other: Default::default(),
        }
    }
}

/// The kubeconfig for `entries`, with `current` as current-context
/// (default: the first).
pub fn document(entries: &[KubeconfigEntry], current: Option<&str>) -> Kubeconfig {
    Kubeconfig {
        preferences: Some(Default::default()),
        clusters: entries.iter().map(KubeconfigEntry::named_cluster).collect(),
        auth_infos: entries.iter().map(KubeconfigEntry::named_user).collect(),
        contexts: entries.iter().map(KubeconfigEntry::named_context).collect(),
        current_context: current
            .map(str::to_owned)
            .or_else(|| entries.first().map(|e| e.context.clone())),
        kind: Some("Config".into()),
        api_version: Some("v1".into()),
        ..Default::default()
    }
}

/// [`document`] as JSON (which kubectl and kube-rs read as YAML).
pub fn kubeconfig(entries: &[KubeconfigEntry], current: Option<&str>) -> Value {
    serde_json::to_value(document(entries, current)).unwrap_or(Value::Null)
}

/// Writes [`kubeconfig`] to `path`.
pub fn write_kubeconfig(
    path: impl AsRef<Path>,
    entries: &[KubeconfigEntry],
    current: Option<&str>,
) -> std::io::Result<()> {
    let text =
        serde_json::to_string_pretty(&document(entries, current)).map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// The entries of a kubeconfig (such as one [`write_kubeconfig`] wrote), so
/// that several stand-ins can share one kubeconfig.
pub fn read_kubeconfig_entries(path: impl AsRef<Path>) -> std::io::Result<Vec<KubeconfigEntry>> {
    let doc = Kubeconfig::read_from(path).map_err(std::io::Error::other)?;
    let b64 = |s: &String| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    let entries = doc.contexts.iter().filter_map(|c| {
        let ctx = c.context.as_ref()?;
        let cluster = doc.clusters.iter().find(|x| x.name == ctx.cluster);
        let cluster = cluster.and_then(|x| x.cluster.as_ref());
        let user = doc
            .auth_infos
            .iter()
            .find(|u| Some(&u.name) == ctx.user.as_ref())
            .and_then(|u| u.auth_info.as_ref());
        Some(KubeconfigEntry {
            context: c.name.clone(),
            cluster: ctx.cluster.clone(),
            server: cluster.and_then(|x| x.server.clone()).unwrap_or_default(),
            ca_pem: cluster
                .and_then(|x| x.certificate_authority_data.as_ref())
                .and_then(b64),
            token: user
                .and_then(|u| u.token.as_ref())
                .map(|t| t.expose_secret().to_owned()),
            namespace: ctx.namespace.clone(),
        })
    });
    Ok(entries.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_round_trip() {
        let dir = std::env::temp_dir().join(format!("kube-standin-rt-{}", std::process::id()));
        let e = vec![
            KubeconfigEntry::new("a", "ca", "https://127.0.0.1:1")
                .ca("PEM")
                .token("t")
                .namespace("ns"),
            KubeconfigEntry::new("b", "cb", "http://127.0.0.1:2"),
        ];
        write_kubeconfig(&dir, &e, Some("b")).unwrap();
        let back = read_kubeconfig_entries(&dir).unwrap();
        let doc = kubeconfig(&e, Some("b"));
        let _ = std::fs::remove_file(&dir);
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].ca_pem.as_deref(), Some("PEM"));
        assert_eq!(back[0].token.as_deref(), Some("t"));
        assert_eq!(back[0].namespace.as_deref(), Some("ns"));
        assert_eq!(
            (back[1].cluster.as_str(), back[1].server.as_str()),
            ("cb", "http://127.0.0.1:2")
        );
        assert_eq!(back[1].ca_pem, None);
        assert_eq!(back[1].token, None);
        assert_eq!(doc["current-context"], "b");
        assert_eq!(doc["users"][0]["user"]["token"], "t");
        assert_eq!(
            doc["clusters"][0]["cluster"]["certificate-authority-data"],
            "UEVN"
        );
    }
}
