#!/usr/bin/env bash
# Gives each tool in DIR its original script's name as well, as a relative
# symbolic link (segment-uploader.sh -> segment-uploader), so that putting
# DIR first in PATH swaps the shell scripts for the tools one for one, and
# a remaining original script that calls another by name
# (`split --filter=segment-uploader.sh`) reaches ours.
#   scripts/script-names.sh DIR
# Tools missing from DIR are skipped; existing links are replaced.
set -o errexit -o nounset -o pipefail
dir=${1:?usage: script-names.sh DIR}
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
