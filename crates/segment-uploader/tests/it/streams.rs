//! segment-uploader reads a JSON text stream, as the original's jq did.

#[test]
fn pretty_printed_and_packed_events_are_sent_as_json_lines_are() {
    testkit::segment::assert_streams_are_sent_as_lines("segment-uploader");
}

#[test]
fn the_shared_options_are_checked_before_anything_is_sent() {
    testkit::segment::assert_upload_options_are_checked_first("segment-uploader");
}
