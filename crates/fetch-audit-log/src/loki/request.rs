//! Building a `query_range` request (pure): the URL under the tenant's base
//! and its parameters (docs/apis/loki.md, "query_range").

use reqwest::Url;

use crate::window::Span;

/// The path of the range query under a tenant's base URL
/// (`…/api/logs/v1/audit` on the LokiStack gateway).
pub const QUERY_RANGE: &str = "loki/api/v1/query_range";

/// One page: the query, the part of the window still to read, the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    pub query: &'a str,
    /// `start` is inclusive and `end` exclusive, as Loki reads them.
    pub span: Span,
    pub limit: u32,
}

/// `base` + `/loki/api/v1/query_range` (one slash between them, whatever
/// `base` ends with).
pub fn query_range_url(base: &Url) -> Url {
    let mut url = base.clone();
    let path = format!("{}/{QUERY_RANGE}", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// The query parameters: times as nanosecond epochs, oldest entries first.
pub fn params(page: &Page<'_>) -> [(&'static str, String); 5] {
    [
        ("query", page.query.to_owned()),
        ("start", page.span.start.to_string()),
        ("end", page.span.end.to_string()),
        ("limit", page.limit.to_string()),
        ("direction", "forward".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_params() {
        let base = Url::parse("https://gw.ns.svc:8080/api/logs/v1/audit/").unwrap();
        assert_eq!(
            query_range_url(&base).as_str(),
            "https://gw.ns.svc:8080/api/logs/v1/audit/loki/api/v1/query_range"
        );
        let base = Url::parse("http://127.0.0.1:9/api/logs/v1/audit?x=1").unwrap();
        assert_eq!(
            query_range_url(&base).as_str(),
            "http://127.0.0.1:9/api/logs/v1/audit/loki/api/v1/query_range?x=1"
        );
        let p = params(&Page {
            query: "{a=\"b\"}",
            span: Span { start: 1, end: 2 },
            limit: 5000,
        });
        assert_eq!(p[1], ("start", "1".to_owned()));
        assert_eq!(p[4], ("direction", "forward".to_owned()));
    }
}
