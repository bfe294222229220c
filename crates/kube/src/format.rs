//! The form of a map published in ConfigMaps (crates/kube/src/published.rs):
//! the data keys of the pointer and the shards, and what a reader can find
//! wrong in them. Apart from `published` so that the error type can carry
//! [`Corrupt`] without the two modules depending on each other.

/// Pointer key holding the manifest (`crate::published::Manifest`).
pub const MANIFEST_KEY: &str = "manifest.json";
/// Shard key holding its part of the compressed map.
pub const SHARD_KEY: &str = "part.gz";

/// What a reader found wrong in a published map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Corrupt {
    #[error("it holds neither `{MANIFEST_KEY}` nor `{0}`")]
    Empty(String),
    #[error("its `{MANIFEST_KEY}` can't be read: {0}")]
    Manifest(String),
    #[error("encoding `{0}` is not gzip")]
    Encoding(String),
    #[error("shard `{0}` has no `{SHARD_KEY}`")]
    Shard(String),
    #[error("the shards don't decompress: {0}")]
    Decompress(String),
    #[error("the map is {got} bytes, the manifest says {want}")]
    Size { got: u64, want: u64 },
}
