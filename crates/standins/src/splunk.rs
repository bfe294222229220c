//! Splunk export and KV store stand-in.
