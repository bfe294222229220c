//! Every environment variable the tools read, in one place. The names and
//! defaults are the original shell scripts', so that swapping a script for
//! its binary is a matter of `PATH` order.

/// JSON object: cluster username → SSO user id (from get-uid-map).
pub const UID_MAP_FILE: &str = "UID_MAP_FILE";
/// JSON object: namespace → workspace owner username (from get-workspace-map).
pub const WS_MAP_FILE: &str = "WS_MAP_FILE";

/// netrc file with credentials for the Splunk and Segment hosts.
pub const CURL_NETRC: &str = "CURL_NETRC";

pub const SPLUNK_API_URL: &str = "SPLUNK_API_URL";
pub const SPLUNK_API_URL_DEFAULT: &str = "https://splunk-api.corp.redhat.com:8089";
pub const SPLUNK_APP_NAME: &str = "SPLUNK_APP_NAME";
pub const SPLUNK_APP_NAME_DEFAULT: &str = "rh_rhtap";
pub const SPLUNK_INDEX: &str = "SPLUNK_INDEX";
pub const SPLUNK_INDEX_DEFAULT: &str = "federated:rh_rhtap_stage_audit";
pub const SPLUNK_TOKEN: &str = "SPLUNK_TOKEN";
/// Splunk lookup definition (over the KV store uid map) that `querygen
/// --uid-lookup` queries use to map usernames to SSO ids inside Splunk.
pub const SPLUNK_UID_LOOKUP: &str = "SPLUNK_UID_LOOKUP";
/// Splunk lookup definition (over the KV store workspace map) that `querygen
/// --ws-lookup` queries use to give each row its namespace owner's SSO id.
pub const SPLUNK_WS_LOOKUP: &str = "SPLUNK_WS_LOOKUP";
pub const SPLUNK_RETRIES: &str = "SPLUNK_RETRIES";
/// fetch-uj-records: queries run at the same time.
pub const SPLUNK_PARALLEL: &str = "SPLUNK_PARALLEL";
/// fetch-uj-records: bytes of waiting rows kept in memory before they go
/// to a temporary file.
pub const FETCH_BUFFER_BYTES: &str = "FETCH_BUFFER_BYTES";
pub const QUERY_EARLIEST_TIME: &str = "QUERY_EARLIEST_TIME";
pub const QUERY_EARLIEST_TIME_DEFAULT: &str = "-4hours";
pub const QUERY_LATEST_TIME: &str = "QUERY_LATEST_TIME";
pub const QUERY_LATEST_TIME_DEFAULT: &str = "-0hours";

pub const SEGMENT_BATCH_API: &str = "SEGMENT_BATCH_API";
pub const SEGMENT_BATCH_API_DEFAULT: &str = "https://api.segment.io/v1/batch";
pub const SEGMENT_WRITE_KEY: &str = "SEGMENT_WRITE_KEY";
pub const SEGMENT_RETRIES: &str = "SEGMENT_RETRIES";
pub const SEGMENT_BATCH_DATA_SIZE: &str = "SEGMENT_BATCH_DATA_SIZE";
/// Timeout of one Segment request attempt (`30s`, `2m`, or seconds).
pub const SEGMENT_TIMEOUT: &str = "SEGMENT_TIMEOUT";
/// Total time one Segment batch may take, its retries and waits included.
pub const SEGMENT_MAX_RETRY_TIME: &str = "SEGMENT_MAX_RETRY_TIME";
/// Gzip Segment request bodies (`true`/`false`).
pub const SEGMENT_GZIP: &str = "SEGMENT_GZIP";
/// File of messageIds already delivered (the delivery ledger).
pub const SEGMENT_LEDGER: &str = "SEGMENT_LEDGER";

/// Extra PEM CA bundle trusted in addition to the system roots.
pub const CA_FILE: &str = "SEGMENT_BRIDGE_CA_FILE";
/// Standard OpenSSL-style override of the trusted roots; honoured too.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// `json` for JSON log lines on stderr; anything else: human text.
pub const LOG_FORMAT: &str = "LOG_FORMAT";
/// tracing filter (`info`, `debug`, `segment_bridge_core=debug`, …).
pub const LOG_LEVEL: &str = "LOG_LEVEL";

/// Test-only: multiplies every retry delay (Retry-After included), so that
/// tests of the retry behaviour don't sleep for real. `0` means no sleeping.
pub const BACKOFF_SCALE: &str = "SEGMENT_BRIDGE_BACKOFF_SCALE";

pub const KUBECONFIG: &str = "KUBECONFIG";
pub const KUBECONFIG_SRC: &str = "KUBECONFIG_SRC";
pub const CONTEXTS: &str = "CONTEXTS";

pub const PUSHGATEWAY_URL: &str = "PUSHGATEWAY_URL";

/// bridge-window: file holding the watermark of the last fully successful
/// window (JSON `{"watermark": EPOCH}`).
pub const BRIDGE_STATE_FILE: &str = "BRIDGE_STATE_FILE";
/// bridge-window: ConfigMap (in the pod's namespace) holding the watermark.
pub const BRIDGE_STATE_CONFIGMAP: &str = "BRIDGE_STATE_CONFIGMAP";
/// bridge-window: namespace of that ConfigMap (default: the pod's own).
pub const BRIDGE_STATE_NAMESPACE: &str = "BRIDGE_STATE_NAMESPACE";
/// bridge-window: the normal query window (default `4h`).
pub const BRIDGE_WINDOW: &str = "BRIDGE_WINDOW";
/// bridge-window: how far before the watermark a backfill starts (`15m`).
pub const BRIDGE_OVERLAP: &str = "BRIDGE_OVERLAP";
/// bridge-window: the longest window one run may query (default `6h`).
pub const BRIDGE_MAX_WINDOW: &str = "BRIDGE_MAX_WINDOW";
/// bridge-window: how often the job runs (default `1h`).
pub const BRIDGE_INTERVAL: &str = "BRIDGE_INTERVAL";
/// The clock time (Unix seconds) to run the job at, instead of the clock.
pub const BRIDGE_NOW: &str = "BRIDGE_NOW";

/// fetch-audit-log: the LokiStack gateway's audit tenant
/// (`https://<lokistack>-gateway-http.<namespace>.svc:8080/api/logs/v1/audit`).
pub const LOKI_URL: &str = "LOKI_URL";
pub const LOKI_URL_DEFAULT: &str =
    "https://logging-loki-gateway-http.openshift-logging.svc:8080/api/logs/v1/audit";
/// fetch-audit-log: a bearer token with read access to the audit tenant
/// (instead of the token file; never a flag).
pub const LOKI_TOKEN: &str = "LOKI_TOKEN";
/// fetch-audit-log: file holding the bearer token (default: the pod's
/// service account token).
pub const LOKI_TOKEN_FILE: &str = "LOKI_TOKEN_FILE";
/// fetch-audit-log: PEM CA bundle for the gateway (default: the pod's
/// service CA, when it exists).
pub const LOKI_CA_FILE: &str = "LOKI_CA_FILE";
/// fetch-audit-log: the LogQL stream selector.
pub const LOKI_SELECTOR: &str = "LOKI_SELECTOR";
/// fetch-audit-log: entries per query (the store's `max_entries_limit_per_query`, 5000 by default).
pub const LOKI_LIMIT: &str = "LOKI_LIMIT";
/// fetch-audit-log: length of the sub-windows a long window is cut into.
pub const LOKI_SPLIT: &str = "LOKI_SPLIT";
/// fetch-audit-log: sub-windows fetched at the same time.
pub const LOKI_PARALLEL: &str = "LOKI_PARALLEL";
/// fetch-audit-log: retries of a failed page request.
pub const LOKI_RETRIES: &str = "LOKI_RETRIES";
/// A file every tool appends its run's figures to (one JSON line: tool,
/// exit code, figures), for a driver script that acts on them
/// (`scripts/main-job.sh`'s heartbeat).
pub const FIGURES_FILE: &str = "SEGMENT_BRIDGE_FIGURES_FILE";
