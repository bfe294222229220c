//! segment-uploader reads a JSON text stream, as the original's jq did.

#[test]
fn pretty_printed_and_packed_events_are_sent_as_json_lines_are() {
    testkit::segment::assert_streams_are_sent_as_lines("segment-uploader");
}
