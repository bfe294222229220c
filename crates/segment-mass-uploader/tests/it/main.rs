//! The integration tests of `segment-mass-uploader`, one binary with a module per
//! concern (linking once instead of once per file).

mod credentials;
mod delivery;
mod streams;
mod suite;
