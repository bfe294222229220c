//! Integration tests of the Segment client: against the Segment stand-in,
//! and curl as the reference for URLs.

mod segment_client;
mod urls_curl;
