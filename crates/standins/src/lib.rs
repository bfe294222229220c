//! Local stand-ins of the services segment-bridge talks to.
//!
//! Each is a real HTTP server on 127.0.0.1 (port 0 by default) that behaves as
//! `docs/apis/` describes, including the failures, and records what it
//! received so that tests assert on what actually went over the wire. They
//! run in-process (tests) or as binaries (the demo, manual poking).
//!
//! What they share lives once: the server lifecycle ([`server`]: `spawn`,
//! plain or HTTPS, stopped on drop), TLS from a generated CA ([`tls`]),
//! kubeconfig files ([`kubeconfig`]), the fault vocabulary ([`faults`]:
//! always, first N, every K-th, a seeded random share) and the recorded
//! request ([`recording`]).

pub mod faults;
pub mod kubeconfig;
pub mod recording;
pub mod server;
pub mod tls;

pub mod kube;
pub mod loki;
pub mod loki_query;
pub mod proxy;
pub mod segment;
pub mod splunk;
pub mod splunk_lookup;
pub mod splunk_time;
