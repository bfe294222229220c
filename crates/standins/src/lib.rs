//! Local stand-ins of the services segment-bridge talks to.
//!
//! Each is a real HTTP server on 127.0.0.1 (port 0 by default) that behaves as
//! `API-FACTS.md` describes, including the failures, and records what it
//! received so that tests assert on what actually went over the wire. They
//! run in-process (tests) or as binaries (the demo, manual poking).

pub mod server;

pub mod kube;
pub mod segment;
pub mod splunk;
pub mod splunk_time;
