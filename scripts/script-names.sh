#!/usr/bin/env bash
# Names the tools in DIR as their users call them, with relative symbolic
# links:
# - with the multicall binary DIR/segment-bridge, a link under each tool's
#   name (segment-uploader -> segment-bridge), for every tool
#   `segment-bridge --list` names;
# - each original script's name (segment-uploader.sh -> segment-uploader),
#   so that putting DIR first in PATH swaps the shell scripts for the tools
#   one for one, and a remaining original script that calls another by name
#   (`split --filter=segment-uploader.sh`) reaches ours.
#   scripts/script-names.sh DIR
# Tools missing from DIR are skipped; existing links are replaced.
set -o errexit -o nounset -o pipefail
dir=${1:?usage: script-names.sh DIR}
if [[ -x "$dir/segment-bridge" ]]; then
  mapfile -t all < <("$dir/segment-bridge" --list)
  for t in "${all[@]}"; do
    ln -sfn segment-bridge "$dir/$t"
  done
  echo "script-names: ${#all[@]} tool links to segment-bridge in $dir" >&2
fi
tools=(
  fetch-uj-records
  splunk-to-segment
  mk-segment-batch-payload
  segment-uploader
  segment-mass-uploader
  get-uid-map
  get-workspace-map
)
linked=()
for t in "${tools[@]}"; do
  [[ -e "$dir/$t" ]] || continue
  ln -sfn "$t" "$dir/$t.sh"
  linked+=("$t.sh")
done
echo "script-names: ${#linked[@]} links in $dir: ${linked[*]}" >&2
