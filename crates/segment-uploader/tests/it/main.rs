//! The integration tests of `segment-uploader`, one binary with a module per
//! concern (linking once instead of once per file).

mod streams;
mod suite;
mod tls;
mod upload;
