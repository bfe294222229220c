//! Segment batch API stand-in.
