#!/usr/bin/env bash
# deploy/Containerfile, as far as CI can go without a container engine: the
# file parses (known instructions, continuation lines closed), base images
# are pinned by version tag and digest (never :latest), the OCI labels are
# there, every file it copies or runs from the build context exists, the
# context excludes target/ and .git/, and the build commands it runs work:
# scripts/build-release.sh builds the multicall release binary (host target:
# the musl target cannot be added offline) with its links, every tool
# answers under its name and its original script's, scripts/gen-docs.sh
# makes a completion script and a man page for each, and the image's tools
# layer (bin/ and share/) stays within its budget, 15 MB (docs/design.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 .ci/checks/containerfile.py

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$SECONDS
scripts/build-release.sh --out "$out/bin"
scripts/gen-docs.sh "$out/bin" "$out/share"
mapfile -t tools < <("$out/bin/segment-bridge" --list)
[[ ${#tools[@]} -gt 0 ]] || { echo "40-image: segment-bridge --list named no tool" >&2; exit 1; }
for tool in "${tools[@]}"; do
  exe=$out/bin/$tool
  [[ $(readlink "$exe") == segment-bridge ]] || { echo "40-image: $tool is not a link to segment-bridge" >&2; exit 1; }
  for f in "man/man1/$tool.1" "bash-completion/completions/$tool" "zsh/site-functions/_$tool" \
    "fish/vendor_completions.d/$tool.fish"; do
    [[ -s $out/share/$f ]] || { echo "40-image: $f missing or empty" >&2; exit 1; }
  done
  version=$("$exe" --version)
  [[ $version == "$tool "* ]] || { echo "40-image: $tool --version said: $version" >&2; exit 1; }
  echo "$version"
  if [[ -e $exe.sh ]]; then
    version=$("$exe.sh" --version)
    [[ $version == "$tool "* ]] || { echo "40-image: $tool.sh --version said: $version" >&2; exit 1; }
  fi
done
budget=$((15 * 1000 * 1000))
size=$(du -sb --apparent-size "$out/bin" "$out/share" | awk '{ n += $1 } END { print n }')
echo "40-image: tools layer $size bytes (segment-bridge $(wc -c <"$out/bin/segment-bridge")), budget $budget"
[[ $size -le $budget ]] || { echo "40-image: the tools layer is over its budget" >&2; exit 1; }
echo "40-image: release binaries, completions and man pages in $((SECONDS - start))s"
