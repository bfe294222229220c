//! Integration tests of the Splunk client, one binary: against the
//! stand-in, and curl as the reference for netrc and proxies.

mod netrc_curl;
mod proxy_curl;
mod splunk_client;
mod splunk_kvstore;
