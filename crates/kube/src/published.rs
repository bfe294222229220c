//! A map of any size published in ConfigMaps, read back whole
//! (docs/tools/get-uid-map.md, "Publishing in ConfigMaps").
//!
//! A ConfigMap holds at most 1 MiB and a request body at most 3 MiB
//! (docs/apis/kubernetes.md), while a uid map of a million users is 21-26 MB.
//! So the map is gzip-compressed (a map of names and numbers shrinks 1.7
//! to 5 times) and the compressed bytes are cut into shards of
//! [`SHARD_BYTES`], each the `binaryData` of its own ConfigMap named after
//! the map and a *generation*: `uid-map-g7-0`, `uid-map-g7-1`, … Then one
//! small ConfigMap under the map's own name, the pointer, is switched to the
//! new generation by one write of its [`Manifest`]: which shards, in which
//! order, how many bytes. A write of one object is atomic, and the shards
//! of a generation are never changed once the pointer names them, so a
//! reader that follows the pointer sees one whole generation or the next,
//! never a mix.
//!
//! Why not several ConfigMaps mounted through a projected volume: the
//! kubelet reads each source on its own and refreshes them at different
//! times, so a pod could start with shards of two generations, and a pod
//! spec can only name shards it knows in advance. Reading through the API
//! lets the reader check what it got and start again.
//!
//! The writer deletes shards of generations older than the one before the
//! current (the previous one stays, so that a reader that has just read
//! the pointer can still finish). A reader that finds a shard gone or of
//! another generation re-reads the pointer and starts again, a few times;
//! gzip's CRC and length check what was reassembled. A pointer that still
//! holds the map itself under its key (what earlier versions wrote) is
//! read as it is.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::ByteString;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams};
use serde::{Deserialize, Serialize};

use crate::configmap::FIELD_MANAGER;
use crate::error::{ApiError, Error};
pub use crate::format::{Corrupt, MANIFEST_KEY, SHARD_KEY};

/// Compressed bytes per shard: with the key, under the 1 MiB ConfigMap
/// limit, and base64-encoded (4/3) in a JSON body, under the 3 MiB
/// request limit.
pub const SHARD_BYTES: usize = 1_000_000;
/// Shards a generation may have. Two generations are kept, so this bounds
/// what the maps take in etcd (2 × 32 MB each).
pub const MAX_SHARDS: usize = 32;
/// The ceiling of a published map, compressed.
pub const MAX_COMPRESSED_BYTES: usize = SHARD_BYTES * MAX_SHARDS;
/// Label of every shard: the pointer's name.
pub const MAP_LABEL: &str = "segment-bridge.io/map";
/// Label of every shard: its generation.
pub const GENERATION_LABEL: &str = "segment-bridge.io/generation";
/// How often a reader starts again when the map changes under it.
const READ_ATTEMPTS: u32 = 5;

/// What the pointer ConfigMap says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub generation: u64,
    /// The map's file name (the original's ConfigMap key).
    pub key: String,
    /// `gzip`.
    pub encoding: String,
    /// The map's size, uncompressed.
    pub bytes: u64,
    /// Its size compressed (all shards).
    pub compressed_bytes: u64,
    /// Shard ConfigMaps, in order.
    pub shards: Vec<String>,
}

/// A map ready to be published: compressed, and cut into shards.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub key: String,
    pub bytes: u64,
    pub compressed: Vec<u8>,
}

impl Prepared {
    /// Compresses `text`; fails when it would need more than
    /// [`MAX_SHARDS`] shards.
    pub fn new(namespace: &str, name: &str, key: &str, text: &str) -> Result<Prepared, Error> {
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(text.len() / 4),
            flate2::Compression::default(),
        );
        gz.write_all(text.as_bytes())
            .and_then(|()| gz.try_finish())
            .map_err(Error::Compress)?;
        let compressed = gz.finish().map_err(Error::Compress)?;
        check_ceiling(namespace, name, text.len(), compressed.len())?;
        Ok(Prepared {
            key: key.to_owned(),
            bytes: text.len() as u64,
            compressed,
        })
    }

    /// How many shards it takes.
    pub fn shards(&self) -> usize {
        self.compressed.len().div_ceil(SHARD_BYTES).max(1)
    }

    /// The share of the ceiling it uses (0 to 1).
    #[allow(clippy::cast_precision_loss)]
    pub fn ceiling_ratio(&self) -> f64 {
        self.compressed.len() as f64 / MAX_COMPRESSED_BYTES as f64
    }
}

/// Fails when `compressed` bytes are past [`MAX_COMPRESSED_BYTES`].
fn check_ceiling(
    namespace: &str,
    name: &str,
    bytes: usize,
    compressed: usize,
) -> Result<(), Error> {
    if compressed > MAX_COMPRESSED_BYTES {
        return Err(Error::OverCeiling {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            bytes,
            compressed,
            ceiling: MAX_COMPRESSED_BYTES,
        });
    }
    Ok(())
}

/// What [`publish`] wrote.
#[derive(Debug, Clone)]
pub struct Published {
    pub generation: u64,
    pub shards: usize,
    pub compressed_bytes: usize,
    /// Shards of old generations deleted.
    pub deleted: usize,
}

/// The name of shard `i` of generation `generation` of map `name`.
pub fn shard_name(name: &str, generation: u64, i: usize) -> String {
    format!("{name}-g{generation}-{i}")
}

fn labels(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .chain([(
            "app.kubernetes.io/managed-by".to_owned(),
            FIELD_MANAGER.to_owned(),
        )])
        .collect()
}

/// The manifest a pointer holds, if it holds one.
fn manifest_of(cm: &ConfigMap) -> Option<Result<Manifest, serde_json::Error>> {
    let text = cm.data.as_ref()?.get(MANIFEST_KEY)?;
    Some(serde_json::from_str(text))
}

/// Publishes `map` as ConfigMap `namespace/name`: the shards of a new
/// generation first, then the pointer (with the pointer's resourceVersion
/// as read, so that two publishers at once can't both flip it), then the
/// shards of generations before the previous one are deleted.
pub async fn publish(
    client: kube::Client,
    namespace: &str,
    name: &str,
    map: &Prepared,
) -> Result<Published, Error> {
    let api: Api<ConfigMap> = Api::namespaced(client, namespace);
    let fail = |name: &str| {
        let name = name.to_owned();
        move |e: kube::Error| Error::Publish {
            namespace: namespace.to_owned(),
            name,
            source: ApiError::from(e),
        }
    };
    let pointer = api.get_opt(name).await.map_err(fail(name))?;
    let previous = match pointer.as_ref().and_then(manifest_of) {
        Some(Ok(m)) => m.generation,
        // No pointer yet, one of an earlier version (the map inline), or
        // one we can't read: start after any generation a shard is left of.
        _ => 0,
    };
    let generation = previous + 1;
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut shards = Vec::with_capacity(map.shards());
    for (i, part) in map.compressed.chunks(SHARD_BYTES).enumerate() {
        let shard = shard_name(name, generation, i);
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(shard.clone()),
                labels: Some(labels(&[
                    (MAP_LABEL, name.to_owned()),
                    (GENERATION_LABEL, generation.to_string()),
                ])),
                ..ObjectMeta::default()
            },
            binary_data: Some(BTreeMap::from([(
                SHARD_KEY.to_owned(),
                ByteString(part.to_vec()),
            )])),
            ..ConfigMap::default()
        };
        api.patch(&shard, &params, &Patch::Apply(&typed(cm)))
            .await
            .map_err(fail(&shard))?;
        shards.push(shard);
    }
    let manifest = Manifest {
        generation,
        key: map.key.clone(),
        encoding: "gzip".to_owned(),
        bytes: map.bytes,
        compressed_bytes: map.compressed.len() as u64,
        shards,
    };
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels(&[])),
            // The flip is conditional on the pointer being as it was read.
            resource_version: pointer.and_then(|p| p.metadata.resource_version),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            MANIFEST_KEY.to_owned(),
            serde_json::to_string(&manifest).unwrap_or_default(),
        )])),
        ..ConfigMap::default()
    };
    api.patch(name, &params, &Patch::Apply(&typed(cm)))
        .await
        .map_err(fail(name))?;
    let deleted = delete_old(&api, name, generation).await;
    Ok(Published {
        generation,
        shards: manifest.shards.len(),
        compressed_bytes: map.compressed.len(),
        deleted,
    })
}

/// A ConfigMap with its apiVersion and kind, as apply needs.
fn typed(cm: ConfigMap) -> serde_json::Value {
    let mut v = serde_json::to_value(cm).unwrap_or_default();
    v["apiVersion"] = "v1".into();
    v["kind"] = "ConfigMap".into();
    v
}

/// Deletes the shards of `name` older than the generation before
/// `current`. A failure is only logged: the map is published, and the next
/// run deletes what is left.
async fn delete_old(api: &Api<ConfigMap>, name: &str, current: u64) -> usize {
    let lp = ListParams::default().labels(&format!("{MAP_LABEL}={name}"));
    let list = match api.list(&lp).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(
                "cannot list the old shards of ConfigMap `{name}`: {}",
                ApiError::from(e)
            );
            return 0;
        }
    };
    let mut deleted = 0;
    for cm in list.items {
        let generation = cm
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(GENERATION_LABEL))
            .and_then(|g| g.parse::<u64>().ok());
        let Some(shard) = cm.metadata.name else {
            continue;
        };
        if generation.is_some_and(|g| g + 1 >= current) {
            continue;
        }
        match api.delete(&shard, &DeleteParams::default()).await {
            Ok(_) => deleted += 1,
            Err(e) => tracing::warn!("cannot delete old shard `{shard}`: {}", ApiError::from(e)),
        }
    }
    deleted
}

/// The gauge a map maker pushes beside `segment_bridge_map_entries` when it
/// publishes to ConfigMaps: the share of [`MAX_COMPRESSED_BYTES`] the map
/// uses. The alert `SegmentBridgeMapNearCeiling` watches it.
pub const CEILING_RATIO_METRIC: &str = "segment_bridge_map_ceiling_ratio";

/// Pushes a successful map run (as
/// `segment_bridge_net::push::push_map_success_if_configured` does)
/// with the share of the ceiling the published map uses.
pub fn push_success_if_configured(map: &str, entries: u64, ratio: f64) -> bool {
    use segment_bridge_core::metrics;
    let mut gauges = metrics::map_gauges(entries, std::time::SystemTime::now());
    gauges.push(metrics::Gauge::new(
        CEILING_RATIO_METRIC,
        "Share of the ceiling of a map published in ConfigMaps that the last published map uses (compressed bytes).",
        ratio,
    ));
    segment_bridge_net::push::push_gauges_if_configured(
        &[("stage", metrics::MAP_STAGE), ("map", map)],
        &gauges,
    )
}

/// Reads the map published as ConfigMap `namespace/name` (`key`: the key
/// an earlier version kept the map under, inline).
pub async fn read(
    client: kube::Client,
    namespace: &str,
    name: &str,
    key: &str,
) -> Result<String, Error> {
    let api: Api<ConfigMap> = Api::namespaced(client, namespace);
    let read_err = |name: &str| {
        let name = name.to_owned();
        move |e: kube::Error| Error::ReadPublished {
            namespace: namespace.to_owned(),
            name,
            source: ApiError::from(e),
        }
    };
    let corrupt = |problem| Error::CorruptPublished {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        problem,
    };
    let mut changed = 0;
    loop {
        let Some(pointer) = api.get_opt(name).await.map_err(read_err(name))? else {
            return Err(Error::NotPublished {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            });
        };
        let manifest = match manifest_of(&pointer) {
            Some(Ok(m)) => m,
            Some(Err(e)) => return Err(corrupt(Corrupt::Manifest(e.to_string()))),
            None => {
                return match pointer.data.and_then(|mut d| d.remove(key)) {
                    Some(inline) => Ok(inline),
                    None => Err(corrupt(Corrupt::Empty(key.to_owned()))),
                }
            }
        };
        if manifest.encoding != "gzip" {
            return Err(corrupt(Corrupt::Encoding(manifest.encoding)));
        }
        match read_shards(&api, &manifest).await.map_err(read_err(name))? {
            Some(compressed) => {
                let mut text = String::with_capacity(manifest.bytes as usize);
                flate2::read::GzDecoder::new(&compressed[..])
                    .read_to_string(&mut text)
                    .map_err(|e| corrupt(Corrupt::Decompress(e.to_string())))?;
                if text.len() as u64 != manifest.bytes {
                    return Err(corrupt(Corrupt::Size {
                        got: text.len() as u64,
                        want: manifest.bytes,
                    }));
                }
                return Ok(text);
            }
            None => {
                // A shard is gone or of another generation: the map moved on
                // while it was read. Start again from the pointer.
                changed += 1;
                tracing::debug!(
                    "ConfigMap `{namespace}/{name}`: generation {} changed while it was read; reading again",
                    manifest.generation
                );
                if changed >= READ_ATTEMPTS {
                    return Err(Error::Unsettled {
                        namespace: namespace.to_owned(),
                        name: name.to_owned(),
                        attempts: changed,
                    });
                }
            }
        }
    }
}

/// The compressed map of `manifest`'s generation, or `None` when a shard
/// is missing or belongs to another generation.
async fn read_shards(
    api: &Api<ConfigMap>,
    manifest: &Manifest,
) -> Result<Option<Vec<u8>>, kube::Error> {
    let mut compressed = Vec::with_capacity(manifest.compressed_bytes as usize);
    let generation = manifest.generation.to_string();
    for shard in &manifest.shards {
        let Some(cm) = api.get_opt(shard).await? else {
            return Ok(None);
        };
        let of = cm
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(GENERATION_LABEL));
        if of != Some(&generation) {
            return Ok(None);
        }
        match cm.binary_data.and_then(|mut d| d.remove(SHARD_KEY)) {
            Some(part) => compressed.extend_from_slice(&part.0),
            None => return Ok(None),
        }
    }
    Ok(Some(compressed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_user_map_fits_and_the_ceiling_is_enforced() {
        let text: String = (0..200_000)
            .map(|i| format!("\"user{i:07}-rh\":{},", 51_000_000 + i * 7))
            .collect();
        let map = Prepared::new("ns", "uid-map", "uid-map.json", &text).unwrap();
        assert!(
            map.compressed.len() * 3 < text.len(),
            "{}",
            map.compressed.len()
        );
        assert_eq!(map.shards(), map.compressed.len().div_ceil(SHARD_BYTES));
        // Past the ceiling (compressed), refused.
        assert!(check_ceiling("ns", "uid-map", 90_000_000, MAX_COMPRESSED_BYTES).is_ok());
        let e = check_ceiling("ns", "uid-map", 90_000_000, MAX_COMPRESSED_BYTES + 1).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "the map is 90000000 bytes, 32000001 compressed, over the ceiling of 32000000"
            ),
            "{e}"
        );
        assert!(
            e.to_string().contains("ConfigMap `ns/uid-map` not written"),
            "{e}"
        );
    }
}
