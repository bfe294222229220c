//! Building Splunk requests: URLs and form bodies, nothing sent. Kept pure so
//! that what goes over the wire is unit-tested without a server.

use reqwest::Url;

/// Which search to run over which time window (`docs/tools/fetch-uj-records.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// The SPL text; must start with `search` or `|` (Splunk answers 400
    /// otherwise).
    pub query: String,
    pub earliest_time: String,
    pub latest_time: String,
}

/// `{base}/servicesNS/{user}/{app}/search/v2/jobs/export`.
pub fn export_url(base: &Url, user: &str, app: &str) -> Url {
    with_segments(
        base,
        &["servicesNS", user, app, "search", "v2", "jobs", "export"],
    )
}

/// The form body of an export request, in the order the original script
/// sent it.
pub fn export_form(search: &Search) -> Vec<(&'static str, &str)> {
    vec![
        ("output_mode", "json"),
        ("earliest_time", &search.earliest_time),
        ("latest_time", &search.latest_time),
        ("search", &search.query),
    ]
}

/// `{base}/servicesNS/nobody/{app}/storage/collections/data/{collection}`:
/// `DELETE` on it removes every document of the collection.
pub fn kv_collection_url(base: &Url, app: &str, collection: &str) -> Url {
    with_segments(
        base,
        &[
            "servicesNS",
            "nobody",
            app,
            "storage",
            "collections",
            "data",
            collection,
        ],
    )
}

/// `…/storage/collections/data/{collection}/batch_save`: `POST` a JSON
/// array to upsert its documents by `_key`.
pub fn kv_batch_save_url(base: &Url, app: &str, collection: &str) -> Url {
    let mut u = kv_collection_url(base, app, collection);
    if let Ok(mut segs) = u.path_segments_mut() {
        segs.push("batch_save");
    }
    u
}

/// Appends path segments (each percent-encoded as one segment) to `base`,
/// keeping any path prefix `base` has (a Splunk behind a proxy path).
fn with_segments(base: &Url, segments: &[&str]) -> Url {
    let mut u = base.clone();
    u.set_query(None);
    u.set_fragment(None);
    if let Ok(mut segs) = u.path_segments_mut() {
        segs.pop_if_empty();
        segs.extend(segments);
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn export_url_keeps_prefix_and_port() {
        assert_eq!(
            export_url(&base("https://splunk:8089"), "nobody", "rh_rhtap").as_str(),
            "https://splunk:8089/servicesNS/nobody/rh_rhtap/search/v2/jobs/export"
        );
        assert_eq!(
            export_url(&base("http://h/proxy/"), "me", "a b").as_str(),
            "http://h/proxy/servicesNS/me/a%20b/search/v2/jobs/export"
        );
    }

    #[test]
    fn form_has_the_four_fields() {
        let s = Search {
            query: "search index=x".into(),
            earliest_time: "-4hours".into(),
            latest_time: "-0hours".into(),
        };
        assert_eq!(
            export_form(&s),
            vec![
                ("output_mode", "json"),
                ("earliest_time", "-4hours"),
                ("latest_time", "-0hours"),
                ("search", "search index=x"),
            ]
        );
    }

    #[test]
    fn kv_urls() {
        let b = base("https://splunk:8089");
        assert_eq!(
            kv_collection_url(&b, "rh_rhtap", "uid/map").as_str(),
            "https://splunk:8089/servicesNS/nobody/rh_rhtap/storage/collections/data/uid%2Fmap"
        );
        assert_eq!(
            kv_batch_save_url(&b, "rh_rhtap", "uids").as_str(),
            "https://splunk:8089/servicesNS/nobody/rh_rhtap/storage/collections/data/uids/batch_save"
        );
    }
}
