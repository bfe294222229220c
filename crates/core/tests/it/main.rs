//! Integration tests of the core crate, one binary: the Splunk client
//! against the stand-in, and curl as the reference for netrc, URLs and
//! proxies.

mod netrc_curl;
mod proxy_curl;
mod recorder;
mod segment_client;
mod splunk_client;
mod splunk_kvstore;
mod suite;
mod urls_curl;
