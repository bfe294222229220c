#!/usr/bin/env bash
# deploy/Containerfile, as far as CI can go without a container engine: the
# file parses (known instructions, continuation lines closed), base images
# are pinned by version tag and digest (never :latest), the OCI labels are
# there, every file it copies or runs from the build context exists, the
# context excludes target/ and .git/, and the build commands it runs work:
# scripts/build-release.sh builds the release binaries (host target: the
# musl target cannot be added offline) and scripts/gen-docs.sh makes a
# completion script and a man page for each.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 .ci/checks/containerfile.py

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$SECONDS
scripts/build-release.sh --out "$out/bin"
scripts/gen-docs.sh "$out/bin" "$out/share"
for exe in "$out"/bin/*; do
  [[ -L $exe ]] && continue
  tool=$(basename "$exe")
  for f in "man/man1/$tool.1" "bash-completion/completions/$tool" "zsh/site-functions/_$tool" \
    "fish/vendor_completions.d/$tool.fish"; do
    [[ -s $out/share/$f ]] || { echo "40-image: $f missing or empty" >&2; exit 1; }
  done
  "$exe" --version
done
echo "40-image: release binaries, completions and man pages in $((SECONDS - start))s"
