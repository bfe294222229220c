//! The Segment batch API client: payload building, exact batch packing, local validation of what Segment would drop silently, credentials, sending with the retry policy.
