//! The integration tests of `kube`, one binary with a module per
//! concern (linking once instead of once per file).

mod standin;
