//! The Splunk client: search export streaming and the KV store.
