#!/usr/bin/env bash
# Refreshes the uid map (cluster username → SSO user id) ConfigMap that the
# bridge job mounts as UID_MAP_FILE: reads UserSignups on the host cluster of
# KUBECONFIG_SRC and writes the ConfigMap in the cluster the pod runs in.
#   UID_MAP_CONFIGMAP        ConfigMap name (default: uid-map)
#   MAP_CONFIGMAP_NAMESPACE  its namespace (default: the pod's own)
#   UID_MAP_KVSTORE          instead: keep this Splunk KV store collection
#                            equal to the map (docs/kvstore.md; SPLUNK_API_URL,
#                            SPLUNK_TOKEN or CURL_NETRC as for fetch-uj-records)
# Exit code: get-uid-map's (0 ok, 1 failed, 2 configuration).
set -o errexit -o nounset -o pipefail
args=(--configmap "${UID_MAP_CONFIGMAP:-uid-map}")
if [[ -n "${MAP_CONFIGMAP_NAMESPACE:-}" ]]; then
  args+=(--configmap-namespace "$MAP_CONFIGMAP_NAMESPACE")
fi
if [[ -n "${UID_MAP_KVSTORE:-}" ]]; then
  args=(--kvstore "$UID_MAP_KVSTORE")
fi
exec get-uid-map "${args[@]}" "$@"
