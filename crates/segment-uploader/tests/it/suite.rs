//! JSONTestSuite through segment-uploader, and jq's rules for what strict JSON
//! leaves open, as the Segment stand-in receives them (testkit::segment).

#[test]
fn the_suite_alone_and_between_two_events() {
    testkit::segment::assert_the_suite_is_read_right("segment-uploader");
}

#[test]
fn invalid_utf8_duplicate_keys_and_huge_numbers_reach_segment_as_jq_writes_them() {
    testkit::segment::assert_jq_rules_reach_segment("segment-uploader");
}
