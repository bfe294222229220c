//! The original's output for any index is the default-index fixture with the
//! index swapped: checked for generated index names through the library.

use proptest::prelude::*;

const DEFAULT_NUL: &str = testkit::querygen::DEFAULT_NUL;
const DEFAULT_PRETTY: &str = testkit::querygen::DEFAULT_PRETTY;
const DEFAULT_INDEX: &str = "federated:rh_rhtap_stage_audit";

proptest! {
    #[test]
    fn any_valid_index_gives_the_fixture_with_that_index(
        index in "[a-zA-Z0-9_:*.-]{1,40}"
    ) {
        let opts = querygen::Options { index: index.clone(), ..querygen::Options::default() };
        prop_assert!(opts.validate().is_ok());
        let qs = querygen::queries(&opts);
        let quoted = format!("index=\"{index}\"");
        let default_quoted = format!("index=\"{DEFAULT_INDEX}\"");
        prop_assert_eq!(
            querygen::render_nul(&qs),
            DEFAULT_NUL.replace(&default_quoted, &quoted)
        );
        prop_assert_eq!(
            querygen::render_pretty(&qs),
            DEFAULT_PRETTY.replace(&default_quoted, &quoted)
        );
    }
}
