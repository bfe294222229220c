#!/usr/bin/env bash
# Refreshes the workspace map (namespace → workspace owner) ConfigMap that the
# bridge job mounts as WS_MAP_FILE: reads tenant Namespaces on the member
# clusters of KUBECONFIG_SRC (CONTEXTS, or every staging member cluster) and
# writes the ConfigMap in the cluster the pod runs in.
#   WS_MAP_CONFIGMAP         ConfigMap name (default: ws-map)
#   MAP_CONFIGMAP_NAMESPACE  its namespace (default: the pod's own)
#   WS_MAP_KVSTORE           instead: keep this Splunk KV store collection
#                            equal to the map (docs/kvstore.md; SPLUNK_API_URL,
#                            SPLUNK_TOKEN or CURL_NETRC as for fetch-uj-records)
# Exit code: get-workspace-map's (0 ok, 1 failed, 2 configuration).
set -o errexit -o nounset -o pipefail
args=(--configmap "${WS_MAP_CONFIGMAP:-ws-map}")
if [[ -n "${MAP_CONFIGMAP_NAMESPACE:-}" ]]; then
  args+=(--configmap-namespace "$MAP_CONFIGMAP_NAMESPACE")
fi
if [[ -n "${WS_MAP_KVSTORE:-}" ]]; then
  args=(--kvstore "$WS_MAP_KVSTORE")
fi
exec get-workspace-map "${args[@]}" "$@"
